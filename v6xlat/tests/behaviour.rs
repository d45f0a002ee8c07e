//! What the translator does in the cases the Jool vectors do not cover:
//! its own ICMP errors, IPv4 fragmentation, the well-known prefix rules,
//! and configuration checks.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use v6core::Pref64;
use v6xlat::mapping::{DynamicMap, Rfc6052};
use v6xlat::{Config, ConfigError, DropReason, Outcome, Translator};

use common::*;

const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
const B: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);

fn run<M: v6xlat::Mapping>(x: &Translator<M>, input: &[u8]) -> (Outcome, Vec<Vec<u8>>) {
    let mut out = vec![0u8; v6xlat::buffer_len(input.len())];
    let o = x.translate(input, &mut out);
    let packets = o.packets(&out).map(<[u8]>::to_vec).collect();
    (o, packets)
}

fn with_mtus(ipv4_mtu: u16) -> Translator<Rfc6052> {
    let mut cfg = translator().config().clone();
    cfg.ipv4_mtu = ipv4_mtu;
    Translator::new(cfg).unwrap()
}

#[test]
fn ttl_expiry_is_answered_with_time_exceeded() {
    let input = ipv4(A, B, 17, 1, true, &udp(1, 2, &[0; 16]));
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::HopLimitExceeded,
                ..
            }
        ),
        "{o:?}"
    );
    let e = &p[0];
    check_v4(e).unwrap();
    assert_eq!(&e[12..16], &[192, 0, 2, 1], "from the translator");
    assert_eq!(&e[16..20], &A.octets(), "to the source");
    assert_eq!(&e[20..22], &[11, 0]);
    assert_eq!(&e[28..], &input[..], "quotes the packet");

    let input = ipv6(v6_of(A), v6_of(B), 17, 1, 0, &udp(1, 2, &[0; 16]));
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::HopLimitExceeded,
                ..
            }
        ),
        "{o:?}"
    );
    check_v6(&p[0]).unwrap();
    assert_eq!(
        &p[0][8..24],
        &"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets()
    );
    assert_eq!(&p[0][40..42], &[3, 0]);
}

#[test]
fn no_error_about_an_error() {
    let inner = ipv4(B, A, 17, 63, false, &udp(1, 2, &[0; 8]));
    let mut icmp = vec![3, 1, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&inner);
    let input = ipv4(A, B, 1, 1, false, &icmp);
    let (o, _) = run(&translator(), &input);
    assert_eq!(o, Outcome::Dropped(DropReason::HopLimitExceeded));
}

#[test]
fn unexpired_source_route_is_refused() {
    let mut input = ipv4(A, B, 17, 64, false, &udp(1, 2, &[0; 8]));
    // Insert LSRR (pointer 4 of length 7) and a NOP: IHL 7.
    let opts = [131u8, 7, 4, 192, 0, 2, 1, 1];
    input.splice(20..20, opts);
    input[0] = 0x47;
    let total = input.len() as u16;
    input[2..4].copy_from_slice(&total.to_be_bytes());
    input[10..12].copy_from_slice(&[0, 0]);
    let c = !(sum(&input[..28]) as u16);
    input[10..12].copy_from_slice(&c.to_be_bytes());
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::SourceRoute,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][20..22], &[3, 5]);
}

#[test]
fn routing_header_with_segments_left_gets_parameter_problem() {
    let mut l4 = vec![17, 0, 0, 1, 0, 0, 0, 0]; // Routing type 0, 1 segment left
    l4.extend_from_slice(&udp(1, 2, &[0; 8]));
    let input = ipv6(v6_of(A), v6_of(B), 43, 64, 0, &l4);
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::SegmentsLeft,
                ..
            }
        ),
        "{o:?}"
    );
    // Type 4 code 0, pointer to the Segments Left field (RFC 7915 section 5.1).
    assert_eq!(&p[0][40..42], &[4, 0]);
    assert_eq!(&p[0][44..48], &43u32.to_be_bytes());
}

