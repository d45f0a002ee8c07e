//! MAC addresses and modified EUI-64 interface identifiers.
//!
//! RFC 4291 appendix A derives a 64-bit interface identifier from a 48-bit
//! MAC address: `ff:fe` is inserted between its third and fourth octets and
//! the universal/local bit (0x02 of the first octet) is inverted. RFC 4862
//! SLAAC appends that identifier to a /64 advertised by a router, which is
//! how a virtual machine's address can be known from its MAC in advance.

use core::fmt;
use core::net::Ipv6Addr;
use core::str::FromStr;

use ipnet::Ipv6Net;

use crate::Error;

/// A 48-bit IEEE 802 MAC address.
///
/// Parses the forms operators meet: `52:54:00:d6:c2:a9` (also with one-digit
/// groups, as some tools print them), `52-54-00-d6-c2-a9`, the Cisco form
/// `5254.00d6.c2a9` and bare `525400d6c2a9`. Displays as lower-case,
/// colon-separated pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(pub [u8; 6]);

/// A 64-bit interface identifier: the low half of an IPv6 address.
///
/// It is usually one made by the modified EUI-64 rules ([`Eui64::from_mac`]),
/// but any IID can be held, so that [`Eui64::to_mac`] can say whether one
/// was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Eui64(pub [u8; 8]);

impl Mac {
    /// Whether the group bit (0x01 of the first octet) is set: a multicast
    /// MAC address, which no interface has as its own.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether the universal/local bit (0x02 of the first octet) is set: a
    /// locally administered address, as virtual machines usually get.
    pub fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }
}

impl FromStr for Mac {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        const WHAT: &str = "MAC address";
        let bad = |reason| Error::parse(s, WHAT, reason);
        let mut out = [0u8; 6];
        if s.contains([':', '-']) {
            let sep = if s.contains(':') { ':' } else { '-' };
            if s.contains(':') && s.contains('-') {
                return Err(bad("mixes ':' and '-' separators"));
            }
            let mut n = 0;
            for group in s.split(sep) {
                if n == 6 {
                    return Err(bad("has more than 6 groups"));
                }
                if group.is_empty() || group.len() > 2 {
                    return Err(bad("each group must be 1 or 2 hexadecimal digits"));
                }
                out[n] = u8::from_str_radix(group, 16)
                    .map_err(|_| bad("has a character that is not a hexadecimal digit"))?;
                n += 1;
            }
            if n != 6 {
                return Err(bad("must have 6 groups"));
            }
        } else {
            let digits: String = if s.contains('.') {
                let groups: Vec<&str> = s.split('.').collect();
                if groups.len() != 3 || groups.iter().any(|g| g.len() != 4) {
                    return Err(bad(
                        "the dotted form is three groups of 4 hexadecimal digits",
                    ));
                }
                groups.concat()
            } else {
                s.to_owned()
            };
            if digits.len() != 12 {
                return Err(bad(
                    "expected 12 hexadecimal digits, such as 52:54:00:d6:c2:a9",
                ));
            }
            if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("has a character that is not a hexadecimal digit"));
            }
            for (i, byte) in out.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                    .map_err(|_| bad("has a character that is not a hexadecimal digit"))?;
            }
        }
        Ok(Mac(out))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl Eui64 {
    /// The modified EUI-64 interface identifier of `mac` (RFC 4291
    /// appendix A): `ff:fe` inserted in the middle, universal/local bit
    /// inverted.
    pub const fn from_mac(mac: Mac) -> Self {
        let m = mac.0;
        Eui64([m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]])
    }

    /// The interface identifier of `addr`: its low 64 bits.
    pub fn from_addr(addr: Ipv6Addr) -> Self {
        let o = addr.octets();
        let mut iid = [0u8; 8];
        iid.copy_from_slice(&o[8..]);
        Eui64(iid)
    }

    /// The MAC address this identifier was made from, reversing
    /// [`Eui64::from_mac`].
    ///
    /// Fails with [`Error::NotEui64`] when octets 3 and 4 are not `ff:fe`,
    /// as in temporary (RFC 8981) or stable (RFC 7217) identifiers.
    pub fn to_mac(self) -> Result<Mac, Error> {
        let i = self.0;
        if i[3] != 0xff || i[4] != 0xfe {
            return Err(Error::NotEui64 { iid: self });
        }
        Ok(Mac([i[0] ^ 0x02, i[1], i[2], i[5], i[6], i[7]]))
    }

    /// The identifier as a 64-bit number.
    pub const fn to_u64(self) -> u64 {
        u64::from_be_bytes(self.0)
    }

    /// The address made of the first 64 bits of `prefix` and this
    /// identifier.
    ///
    /// Fails with [`Error::PrefixTooLong`] when the prefix is longer than
    /// /64, since the identifier takes the whole low half (RFC 4291
    /// section 2.5.1).
    pub fn address(self, prefix: Ipv6Net) -> Result<Ipv6Addr, Error> {
        if prefix.prefix_len() > 64 {
            return Err(Error::PrefixTooLong {
                prefix: prefix.into(),
                reason: "an interface identifier needs a prefix of at most /64",
            });
        }
        let high = u128::from(prefix.network()) & !u128::from(u64::MAX);
        Ok(Ipv6Addr::from(high | u128::from(self.to_u64())))
    }
}

