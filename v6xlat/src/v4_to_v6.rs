//! IPv4 to IPv6 (RFC 7915 section 4).

use crate::checksum::{self, Sum};
use crate::fragment::{self, Patch};
use crate::icmp;
use crate::ipv4::{self, Ipv4Packet};
use crate::ipv6::{FragRepr, Ipv6Repr};
use crate::mapping::Mapping;
use crate::outcome::{DropReason, Outcome};
use crate::translator::{Pass, Translator};

/// IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
pub(crate) mod proto {
    /// ICMP for IPv4.
    pub(crate) const ICMP: u8 = 1;
    /// IGMP.
    pub(crate) const IGMP: u8 = 2;
    /// TCP.
    pub(crate) const TCP: u8 = 6;
    /// UDP.
    pub(crate) const UDP: u8 = 17;
    /// ICMP for IPv6.
    pub(crate) const ICMPV6: u8 = 58;
}

/// Translates the IPv4 packet `input` (RFC 7915 section 4.1).
pub(crate) fn translate<M: Mapping>(
    t: &Translator<M>,
    input: &[u8],
    out: &mut [u8],
    pass: Pass,
) -> Outcome {
    let ip = match Ipv4Packet::new_checked(input) {
        Ok(ip) => ip,
        Err(ipv4::Malformed::Truncated) => return Outcome::Dropped(DropReason::Truncated),
        Err(ipv4::Malformed::Header) => return Outcome::Dropped(DropReason::MalformedHeader),
    };
    if !ip.checksum_ok() {
        return Outcome::Dropped(DropReason::Ipv4Checksum);
    }
    let cfg = &t.cfg;
    let payload = ip.payload();
    let protocol = ip.protocol();
    let first = ip.frag_offset() == 0;
    let is_error = protocol == proto::ICMP
        && first
        && payload.first().is_some_and(|&ty| icmp::is_v4_error(ty));
    // RFC 7915 section 4.4: answer with an ICMPv4 error, unless the packet
    // is one itself.
    let reject = |reason, ty, code, rest, out: &mut [u8]| {
        if is_error {
            Outcome::Dropped(reason)
        } else {
            icmp::error_v4(t, ip.packet(), ty, code, rest, reason, out)
        }
    };

    // RFC 7915 section 4.1, Source Address: an illegal source (RFC 1812
    // section 5.3.7) is dropped, except in an ICMP error (section 4.3).
    if !is_error && is_illegal_source(ip.src()) {
        return Outcome::Dropped(DropReason::IllegalSource);
    }
    // RFC 7915 section 4.2: IGMP messages are single-hop.
    if protocol == proto::IGMP {
        return Outcome::Dropped(DropReason::Igmp);
    }

    // RFC 7915 section 4.1: options are ignored, but an unexpired source
    // route cannot be honoured.
    if ip.has_unexpired_source_route() {
        return reject(DropReason::SourceRoute, 3, 5, [0; 4], out);
    }

    // RFC 7915 section 4.1, Hop Limit. A hairpinned packet was already
    // decremented on its way in.
    let hop_limit = if cfg.decrement_hop_limit && pass == Pass::First {
        if ip.ttl() <= 1 {
            return reject(DropReason::HopLimitExceeded, 11, 0, [0; 4], out);
        }
        ip.ttl() - 1
    } else {
        ip.ttl()
    };

    // RFC 7757 section 4.2: the far end of a hairpinned packet is its source.
    let src6 = match pass {
        Pass::First => cfg.mapping.v4_to_v6(ip.src()),
        Pass::Hairpin => cfg.mapping.v4_to_v6_hairpin(ip.src()),
    };
    let Some(dst6) = cfg.mapping.v4_to_v6(ip.dst()) else {
        return reject(DropReason::DestinationUnmapped, 3, 1, [0; 4], out);
    };
    let src6 = match src6 {
        Some(a) => a,
        // RFC 7915 section 4.1: the source of an ICMPv4 error is translated
        // even when it is not a valid source; RFC 6791 gives one otherwise.
        None if is_error => t.rfc6791_v6(ip.src().to_bits() ^ ip.dst().to_bits()),
        None => return Outcome::Dropped(DropReason::SourceUnmapped),
    };

    let hdr = Ipv6Repr {
        traffic_class: ip.tos(),
        payload_len: 0,
        next_header: 0,
        hop_limit,
        src: src6,
        dst: dst6,
    };

    let mut protocol6 = protocol;
    let mut patch = None;
    if protocol == proto::ICMP {
        if ip.is_fragment() {
            return Outcome::Dropped(DropReason::IcmpFragmented);
        }
        if is_error {
            return icmp::error_4to6(t, &ip, hdr, out, pass);
        }
        match icmp::echo_4to6(payload, src6, dst6) {
            Ok(p) => patch = Some(p),
            Err(reason) => return Outcome::Dropped(reason),
        }
        protocol6 = proto::ICMPV6;
    } else if first {
        let old = checksum::v4_addrs(ip.src(), ip.dst());
        let new = checksum::v6_addrs(src6, dst6);
        match protocol {
            proto::TCP => {
                let Some(c) = payload.get(16..18) else {
                    return Outcome::Dropped(DropReason::Truncated);
                };
                let csum = checksum::update(u16::from_be_bytes([c[0], c[1]]), old, new);
                patch = Some(Patch::u16(16, csum));
            }
            proto::UDP => {
                let Some(c) = payload.get(6..8) else {
                    return Outcome::Dropped(DropReason::Truncated);
                };
                let csum = u16::from_be_bytes([c[0], c[1]]);
                let csum = if csum != 0 {
                    checksum::update(csum, old, new)
                } else if cfg.amend_udp_checksum_zero && !ip.is_fragment() {
                    // RFC 7915 section 4.5, option 2: compute it.
                    checksum::v6_pseudo(src6, dst6, payload.len() as u32, proto::UDP)
                        .add(Sum::of(payload))
                        .checksum()
                } else {
                    // RFC 7915 section 4.5, option 1 (and always for a
                    // fragment, whose checksum cannot be computed).
                    return reject(DropReason::UdpZeroChecksum, 3, 13, [0; 4], out);
                };
                // RFC 768: a computed zero is sent as all ones.
                patch = Some(Patch::u16(6, if csum == 0 { 0xffff } else { csum }));
            }
            _ => {}
        }
    }

    // RFC 7915 section 4.1: a Fragment header only if the IPv4 packet is a
    // fragment already (so never an atomic fragment, RFC 8021).
    let frag = ip.is_fragment().then(|| FragRepr {
        next_header: protocol6,
        offset: ip.frag_offset(),
        more: ip.more_frags(),
        ident: u32::from(ip.ident()),
    });
    let len6 = 40 + if frag.is_some() { 8 } else { 0 } + payload.len();
    let ipv6_mtu = usize::from(cfg.ipv6_mtu);
    let mtu = if ip.dont_frag() {
        // RFC 7915 section 4.1: with DF, Fragmentation Needed instead.
        if len6 > ipv6_mtu {
            let mtu = (cfg.ipv6_mtu - 20).to_be_bytes();
            return reject(DropReason::PacketTooBig, 3, 4, [0, 0, mtu[0], mtu[1]], out);
        }
        ipv6_mtu
    } else {
        ipv6_mtu.min(usize::from(cfg.lowest_ipv6_mtu))
    };
    let target = fragment::V6Target {
        hdr,
        protocol: protocol6,
        frag,
        ident: u32::from(ip.ident()),
    };
    match fragment::emit_v6(out, target, payload, patch, mtu) {
        Ok((len, count)) => Outcome::Translated { len, count },
        Err(reason) => Outcome::Dropped(reason),
    }
}

/// RFC 1812 section 5.3.7: source addresses a router must not forward
/// from: "this network" (0/8), loopback, multicast, and reserved or
/// limited-broadcast (240/4).
fn is_illegal_source(a: core::net::Ipv4Addr) -> bool {
    let first = a.octets()[0];
    first == 0 || first == 127 || first >= 224
}
