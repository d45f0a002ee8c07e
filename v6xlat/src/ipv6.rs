//! The IPv6 header (RFC 8200 section 3), its extension headers (section 4)
//! and the Fragment header (section 4.5): a zero-copy view for reading and
//! representations for writing.

use core::net::Ipv6Addr;

/// Field offsets of the IPv6 header.
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Traffic Class |           Flow Label                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +                  Source Address (128 bits)                    +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +               Destination Address (128 bits)                  +
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
mod field {
    use core::ops::Range;
    pub(super) const VER_TC_FLOW: Range<usize> = 0..4;
    pub(super) const LENGTH: Range<usize> = 4..6;
    pub(super) const NXT_HDR: usize = 6;
    pub(super) const HOP_LIMIT: usize = 7;
    pub(super) const SRC: Range<usize> = 8..24;
    pub(super) const DST: Range<usize> = 24..40;
}

/// Field offsets of the Fragment header (RFC 8200 section 4.5).
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Identification                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
mod frag_field {
    use core::ops::Range;
    pub(super) const NXT_HDR: usize = 0;
    pub(super) const OFF_M: Range<usize> = 2..4;
    pub(super) const IDENT: Range<usize> = 4..8;
}

/// The length of the fixed IPv6 header.
pub(crate) const HEADER_LEN: usize = 40;
/// The length of the Fragment header.
pub(crate) const FRAG_LEN: usize = 8;

/// Next Header values of the extension headers this crate knows
/// (IANA "IPv6 Extension Header Types").
pub(crate) mod next_header {
    /// Hop-by-Hop Options (RFC 8200 section 4.3).
    pub(crate) const HOP_BY_HOP: u8 = 0;
    /// Routing (RFC 8200 section 4.4).
    pub(crate) const ROUTING: u8 = 43;
    /// Fragment (RFC 8200 section 4.5).
    pub(crate) const FRAGMENT: u8 = 44;
    /// Authentication Header (RFC 4302).
    pub(crate) const AH: u8 = 51;
    /// Destination Options (RFC 8200 section 4.6).
    pub(crate) const DEST_OPTS: u8 = 60;
    /// Mobility (RFC 6275).
    pub(crate) const MOBILITY: u8 = 135;
    /// Host Identity Protocol (RFC 7401).
    pub(crate) const HIP: u8 = 139;
    /// Shim6 (RFC 5533).
    pub(crate) const SHIM6: u8 = 140;

    /// Whether `nh` is an extension header that RFC 7915 section 5.1 does
    /// not allow after a Fragment header (every one except ESP).
    pub(crate) fn is_extension(nh: u8) -> bool {
        matches!(
            nh,
            HOP_BY_HOP | ROUTING | FRAGMENT | AH | DEST_OPTS | MOBILITY | HIP | SHIM6
        )
    }
}

/// Why bytes are not an IPv6 packet the translator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Shorter than 40 bytes, than Payload Length, or an extension header
    /// runs past the end.
    Truncated,
    /// Version is not 6, or Payload Length is 0 (a jumbogram, RFC 2675).
    Header,
    /// A Routing header with Segments Left ≠ 0, at this byte offset of the
    /// Segments Left field (RFC 7915 section 5.1).
    SegmentsLeft(u32),
    /// An extension header follows the Fragment header (RFC 7915 section 5.1).
    AfterFragment,
}

/// The fields of a Fragment header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FragRepr {
    /// The Next Header field.
    pub(crate) next_header: u8,
    /// Fragment Offset in 8-octet units.
    pub(crate) offset: u16,
    /// The M (more fragments) flag.
    pub(crate) more: bool,
    /// Identification.
    pub(crate) ident: u32,
}

impl FragRepr {
    /// The 8 header bytes.
    pub(crate) fn to_bytes(self) -> [u8; FRAG_LEN] {
        let mut b = [0u8; FRAG_LEN];
        b[frag_field::NXT_HDR] = self.next_header;
        let off_m = (self.offset << 3) | u16::from(self.more);
        b[frag_field::OFF_M].copy_from_slice(&off_m.to_be_bytes());
        b[frag_field::IDENT].copy_from_slice(&self.ident.to_be_bytes());
        b
    }