#[test]
fn well_known_prefix_refuses_private_addresses() {
    let cfg = Config::new(
        Rfc6052::new(Pref64::WELL_KNOWN),
        Ipv4Addr::new(192, 0, 2, 1),
        "2001:db8::1".parse().unwrap(),
    );
    let x = Translator::new(cfg).unwrap();
    let host = Ipv4Addr::new(8, 8, 8, 8);
    let private = Ipv4Addr::new(10, 0, 0, 1);
    // To a private destination: Destination Unreachable, Host Unreachable.
    let input = ipv4(host, private, 17, 64, false, &udp(1, 2, &[0; 8]));
    let (o, p) = run(&x, &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::DestinationUnmapped,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][20..22], &[3, 1]);
    // From a private source: dropped without an answer.
    let input = ipv4(private, host, 17, 64, false, &udp(1, 2, &[0; 8]));
    assert_eq!(
        run(&x, &input).0,
        Outcome::Dropped(DropReason::SourceUnmapped)
    );
    // IPv6 to 64:ff9b::10.0.0.1: Destination Unreachable, Address Unreachable.
    let src: Ipv6Addr = "64:ff9b::808:808".parse().unwrap();
    let input = ipv6(
        src,
        Pref64::WELL_KNOWN.embed(private),
        17,
        64,
        0,
        &udp(1, 2, &[]),
    );
    let (o, p) = run(&x, &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::DestinationUnmapped,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][40..42], &[1, 3]);
}

#[test]
fn small_ipv4_mtu_fragments_small_packets_and_refuses_large_ones() {
    let x = with_mtus(1000);
    // 1200 bytes of IPv6: the sender cannot go below 1280, so the
    // translator fragments the 1180-byte IPv4 packet itself.
    let input = ipv6(v6_of(A), v6_of(B), 17, 64, 0, &udp(1, 2, &[5; 1152]));
    let (o, p) = run(&x, &input);
    assert!(matches!(o, Outcome::Translated { count: 2, .. }), "{o:?}");
    assert!(p.iter().all(|f| f.len() <= 1000 && check_v4(f).is_ok()));
    assert_eq!(p[0][6] & 0x20, 0x20, "MF on the first fragment");
    assert_eq!(&p[0][4..6], &p[1][4..6], "one Identification");
    let second_offset = usize::from(u16::from_be_bytes([p[1][6], p[1][7]]) & 0x1fff) * 8;
    assert_eq!(second_offset, p[0].len() - 20);
    // 1400 bytes: Packet Too Big, with the smallest MTU IPv6 allows.
    let input = ipv6(v6_of(A), v6_of(B), 17, 64, 0, &udp(1, 2, &[5; 1352]));
    let (o, p) = run(&x, &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::PacketTooBig,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][40..42], &[2, 0]);
    assert_eq!(&p[0][44..48], &1280u32.to_be_bytes());
}

#[test]
fn ipv4_df_packet_too_big_for_ipv6_gets_fragmentation_needed() {
    let input = ipv4(A, B, 17, 64, true, &udp(1, 2, &[0; 1472]));
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::PacketTooBig,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][20..22], &[3, 4]);
    assert_eq!(&p[0][26..28], &1480u16.to_be_bytes(), "IPv6 MTU − 20");
    assert_eq!(p[0].len(), 576);
}

