//! Property tests: translated packets are well formed, a round trip keeps
//! what it must, and no input makes the translator panic.

mod common;

use std::net::Ipv4Addr;

use proptest::prelude::*;
use v6xlat::Outcome;

use common::*;

/// A transport segment: protocol number and bytes (checksum still zero).
fn segment(v6: bool) -> impl Strategy<Value = (u8, Vec<u8>)> {
    let payload = prop::collection::vec(any::<u8>(), 0..1400);
    (0..3u8, any::<u16>(), any::<u16>(), any::<u32>(), payload).prop_map(
        move |(kind, a, b, seq, payload)| match kind {
            0 => (17, udp(a, b, &payload)),
            1 => (6, tcp(a, b, seq, &payload)),
            _ if v6 => (58, echo(128, a, b, &payload)),
            _ => (1, echo(8, a, b, &payload)),
        },
    )
}

/// Source and destination ports, or echo identifier and sequence number.
fn ids(proto: u8, l4: &[u8]) -> [u8; 4] {
    let at = if matches!(proto, 1 | 58) { 4 } else { 0 };
    [l4[at], l4[at + 1], l4[at + 2], l4[at + 3]]
}

/// The bytes after the transport header.
fn data(proto: u8, l4: &[u8]) -> &[u8] {
    &l4[if proto == 6 { 20 } else { 8 }..]
}

/// A unicast IPv4 address that a router forwards from (RFC 1812 section
/// 5.3.7: not 0/8, 127/8, multicast or 240/4).
fn addr() -> impl Strategy<Value = Ipv4Addr> {
    (
        (1u8..=223).prop_filter("loopback", |o| *o != 127),
        any::<[u8; 3]>(),
    )
        .prop_map(|(a, [b, c, d])| Ipv4Addr::new(a, b, c, d))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// IPv6 → IPv4 → IPv6 keeps addresses, ports and payload, and every
    /// packet on the way has consistent lengths and valid checksums.
    #[test]
    fn round_trip_6_4_6(src in addr(), dst in addr(), (proto, l4) in segment(true),
                        hop in 3u8.., tc in any::<u8>()) {
        let x = translator();
        let input = ipv6(v6_of(src), v6_of(dst), proto, hop, tc, &l4);
        let mut out4 = vec![0u8; 4096];
        let o = x.translate(&input, &mut out4);
        let Outcome::Translated { len, count: 1 } = o else { panic!("{o:?}") };
        let p4 = &out4[..len];
        check_v4(p4).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&p4[12..16], &src.octets());
        prop_assert_eq!(&p4[16..20], &dst.octets());
        prop_assert_eq!(p4[1], tc);
        prop_assert_eq!(p4[8], hop - 1);
        // DF above 1260 bytes only (RFC 7915 section 5.1).
        prop_assert_eq!(p4[6] & 0x40 != 0, len > 1260);

        let mut out6 = vec![0u8; 4096];
        let o = x.translate(p4, &mut out6);
        let Outcome::Translated { len, count: 1 } = o else { panic!("{o:?}") };
        let p6 = &out6[..len];
        check_v6(p6).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&p6[8..40], &input[8..40]);
        prop_assert_eq!(p6[6], proto);
        prop_assert_eq!(p6[7], hop - 2);
        prop_assert_eq!(ids(proto, &p6[40..]), ids(proto, &l4));
        prop_assert_eq!(data(proto, &p6[40..]), data(proto, &l4));
        // The checksum comes back to what it was.
        prop_assert_eq!(&p6[40..], &input[40..]);
    }

    /// IPv4 → IPv6 gives valid packets; without DF a packet longer than
    /// lowest-ipv6-mtu is fragmented, and the fragments add up.
    #[test]
    fn ipv4_to_ipv6_is_well_formed(src in addr(), dst in addr(), (proto, l4) in segment(false),
                                  ttl in 2u8.., df in any::<bool>()) {
        let x = translator();
        let input = ipv4(src, dst, proto, ttl, df, &l4);
        let mut out = vec![0u8; 8192];
        let o = x.translate(&input, &mut out);
        let Outcome::Translated { len, count } = o else { panic!("{o:?}") };
        let mut payload = Vec::new();
        for p in o.packets(&out) {
            check_v6(p).map_err(TestCaseError::fail)?;
            let limit = if df { 1500 } else { 1280 };
            prop_assert!(p.len() <= limit);
            prop_assert_eq!(&p[8..24], &v6_of(src).octets());
            prop_assert_eq!(&p[24..40], &v6_of(dst).octets());
            prop_assert_eq!(p[7], ttl - 1);
            if p[6] == 44 {
                let offset = usize::from(u16::from_be_bytes([p[42], p[43]]) >> 3) * 8;
                prop_assert_eq!(offset, payload.len());
                prop_assert_eq!(&p[44..48], &[0, 0, 0x12, 0x34]);
                payload.extend_from_slice(&p[48..]);
            } else {
                payload.extend_from_slice(&p[40..]);
            }
        }
        prop_assert_eq!(count > 1, !df && input.len() + 20 > 1280);
        prop_assert_eq!(out[..len].len(), len);
        prop_assert_eq!(payload.len(), l4.len());
        prop_assert_eq!(data(proto, &payload), data(proto, &l4));
        if count > 1 {
            // Reassembled, the datagram's checksum verifies.
            let proto6 = if proto == 1 { 58 } else { proto };
            let mut whole = ipv6(v6_of(src), v6_of(dst), proto6, 1, 0, &payload);
            // With the checksum the translator wrote, not a recomputed one.
            whole[40..].copy_from_slice(&payload);
            check_v6(&whole).map_err(TestCaseError::fail)?;
        }
    }

    /// Arbitrary bytes after a version nibble never make it panic, and
    /// whatever it writes is inside the buffer.
    #[test]
    fn never_panics_on_garbage(version in prop::sample::select(vec![0x45u8, 0x46, 0x4f, 0x60, 0x6f]),
                               rest in prop::collection::vec(any::<u8>(), 0..200)) {
        let x = translator();
        let mut input = vec![version];
        input.extend_from_slice(&rest);
        let mut out = vec![0u8; 2048];
        let o = x.translate(&input, &mut out);
        for p in o.packets(&out) {
            prop_assert!(!p.is_empty());
        }
    }

    /// A valid packet with some bytes overwritten never makes it panic, and
    /// any packet it produces is well formed.
    #[test]
    fn never_panics_on_mutated_packets(src in addr(), dst in addr(), (proto, l4) in segment(true),
                                      v4 in any::<bool>(),
                                      edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let x = translator();
        let mut input = if v4 {
            ipv4(src, dst, if proto == 58 { 1 } else { proto }, 64, false, &l4)
        } else {
            ipv6(v6_of(src), v6_of(dst), proto, 64, 0, &l4)
        };
        for (at, b) in edits {
            let i = at.index(input.len());
            input[i] = b;
        }
        let mut out = vec![0u8; 8192];
        let o = x.translate(&input, &mut out);
        if let Outcome::Translated { len, count } = o {
            prop_assert!(len <= out.len());
            prop_assert_eq!(o.packets(&out).count(), count);
        }
    }
}
