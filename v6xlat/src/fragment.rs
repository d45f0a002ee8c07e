//! Writing a translated packet into the output buffer, split into fragments
//! when it does not fit the MTU (RFC 7915 sections 4.1 and 5.1).
//!
//! The payload is copied from the input exactly once, straight into each
//! fragment, with the few bytes that translation changes (a checksum, an
//! ICMP type) patched on the way.

use crate::DropReason;
use crate::ipv4::{self, Ipv4Repr};
use crate::ipv6::{self, FragRepr, Ipv6Repr};

/// Up to four bytes of the payload that translation replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Patch {
    at: usize,
    len: usize,
    bytes: [u8; 4],
}

impl Patch {
    /// A new 16-bit value at byte `at` of the payload (a checksum).
    pub(crate) fn u16(at: usize, value: u16) -> Patch {
        let [a, b] = value.to_be_bytes();
        Patch {
            at,
            len: 2,
            bytes: [a, b, 0, 0],
        }
    }

    /// New ICMP Type, Code and Checksum (the first four bytes).
    pub(crate) fn icmp(ty: u8, code: u8, checksum: u16) -> Patch {
        let [a, b] = checksum.to_be_bytes();
        Patch {
            at: 0,
            len: 4,
            bytes: [ty, code, a, b],
        }
    }
}

impl Patch {
    /// Applies the patch to a payload that starts at `out[base]` and may
    /// be cut off by the end of `out`.
    pub(crate) fn apply_clipped(&self, out: &mut [u8], base: usize) {
        write_clipped(out, base + self.at, &self.bytes[..self.len]);
    }
}

/// Copies `payload[from..to]` to the start of `out`, applying `patch`.
/// `out` must hold at least `to - from` bytes.
fn copy_patched(out: &mut [u8], payload: &[u8], from: usize, to: usize, patch: Option<Patch>) {
    out[..to - from].copy_from_slice(&payload[from..to]);
    if let Some(p) = patch {
        for i in 0..p.len {
            let at = p.at + i;
            if (from..to).contains(&at) {
                out[at - from] = p.bytes[i];
            }
        }
    }
}

/// Copies as much of `data` to `out[at..]` as fits; the rest is dropped.
/// Used for the inner packet of an ICMP error, which may be cut anywhere.
pub(crate) fn write_clipped(out: &mut [u8], at: usize, data: &[u8]) {
    if at < out.len() {
        let n = data.len().min(out.len() - at);
        out[at..at + n].copy_from_slice(&data[..n]);
    }
}

/// What was written: bytes and packets.
pub(crate) type Written = (usize, usize);

/// The headers of an IPv6 packet to write.
#[derive(Debug, Clone, Copy)]
pub(crate) struct V6Target {
    /// The IPv6 header; its Payload Length and Next Header are set by
    /// [`emit_v6`].
    pub(crate) hdr: Ipv6Repr,
    /// The upper-layer protocol of the payload.
    pub(crate) protocol: u8,
    /// The Fragment header the packet must carry because the IPv4 packet
    /// was a fragment (RFC 7915 section 4.1).
    pub(crate) frag: Option<FragRepr>,
    /// The Identification for fragments when `frag` is `None`.
    pub(crate) ident: u32,
}

/// Writes an IPv6 packet with the headers of `target` and `payload`.
///
/// If the packet exceeds `mtu`, it is split into fragments of at most `mtu`
/// bytes whose payloads are multiples of 8 (RFC 8200 section 4.5) and which
/// share one Identification.
pub(crate) fn emit_v6(
    out: &mut [u8],
    target: V6Target,
    payload: &[u8],
    patch: Option<Patch>,
    mtu: usize,
) -> Result<Written, DropReason> {
    let V6Target {
        mut hdr,
        protocol,
        frag,
        ident,
    } = target;
    const H: usize = ipv6::HEADER_LEN;
    const F: usize = ipv6::FRAG_LEN;
    let frag_len = if frag.is_some() { F } else { 0 };
    let whole = H + frag_len + payload.len();
    if whole <= mtu {
        let buf = out.get_mut(..whole).ok_or(DropReason::OutputTooSmall)?;
        hdr.payload_len = (whole - H) as u16;
        hdr.next_header = protocol;
        buf[..H].copy_from_slice(&hdr.to_bytes());
        if let Some(f) = frag {
            hdr.next_header = ipv6::next_header::FRAGMENT;
            buf[..H].copy_from_slice(&hdr.to_bytes());
            buf[H..H + F].copy_from_slice(&f.to_bytes());
        }
        copy_patched(&mut buf[H + frag_len..], payload, 0, payload.len(), patch);
        return Ok((whole, 1));
    }
    let base = frag.unwrap_or(FragRepr {
        next_header: protocol,
        offset: 0,
        more: false,
        ident,
    });
    let chunk = (mtu - H - F) & !7;
    hdr.next_header = ipv6::next_header::FRAGMENT;
    let mut at = 0;
    let mut count = 0;
    let mut start = 0;
    while start < payload.len() {
        let end = (start + chunk).min(payload.len());
        let len = H + F + end - start;
        let buf = out
            .get_mut(at..at + len)
            .ok_or(DropReason::OutputTooSmall)?;
        hdr.payload_len = (F + end - start) as u16;
        buf[..H].copy_from_slice(&hdr.to_bytes());
        let f = FragRepr {
            next_header: protocol,
            offset: base.offset + (start / 8) as u16,
            more: end < payload.len() || base.more,
            ident: base.ident,
        };
        buf[H..H + F].copy_from_slice(&f.to_bytes());
        copy_patched(&mut buf[H + F..], payload, start, end, patch);
        at += len;
        count += 1;
        start = end;
    }
    Ok((at, count))
}

