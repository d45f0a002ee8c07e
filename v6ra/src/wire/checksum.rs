//! The Internet checksum over the IPv6 pseudo-header (RFC 8200 section 8.1),
//! as ICMPv6 uses it (RFC 4443 section 2.3).

use core::net::Ipv6Addr;

/// The IPv6 next-header value of ICMPv6.
pub const NEXT_HEADER_ICMPV6: u8 = 58;

/// Adds `data` to a running one's-complement sum, as 16-bit big-endian
/// words; an odd last byte is padded with zero.
fn add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
        // Fold early so that long buffers cannot overflow.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

/// Folds a 32-bit sum to 16 bits.
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The one's-complement sum of the pseudo-header of an ICMPv6 message of
/// `len` bytes from `src` to `dst` and of `message` itself, complemented.
///
/// Over a message whose checksum field holds the right value the result is
/// zero; over one whose field is zero it is the value to write there.
pub fn icmpv6(src: &Ipv6Addr, dst: &Ipv6Addr, message: &[u8]) -> u16 {
    let len = message.len() as u32;
    let mut sum = add(0, &src.octets());
    sum = add(sum, &dst.octets());
    sum = add(sum, &len.to_be_bytes());
    sum = add(sum, &[0, 0, 0, NEXT_HEADER_ICMPV6]);
    sum = add(sum, message);
    !fold(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_words() {
        // RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2.
        let sum = fold(add(0, &[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]));
        assert_eq!(sum, 0xddf2);
    }

    #[test]
    fn odd_length_is_padded() {
        assert_eq!(fold(add(0, &[0x12])), 0x1200);
    }
}
