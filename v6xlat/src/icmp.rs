//! ICMPv4 ⇄ ICMPv6 (RFC 7915 sections 4.2–4.4 and 5.2–5.4), RFC 4884
//! extensions, and the ICMP errors the translator sends itself.
//!
//! The message formats (RFC 792, RFC 4443, RFC 4884):
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   type-specific: identifier and sequence, pointer, MTU,       |
//! |   or (ICMPv6 byte 4, ICMPv4 byte 5) the RFC 4884 length       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   packet in error (padded to `length` words when an           |
//! |   extension follows), then the RFC 4884 extension             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::checksum::{self, Sum};
use crate::fragment::{Patch, write_clipped};
use crate::ipv4::{Ipv4Packet, Ipv4Repr};
use crate::ipv6::{self, FragRepr, Ipv6Packet, Ipv6Repr, Layers};
use crate::mapping::Mapping;
use crate::outcome::{DropReason, Outcome};
use crate::translator::{Pass, Translator};
use crate::v4_to_v6::proto;

/// The ICMP header length.
const HEADER_LEN: usize = 8;
/// The longest ICMPv4 error, so that it is never fragmented (RFC 1812
/// section 4.3.2.3).
const V4_ERROR_MAX: usize = 576;
/// The longest ICMPv6 error (RFC 4443 section 2.4 (c)).
const V6_ERROR_MAX: usize = 1280;
/// RFC 4884 section 4: with an extension, the packet in error is padded to
/// at least this many bytes.
const RFC4884_MIN_ORIGINAL: usize = 128;

/// ICMPv4 types (RFC 792).
pub(crate) mod v4 {
    pub(crate) const ECHO_REPLY: u8 = 0;
    pub(crate) const DEST_UNREACH: u8 = 3;
    pub(crate) const SOURCE_QUENCH: u8 = 4;
    pub(crate) const REDIRECT: u8 = 5;
    pub(crate) const ECHO_REQUEST: u8 = 8;
    pub(crate) const TIME_EXCEEDED: u8 = 11;
    pub(crate) const PARAM_PROBLEM: u8 = 12;
}

/// ICMPv6 types (RFC 4443).
pub(crate) mod v6 {
    pub(crate) const DEST_UNREACH: u8 = 1;
    pub(crate) const PACKET_TOO_BIG: u8 = 2;
    pub(crate) const TIME_EXCEEDED: u8 = 3;
    pub(crate) const PARAM_PROBLEM: u8 = 4;
    pub(crate) const ECHO_REQUEST: u8 = 128;
    pub(crate) const ECHO_REPLY: u8 = 129;
}

/// Whether an ICMPv4 type is an error message, which must not be answered
/// with an error (RFC 1812 section 4.3.2.7).
pub(crate) fn is_v4_error(ty: u8) -> bool {
    matches!(
        ty,
        v4::DEST_UNREACH | v4::SOURCE_QUENCH | v4::REDIRECT | v4::TIME_EXCEEDED | v4::PARAM_PROBLEM
    )
}

/// Whether an ICMPv6 type is an error message (RFC 4443 section 2.1).
pub(crate) fn is_v6_error(ty: u8) -> bool {
    ty < 128
}

fn type_code(ty: u8, code: u8) -> Sum {
    Sum::word(u16::from_be_bytes([ty, code]))
}

/// The new Type and Checksum of an ICMPv4 Echo or Echo Reply as ICMPv6
/// (RFC 7915 section 4.2): the type changes and the checksum gains the
/// pseudo-header. `len` is the ICMP message length.
fn echo_4to6_patch(
    icmp: &[u8],
    len: u32,
    src: Ipv6Addr,
    dst: Ipv6Addr,
) -> Result<Patch, DropReason> {
    let ty = match icmp[0] {
        v4::ECHO_REQUEST => v6::ECHO_REQUEST,
        v4::ECHO_REPLY => v6::ECHO_REPLY,
        _ => return Err(DropReason::IcmpUntranslatable),
    };
    let code = icmp[1];
    let old = u16::from_be_bytes([icmp[2], icmp[3]]);
    let added = type_code(ty, code).add(checksum::v6_pseudo(src, dst, len, proto::ICMPV6));
    Ok(Patch::icmp(
        ty,
        code,
        checksum::update(old, type_code(icmp[0], code), added),
    ))
}

