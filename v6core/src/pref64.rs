//! RFC 6052 IPv4-embedded IPv6 addresses.
//!
//! A NAT64 or SIIT translator and a DNS64 resolver agree on a prefix (the
//! well-known `64:ff9b::/96`, or a network-specific prefix) under which every
//! IPv4 address has an IPv6 twin. [`Pref64`] is such a prefix, checked once;
//! [`Pref64::embed`] and [`Pref64::extract`] convert between the two forms
//! and never allocate, so a translator can call them for every packet.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use ipnet::Ipv6Net;

use crate::Error;

/// A prefix that RFC 6052 allows for IPv4-embedded IPv6 addresses.
///
/// RFC 6052 section 2.2 defines the address format for prefix lengths 32,
/// 40, 48, 56, 64 and 96. Bits 64 to 71 of an embedded address (the "u"
/// octet) are reserved and always zero, so the IPv4 address is split around
/// them for the lengths 40 to 56:
///
/// ```text
/// +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// |PL| 0-------------32--40--48--56--64--72--80--88--96--104---------|
/// +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// |32|     prefix    |v4(32)         | u | suffix                    |
/// |40|     prefix        |v4(24)     | u |(8)| suffix                |
/// |48|     prefix            |v4(16) | u | (16)  | suffix            |
/// |56|     prefix                |(8)| u |  v4(24)   | suffix        |
/// |64|     prefix                    | u |   v4(32)      | suffix    |
/// |96|     prefix                                    |    v4(32)     |
/// +--+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
/// ```
///
/// ```
/// use v6core::Pref64;
/// let p: Pref64 = "2001:db8:100::/40".parse().unwrap();
/// let v6 = p.embed("192.0.2.33".parse().unwrap());
/// assert_eq!(v6, "2001:db8:1c0:2:21::".parse::<std::net::Ipv6Addr>().unwrap());
/// assert_eq!(p.extract(v6).unwrap(), std::net::Ipv4Addr::new(192, 0, 2, 33));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pref64 {
    prefix: Ipv6Net,
}

/// The prefix lengths RFC 6052 section 2.2 allows.
pub const PREF64_LENGTHS: [u8; 6] = [32, 40, 48, 56, 64, 96];

/// The bits 64 to 71 of an IPv6 address (the "u" octet of RFC 6052).
const U_OCTET: u128 = 0xff << 56;

impl Pref64 {
    /// The well-known prefix `64:ff9b::/96` (RFC 6052 section 2.1).
    pub const WELL_KNOWN: Pref64 = Pref64 {
        prefix: match Ipv6Net::new(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
            Ok(p) => p,
            Err(_) => panic!("64:ff9b::/96 is a valid prefix"),
        },
    };

    /// Checks that `prefix` is usable as an RFC 6052 prefix: its length is one
    /// of [`PREF64_LENGTHS`], it has no bits set after its length, and (for a
    /// /96) bits 64 to 71 are zero.
    pub fn new(prefix: Ipv6Net) -> Result<Self, Error> {
        let len = prefix.prefix_len();
        if !PREF64_LENGTHS.contains(&len) {
            return Err(Error::Pref64Length { len });
        }
        if prefix.addr() != prefix.network() {
            return Err(Error::HostBitsSet {
                prefix: prefix.into(),
            });
        }
        if u128::from(prefix.network()) & U_OCTET != 0 {
            return Err(Error::Pref64ReservedBits { prefix });
        }
        Ok(Pref64 { prefix })
    }

    /// The prefix itself.
    pub const fn prefix(&self) -> Ipv6Net {
        self.prefix
    }