    fn parse(b: &[u8]) -> FragRepr {
        let off_m = u16::from_be_bytes([b[2], b[3]]);
        FragRepr {
            next_header: b[frag_field::NXT_HDR],
            offset: off_m >> 3,
            more: off_m & 1 != 0,
            ident: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Whether this fragment is the whole packet: offset 0 and M clear, an
    /// "atomic fragment" (RFC 6946, RFC 8021).
    pub(crate) fn is_atomic(&self) -> bool {
        self.offset == 0 && !self.more
    }
}

/// A read-only view of an IPv6 packet.
///
/// After [`Ipv6Packet::new_lax`] succeeds no accessor panics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ipv6Packet<'a> {
    buf: &'a [u8],
}

/// Where the upper-layer header starts, behind the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layers {
    /// The upper-layer protocol (the last Next Header value).
    pub(crate) protocol: u8,
    /// Byte offset of the upper-layer header from the start of the packet.
    pub(crate) l4_offset: usize,
    /// The Fragment header, if there is one.
    pub(crate) frag: Option<FragRepr>,
}

impl<'a> Ipv6Packet<'a> {
    /// A view of a whole packet: Payload Length is covered by `buf`.
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, Malformed> {
        let p = Self::new_lax(buf)?;
        if p.payload_len() == 0 && p.next_header() == next_header::HOP_BY_HOP {
            return Err(Malformed::Header);
        }
        if HEADER_LEN + usize::from(p.payload_len()) > buf.len() {
            return Err(Malformed::Truncated);
        }
        Ok(p)
    }

    /// A view of a packet that may be cut off after its fixed header, as in
    /// the payload of an ICMPv6 error (RFC 7915 section 5.3).
    pub(crate) fn new_lax(buf: &'a [u8]) -> Result<Self, Malformed> {
        if buf.len() < HEADER_LEN {
            return Err(Malformed::Truncated);
        }
        if buf[0] >> 4 != 6 {
            return Err(Malformed::Header);
        }
        Ok(Ipv6Packet { buf })
    }

    /// Traffic Class.
    pub(crate) fn traffic_class(&self) -> u8 {
        let w = u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        (w >> 20) as u8
    }

    /// Payload Length.
    pub(crate) fn payload_len(&self) -> u16 {
        u16::from_be_bytes([
            self.buf[field::LENGTH.start],
            self.buf[field::LENGTH.start + 1],
        ])
    }

    /// Next Header of the fixed header.
    pub(crate) fn next_header(&self) -> u8 {
        self.buf[field::NXT_HDR]
    }

    /// Hop Limit.
    pub(crate) fn hop_limit(&self) -> u8 {
        self.buf[field::HOP_LIMIT]
    }

    /// Source Address.
    pub(crate) fn src(&self) -> Ipv6Addr {
        addr(&self.buf[field::SRC])
    }

    /// Destination Address.
    pub(crate) fn dst(&self) -> Ipv6Addr {
        addr(&self.buf[field::DST])
    }

    /// The packet up to Payload Length, or to the end of the buffer if it
    /// was cut off.
    pub(crate) fn packet(&self) -> &'a [u8] {
        &self.buf[..(HEADER_LEN + usize::from(self.payload_len())).min(self.buf.len())]
    }

    /// Walks the extension headers (RFC 8200 section 4.1) up to the
    /// upper-layer header. Hop-by-Hop, Destination Options, Routing and one
    /// Fragment header are skipped as RFC 7915 section 5.1 asks; any other
    /// value is the upper-layer protocol. With `outer`, a Routing header
    /// with Segments Left ≠ 0 is refused; inside an ICMP error it is normal.
    pub(crate) fn layers(&self, outer: bool) -> Result<Layers, Malformed> {
        let pkt = self.packet();
        let mut nh = self.next_header();
        let mut off = HEADER_LEN;
        let mut frag = None;
        loop {
            match nh {
                next_header::HOP_BY_HOP | next_header::ROUTING | next_header::DEST_OPTS => {
                    let h = pkt.get(off..off + 8).ok_or(Malformed::Truncated)?;
                    if outer && nh == next_header::ROUTING && h[3] != 0 {
                        return Err(Malformed::SegmentsLeft((off + 3) as u32));
                    }
                    nh = h[0];
                    off += (usize::from(h[1]) + 1) * 8;
                }
                next_header::FRAGMENT => {
                    let h = pkt.get(off..off + FRAG_LEN).ok_or(Malformed::Truncated)?;
                    let f = FragRepr::parse(h);
                    if next_header::is_extension(f.next_header) {
                        return Err(Malformed::AfterFragment);
                    }
                    frag = Some(f);
                    nh = f.next_header;
                    off += FRAG_LEN;
                    // Whatever follows the Fragment header is the upper layer.
                    break;
                }
                _ => break,
            }
        }
        if off > pkt.len() {
            return Err(Malformed::Truncated);
        }
        Ok(Layers {
            protocol: nh,
            l4_offset: off,
            frag,
        })
    }
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut o = [0u8; 16];
    o.copy_from_slice(b);
    Ipv6Addr::from(o)
}