/// The ICMPv4 Echo or Echo Reply `icmp` as ICMPv6 (RFC 7915 section 4.2).
pub(crate) fn echo_4to6(icmp: &[u8], src: Ipv6Addr, dst: Ipv6Addr) -> Result<Patch, DropReason> {
    if icmp.len() < HEADER_LEN {
        return Err(DropReason::Truncated);
    }
    echo_4to6_patch(icmp, icmp.len() as u32, src, dst)
}

/// The ICMPv6 Echo Request or Reply `icmp` as ICMPv4 (RFC 7915 section
/// 5.2): the type changes and the checksum loses `pseudo`, the IPv6
/// pseudo-header.
fn echo_6to4_patch(icmp: &[u8], pseudo: Sum) -> Result<Patch, DropReason> {
    let ty = match icmp[0] {
        v6::ECHO_REQUEST => v4::ECHO_REQUEST,
        v6::ECHO_REPLY => v4::ECHO_REPLY,
        _ => return Err(DropReason::IcmpUntranslatable),
    };
    let code = icmp[1];
    let old = u16::from_be_bytes([icmp[2], icmp[3]]);
    let removed = type_code(icmp[0], code).add(pseudo);
    Ok(Patch::icmp(
        ty,
        code,
        checksum::update(old, removed, type_code(ty, code)),
    ))
}

/// The ICMPv6 Echo Request or Reply `icmp` as ICMPv4 (RFC 7915 section 5.2).
pub(crate) fn echo_6to4(icmp: &[u8], pseudo: Sum) -> Result<Patch, DropReason> {
    if icmp.len() < HEADER_LEN {
        return Err(DropReason::Truncated);
    }
    echo_6to4_patch(icmp, pseudo)
}

/// RFC 7915 section 4.2, Figure 3: the IPv6 field that a Parameter
/// Problem pointer into the IPv4 header stands for.
fn pointer_4to6(ptr: u8) -> Option<u8> {
    Some(match ptr {
        0 => 0,
        1 => 1,
        2 | 3 => 4,
        8 => 7,
        9 => 6,
        12..=15 => 8,
        16..=19 => 24,
        _ => return None,
    })
}

/// RFC 7915 section 5.2, Figure 6: the IPv4 field that a Parameter
/// Problem pointer into the IPv6 header stands for.
fn pointer_6to4(ptr: u32) -> Option<u8> {
    Some(match ptr {
        0 => 0,
        1 => 1,
        4 | 5 => 2,
        6 => 9,
        7 => 8,
        8..=23 => 12,
        24..=39 => 16,
        _ => return None,
    })
}

/// RFC 1191 section 7: the plateau below `total_len`, the MTU to assume
/// when a Fragmentation Needed message carries none.
fn plateau(total_len: u16) -> u16 {
    const PLATEAUS: [u16; 10] = [32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];
    PLATEAUS.into_iter().find(|&p| p < total_len).unwrap_or(68)
}

/// Splits an error body into the packet in error and the RFC 4884
/// extension, given the length field in bytes. A length of zero, or one
/// that runs past the end, means there is no extension (RFC 4884 section 5).
fn split_extension(body: &[u8], len: usize) -> (&[u8], &[u8]) {
    if len == 0 || len > body.len() {
        (body, &[])
    } else {
        body.split_at(len)
    }
}

/// How long the translated packet in error is in the new message, and
/// whether the extension still fits (RFC 4884 sections 4 and 5, RFC 7915
/// sections 4.2 and 5.2).
///
/// `n` is the translated length, `room` the bytes after the ICMP header
/// that the size limit leaves, `unit` the length field's unit. With an
/// extension, the packet is cut down to a whole number of units, or padded
/// to 128 bytes; the first 128 bytes and the extension come before the
/// rest of the packet, and an extension that does not fit is removed whole.
fn layout(n: usize, ext_len: usize, ext_allowed: bool, unit: usize, room: usize) -> (usize, bool) {
    if ext_allowed && ext_len > 0 && RFC4884_MIN_ORIGINAL + ext_len <= room {
        let padded = if n < RFC4884_MIN_ORIGINAL {
            RFC4884_MIN_ORIGINAL
        } else {
            n - n % unit
        };
        let fit = room - ext_len;
        return (padded.min(fit - fit % unit), true);
    }
    (n.min(room), false)
}

