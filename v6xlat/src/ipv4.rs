//! The IPv4 header (RFC 791 section 3.1): a zero-copy view for reading and
//! a [`Ipv4Repr`] for writing the options-free header the translator emits.

use core::net::Ipv4Addr;

use crate::checksum::Sum;

/// Field offsets of the IPv4 header.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version|  IHL  |Type of Service|          Total Length         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         Identification        |Flags|      Fragment Offset    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       Source Address                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Destination Address                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Options                    |    Padding    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
mod field {
    use core::ops::Range;
    pub(super) const VER_IHL: usize = 0;
    pub(super) const TOS: usize = 1;
    pub(super) const LENGTH: Range<usize> = 2..4;
    pub(super) const IDENT: Range<usize> = 4..6;
    pub(super) const FLG_OFF: Range<usize> = 6..8;
    pub(super) const TTL: usize = 8;
    pub(super) const PROTOCOL: usize = 9;
    pub(super) const CHECKSUM: Range<usize> = 10..12;
    pub(super) const SRC: Range<usize> = 12..16;
    pub(super) const DST: Range<usize> = 16..20;
}

/// The length of an IPv4 header without options.
pub(crate) const HEADER_LEN: usize = 20;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// Why bytes are not an IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// Shorter than the header says, or than 20 bytes.
    Truncated,
    /// Version is not 4, IHL is below 5, or Total Length is below IHL.
    Header,
}

/// A read-only view of an IPv4 header at the start of a buffer.
///
/// After [`Ipv4Packet::new_lax`] succeeds no accessor panics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ipv4Packet<'a> {
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    /// A view of a whole packet: the header is complete and Total Length is
    /// covered by `buf` (bytes after Total Length are ignored by callers that
    /// use [`Ipv4Packet::packet`]).
    pub(crate) fn new_checked(buf: &'a [u8]) -> Result<Self, Malformed> {
        let p = Self::new_lax(buf)?;
        if usize::from(p.total_len()) > buf.len() {
            return Err(Malformed::Truncated);
        }
        Ok(p)
    }

    /// A view of a packet that may be cut off after its header, as in the
    /// payload of an ICMP error (RFC 7915 section 4.3).
    pub(crate) fn new_lax(buf: &'a [u8]) -> Result<Self, Malformed> {
        if buf.len() < HEADER_LEN {
            return Err(Malformed::Truncated);
        }
        let p = Ipv4Packet { buf };
        if buf[field::VER_IHL] >> 4 != 4 || p.header_len() < HEADER_LEN {
            return Err(Malformed::Header);
        }
        if usize::from(p.total_len()) < p.header_len() {
            return Err(Malformed::Header);
        }
        if buf.len() < p.header_len() {
            return Err(Malformed::Truncated);
        }
        Ok(p)
    }

    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        u16::from_be_bytes([self.buf[r.start], self.buf[r.start + 1]])
    }

    /// The header length in bytes (IHL × 4), options included.
    pub(crate) fn header_len(&self) -> usize {
        usize::from(self.buf[field::VER_IHL] & 0x0f) * 4
    }

    /// Type of Service (DSCP and ECN).
    pub(crate) fn tos(&self) -> u8 {
        self.buf[field::TOS]
    }

    /// Total Length.
    pub(crate) fn total_len(&self) -> u16 {
        self.u16_at(field::LENGTH)
    }

    /// Identification.
    pub(crate) fn ident(&self) -> u16 {
        self.u16_at(field::IDENT)
    }

    /// The Don't Fragment flag.
    pub(crate) fn dont_frag(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_DF != 0
    }

    /// The More Fragments flag.
    pub(crate) fn more_frags(&self) -> bool {
        self.u16_at(field::FLG_OFF) & FLAG_MF != 0
    }

    /// Fragment Offset in 8-octet units.
    pub(crate) fn frag_offset(&self) -> u16 {
        self.u16_at(field::FLG_OFF) & OFFSET_MASK
    }

    /// Whether this is a fragment (MF set or a non-zero offset).
    pub(crate) fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to Live.
    pub(crate) fn ttl(&self) -> u8 {
        self.buf[field::TTL]
    }

    /// Protocol.
    pub(crate) fn protocol(&self) -> u8 {
        self.buf[field::PROTOCOL]
    }

    /// Source Address.
    pub(crate) fn src(&self) -> Ipv4Addr {
        let s = &self.buf[field::SRC];
        Ipv4Addr::new(s[0], s[1], s[2], s[3])
    }

    /// Destination Address.
    pub(crate) fn dst(&self) -> Ipv4Addr {
        let d = &self.buf[field::DST];
        Ipv4Addr::new(d[0], d[1], d[2], d[3])
    }

    /// Whether the options hold a Loose or Strict Source and Record Route
    /// whose route is not used up yet (RFC 791 section 3.1: its pointer is
    /// not past its length). Malformed options end the search.
    pub(crate) fn has_unexpired_source_route(&self) -> bool {
        const END: u8 = 0;
        const NOP: u8 = 1;
        const LSRR: u8 = 131;
        const SSRR: u8 = 137;
        let mut opts = &self.buf[HEADER_LEN..self.header_len()];
        while let [kind, rest @ ..] = opts {
            match *kind {
                END => break,
                NOP => opts = rest,
                _ => {
                    let Some(&len) = rest.first() else { break };
                    let len = usize::from(len);
                    if len < 2 || len > opts.len() {
                        break;
                    }
                    if matches!(*kind, LSRR | SSRR) && len >= 3 && usize::from(opts[2]) <= len {
                        return true;
                    }
                    opts = &opts[len..];
                }
            }
        }
        false
    }

    /// Whether the header checksum verifies (RFC 791 section 3.1).
    pub(crate) fn checksum_ok(&self) -> bool {
        Sum::of(&self.buf[..self.header_len()]).fold() == 0xffff
    }

    /// The packet up to Total Length, or up to the end of the buffer if it
    /// was cut off.
    pub(crate) fn packet(&self) -> &'a [u8] {
        &self.buf[..usize::from(self.total_len()).min(self.buf.len())]
    }

    /// The bytes after the header, up to Total Length or the end of the buffer.
    pub(crate) fn payload(&self) -> &'a [u8] {
        &self.packet()[self.header_len()..]
    }
}

