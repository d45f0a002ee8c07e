//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! The translator never recomputes a TCP or UDP checksum from scratch: it
//! removes the old pseudo-header from the checksum and adds the new one
//! (RFC 7915 sections 4.5 and 5.5). That is cheaper, and it is
//! checksum-neutral: a segment whose checksum was wrong before translation
//! is wrong by the same amount after it, so the receiver still drops it.

use core::net::{Ipv4Addr, Ipv6Addr};

/// A ones' complement sum that has not been folded to 16 bits yet.
///
/// Sums of 16-bit words can be added together in any order and folded once
/// at the end (RFC 1071 section 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sum(u64);

impl Sum {
    /// The sum of `data` read as big-endian 16-bit words; an odd last byte
    /// is padded with a zero byte (RFC 1071 section 4.1).
    pub(crate) fn of(data: &[u8]) -> Sum {
        let mut acc: u64 = 0;
        let mut words = data.chunks_exact(4);
        for w in &mut words {
            acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
        }
        let rest = words.remainder();
        let mut pairs = rest.chunks_exact(2);
        for p in &mut pairs {
            acc += u64::from(u16::from_be_bytes([p[0], p[1]]));
        }
        if let [last] = pairs.remainder() {
            acc += u64::from(*last) << 8;
        }
        Sum(acc)
    }

    /// The sum of a single 16-bit word.
    pub(crate) const fn word(w: u16) -> Sum {
        Sum(w as u64)
    }

    /// The sum of a 32-bit value, as two 16-bit words.
    pub(crate) const fn dword(w: u32) -> Sum {
        Sum((w >> 16) as u64 + (w & 0xffff) as u64)
    }

    /// Both sums together.
    pub(crate) const fn add(self, other: Sum) -> Sum {
        Sum(self.0 + other.0)
    }

    /// The sum folded to 16 bits with end-around carry.
    pub(crate) const fn fold(self) -> u16 {
        let mut s = self.0;
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        s as u16
    }

    /// The checksum field value for data that sums to `self`: the ones'
    /// complement of the folded sum.
    pub(crate) const fn checksum(self) -> u16 {
        !self.fold()
    }
}

/// The IPv4 pseudo-header addresses (RFC 768, RFC 793). Length and protocol
/// are left out: they do not change when a TCP or UDP segment is translated.
pub(crate) fn v4_addrs(src: Ipv4Addr, dst: Ipv4Addr) -> Sum {
    Sum::dword(src.to_bits()).add(Sum::dword(dst.to_bits()))
}

/// The IPv6 pseudo-header addresses (RFC 8200 section 8.1), without the
/// length and next-header words.
pub(crate) fn v6_addrs(src: Ipv6Addr, dst: Ipv6Addr) -> Sum {
    let words = |a: Ipv6Addr| {
        let b = a.to_bits();
        Sum::dword((b >> 96) as u32)
            .add(Sum::dword((b >> 64) as u32))
            .add(Sum::dword((b >> 32) as u32))
            .add(Sum::dword(b as u32))
    };
    words(src).add(words(dst))
}

/// The complete IPv6 pseudo-header of RFC 8200 section 8.1.
pub(crate) fn v6_pseudo(src: Ipv6Addr, dst: Ipv6Addr, len: u32, next_header: u8) -> Sum {
    v6_addrs(src, dst)
        .add(Sum::dword(len))
        .add(Sum::word(u16::from(next_header)))
}

/// RFC 1624 equation 3: the checksum `old` after the data it covers lost
/// words summing to `removed` and gained words summing to `added`.
pub(crate) fn update(old: u16, removed: Sum, added: Sum) -> u16 {
    // Subtracting in ones' complement is adding the complement.
    Sum::word(!old)
        .add(Sum::word(!removed.fold()))
        .add(added)
        .checksum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 section 3's example: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    #[test]
    fn rfc1071_example() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(Sum::of(&data).fold(), 0xddf2);
        assert_eq!(Sum::of(&data).checksum(), 0x220d);
    }

    #[test]
    fn address_sums_match_the_byte_sum() {
        let a: Ipv6Addr = "2001:db8:ffff:1::8001".parse().unwrap();
        let b: Ipv6Addr = "fe80::1:2:3:4".parse().unwrap();
        let bytes = [a.octets(), b.octets()].concat();
        assert_eq!(v6_addrs(a, b).fold(), Sum::of(&bytes).fold());
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(Sum::of(&[0x12, 0x34, 0x56]).fold(), 0x1234 + 0x5600);
    }

    #[test]
    fn update_matches_recomputation() {
        let mut data = [0x45u8, 0x00, 0x00, 0x1c, 0xab, 0xcd, 0x00, 0x00, 0x12, 0x34];
        let csum = Sum::of(&data).checksum();
        let removed = Sum::of(&data[4..6]);
        data[4] = 0x01;
        data[5] = 0x02;
        let added = Sum::of(&data[4..6]);
        assert_eq!(update(csum, removed, added), Sum::of(&data).checksum());
    }

    #[test]
    fn update_keeps_a_wrong_checksum_wrong_by_the_same_amount() {
        let mut data = [1u8, 2, 3, 4, 5, 6];
        let good = Sum::of(&data).checksum();
        let bad = good.wrapping_add(7);
        let removed = Sum::of(&data[..2]);
        data[0] = 9;
        let added = Sum::of(&data[..2]);
        let new_good = update(good, removed, added);
        assert_eq!(update(bad, removed, added), new_good.wrapping_add(7));
    }
}