/// Translates an ICMPv4 error (RFC 7915 sections 4.2 and 4.3) into `out`.
/// `hdr` is the outer IPv6 header, already translated.
pub(crate) fn error_4to6<M: Mapping>(
    t: &Translator<M>,
    ip: &Ipv4Packet<'_>,
    mut hdr: Ipv6Repr,
    out: &mut [u8],
    pass: Pass,
) -> Outcome {
    let cfg = &t.cfg;
    let icmp = ip.payload();
    if icmp.len() < HEADER_LEN {
        return Outcome::Dropped(DropReason::Truncated);
    }
    let (ty, code) = (icmp[0], icmp[1]);
    let body = &icmp[HEADER_LEN..];
    let mut rest = [0u8; 4];
    // Only Destination Unreachable and Time Exceeded have a length field
    // in ICMPv6 (RFC 4884 section 4.1).
    let mut ext_allowed = true;
    let (ty6, code6) = match (ty, code) {
        (v4::DEST_UNREACH, 0 | 1 | 5 | 6 | 7 | 8 | 11 | 12) => (v6::DEST_UNREACH, 0),
        (v4::DEST_UNREACH, 2) => {
            // Protocol Unreachable: Parameter Problem, pointing at Next Header.
            rest = 6u32.to_be_bytes();
            ext_allowed = false;
            (v6::PARAM_PROBLEM, 1)
        }
        (v4::DEST_UNREACH, 3) => (v6::DEST_UNREACH, 4),
        (v4::DEST_UNREACH, 4) => {
            let mut mtu = u16::from_be_bytes([icmp[6], icmp[7]]);
            if mtu == 0 {
                let total = body
                    .get(2..4)
                    .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                mtu = plateau(total);
            }
            let mtu6 = (u32::from(mtu) + 20)
                .min(u32::from(cfg.ipv6_mtu))
                .min(u32::from(cfg.ipv4_mtu) + 20)
                .max(u32::from(crate::IPV6_MIN_MTU));
            rest = mtu6.to_be_bytes();
            ext_allowed = false;
            (v6::PACKET_TOO_BIG, 0)
        }
        (v4::DEST_UNREACH, 9 | 10 | 13 | 15) => (v6::DEST_UNREACH, 1),
        (v4::TIME_EXCEEDED, 0 | 1) => (v6::TIME_EXCEEDED, code),
        (v4::PARAM_PROBLEM, 0 | 2) => {
            let Some(ptr) = pointer_4to6(icmp[4]) else {
                return Outcome::Dropped(DropReason::IcmpUntranslatable);
            };
            rest = u32::from(ptr).to_be_bytes();
            ext_allowed = false;
            (v6::PARAM_PROBLEM, 0)
        }
        _ => return Outcome::Dropped(DropReason::IcmpUntranslatable),
    };
    let (inner, ext) = split_extension(body, usize::from(icmp[5]) * 4);

    const START: usize = ipv6::HEADER_LEN + HEADER_LEN;
    let room = V6_ERROR_MAX - START;
    let Some(region) = out.get_mut(START..(START + room).min(out.len().max(START))) else {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    };
    let n = match inner_4to6(t, inner, region, pass) {
        Ok(n) => n,
        Err(reason) => return Outcome::Dropped(reason),
    };
    let (inner_len, ext_kept) = layout(n, ext.len(), ext_allowed, 8, room);
    let total = START + inner_len + if ext_kept { ext.len() } else { 0 };
    if total > out.len() {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    }
    if inner_len > n {
        out[START + n..START + inner_len].fill(0);
    }
    if ext_kept {
        out[START + inner_len..total].copy_from_slice(ext);
        rest[0] = (inner_len / 8) as u8;
    }
    hdr.payload_len = (total - ipv6::HEADER_LEN) as u16;
    hdr.next_header = proto::ICMPV6;
    out[..ipv6::HEADER_LEN].copy_from_slice(&hdr.to_bytes());
    let icmp_out = &mut out[ipv6::HEADER_LEN..total];
    icmp_out[..4].copy_from_slice(&[ty6, code6, 0, 0]);
    icmp_out[4..8].copy_from_slice(&rest);
    let csum = checksum::v6_pseudo(hdr.src, hdr.dst, icmp_out.len() as u32, proto::ICMPV6)
        .add(Sum::of(icmp_out))
        .checksum();
    icmp_out[2..4].copy_from_slice(&csum.to_be_bytes());
    Outcome::Translated {
        len: total,
        count: 1,
    }
}

