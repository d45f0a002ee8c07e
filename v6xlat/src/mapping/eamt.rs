//! RFC 7757 Explicit Address Mappings.

use core::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use super::Mapping;

/// Why an Explicit Address Mapping was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EamtError {
    /// A prefix with bits set after its length.
    #[error("{0} has host bits set")]
    HostBits(ipnet::IpNet),
    /// The IPv4 suffix does not fit after the IPv6 prefix (RFC 7757
    /// section 3.2: IPv6 prefix length + 32 − IPv4 prefix length ≤ 128).
    #[error("the {suffix}-bit suffix of {v4} does not fit after {v6}")]
    SuffixTooLong {
        /// The IPv4 prefix.
        v4: Ipv4Net,
        /// The IPv6 prefix.
        v6: Ipv6Net,
        /// The length of the IPv4 suffix in bits.
        suffix: u8,
    },
    /// One side of the entry is already in the table.
    #[error("{0} is already mapped")]
    Duplicate(ipnet::IpNet),
}

/// One Explicit Address Mapping: an IPv4 prefix and an IPv6 prefix whose
/// addresses correspond (RFC 7757 section 3.1).
///
/// The host bits of an IPv4 address (its suffix) are appended to the IPv6
/// prefix, and the IPv6 bits after them are zero (RFC 7757 section 3.2):
/// with `192.0.2.0/24 <-> 2001:db8:1c0:2::/72`, `192.0.2.33` is
/// `2001:db8:1c0:2:21::`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Eam {
    v4: Ipv4Net,
    v6: Ipv6Net,
}

impl Eam {
    /// Checks that both prefixes have no host bits and that the IPv4 suffix
    /// fits after the IPv6 prefix.
    pub fn new(v4: Ipv4Net, v6: Ipv6Net) -> Result<Self, EamtError> {
        if v4.addr() != v4.network() {
            return Err(EamtError::HostBits(v4.into()));
        }
        if v6.addr() != v6.network() {
            return Err(EamtError::HostBits(v6.into()));
        }
        let suffix = 32 - v4.prefix_len();
        if u32::from(v6.prefix_len()) + u32::from(suffix) > 128 {
            return Err(EamtError::SuffixTooLong { v4, v6, suffix });
        }
        Ok(Eam { v4, v6 })
    }

    /// The IPv4 prefix.
    pub const fn v4(&self) -> Ipv4Net {
        self.v4
    }

    /// The IPv6 prefix.
    pub const fn v6(&self) -> Ipv6Net {
        self.v6
    }

    fn suffix_bits(&self) -> u32 {
        32 - u32::from(self.v4.prefix_len())
    }

    /// Where the IPv4 suffix starts, counted from the low end of the IPv6 address.
    fn v6_shift(&self) -> u32 {
        128 - u32::from(self.v6.prefix_len()) - self.suffix_bits()
    }

    fn suffix_mask(&self) -> u128 {
        (1u128 << self.suffix_bits()) - 1
    }

    /// `addr` (inside the IPv4 prefix) as an IPv6 address (RFC 7757 section 3.2).
    pub fn to_v6(&self, addr: Ipv4Addr) -> Ipv6Addr {
        let suffix = u128::from(addr.to_bits()) & self.suffix_mask();
        Ipv6Addr::from_bits(self.v6.network().to_bits() | (suffix << self.v6_shift()))
    }

    /// `addr` (inside the IPv6 prefix) as an IPv4 address (RFC 7757 section 3.3).
    pub fn to_v4(&self, addr: Ipv6Addr) -> Ipv4Addr {
        let suffix = (addr.to_bits() >> self.v6_shift()) & self.suffix_mask();
        // The suffix has at most 32 bits.
        Ipv4Addr::from_bits(self.v4.network().to_bits() | suffix as u32)
    }
}

/// The Explicit Address Mapping Table (RFC 7757): the entry with the longest
/// matching prefix wins, in both directions (section 3.2 and 3.3).
///
/// Entries are kept sorted by prefix length, longest first, once per
/// direction; a lookup scans them in order and stops at the first match, so
/// it never allocates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eamt {
    by_v4: Vec<Eam>,
    by_v6: Vec<Eam>,
}

impl Eamt {
    /// An empty table.
    pub const fn new() -> Self {
        Eamt {
            by_v4: Vec::new(),
            by_v6: Vec::new(),
        }
    }