/// Writes an IPv4 packet with header `hdr` (its Total Length is set here)
/// and `payload`. If it exceeds `mtu` it is split into fragments as an IPv4
/// router does (RFC 791 section 3.2); the caller only lets that happen
/// when DF is clear.
pub(crate) fn emit_v4(
    out: &mut [u8],
    mut hdr: Ipv4Repr,
    payload: &[u8],
    patch: Option<Patch>,
    mtu: usize,
) -> Result<Written, DropReason> {
    const H: usize = ipv4::HEADER_LEN;
    let whole = H + payload.len();
    if whole <= mtu {
        let buf = out.get_mut(..whole).ok_or(DropReason::OutputTooSmall)?;
        hdr.total_len = whole as u16;
        buf[..H].copy_from_slice(&hdr.to_bytes());
        copy_patched(&mut buf[H..], payload, 0, payload.len(), patch);
        return Ok((whole, 1));
    }
    let chunk = (mtu - H) & !7;
    let (base_offset, base_more) = (hdr.frag_offset, hdr.more_frags);
    let mut at = 0;
    let mut count = 0;
    let mut start = 0;
    while start < payload.len() {
        let end = (start + chunk).min(payload.len());
        let len = H + end - start;
        let buf = out
            .get_mut(at..at + len)
            .ok_or(DropReason::OutputTooSmall)?;
        hdr.total_len = len as u16;
        hdr.frag_offset = base_offset + (start / 8) as u16;
        hdr.more_frags = end < payload.len() || base_more;
        buf[..H].copy_from_slice(&hdr.to_bytes());
        copy_patched(&mut buf[H..], payload, start, end, patch);
        at += len;
        count += 1;
        start = end;
    }
    Ok((at, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};

    fn target(protocol: u8, ident: u32) -> V6Target {
        let hdr = Ipv6Repr {
            traffic_class: 0,
            payload_len: 0,
            next_header: 0,
            hop_limit: 63,
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::LOCALHOST,
        };
        V6Target {
            hdr,
            protocol,
            frag: None,
            ident,
        }
    }

    #[test]
    fn splits_into_multiples_of_eight() {
        let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let mut out = vec![0u8; 4000];
        let patch = Some(Patch::u16(16, 0xabcd));
        let (len, count) = emit_v6(&mut out, target(6, 77), &payload, patch, 1280).unwrap();
        assert_eq!(count, 3);
        assert_eq!(len, 3000 + 3 * 48);
        let mut reassembled = Vec::new();
        let mut at = 0;
        for i in 0..count {
            let plen = usize::from(u16::from_be_bytes([out[at + 4], out[at + 5]]));
            assert!(40 + plen <= 1280);
            let off_m = u16::from_be_bytes([out[at + 42], out[at + 43]]);
            assert_eq!(usize::from(off_m >> 3) * 8, reassembled.len());
            assert_eq!(off_m & 1 == 1, i < count - 1);
            assert_eq!(&out[at + 44..at + 48], &77u32.to_be_bytes());
            reassembled.extend_from_slice(&out[at + 48..at + 40 + plen]);
            at += 40 + plen;
        }
        assert_eq!(&reassembled[16..18], &[0xab, 0xcd]);
        assert_eq!(reassembled[18..], payload[18..]);
    }

    #[test]
    fn ipv4_fragments_keep_the_original_offset_and_more_flag() {
        let payload = [7u8; 200];
        let hdr = Ipv4Repr {
            tos: 0,
            total_len: 0,
            ident: 9,
            dont_frag: false,
            more_frags: true,
            frag_offset: 10,
            ttl: 5,
            protocol: 17,
            src: Ipv4Addr::LOCALHOST,
            dst: Ipv4Addr::LOCALHOST,
        };
        let mut out = [0u8; 400];
        let (len, count) = emit_v4(&mut out, hdr, &payload, None, 124).unwrap();
        assert_eq!((len, count), (200 + 40, 2));
        // First fragment: 104 bytes of payload, offset 10, MF.
        assert_eq!(&out[2..4], &124u16.to_be_bytes());
        assert_eq!(&out[6..8], &(0x2000u16 | 10).to_be_bytes());
        // Second: the remaining 96 at offset 23, MF still set from the original.
        assert_eq!(&out[130..132], &(0x2000u16 | 23).to_be_bytes());
    }

    #[test]
    fn too_small_output_is_reported() {
        let mut out = [0u8; 10];
        assert_eq!(
            emit_v6(&mut out, target(17, 0), &[0; 8], None, 1280),
            Err(DropReason::OutputTooSmall)
        );
    }
}