/// Translates the IPv4 packet inside an ICMPv4 error (RFC 7915 section
/// 4.3): like the outer one, but the TTL is kept, and it may be cut off.
/// Writes as much as fits in `out` and returns the whole translated length.
fn inner_4to6<M: Mapping>(
    t: &Translator<M>,
    inner: &[u8],
    out: &mut [u8],
    pass: Pass,
) -> Result<usize, DropReason> {
    let bad = DropReason::IcmpInnerPacket;
    let ip = Ipv4Packet::new_lax(inner).map_err(|_| bad)?;
    let m = &t.cfg.mapping;
    let src = m.v4_to_v6(ip.src()).ok_or(bad)?;
    // RFC 7757 section 4.2: in a hairpinned error, the inner destination
    // is the far end.
    let dst = match pass {
        Pass::First => m.v4_to_v6(ip.dst()),
        Pass::Hairpin => m.v4_to_v6_hairpin(ip.dst()),
    }
    .ok_or(bad)?;
    let payload = ip.payload();
    let declared = usize::from(ip.total_len()) - ip.header_len();
    let protocol = match ip.protocol() {
        proto::ICMP => proto::ICMPV6,
        p => p,
    };
    let frag = ip.is_fragment().then(|| FragRepr {
        next_header: protocol,
        offset: ip.frag_offset(),
        more: ip.more_frags(),
        ident: u32::from(ip.ident()),
    });
    let frag_len = if frag.is_some() { ipv6::FRAG_LEN } else { 0 };
    let hdr = Ipv6Repr {
        traffic_class: ip.tos(),
        payload_len: (declared + frag_len).min(usize::from(u16::MAX)) as u16,
        next_header: if frag.is_some() {
            ipv6::next_header::FRAGMENT
        } else {
            protocol
        },
        hop_limit: ip.ttl(),
        src,
        dst,
    };
    let patch = if ip.frag_offset() != 0 {
        None
    } else {
        let old = checksum::v4_addrs(ip.src(), ip.dst());
        let new = checksum::v6_addrs(src, dst);
        match ip.protocol() {
            proto::TCP | proto::UDP => transport_patch(ip.protocol(), payload, old, new),
            // RFC 7915 section 4.3: an error about an error is not translated.
            proto::ICMP if payload.len() >= 4 && is_v4_error(payload[0]) => return Err(bad),
            proto::ICMP if payload.len() >= 4 => {
                Some(echo_4to6_patch(payload, declared as u32, src, dst).map_err(|_| bad)?)
            }
            _ => None,
        }
    };
    write_clipped(out, 0, &hdr.to_bytes());
    if let Some(f) = frag {
        write_clipped(out, ipv6::HEADER_LEN, &f.to_bytes());
    }
    let start = ipv6::HEADER_LEN + frag_len;
    write_clipped(out, start, payload);
    if let Some(p) = patch {
        p.apply_clipped(out, start);
    }
    Ok(start + payload.len())
}

