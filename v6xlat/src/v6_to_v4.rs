//! IPv6 to IPv4 (RFC 7915 section 5).

use crate::checksum;
use crate::fragment::{self, Patch};
use crate::icmp;
use crate::ipv4::Ipv4Repr;
use crate::ipv6::{self, Ipv6Packet};
use crate::mapping::Mapping;
use crate::outcome::{DropReason, Outcome};
use crate::translator::{Pass, Translator};
use crate::v4_to_v6::{self, proto};

/// RFC 7915 section 5.1: DF is set on translated packets longer than this,
/// the IPv4 size of a 1280-byte IPv6 packet.
const DF_THRESHOLD: usize = 1260;

/// Translates the IPv6 packet `input` (RFC 7915 section 5.1), and back
/// again if it must hairpin to the IPv6 side (RFC 7757 section 4.2).
pub(crate) fn translate<M: Mapping>(t: &Translator<M>, input: &[u8], out: &mut [u8]) -> Outcome {
    translate_with(t, input, out, |outcome, out| back_to_ipv6(t, outcome, out))
}

/// Translates the IPv6 packet `input` (RFC 7915 section 5.1); when the
/// mapping says the packet hairpins, `hairpin` gets the IPv4 result and
/// decides what becomes of it. Stateful NAT64 sends it through its session
/// table on the way back (RFC 6146 section 3.8).
pub(crate) fn translate_with<M: Mapping>(
    t: &Translator<M>,
    input: &[u8],
    out: &mut [u8],
    hairpin_back: impl FnOnce(Outcome, &mut [u8]) -> Outcome,
) -> Outcome {
    let ip = match Ipv6Packet::new_checked(input) {
        Ok(ip) => ip,
        Err(ipv6::Malformed::Truncated) => return Outcome::Dropped(DropReason::Truncated),
        Err(_) => return Outcome::Dropped(DropReason::MalformedHeader),
    };
    let pkt = ip.packet();
    let layers = match ip.layers(true) {
        Ok(l) => l,
        Err(ipv6::Malformed::SegmentsLeft(pointer)) => {
            let rest = pointer.to_be_bytes();
            return icmp::error_v6(t, pkt, 4, 0, rest, DropReason::SegmentsLeft, out);
        }
        Err(ipv6::Malformed::AfterFragment) => {
            // What Jool answers; RFC 7915 section 5.1 only says "drop".
            let reason = DropReason::ExtensionAfterFragment;
            return icmp::error_v6(t, pkt, 1, 1, [0; 4], reason, out);
        }
        Err(ipv6::Malformed::Truncated) => return Outcome::Dropped(DropReason::Truncated),
        Err(ipv6::Malformed::Header) => return Outcome::Dropped(DropReason::MalformedHeader),
    };
    let cfg = &t.cfg;
    let payload = &pkt[layers.l4_offset..];
    let protocol = layers.protocol;
    let first = layers.frag.is_none_or(|f| f.offset == 0);
    let is_error = protocol == proto::ICMPV6
        && first
        && payload.first().is_some_and(|&ty| icmp::is_v6_error(ty));
    // RFC 7915 section 5.4: answer with an ICMPv6 error, unless the packet
    // is one itself.
    let reject = |reason, ty, code, rest, out: &mut [u8]| {
        if is_error {
            Outcome::Dropped(reason)
        } else {
            icmp::error_v6(t, pkt, ty, code, rest, reason, out)
        }
    };

    let ttl = if cfg.decrement_hop_limit {
        if ip.hop_limit() <= 1 {
            return reject(DropReason::HopLimitExceeded, 3, 0, [0; 4], out);
        }
        ip.hop_limit() - 1
    } else {
        ip.hop_limit()
    };

    let Some(dst4) = cfg.mapping.v6_to_v4(ip.dst()) else {
        return reject(DropReason::DestinationUnmapped, 1, 3, [0; 4], out);
    };
    let src4 = match cfg.mapping.v6_to_v4(ip.src()) {
        Some(a) => a,
        // RFC 6791: an IPv6 router on the path has no IPv4 address.
        None if is_error => t.rfc6791_v4(fold_addr(ip.src()) ^ dst4.to_bits()),
        None => return Outcome::Dropped(DropReason::SourceUnmapped),
    };
    let hairpin = cfg.mapping.is_hairpin(ip.dst(), dst4);

    let mut hdr = Ipv4Repr {
        tos: ip.traffic_class(),
        total_len: 0,
        ident: 0,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
        ttl,
        protocol,
        src: src4,
        dst: dst4,
    };
    if let Some(f) = layers.frag {
        // RFC 7915 section 5.1.1: the fragment fields are copied, DF clear.
        hdr.ident = f.ident as u16;
        hdr.more_frags = f.more;
        hdr.frag_offset = f.offset;
    }

    let mut patch = None;
    if protocol == proto::ICMPV6 {
        if layers.frag.is_some_and(|f| !f.is_atomic()) {
            return Outcome::Dropped(DropReason::IcmpFragmented);
        }
        if is_error {
            let outcome = icmp::error_6to4(t, &ip, &layers, hdr, out, hairpin);
            return if hairpin {
                hairpin_back(outcome, out)
            } else {
                outcome
            };
        }
        let len = payload.len() as u32;
        let pseudo = checksum::v6_pseudo(ip.src(), ip.dst(), len, proto::ICMPV6);
        match icmp::echo_6to4(payload, pseudo) {
            Ok(p) => patch = Some(p),
            Err(reason) => return Outcome::Dropped(reason),
        }
        hdr.protocol = proto::ICMP;
    } else if first {
        let at = match protocol {
            proto::TCP => Some(16),
            proto::UDP => Some(6),
            _ => None,
        };
        if let Some(at) = at {
            let Some(c) = payload.get(at..at + 2) else {
                return Outcome::Dropped(DropReason::Truncated);
            };
            let csum = u16::from_be_bytes([c[0], c[1]]);
            // A zero UDP checksum (RFC 6935) stays zero: IPv4 allows it.
            if !(protocol == proto::UDP && csum == 0) {
                let old = checksum::v6_addrs(ip.src(), ip.dst());
                let new = checksum::v4_addrs(src4, dst4);
                let csum = checksum::update(csum, old, new);
                let csum = if protocol == proto::UDP && csum == 0 {
                    0xffff
                } else {
                    csum
                };
                patch = Some(Patch::u16(at, csum));
            }
        }
    }

    let len4 = 20 + payload.len();
    if layers.frag.is_none() {
        // RFC 7915 section 5.1: DF only above 1260 bytes; an Identification
        // for the packets that IPv4 routers may still fragment.
        if len4 > DF_THRESHOLD {
            hdr.dont_frag = true;
        } else {
            hdr.ident = t.next_ident();
        }
    }

    let ipv4_mtu = usize::from(cfg.ipv4_mtu);
    let mtu = if hairpin {
        // It never leaves on the IPv4 link.
        usize::from(u16::MAX)
    } else if len4 > ipv4_mtu && pkt.len() > usize::from(crate::IPV6_MIN_MTU) {
        // RFC 7915 section 5: the IPv6 sender must shrink its packets. Below
        // 1280 bytes it cannot, and the translator fragments instead.
        let mtu = (u32::from(cfg.ipv4_mtu) + 20).max(u32::from(crate::IPV6_MIN_MTU));
        return reject(DropReason::PacketTooBig, 2, 0, mtu.to_be_bytes(), out);
    } else {
        hdr.dont_frag = hdr.dont_frag && len4 <= ipv4_mtu;
        ipv4_mtu
    };
    let outcome = match fragment::emit_v4(out, hdr, payload, patch, mtu) {
        Ok((len, count)) => Outcome::Translated { len, count },
        Err(reason) => Outcome::Dropped(reason),
    };
    if hairpin {
        hairpin_back(outcome, out)
    } else {
        outcome
    }
}