/// An IPv6 header as the translator writes it (RFC 7915 section 4.1): the
/// Flow Label is always 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ipv6Repr {
    /// Traffic Class.
    pub(crate) traffic_class: u8,
    /// Payload Length.
    pub(crate) payload_len: u16,
    /// Next Header.
    pub(crate) next_header: u8,
    /// Hop Limit.
    pub(crate) hop_limit: u8,
    /// Source Address.
    pub(crate) src: Ipv6Addr,
    /// Destination Address.
    pub(crate) dst: Ipv6Addr,
}

impl Ipv6Repr {
    /// The 40 header bytes.
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        let w = (6u32 << 28) | (u32::from(self.traffic_class) << 20);
        b[field::VER_TC_FLOW].copy_from_slice(&w.to_be_bytes());
        b[field::LENGTH].copy_from_slice(&self.payload_len.to_be_bytes());
        b[field::NXT_HDR] = self.next_header;
        b[field::HOP_LIMIT] = self.hop_limit;
        b[field::SRC].copy_from_slice(&self.src.octets());
        b[field::DST].copy_from_slice(&self.dst.octets());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv6, Hop-by-Hop (8 bytes), Fragment (offset 0, M, ID 0x01020304),
    /// then UDP: the header chain of a first fragment.
    static PACKET: [u8; 64] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x00, 0x40, // payload 24, next HBH
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, // src
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // dst
        0x2c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, // HBH: PadN
        0x11, 0x00, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, // Fragment
        0x00, 0x35, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00, // UDP
    ];

    #[test]
    fn walks_to_the_upper_layer() {
        let p = Ipv6Packet::new_checked(&PACKET).unwrap();
        let l = p.layers(true).unwrap();
        assert_eq!(l.protocol, 17);
        assert_eq!(l.l4_offset, 56);
        let f = l.frag.unwrap();
        assert!(f.more && f.offset == 0 && f.ident == 0x0102_0304);
        assert_eq!(f.to_bytes(), PACKET[48..56]);
    }

    #[test]
    fn header_round_trip() {
        let p = Ipv6Packet::new_lax(&PACKET).unwrap();
        let r = Ipv6Repr {
            traffic_class: p.traffic_class(),
            payload_len: p.payload_len(),
            next_header: p.next_header(),
            hop_limit: p.hop_limit(),
            src: p.src(),
            dst: p.dst(),
        };
        assert_eq!(r.to_bytes(), PACKET[..40]);
    }

    #[test]
    fn extension_after_fragment_is_refused() {
        let mut b = PACKET;
        b[48] = next_header::DEST_OPTS;
        let p = Ipv6Packet::new_checked(&b).unwrap();
        assert_eq!(p.layers(true).unwrap_err(), Malformed::AfterFragment);
    }

    #[test]
    fn routing_with_segments_left_points_at_the_field() {
        let mut b = PACKET;
        b[6] = next_header::ROUTING;
        b[43] = 1;
        let p = Ipv6Packet::new_checked(&b).unwrap();
        assert_eq!(p.layers(true).unwrap_err(), Malformed::SegmentsLeft(43));
    }
}