/// Translates an ICMPv6 error (RFC 7915 sections 5.2 and 5.3) into `out`.
/// `hdr` is the outer IPv4 header, already translated. A hairpinned error
/// is translated back to ICMPv6 afterwards, so the ICMPv6 limit applies.
pub(crate) fn error_6to4<M: Mapping>(
    t: &Translator<M>,
    ip: &Ipv6Packet<'_>,
    layers: &Layers,
    mut hdr: Ipv4Repr,
    out: &mut [u8],
    hairpin: bool,
) -> Outcome {
    let cfg = &t.cfg;
    let icmp = &ip.packet()[layers.l4_offset..];
    if icmp.len() < HEADER_LEN {
        return Outcome::Dropped(DropReason::Truncated);
    }
    let (ty, code) = (icmp[0], icmp[1]);
    let body = &icmp[HEADER_LEN..];
    let mut rest = [0u8; 4];
    // Destination Unreachable and Time Exceeded have a length field in
    // both versions (RFC 4884 section 4.1).
    let mut ext_allowed = true;
    let (ty4, code4) = match (ty, code) {
        (v6::DEST_UNREACH, 0 | 2 | 3) => (v4::DEST_UNREACH, 1),
        (v6::DEST_UNREACH, 1) => (v4::DEST_UNREACH, 10),
        (v6::DEST_UNREACH, 4) => (v4::DEST_UNREACH, 3),
        (v6::PACKET_TOO_BIG, 0) => {
            let mtu6 = u32::from_be_bytes([icmp[4], icmp[5], icmp[6], icmp[7]]);
            let mtu = mtu6
                .saturating_sub(20)
                .min(u32::from(cfg.ipv4_mtu))
                .min(u32::from(cfg.ipv6_mtu) - 20);
            rest[2..4].copy_from_slice(&(mtu as u16).to_be_bytes());
            ext_allowed = false;
            (v4::DEST_UNREACH, 4)
        }
        (v6::TIME_EXCEEDED, 0 | 1) => (v4::TIME_EXCEEDED, code),
        (v6::PARAM_PROBLEM, 0) => {
            let ptr = u32::from_be_bytes([icmp[4], icmp[5], icmp[6], icmp[7]]);
            let Some(ptr) = pointer_6to4(ptr) else {
                return Outcome::Dropped(DropReason::IcmpUntranslatable);
            };
            rest[0] = ptr;
            ext_allowed = false;
            (v4::PARAM_PROBLEM, 0)
        }
        (v6::PARAM_PROBLEM, 1) => {
            ext_allowed = false;
            (v4::DEST_UNREACH, 2)
        }
        _ => return Outcome::Dropped(DropReason::IcmpUntranslatable),
    };
    let length = if matches!(ty, v6::DEST_UNREACH | v6::TIME_EXCEEDED) {
        usize::from(icmp[4]) * 8
    } else {
        0
    };
    let (inner, ext) = split_extension(body, length);

    const START: usize = crate::ipv4::HEADER_LEN + HEADER_LEN;
    let limit = if hairpin {
        V6_ERROR_MAX
    } else {
        V4_ERROR_MAX.min(usize::from(cfg.ipv4_mtu))
    };
    let room = limit - START;
    let Some(region) = out.get_mut(START..(START + room).min(out.len().max(START))) else {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    };
    let n = match inner_6to4(t, inner, region) {
        Ok(n) => n,
        Err(reason) => return Outcome::Dropped(reason),
    };
    let (inner_len, ext_kept) = layout(n, ext.len(), ext_allowed, 4, room);
    let total = START + inner_len + if ext_kept { ext.len() } else { 0 };
    if total > out.len() {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    }
    if inner_len > n {
        out[START + n..START + inner_len].fill(0);
    }
    if ext_kept {
        out[START + inner_len..total].copy_from_slice(ext);
        rest[1] = (inner_len / 4) as u8;
    }
    hdr.total_len = total as u16;
    hdr.protocol = proto::ICMP;
    if layers.frag.is_none() {
        hdr.ident = t.next_ident();
    }
    out[..crate::ipv4::HEADER_LEN].copy_from_slice(&hdr.to_bytes());
    let icmp_out = &mut out[crate::ipv4::HEADER_LEN..total];
    icmp_out[..4].copy_from_slice(&[ty4, code4, 0, 0]);
    icmp_out[4..8].copy_from_slice(&rest);
    let csum = Sum::of(icmp_out).checksum();
    icmp_out[2..4].copy_from_slice(&csum.to_be_bytes());
    Outcome::Translated {
        len: total,
        count: 1,
    }
}