/// The SLAAC address (RFC 4862 section 5.5.3) an interface with `mac`
/// configures from `prefix`, using its modified EUI-64 identifier.
///
/// ```
/// let a = v6core::eui64::slaac("2001:db8::/64".parse().unwrap(), "52:54:00:d6:c2:a9".parse().unwrap());
/// assert_eq!(a.unwrap().to_string(), "2001:db8::5054:ff:fed6:c2a9");
/// ```
pub fn slaac(prefix: Ipv6Net, mac: Mac) -> Result<Ipv6Addr, Error> {
    Eui64::from_mac(mac).address(prefix)
}

/// The MAC address an EUI-64-derived address was made from.
pub fn mac_of(addr: Ipv6Addr) -> Result<Mac, Error> {
    Eui64::from_addr(addr).to_mac()
}

impl fmt::Display for Eui64 {
    /// Four groups of up to four hexadecimal digits, as the identifier
    /// appears in an IPv6 address: `5054:ff:fed6:c2a9`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.0;
        let g = |n: usize| u16::from_be_bytes([i[2 * n], i[2 * n + 1]]);
        write!(f, "{:x}:{:x}:{:x}:{:x}", g(0), g(1), g(2), g(3))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Eui64 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        let want = Mac([0x52, 0x54, 0x00, 0xd6, 0xc2, 0xa9]);
        for s in [
            "52:54:00:d6:c2:a9",
            "52:54:0:d6:c2:a9",
            "52-54-00-D6-C2-A9",
            "5254.00d6.c2a9",
            "525400d6c2a9",
        ] {
            assert_eq!(s.parse::<Mac>().unwrap(), want, "{s}");
        }
    }

    #[test]
    fn bad_macs_name_the_input() {
        for s in [
            "",
            "52:54:00:d6:c2",
            "52:54:00:d6:c2:a9:00",
            "52:54:00:d6:c2:zz",
            "52:54-00:d6:c2:a9",
            "525400d6c2a",
            "5254.00d6.c2a",
            "52:54:00:d6:c2:a99",
            "52::00:d6:c2:a9",
        ] {
            let err = s.parse::<Mac>().unwrap_err().to_string();
            assert!(err.contains(&format!("{s:?}")), "{err}");
        }
    }

    #[test]
    fn iid_not_from_mac() {
        let a: Ipv6Addr = "2001:db8::1234:5678:9abc:def0".parse().unwrap();
        assert!(matches!(mac_of(a), Err(Error::NotEui64 { .. })));
    }

    #[test]
    fn address_needs_at_most_64() {
        let mac: Mac = "52:54:00:d6:c2:a9".parse().unwrap();
        assert!(slaac("2001:db8::/80".parse().unwrap(), mac).is_err());
        assert_eq!(
            slaac("2001:db8:1::/48".parse().unwrap(), mac).unwrap(),
            "2001:db8:1::5054:ff:fed6:c2a9".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn display() {
        let e = Eui64::from_mac("52:54:00:d6:c2:a9".parse().unwrap());
        assert_eq!(e.to_string(), "5054:ff:fed6:c2a9");
        assert_eq!(e.to_mac().unwrap().to_string(), "52:54:00:d6:c2:a9");
    }
}