/// An IPv4 header without options, as the translator writes it (RFC 7915
/// section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ipv4Repr {
    /// Type of Service.
    pub(crate) tos: u8,
    /// Total Length.
    pub(crate) total_len: u16,
    /// Identification.
    pub(crate) ident: u16,
    /// Don't Fragment.
    pub(crate) dont_frag: bool,
    /// More Fragments.
    pub(crate) more_frags: bool,
    /// Fragment Offset in 8-octet units.
    pub(crate) frag_offset: u16,
    /// Time to Live.
    pub(crate) ttl: u8,
    /// Protocol.
    pub(crate) protocol: u8,
    /// Source Address.
    pub(crate) src: Ipv4Addr,
    /// Destination Address.
    pub(crate) dst: Ipv4Addr,
}

impl Ipv4Repr {
    /// The 20 header bytes, checksum included.
    pub(crate) fn to_bytes(self) -> [u8; HEADER_LEN] {
        // Built as 32-bit words, and the checksum summed from them, so that
        // nothing is read back from bytes just written.
        let mut flags = self.frag_offset & OFFSET_MASK;
        if self.dont_frag {
            flags |= FLAG_DF;
        }
        if self.more_frags {
            flags |= FLAG_MF;
        }
        let words = [
            (0x45 << 24) | (u32::from(self.tos) << 16) | u32::from(self.total_len),
            (u32::from(self.ident) << 16) | u32::from(flags),
            (u32::from(self.ttl) << 24) | (u32::from(self.protocol) << 16),
            self.src.to_bits(),
            self.dst.to_bits(),
        ];
        let sum = words
            .iter()
            .fold(Sum::default(), |s, &w| s.add(Sum::dword(w)));
        let mut b = [0u8; HEADER_LEN];
        for (chunk, w) in b.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        b[field::CHECKSUM].copy_from_slice(&sum.checksum().to_be_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4/UDP header from a real capture: 192.0.2.33 -> 198.51.100.2,
    /// DF, TTL 64, Total Length 32.
    static HEADER: [u8; 20] = [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x4e, 0x76, 0xc6, 0x33, 0x64,
        0x02, 0xc0, 0x00, 0x02, 0x21,
    ];

    #[test]
    fn parse_and_emit_round_trip() {
        let p = Ipv4Packet::new_lax(&HEADER).unwrap();
        assert!(p.checksum_ok());
        assert_eq!(p.total_len(), 32);
        assert!(p.dont_frag() && !p.more_frags() && !p.is_fragment());
        let repr = Ipv4Repr {
            tos: p.tos(),
            total_len: p.total_len(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
            ttl: p.ttl(),
            protocol: p.protocol(),
            src: p.src(),
            dst: p.dst(),
        };
        assert_eq!(repr.to_bytes(), HEADER);
    }

    #[test]
    fn finds_unexpired_source_routes_only() {
        let with_options = |opts: &[u8]| {
            let mut b = HEADER.to_vec();
            b[0] = 0x45 + (opts.len() / 4) as u8;
            b[3] = (20 + opts.len()) as u8;
            b.extend_from_slice(opts);
            b
        };
        // NOP, then LSRR with one hop left (pointer 4, length 7).
        let b = with_options(&[1, 131, 7, 4, 192, 0, 2, 1, 0, 0, 0, 0]);
        assert!(
            Ipv4Packet::new_lax(&b)
                .unwrap()
                .has_unexpired_source_route()
        );
        // SSRR used up (pointer 8 > length 7), then end of options.
        let b = with_options(&[137, 7, 8, 192, 0, 2, 1, 0]);
        assert!(
            !Ipv4Packet::new_lax(&b)
                .unwrap()
                .has_unexpired_source_route()
        );
        // A truncated option.
        let b = with_options(&[131, 9, 4, 0]);
        assert!(
            !Ipv4Packet::new_lax(&b)
                .unwrap()
                .has_unexpired_source_route()
        );
    }

    #[test]
    fn rejects_what_is_not_a_header() {
        assert_eq!(
            Ipv4Packet::new_lax(&HEADER[..19]).unwrap_err(),
            Malformed::Truncated
        );
        let mut bad = HEADER;
        bad[0] = 0x44;
        assert_eq!(Ipv4Packet::new_lax(&bad).unwrap_err(), Malformed::Header);
        // Total Length 32 is more than the 20 bytes present.
        assert_eq!(
            Ipv4Packet::new_checked(&HEADER).unwrap_err(),
            Malformed::Truncated
        );
    }
}
