//! RFC 6052 mapping: IPv4 addresses embedded in an IPv6 prefix.

use core::net::{Ipv4Addr, Ipv6Addr};

use v6core::Pref64;

use super::Mapping;

/// Every IPv4 address is embedded in one [`Pref64`] (RFC 6052 section 2.2).
///
/// With the well-known prefix `64:ff9b::/96`, RFC 6052 section 3.1 forbids
/// non-global IPv4 addresses (private, loopback, link-local, shared,
/// multicast, reserved); they map to nothing in either direction, as in
/// Tayga. A network-specific prefix maps every address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc6052 {
    prefix: Pref64,
}

impl Rfc6052 {
    /// The mapping for `prefix`.
    pub const fn new(prefix: Pref64) -> Self {
        Rfc6052 { prefix }
    }

    /// The prefix.
    pub const fn prefix(&self) -> Pref64 {
        self.prefix
    }

    fn allowed(&self, v4: Ipv4Addr) -> bool {
        !self.prefix.is_well_known() || is_global(v4)
    }
}

/// Whether `a` is a global unicast IPv4 address in the sense of RFC 6052
/// section 3.1 (not in one of the special-purpose blocks of RFC 6890 that
/// are not globally reachable).
pub(crate) fn is_global(a: Ipv4Addr) -> bool {
    let [o0, o1, o2, _] = a.octets();
    !(o0 == 0                                   // 0.0.0.0/8, "this network"
        || o0 == 10                             // 10.0.0.0/8, RFC 1918
        || (o0 == 100 && (o1 & 0xc0) == 64)     // 100.64.0.0/10, RFC 6598
        || o0 == 127                            // 127.0.0.0/8, loopback
        || (o0 == 169 && o1 == 254)             // 169.254.0.0/16, link-local
        || (o0 == 172 && (o1 & 0xf0) == 16)     // 172.16.0.0/12, RFC 1918
        || (o0 == 192 && o1 == 0 && o2 == 0)    // 192.0.0.0/24, IETF
        || (o0 == 192 && o1 == 0 && o2 == 2)    // 192.0.2.0/24, TEST-NET-1
        || (o0 == 192 && o1 == 168)             // 192.168.0.0/16, RFC 1918
        || (o0 == 198 && (o1 & 0xfe) == 18)     // 198.18.0.0/15, benchmarking
        || (o0 == 198 && o1 == 51 && o2 == 100) // 198.51.100.0/24, TEST-NET-2
        || (o0 == 203 && o1 == 0 && o2 == 113)  // 203.0.113.0/24, TEST-NET-3
        || o0 >= 224) // multicast, reserved, broadcast
}

impl Mapping for Rfc6052 {
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        let v4 = self.prefix.extract(addr).ok()?;
        self.allowed(v4).then_some(v4)
    }

    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.allowed(addr).then(|| self.prefix.embed(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_specific_prefix_maps_everything() {
        let m = Rfc6052::new("2001:db8:100::/40".parse().unwrap());
        let v4 = Ipv4Addr::new(192, 0, 2, 33);
        let v6: Ipv6Addr = "2001:db8:1c0:2:21::".parse().unwrap();
        assert_eq!(m.v4_to_v6(v4), Some(v6));
        assert_eq!(m.v6_to_v4(v6), Some(v4));
        assert_eq!(m.v6_to_v4("2001:db8::1".parse().unwrap()), None);
        assert!(m.v4_to_v6(Ipv4Addr::new(10, 0, 0, 1)).is_some());
    }

    #[test]
    fn well_known_prefix_refuses_non_global_addresses() {
        let m = Rfc6052::new(Pref64::WELL_KNOWN);
        assert_eq!(
            m.v4_to_v6(Ipv4Addr::new(8, 8, 8, 8)),
            Some("64:ff9b::808:808".parse().unwrap())
        );
        for a in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "100.64.0.1",
            "172.31.0.1",
            "224.0.0.1",
        ] {
            let a: Ipv4Addr = a.parse().unwrap();
            assert_eq!(m.v4_to_v6(a), None, "{a}");
            assert_eq!(m.v6_to_v4(Pref64::WELL_KNOWN.embed(a)), None, "{a}");
        }
    }
}
