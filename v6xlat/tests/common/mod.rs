//! Packet builders and checkers shared by the integration tests and the
//! benches. They are written independently of the library's internals, so
//! that the tests check the translator against a second implementation of
//! the wire formats.
#![allow(dead_code, unreachable_pub)]

pub mod jool;
pub mod stateful;

use std::net::{Ipv4Addr, Ipv6Addr};

use v6core::Pref64;
use v6xlat::mapping::Rfc6052;
use v6xlat::{Config, Translator};

/// The translator the tests use: RFC 6052 with `2001:db8:64::/96`, so that
/// every IPv4 address maps, and default MTUs.
pub fn translator() -> Translator<Rfc6052> {
    let prefix: Pref64 = "2001:db8:64::/96".parse().unwrap();
    let cfg = Config::new(
        Rfc6052::new(prefix),
        Ipv4Addr::new(192, 0, 2, 1),
        "2001:db8::1".parse().unwrap(),
    );
    Translator::new(cfg).unwrap()
}

/// `v4` as the tests' IPv6 address.
pub fn v6_of(v4: Ipv4Addr) -> Ipv6Addr {
    let prefix: Pref64 = "2001:db8:64::/96".parse().unwrap();
    prefix.embed(v4)
}

/// The ones' complement sum of `data`, folded.
pub fn sum(data: &[u8]) -> u32 {
    let mut s: u32 = 0;
    for c in data.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s
}

fn checksum(parts: &[&[u8]]) -> u16 {
    let mut s = 0;
    for p in parts {
        s += sum(p);
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(12);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&[0, proto]);
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p
}

fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&(len as u32).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, proto]);
    p
}

/// Where the checksum of an upper-layer protocol is.
pub fn checksum_offset(proto: u8) -> Option<usize> {
    match proto {
        6 => Some(16),
        17 => Some(6),
        1 | 58 => Some(2),
        _ => None,
    }
}

/// A UDP header and payload; the checksum is filled in by the packet builder.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(8 + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(payload);
    s
}

