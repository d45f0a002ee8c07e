//! The EAMT in front of an RFC 6052 prefix, as a SIIT translator runs them.

use core::net::{Ipv4Addr, Ipv6Addr};

use super::{Eamt, Mapping, Rfc6052};

/// The Explicit Address Mapping Table first, then the RFC 6052 prefix
/// ("pool6") for addresses the table does not cover (RFC 7757 section 3.2
/// and 3.3), as in Jool's SIIT mode. Either part may be empty.
///
/// Hairpinning follows RFC 7757 section 4.2 (Jool's "intrinsic" mode): a
/// packet from the IPv6 side whose destination was translated by the prefix
/// but lands in an EAM's IPv4 prefix is sent back to the IPv6 side, and its
/// far-end address is translated with the prefix only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EamtThenPrefix {
    /// The explicit mappings, tried first.
    pub eamt: Eamt,
    /// The RFC 6052 prefix, tried when no EAM matches.
    pub prefix: Option<Rfc6052>,
}

impl EamtThenPrefix {
    /// The combination of `eamt` and `prefix`.
    pub fn new(eamt: Eamt, prefix: Option<Rfc6052>) -> Self {
        EamtThenPrefix { eamt, prefix }
    }
}

impl Mapping for EamtThenPrefix {
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        self.eamt
            .v6_to_v4(addr)
            .or_else(|| self.prefix.as_ref()?.v6_to_v4(addr))
    }

    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.eamt
            .v4_to_v6(addr)
            .or_else(|| self.prefix.as_ref()?.v4_to_v6(addr))
    }

    fn is_hairpin(&self, dst6: Ipv6Addr, dst4: Ipv4Addr) -> bool {
        self.eamt.lookup_v6(dst6).is_none() && self.eamt.lookup_v4(dst4).is_some()
    }

    fn v4_to_v6_hairpin(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.prefix.as_ref()?.v4_to_v6(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7757 appendix B.1's hairpinning example, with Jool's addresses.
    #[test]
    fn hairpinning() {
        let mut eamt = Eamt::new();
        eamt.add(
            "1.0.0.0/24".parse().unwrap(),
            "2001:db8:3::/120".parse().unwrap(),
        )
        .unwrap();
        let m = EamtThenPrefix::new(
            eamt,
            Some(Rfc6052::new("2001:db8:100::/40".parse().unwrap())),
        );
        let dst6: Ipv6Addr = "2001:db8:101:0:9::".parse().unwrap();
        let dst4 = m.v6_to_v4(dst6).unwrap();
        assert_eq!(dst4, Ipv4Addr::new(1, 0, 0, 9));
        assert!(m.is_hairpin(dst6, dst4));
        assert_eq!(m.v4_to_v6(dst4), Some("2001:db8:3::9".parse().unwrap()));
        let src6: Ipv6Addr = "2001:db8:3::8".parse().unwrap();
        let src4 = m.v6_to_v4(src6).unwrap();
        assert!(!m.is_hairpin(src6, src4));
        assert_eq!(
            m.v4_to_v6_hairpin(src4),
            Some("2001:db8:101:0:8::".parse().unwrap())
        );
    }
}
