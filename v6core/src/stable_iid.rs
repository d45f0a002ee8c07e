//! RFC 7217 stable, semantically opaque interface identifiers.
//!
//! An EUI-64 identifier follows a machine from network to network and gives
//! away its MAC address. RFC 7217 instead derives the identifier from the
//! prefix, the interface, the network and a secret key: stable while all of
//! them stay the same, unrelated as soon as the prefix changes.

use core::net::Ipv6Addr;

use ipnet::Ipv6Net;
use sha2::{Digest, Sha256};

use crate::{Error, Eui64};

/// What an RFC 7217 identifier is computed from (RFC 7217 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableIidInput<'a> {
    /// The SLAAC prefix, at most /64; only its first 64 bits are used.
    pub prefix: Ipv6Net,
    /// The interface's name or another stable identifier of it (`Net_Iface`).
    pub interface: &'a str,
    /// An identifier of the network (`Network_ID`), such as a Wi-Fi SSID;
    /// empty when there is none.
    pub network_id: &'a [u8],
    /// The DAD counter: 0 at first, one more after each duplicate address
    /// was detected.
    pub dad_counter: u8,
    /// The host's secret key, at least 128 bits (RFC 7217 section 5).
    pub secret_key: &'a [u8],
}

impl StableIidInput<'_> {
    /// The interface identifier, `RID = F(Prefix, Net_Iface, Network_ID,
    /// DAD_Counter, secret_key)` of RFC 7217 section 5.
    ///
    /// F is SHA-256, which the RFC suggests; the identifier is the least
    /// significant 64 bits of the digest. The variable-length inputs are
    /// each preceded by their length so that no two different inputs are
    /// hashed as the same bytes. An identifier that is reserved
    /// ([`is_reserved`]) is skipped by incrementing the DAD counter and
    /// computing again, as section 5 requires.
    ///
    /// Fails with [`Error::PrefixTooLong`] when the prefix is longer than
    /// /64.
    pub fn iid(&self) -> Result<Eui64, Error> {
        if self.prefix.prefix_len() > 64 {
            return Err(Error::PrefixTooLong {
                prefix: self.prefix.into(),
                reason: "an interface identifier needs a prefix of at most /64",
            });
        }
        let prefix = self.prefix.network().octets();
        let mut counter = self.dad_counter;
        loop {
            let mut h = Sha256::new();
            h.update(&prefix[..8]);
            h.update((self.interface.len() as u64).to_be_bytes());
            h.update(self.interface.as_bytes());
            h.update((self.network_id.len() as u64).to_be_bytes());
            h.update(self.network_id);
            h.update([counter]);
            h.update(self.secret_key);
            let digest = h.finalize();
            let mut iid = [0u8; 8];
            iid.copy_from_slice(&digest[digest.len() - 8..]);
            let iid = Eui64(iid);
            if !is_reserved(iid) {
                return Ok(iid);
            }
            counter = counter.wrapping_add(1);
        }
    }

    /// The address made of the prefix and [`StableIidInput::iid`].
    pub fn address(&self) -> Result<Ipv6Addr, Error> {
        self.iid()?.address(self.prefix)
    }
}

/// Whether `iid` is one of the reserved interface identifiers of RFC 5453
/// and the IANA registry that it created, which an RFC 7217 generator must
/// not produce:
///
/// - `0000:0000:0000:0000`, the Subnet-Router anycast (RFC 4291);
/// - `0200:5eff:fe00:0000` to `0200:5eff:feff:ffff`, the identifiers made
///   from IANA's own Ethernet block, including the Proxy Mobile IPv6 one
///   (RFC 6543);
/// - `fdff:ffff:ffff:ff80` to `fdff:ffff:ffff:ffff`, the reserved subnet
///   anycast addresses (RFC 2526).
pub fn is_reserved(iid: Eui64) -> bool {
    let v = iid.to_u64();
    v == 0
        || (0x0200_5eff_fe00_0000..=0x0200_5eff_feff_ffff).contains(&v)
        || v >= 0xfdff_ffff_ffff_ff80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(counter: u8) -> StableIidInput<'static> {
        StableIidInput {
            prefix: "2001:db8:1:2::/64".parse().unwrap(),
            interface: "eth0",
            network_id: b"",
            dad_counter: counter,
            secret_key: b"0123456789abcdef",
        }
    }

    #[test]
    fn stable_for_same_input_and_different_otherwise() {
        let a = input(0).iid().unwrap();
        assert_eq!(a, input(0).iid().unwrap());
        assert_ne!(a, input(1).iid().unwrap());
        let other_prefix = StableIidInput {
            prefix: "2001:db8:1:3::/64".parse().unwrap(),
            ..input(0)
        };
        assert_ne!(a, other_prefix.iid().unwrap());
        let other_iface = StableIidInput {
            interface: "eth1",
            ..input(0)
        };
        assert_ne!(a, other_iface.iid().unwrap());
        let other_key = StableIidInput {
            secret_key: b"another key, 16b",
            ..input(0)
        };
        assert_ne!(a, other_key.iid().unwrap());
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let a = StableIidInput {
            interface: "eth0",
            network_id: b"1",
            ..input(0)
        };
        let b = StableIidInput {
            interface: "eth01",
            network_id: b"",
            ..input(0)
        };
        assert_ne!(a.iid().unwrap(), b.iid().unwrap());
    }

    #[test]
    fn only_the_first_64_bits_of_the_prefix_count() {
        let wide = StableIidInput {
            prefix: "2001:db8:1:2::/56".parse().unwrap(),
            ..input(0)
        };
        let long = StableIidInput {
            prefix: "2001:db8:1:2::/80".parse().unwrap(),
            ..input(0)
        };
        assert!(wide.iid().is_ok());
        assert!(matches!(long.iid(), Err(Error::PrefixTooLong { .. })));
        let addr = input(0).address().unwrap();
        assert_eq!(
            u128::from(addr) >> 64,
            u128::from("2001:db8:1:2::".parse::<Ipv6Addr>().unwrap()) >> 64
        );
    }

    #[test]
    fn reserved_identifiers() {
        for v in [
            0u64,
            0x0200_5eff_fe00_5213,
            0x0200_5eff_feff_ffff,
            0xfdff_ffff_ffff_ff80,
            u64::MAX,
        ] {
            assert!(is_reserved(Eui64(v.to_be_bytes())), "{v:x}");
        }
        for v in [1u64, 0x0200_5eff_ff00_0000, 0xfdff_ffff_ffff_ff7f] {
            assert!(!is_reserved(Eui64(v.to_be_bytes())), "{v:x}");
        }
    }
}