/// A TCP header without options (ACK set) and payload.
pub fn tcp(sport: u16, dport: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(20 + payload.len());
    s.extend_from_slice(&sport.to_be_bytes());
    s.extend_from_slice(&dport.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&0u32.to_be_bytes());
    s.extend_from_slice(&[0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
    s.extend_from_slice(payload);
    s
}

/// An ICMP or ICMPv6 Echo message of `ty`.
pub fn echo(ty: u8, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![ty, 0, 0, 0];
    s.extend_from_slice(&id.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// An IPv4 packet carrying `l4`, whose checksum is computed.
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, ttl: u8, df: bool, l4: &[u8]) -> Vec<u8> {
    let total = 20 + l4.len();
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34, if df { 0x40 } else { 0 }, 0, ttl, proto, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    let c = checksum(&[&p]);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    let start = p.len();
    p.extend_from_slice(l4);
    if let Some(at) = checksum_offset(proto) {
        let c = if proto == 1 {
            checksum(&[l4])
        } else {
            checksum(&[&pseudo_v4(src, dst, proto, l4.len()), l4])
        };
        p[start + at..start + at + 2].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// An IPv6 packet carrying `l4`, whose checksum is computed.
pub fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, hop: u8, tc: u8, l4: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60 | (tc >> 4), tc << 4, 0, 0];
    p.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    p.extend_from_slice(&[proto, hop]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(l4);
    if let Some(at) = checksum_offset(proto) {
        let c = checksum(&[&pseudo_v6(src, dst, proto, l4.len()), l4]);
        p[40 + at..42 + at].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// An IPv4 fragment from `src` to `dst` of a datagram of protocol
/// `proto`: `data` is the part of the datagram's payload at `offset` (a
/// multiple of 8), kept as it is.
pub fn fragment_v4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: u8,
    ident: u16,
    offset: u16,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    // Built as protocol 253 so that `data` is kept as it is.
    let mut p = ipv4(src, dst, 253, 64, false, data);
    p[9] = proto;
    p[4..6].copy_from_slice(&ident.to_be_bytes());
    let flags = (offset / 8) | if more { 0x2000 } else { 0 };
    p[6..8].copy_from_slice(&flags.to_be_bytes());
    p[10..12].fill(0);
    let c = !(sum(&p[..20]) as u16);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

/// An IPv6 fragment from `src` to `dst`, with a Fragment header for a
/// datagram whose next header is `next`, as [`fragment_v4`].
pub fn fragment_v6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next: u8,
    ident: u32,
    offset: u16,
    more: bool,
    data: &[u8],
) -> Vec<u8> {
    let mut f = vec![next, 0];
    f.extend_from_slice(&(offset | u16::from(more)).to_be_bytes());
    f.extend_from_slice(&ident.to_be_bytes());
    f.extend_from_slice(data);
    ipv6(src, dst, 44, 64, 0, &f)
}

fn be16(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// The datagram the IPv6 fragments `frags` (in any order) make.
pub fn reassemble_v6(frags: &[Vec<u8>]) -> Vec<u8> {
    let mut frags: Vec<&Vec<u8>> = frags.iter().collect();
    frags.sort_by_key(|f| be16(f, 42) & 0xfff8);
    let mut p = frags[0][..40].to_vec();
    p[6] = frags[0][40];
    for f in &frags {
        assert_eq!(usize::from(be16(f, 42) & 0xfff8), p.len() - 40, "a hole");
        p.extend_from_slice(&f[48..]);
    }
    let len = (p.len() - 40) as u16;
    p[4..6].copy_from_slice(&len.to_be_bytes());
    p
}

/// The datagram the IPv4 fragments `frags` (in any order) make.
pub fn reassemble_v4(frags: &[Vec<u8>]) -> Vec<u8> {
    let mut frags: Vec<&Vec<u8>> = frags.iter().collect();
    frags.sort_by_key(|f| be16(f, 6) & 0x1fff);
    let mut p = frags[0][..20].to_vec();
    for f in &frags {
        assert_eq!(usize::from(be16(f, 6) & 0x1fff) * 8, p.len() - 20, "a hole");
        p.extend_from_slice(&f[20..]);
    }
    let len = p.len() as u16;
    p[2..4].copy_from_slice(&len.to_be_bytes());
    p[6..8].fill(0);
    p[10..12].fill(0);
    let c = !(sum(&p[..20]) as u16);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

/// Checks an IPv4 packet: header checksum, Total Length, and for an
/// unfragmented TCP, UDP or ICMP packet its length and checksum.
pub fn check_v4(p: &[u8]) -> Result<(), String> {
    if p.len() < 20 || p[0] != 0x45 {
        return Err(format!(
            "not an options-free IPv4 header: {:02x?}",
            &p[..p.len().min(20)]
        ));
    }
    if sum(&p[..20]) != 0xffff {
        return Err("IPv4 header checksum".into());
    }
    if usize::from(u16::from_be_bytes([p[2], p[3]])) != p.len() {
        return Err("IPv4 Total Length".into());
    }
    let fragmented = u16::from_be_bytes([p[6], p[7]]) & 0x3fff != 0;
    let (proto, l4) = (p[9], &p[20..]);
    if fragmented {
        return Ok(());
    }
    let src = Ipv4Addr::new(p[12], p[13], p[14], p[15]);
    let dst = Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    if proto == 17 && usize::from(u16::from_be_bytes([l4[4], l4[5]])) != l4.len() {
        return Err("UDP length".into());
    }
    let ok = match proto {
        1 => sum(l4) == 0xffff,
        6 | 17 => (sum(&pseudo_v4(src, dst, proto, l4.len())) + sum(l4)) % 0xffff == 0,
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("protocol {proto} checksum"))
    }
}

/// Checks an IPv6 packet without extension headers, or with only a
/// Fragment header: Payload Length, and for an unfragmented TCP, UDP or
/// ICMPv6 packet its length and checksum.
pub fn check_v6(p: &[u8]) -> Result<(), String> {
    if p.len() < 40 || p[0] >> 4 != 6 {
        return Err("not an IPv6 header".into());
    }
    if 40 + usize::from(u16::from_be_bytes([p[4], p[5]])) != p.len() {
        return Err("IPv6 Payload Length".into());
    }
    if p[1] & 0x0f != 0 || p[2] != 0 || p[3] != 0 {
        return Err("Flow Label is not 0".into());
    }
    let (proto, l4) = (p[6], &p[40..]);
    if proto == 44 {
        return Ok(());
    }
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).unwrap());
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap());
    if proto == 17 && usize::from(u16::from_be_bytes([l4[4], l4[5]])) != l4.len() {
        return Err("UDP length".into());
    }
    if checksum_offset(proto).is_some() {
        let s = sum(&pseudo_v6(src, dst, proto, l4.len())) + sum(l4);
        if s % 0xffff != 0 {
            return Err(format!("protocol {proto} checksum"));
        }
    }
    Ok(())
}