/// Translates the IPv6 packet inside an ICMPv6 error (RFC 7915 section
/// 5.3): like the outer one, but the Hop Limit is kept, and it may be cut
/// off. Writes as much as fits in `out` and returns the whole translated
/// length.
fn inner_6to4<M: Mapping>(
    t: &Translator<M>,
    inner: &[u8],
    out: &mut [u8],
) -> Result<usize, DropReason> {
    let bad = DropReason::IcmpInnerPacket;
    let ip = Ipv6Packet::new_lax(inner).map_err(|_| bad)?;
    let layers = ip.layers(false).map_err(|_| bad)?;
    let m = &t.cfg.mapping;
    let src = m.v6_to_v4(ip.src()).ok_or(bad)?;
    let dst = m.v6_to_v4(ip.dst()).ok_or(bad)?;
    let payload = &ip.packet()[layers.l4_offset..];
    let declared =
        (ipv6::HEADER_LEN + usize::from(ip.payload_len())).saturating_sub(layers.l4_offset);
    let total_len = (crate::ipv4::HEADER_LEN + declared).min(usize::from(u16::MAX)) as u16;
    let mut hdr = Ipv4Repr {
        tos: ip.traffic_class(),
        total_len,
        ident: 0,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
        ttl: ip.hop_limit(),
        protocol: match layers.protocol {
            proto::ICMPV6 => proto::ICMP,
            p => p,
        },
        src,
        dst,
    };
    match layers.frag {
        Some(f) => {
            hdr.ident = f.ident as u16;
            hdr.more_frags = f.more;
            hdr.frag_offset = f.offset;
        }
        // As the packet itself was translated (RFC 7915 section 5.1).
        None => hdr.dont_frag = usize::from(total_len) > 1260,
    }
    let patch = if layers.frag.is_some_and(|f| f.offset != 0) {
        None
    } else {
        let old = checksum::v6_addrs(ip.src(), ip.dst());
        let new = checksum::v4_addrs(src, dst);
        match layers.protocol {
            proto::TCP | proto::UDP => transport_patch(layers.protocol, payload, old, new),
            proto::ICMPV6 if payload.len() >= 4 && is_v6_error(payload[0]) => return Err(bad),
            proto::ICMPV6 if payload.len() >= 4 => {
                let pseudo =
                    checksum::v6_pseudo(ip.src(), ip.dst(), declared as u32, proto::ICMPV6);
                Some(echo_6to4_patch(payload, pseudo).map_err(|_| bad)?)
            }
            _ => None,
        }
    };
    write_clipped(out, 0, &hdr.to_bytes());
    write_clipped(out, crate::ipv4::HEADER_LEN, payload);
    if let Some(p) = patch {
        p.apply_clipped(out, crate::ipv4::HEADER_LEN);
    }
    Ok(crate::ipv4::HEADER_LEN + payload.len())
}

/// Whether an ICMPv4 error may be sent to `a` (RFC 1812 section 4.3.2.7:
/// not to an unspecified, broadcast or multicast address).
fn v4_unicast(a: Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast())
}

/// An ICMPv4 error from the translator itself about `original` (RFC 7915
/// section 4.4), cut to 576 bytes (or the IPv4 MTU), from its own address
/// with DF clear.
pub(crate) fn error_v4<M>(
    t: &Translator<M>,
    original: &[u8],
    ty: u8,
    code: u8,
    rest: [u8; 4],
    reason: DropReason,
    out: &mut [u8],
) -> Outcome {
    if !t.cfg.send_icmp_errors {
        return Outcome::Dropped(reason);
    }
    let Ok(orig) = Ipv4Packet::new_lax(original) else {
        return Outcome::Dropped(reason);
    };
    // RFC 1812 section 4.3.2.7: not about a datagram from or to a
    // broadcast or multicast address.
    if !v4_unicast(orig.src()) || !v4_unicast(orig.dst()) {
        return Outcome::Dropped(reason);
    }
    const START: usize = crate::ipv4::HEADER_LEN + HEADER_LEN;
    let len = (START + original.len()).min(V4_ERROR_MAX.min(usize::from(t.cfg.ipv4_mtu)));
    let Some(buf) = out.get_mut(..len) else {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    };
    let hdr = Ipv4Repr {
        tos: 0,
        total_len: len as u16,
        ident: 0,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
        ttl: t.cfg.icmp_hop_limit,
        protocol: proto::ICMP,
        src: t.cfg.ipv4_addr,
        dst: orig.src(),
    };
    buf[..crate::ipv4::HEADER_LEN].copy_from_slice(&hdr.to_bytes());
    buf[20..24].copy_from_slice(&[ty, code, 0, 0]);
    buf[24..28].copy_from_slice(&rest);
    buf[START..].copy_from_slice(&original[..len - START]);
    let csum = Sum::of(&buf[20..]).checksum();
    buf[22..24].copy_from_slice(&csum.to_be_bytes());
    Outcome::Icmp { len, reason }
}