/// RFC 7757 section 4.2: the IPv4 packet in `out` is addressed to the IPv6
/// side. It is moved to the tail of `out` and translated again into its head.
fn back_to_ipv6<M: Mapping>(t: &Translator<M>, outcome: Outcome, out: &mut [u8]) -> Outcome {
    let len = match outcome {
        Outcome::Translated { len, count: 1 } => len,
        // Only an IPv6 packet of nearly 64 KiB becomes too long for one
        // IPv4 packet; fragments cannot be translated back one by one here.
        Outcome::Translated { .. } => return Outcome::Dropped(DropReason::PacketTooBig),
        _ => return outcome,
    };
    let n = out.len();
    out.copy_within(..len, n - len);
    let (head, tail) = out.split_at_mut(n - len);
    match v4_to_v6::translate(t, tail, head, Pass::Hairpin) {
        o @ Outcome::Translated { .. } => o,
        Outcome::Icmp { reason, .. } | Outcome::Dropped(reason) => Outcome::Dropped(reason),
    }
}

/// The four 32-bit words of `a` combined, to pick an RFC 6791 address.
pub(crate) fn fold_addr(a: core::net::Ipv6Addr) -> u32 {
    let b = a.to_bits();
    (b as u32) ^ ((b >> 32) as u32) ^ ((b >> 64) as u32) ^ ((b >> 96) as u32)
}