    /// The prefix length: one of [`PREF64_LENGTHS`].
    #[expect(
        clippy::len_without_is_empty,
        reason = "a prefix length, not the size of a collection"
    )]
    pub const fn len(&self) -> u8 {
        self.prefix.prefix_len()
    }

    /// Whether this is the well-known prefix `64:ff9b::/96`, with which
    /// RFC 6052 section 3.1 forbids embedding non-global IPv4 addresses.
    pub fn is_well_known(&self) -> bool {
        *self == Self::WELL_KNOWN
    }

    /// Whether `addr` lies inside the prefix (it may still carry a non-zero
    /// "u" octet or suffix, which [`Pref64::extract`] ignores).
    pub fn contains(&self, addr: Ipv6Addr) -> bool {
        // One mask and compare: this runs for every translated packet.
        let mask = u128::MAX << (128 - u32::from(self.prefix.prefix_len()));
        u128::from(addr) & mask == u128::from(self.prefix.addr())
    }

    /// The IPv4-embedded IPv6 address of `v4` (RFC 6052 section 2.2); the "u"
    /// octet and the suffix are zero.
    pub fn embed(&self, v4: Ipv4Addr) -> Ipv6Addr {
        let prefix = u128::from(self.prefix.addr());
        let v4 = u128::from(u32::from(v4));
        let len = u32::from(self.prefix.prefix_len());
        let bits = if len == 96 {
            v4
        } else {
            // `high` bits of the IPv4 address go right after the prefix, up to
            // bit 64; the rest go after the "u" octet, from bit 72 on.
            let high = 64 - len;
            let low = 32 - high;
            let low_mask = (1u128 << low) - 1;
            ((v4 >> low) << 64) | ((v4 & low_mask) << (56 - low))
        };
        Ipv6Addr::from(prefix | bits)
    }

    /// The IPv4 address embedded in `v6` (RFC 6052 section 2.2). The "u"
    /// octet and the suffix are ignored, as section 2.2 reserves them.
    ///
    /// Fails with [`Error::NotInPrefix`] when `v6` is outside the prefix.
    pub fn extract(&self, v6: Ipv6Addr) -> Result<Ipv4Addr, Error> {
        if !self.contains(v6) {
            return Err(Error::NotInPrefix {
                address: v6.into(),
                prefix: self.prefix.into(),
            });
        }
        let a = u128::from(v6);
        let len = u32::from(self.prefix.prefix_len());
        let v4 = if len == 96 {
            a & 0xffff_ffff
        } else {
            let high = 64 - len;
            let low = 32 - high;
            let high_bits = (a >> 64) & ((1u128 << high) - 1);
            let low_bits = (a >> (56 - low)) & ((1u128 << low) - 1);
            (high_bits << low) | low_bits
        };
        // `v4` has at most 32 significant bits by construction.
        Ok(Ipv4Addr::from(v4 as u32))
    }
}

impl fmt::Display for Pref64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.prefix, f)
    }
}

impl FromStr for Pref64 {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let prefix: Ipv6Net = s.parse().map_err(|_| {
            Error::parse(
                s,
                "RFC 6052 prefix",
                "expected an IPv6 prefix such as 64:ff9b::/96",
            )
        })?;
        Pref64::new(prefix)
    }
}

impl TryFrom<Ipv6Net> for Pref64 {
    type Error = Error;

    fn try_from(prefix: Ipv6Net) -> Result<Self, Error> {
        Pref64::new(prefix)
    }
}

impl From<Pref64> for Ipv6Net {
    fn from(p: Pref64) -> Ipv6Net {
        p.prefix
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Pref64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Pref64 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_lengths_rfc6052_does_not_define() {
        for len in (0..=128).filter(|l| !PREF64_LENGTHS.contains(l)) {
            let p = Ipv6Net::new(Ipv6Addr::UNSPECIFIED, len).unwrap();
            assert_eq!(Pref64::new(p), Err(Error::Pref64Length { len }));
        }
    }

    #[test]
    fn rejects_u_octet_in_slash_96() {
        let err = "2001:db8::ff00:0:0:0/96".parse::<Pref64>().unwrap_err();
        assert!(matches!(err, Error::Pref64ReservedBits { .. }), "{err}");
    }

    #[test]
    fn rejects_host_bits() {
        let err = "64:ff9b::1/96".parse::<Pref64>().unwrap_err();
        assert!(matches!(err, Error::HostBitsSet { .. }), "{err}");
        assert!(err.to_string().contains("64:ff9b::/96"));
    }

    #[test]
    fn parse_error_names_input() {
        let err = "64:ff9b::/9x6".parse::<Pref64>().unwrap_err();
        assert!(err.to_string().contains("64:ff9b::/9x6"), "{err}");
    }

    #[test]
    fn extract_outside_prefix_fails() {
        let p = Pref64::WELL_KNOWN;
        let err = p.extract("2001:db8::1".parse().unwrap()).unwrap_err();
        assert!(matches!(err, Error::NotInPrefix { .. }));
    }

    #[test]
    fn extract_ignores_u_octet_and_suffix() {
        let p: Pref64 = "2001:db8:122:344::/64".parse().unwrap();
        let v6: Ipv6Addr = "2001:db8:122:344:ffc0:2:21ff:ffff".parse().unwrap();
        assert_eq!(p.extract(v6).unwrap(), Ipv4Addr::new(192, 0, 2, 33));
    }

    #[test]
    fn well_known() {
        assert!("64:ff9b::/96".parse::<Pref64>().unwrap().is_well_known());
        assert_eq!(
            Pref64::WELL_KNOWN.embed(Ipv4Addr::new(192, 0, 2, 33)),
            "64:ff9b::c000:221".parse::<Ipv6Addr>().unwrap()
        );
    }
}