/// An ICMPv6 error from the translator itself about `original` (RFC 7915
/// section 5.4), cut to 1280 bytes, from its own address.
pub(crate) fn error_v6<M>(
    t: &Translator<M>,
    original: &[u8],
    ty: u8,
    code: u8,
    rest: [u8; 4],
    reason: DropReason,
    out: &mut [u8],
) -> Outcome {
    if !t.cfg.send_icmp_errors {
        return Outcome::Dropped(reason);
    }
    let Ok(orig) = Ipv6Packet::new_lax(original) else {
        return Outcome::Dropped(reason);
    };
    let dst = orig.src();
    // RFC 4443 section 2.4 (e): not to a multicast or unspecified source,
    // and not about a packet sent to a multicast group (an MLD report with
    // hop limit 1, say), except Packet Too Big and Parameter Problem code 2.
    let allowed_to_group = ty == 2 || (ty == 4 && code == 2);
    if dst.is_unspecified()
        || dst.is_multicast()
        || (orig.dst().is_multicast() && !allowed_to_group)
    {
        return Outcome::Dropped(reason);
    }
    const START: usize = ipv6::HEADER_LEN + HEADER_LEN;
    let len = (START + original.len()).min(V6_ERROR_MAX);
    let Some(buf) = out.get_mut(..len) else {
        return Outcome::Dropped(DropReason::OutputTooSmall);
    };
    let hdr = Ipv6Repr {
        traffic_class: 0,
        payload_len: (len - ipv6::HEADER_LEN) as u16,
        next_header: proto::ICMPV6,
        hop_limit: t.cfg.icmp_hop_limit,
        src: t.cfg.ipv6_addr,
        dst,
    };
    buf[..ipv6::HEADER_LEN].copy_from_slice(&hdr.to_bytes());
    buf[40..44].copy_from_slice(&[ty, code, 0, 0]);
    buf[44..48].copy_from_slice(&rest);
    buf[START..].copy_from_slice(&original[..len - START]);
    let icmp = &buf[ipv6::HEADER_LEN..];
    let csum = checksum::v6_pseudo(hdr.src, dst, icmp.len() as u32, proto::ICMPV6)
        .add(Sum::of(icmp))
        .checksum();
    buf[42..44].copy_from_slice(&csum.to_be_bytes());
    Outcome::Icmp { len, reason }
}

/// The new checksum of the TCP or UDP header quoted in an ICMP error, whose
/// pseudo-header addresses changed from `old` to `new` (RFC 7915 sections
/// 4.5 and 5.5, updated incrementally so that a wrong checksum stays wrong).
/// A zero UDP checksum means "none" and is left alone; a computed zero is
/// written as all ones (RFC 768). `None` when the header was cut off.
fn transport_patch(protocol: u8, payload: &[u8], old: Sum, new: Sum) -> Option<Patch> {
    let at = if protocol == proto::TCP { 16 } else { 6 };
    let c = payload.get(at..at + 2)?;
    let c = u16::from_be_bytes([c[0], c[1]]);
    if protocol == proto::UDP && c == 0 {
        return None;
    }
    let c = checksum::update(c, old, new);
    Some(Patch::u16(
        at,
        if protocol == proto::UDP && c == 0 {
            0xffff
        } else {
            c
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_follow_the_rfc_figures() {
        assert_eq!(pointer_4to6(9), Some(6));
        assert_eq!(pointer_4to6(17), Some(24));
        assert_eq!(pointer_4to6(5), None);
        assert_eq!(pointer_6to4(7), Some(8));
        assert_eq!(pointer_6to4(30), Some(16));
        assert_eq!(pointer_6to4(2), None);
    }

    #[test]
    fn plateaus() {
        assert_eq!(plateau(1500), 1492);
        assert_eq!(plateau(1492), 1006);
        assert_eq!(plateau(60), 68);
    }

    #[test]
    fn layout_gives_priority_to_the_first_128_bytes_then_the_extension() {
        // Jool's ic1: 508 bytes of packet and a 40-byte extension fit 548.
        assert_eq!(layout(508, 40, true, 4, 548), (508, true));
        // ic4: a short packet is padded to 128.
        assert_eq!(layout(108, 420, true, 4, 548), (128, true));
        // ic5: one byte too many, so the extension goes.
        assert_eq!(layout(108, 421, true, 4, 548), (108, false));
        // ide (IPv6): the packet is cut to make room for the extension.
        assert_eq!(layout(600, 640, true, 8, 1232), (592, true));
        // ib2: cut down to whole 8-byte units.
        assert_eq!(layout(146, 20, true, 8, 1232), (144, true));
    }
}