#[test]
fn zero_udp_checksum_is_refused_or_computed() {
    let mut input = ipv4(A, B, 17, 64, false, &udp(1, 2, &[1, 2, 3]));
    input[26..28].copy_from_slice(&[0, 0]);
    let (o, p) = run(&translator(), &input);
    assert!(
        matches!(
            o,
            Outcome::Icmp {
                reason: DropReason::UdpZeroChecksum,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(&p[0][20..22], &[3, 13]);

    let mut cfg = translator().config().clone();
    cfg.amend_udp_checksum_zero = true;
    let (o, p) = run(&Translator::new(cfg).unwrap(), &input);
    assert!(matches!(o, Outcome::Translated { count: 1, .. }), "{o:?}");
    check_v6(&p[0]).unwrap();
}

#[test]
fn fragmentation_needed_without_mtu_uses_a_plateau() {
    // RFC 1191: an old router that sends MTU 0 about a 1500-byte packet.
    let inner = ipv4(B, A, 17, 63, true, &udp(1, 2, &[0; 1472]));
    let mut icmp = vec![3, 4, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&inner[..28]);
    let router = Ipv4Addr::new(203, 0, 113, 254);
    let input = ipv4(router, B, 1, 64, false, &icmp);
    // Jumbo links on the translator, so that only the plateau limits the MTU.
    let mut cfg = translator().config().clone();
    (cfg.ipv4_mtu, cfg.ipv6_mtu) = (9000, 9000);
    let (o, p) = run(&Translator::new(cfg).unwrap(), &input);
    assert!(matches!(o, Outcome::Translated { count: 1, .. }), "{o:?}");
    assert_eq!(&p[0][40..42], &[2, 0]);
    // Plateau 1492 + 20 (RFC 7915 section 4.2).
    assert_eq!(&p[0][44..48], &1512u32.to_be_bytes());
    check_v6(&p[0]).unwrap();
}

#[test]
fn large_ping_without_df_is_fragmented() {
    let input = ipv4(A, B, 1, 64, false, &echo(8, 1, 1, &[3; 2000]));
    let (o, p) = run(&translator(), &input);
    assert!(matches!(o, Outcome::Translated { count: 2, .. }), "{o:?}");
    assert_eq!(p[0][6], 44, "Fragment header");
    assert_eq!(p[0][40], 58, "carrying ICMPv6");
    assert_eq!(p[0][48], 128, "Echo Request");
}

#[test]
fn dynamic_map_entries_take_effect_between_packets() {
    let cfg = Config::new(
        DynamicMap::new(Some(Rfc6052::new(Pref64::WELL_KNOWN))),
        Ipv4Addr::new(192, 168, 255, 1),
        "2001:db8::1".parse().unwrap(),
    );
    let mut x = Translator::new(cfg).unwrap();
    let host: Ipv6Addr = "2001:db8::5".parse().unwrap();
    let input = ipv6(
        host,
        "64:ff9b::808:808".parse().unwrap(),
        17,
        64,
        0,
        &udp(1, 2, &[]),
    );
    assert_eq!(
        run(&x, &input).0,
        Outcome::Dropped(DropReason::SourceUnmapped)
    );
    x.mapping_mut()
        .insert(host, Ipv4Addr::new(192, 168, 255, 5))
        .unwrap();
    let (o, p) = run(&x, &input);
    assert!(matches!(o, Outcome::Translated { count: 1, .. }), "{o:?}");
    assert_eq!(&p[0][12..16], &[192, 168, 255, 5]);
}

#[test]
fn configuration_is_checked() {
    let mut cfg = translator().config().clone();
    cfg.lowest_ipv6_mtu = 1200;
    assert_eq!(
        Translator::new(cfg).unwrap_err(),
        ConfigError::LowestIpv6Mtu(1200)
    );
    let mut cfg = translator().config().clone();
    cfg.ipv4_mtu = 60;
    assert_eq!(Translator::new(cfg).unwrap_err(), ConfigError::Ipv4Mtu(60));
}

#[test]
fn unknown_version_and_short_output_are_reported() {
    let x = translator();
    assert_eq!(
        x.translate(&[0x50; 40], &mut [0; 100]),
        Outcome::Dropped(DropReason::UnknownVersion)
    );
    assert_eq!(
        x.translate(&[], &mut [0; 100]),
        Outcome::Dropped(DropReason::UnknownVersion)
    );
    let input = ipv6(v6_of(A), v6_of(B), 17, 64, 0, &udp(1, 2, &[0; 100]));
    assert_eq!(
        x.translate(&input, &mut [0; 64]),
        Outcome::Dropped(DropReason::OutputTooSmall)
    );
}

#[test]
fn illegal_sources_and_igmp_are_dropped() {
    let x = translator();
    for src in [
        Ipv4Addr::new(127, 0, 0, 1),
        Ipv4Addr::new(0, 1, 2, 3),
        Ipv4Addr::new(224, 0, 0, 1),
    ] {
        let input = ipv4(src, B, 17, 64, false, &udp(1, 2, &[]));
        assert_eq!(
            run(&x, &input).0,
            Outcome::Dropped(DropReason::IllegalSource),
            "{src}"
        );
    }
    let igmp = [0x11, 0x64, 0xee, 0x9b, 0, 0, 0, 0];
    let input = ipv4(A, B, 2, 1, false, &igmp);
    assert_eq!(run(&x, &input).0, Outcome::Dropped(DropReason::Igmp));
}

/// An ICMPv4 error from `router` to `B` about a UDP packet `B` sent to `A`.
fn icmp4_error(ty: u8, code: u8, rest: [u8; 4], router: Ipv4Addr) -> Vec<u8> {
    let inner = ipv4(B, A, 17, 63, false, &udp(1, 2, &[0; 16]));
    let mut icmp = vec![ty, code, 0, 0];
    icmp.extend_from_slice(&rest);
    icmp.extend_from_slice(&inner);
    ipv4(router, B, 1, 64, false, &icmp)
}

#[test]
fn icmpv4_errors_map_to_the_rfc_7915_table() {
    let router = Ipv4Addr::new(203, 0, 113, 254);
    // (type, code, rest) -> (type, code, rest), RFC 7915 section 4.2.
    let cases = [
        ((3, 0, [0; 4]), (1, 0, [0; 4])),
        ((3, 2, [0; 4]), (4, 1, [0, 0, 0, 6])),
        ((3, 3, [0; 4]), (1, 4, [0; 4])),
        ((3, 13, [0; 4]), (1, 1, [0; 4])),
        ((11, 1, [0; 4]), (3, 1, [0; 4])),
        // Parameter Problem pointing at Protocol points at Next Header.
        ((12, 0, [9, 0, 0, 0]), (4, 0, [0, 0, 0, 6])),
        ((12, 0, [16, 0, 0, 0]), (4, 0, [0, 0, 0, 24])),
    ];
    for ((ty, code, rest), (ty6, code6, rest6)) in cases {
        let (o, p) = run(&translator(), &icmp4_error(ty, code, rest, router));
        assert!(
            matches!(o, Outcome::Translated { count: 1, .. }),
            "{ty}/{code}: {o:?}"
        );
        check_v6(&p[0]).unwrap();
        assert_eq!(&p[0][40..42], &[ty6, code6], "{ty}/{code}");
        assert_eq!(&p[0][44..48], &rest6, "{ty}/{code}");
        // The inner packet is IPv6 now, with its hop limit untouched.
        assert_eq!((p[0][48] >> 4, p[0][48 + 7]), (6, 63));
    }
    for (ty, code) in [(3, 14), (4, 0), (5, 0), (12, 1), (13, 0)] {
        let (o, _) = run(&translator(), &icmp4_error(ty, code, [0; 4], router));
        assert_eq!(
            o,
            Outcome::Dropped(DropReason::IcmpUntranslatable),
            "{ty}/{code}"
        );
    }
}

#[test]
fn icmpv6_errors_from_unmapped_routers_use_the_rfc_6791_pool() {
    let mut cfg = translator().config().clone();
    cfg.rfc6791_v4 = Some("192.0.2.240/28".parse().unwrap());
    let x = Translator::new(cfg).unwrap();
    let inner = ipv6(v6_of(B), v6_of(A), 17, 63, 0, &udp(1, 2, &[0; 16]));
    let mut icmp = vec![3, 0, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(&inner);
    let router: Ipv6Addr = "2001:db8:ffff::1".parse().unwrap();
    let (o, p) = run(&x, &ipv6(router, v6_of(B), 58, 64, 0, &icmp));
    assert!(matches!(o, Outcome::Translated { count: 1, .. }), "{o:?}");
    check_v4(&p[0]).unwrap();
    assert_eq!(&p[0][12..15], &[192, 0, 2]);
    assert!(p[0][15] >= 240, "inside the pool");
    assert_eq!(&p[0][20..22], &[11, 0], "Time Exceeded");
    // The same router, not mapped, sending anything else is dropped.
    let (o, _) = run(&x, &ipv6(router, v6_of(B), 17, 64, 0, &udp(1, 2, &[])));
    assert_eq!(o, Outcome::Dropped(DropReason::SourceUnmapped));
}

#[test]
fn own_errors_can_be_turned_off() {
    let mut cfg = translator().config().clone();
    cfg.send_icmp_errors = false;
    let x = Translator::new(cfg).unwrap();
    let input = ipv4(A, B, 17, 1, true, &udp(1, 2, &[0; 16]));
    assert_eq!(
        run(&x, &input).0,
        Outcome::Dropped(DropReason::HopLimitExceeded)
    );
}