    /// Adds an entry. Neither of its prefixes may already be in the table.
    pub fn insert(&mut self, eam: Eam) -> Result<(), EamtError> {
        if self.by_v4.iter().any(|e| e.v4 == eam.v4) {
            return Err(EamtError::Duplicate(eam.v4.into()));
        }
        if self.by_v6.iter().any(|e| e.v6 == eam.v6) {
            return Err(EamtError::Duplicate(eam.v6.into()));
        }
        let i = self
            .by_v4
            .partition_point(|e| e.v4.prefix_len() >= eam.v4.prefix_len());
        self.by_v4.insert(i, eam);
        let i = self
            .by_v6
            .partition_point(|e| e.v6.prefix_len() >= eam.v6.prefix_len());
        self.by_v6.insert(i, eam);
        Ok(())
    }

    /// Adds the entry `v4 <-> v6`; see [`Eam::new`] and [`Eamt::insert`].
    pub fn add(&mut self, v4: Ipv4Net, v6: Ipv6Net) -> Result<(), EamtError> {
        self.insert(Eam::new(v4, v6)?)
    }

    /// The entries, longest IPv4 prefix first.
    pub fn entries(&self) -> &[Eam] {
        &self.by_v4
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_v4.is_empty()
    }

    /// The entry whose IPv4 prefix is the longest match for `addr`.
    pub fn lookup_v4(&self, addr: Ipv4Addr) -> Option<&Eam> {
        self.by_v4.iter().find(|e| e.v4.contains(&addr))
    }

    /// The entry whose IPv6 prefix is the longest match for `addr`.
    pub fn lookup_v6(&self, addr: Ipv6Addr) -> Option<&Eam> {
        self.by_v6.iter().find(|e| e.v6.contains(&addr))
    }
}

impl Mapping for Eamt {
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        self.lookup_v6(addr).map(|e| e.to_v4(addr))
    }

    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.lookup_v4(addr).map(|e| e.to_v6(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, &str)]) -> Eamt {
        let mut t = Eamt::new();
        for (v4, v6) in entries {
            t.add(v4.parse().unwrap(), v6.parse().unwrap()).unwrap();
        }
        t
    }

    /// RFC 7757 appendix A's examples.
    #[test]
    fn rfc7757_examples() {
        let t = table(&[
            ("192.0.2.1/32", "2001:db8:aaaa::/128"),
            ("192.0.2.2/32", "2001:db8:bbbb::b/128"),
            ("192.0.2.16/28", "2001:db8:cccc::/124"),
            ("192.0.2.128/26", "2001:db8:dddd::/64"),
            ("192.0.2.192/31", "64:ff9b::/127"),
        ]);
        let cases = [
            ("192.0.2.1", "2001:db8:aaaa::"),
            ("192.0.2.2", "2001:db8:bbbb::b"),
            ("192.0.2.16", "2001:db8:cccc::"),
            ("192.0.2.24", "2001:db8:cccc::8"),
            ("192.0.2.31", "2001:db8:cccc::f"),
            ("192.0.2.128", "2001:db8:dddd::"),
            ("192.0.2.152", "2001:db8:dddd:0:6000::"),
            ("192.0.2.183", "2001:db8:dddd:0:dc00::"),
            ("192.0.2.191", "2001:db8:dddd:0:fc00::"),
            ("192.0.2.193", "64:ff9b::1"),
        ];
        for (v4, v6) in cases {
            let v4: Ipv4Addr = v4.parse().unwrap();
            let v6: Ipv6Addr = v6.parse().unwrap();
            assert_eq!(t.v4_to_v6(v4), Some(v6), "{v4}");
            assert_eq!(t.v6_to_v4(v6), Some(v4), "{v6}");
        }
        assert_eq!(t.v4_to_v6("192.0.2.3".parse().unwrap()), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let t = table(&[
            ("10.0.0.0/8", "2001:db8:a::/104"),
            ("10.1.0.0/16", "2001:db8:b::/112"),
        ]);
        assert_eq!(
            t.v4_to_v6("10.1.2.3".parse().unwrap()),
            Some("2001:db8:b::203".parse().unwrap())
        );
        assert_eq!(
            t.v4_to_v6("10.2.2.3".parse().unwrap()),
            Some("2001:db8:a::2:203".parse().unwrap())
        );
    }

    #[test]
    fn refuses_bad_entries() {
        let mut t = table(&[("10.0.0.0/24", "2001:db8::/120")]);
        assert!(matches!(
            t.add(
                "10.0.0.0/24".parse().unwrap(),
                "2001:db8:1::/120".parse().unwrap()
            ),
            Err(EamtError::Duplicate(_))
        ));
        assert!(matches!(
            Eam::new(
                "10.0.0.1/24".parse().unwrap(),
                "2001:db8::/120".parse().unwrap()
            ),
            Err(EamtError::HostBits(_))
        ));
        assert!(matches!(
            Eam::new(
                "10.0.0.0/8".parse().unwrap(),
                "2001:db8::/112".parse().unwrap()
            ),
            Err(EamtError::SuffixTooLong { .. })
        ));
    }
}
