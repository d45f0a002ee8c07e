//! Property tests of stateful NAT64: a session translates both ways back
//! to what was sent, new bindings keep the port's parity and range, the
//! limits hold, the fragments of a datagram get through in any order, and
//! no input panics it.

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use proptest::prelude::*;
use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Nat64, Nat64Config, Pool4};
use v6xlat::{Config, Outcome};

use common::{
    check_v4, check_v6, echo, fragment_v4, fragment_v6, ipv4, ipv6, reassemble_v4, reassemble_v6,
    tcp, udp,
};

const POOL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

fn nat(ports: core::ops::RangeInclusive<u16>, max: usize, per_host: usize) -> Nat64 {
    let mut pool4 = Pool4::new();
    pool4
        .add(None, "198.51.100.1/32".parse().unwrap(), ports)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    cfg.max_sessions = max;
    cfg.max_sessions_per_host = per_host;
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let xlat = Config::new(prefix, POOL, "2001:db8::1".parse().unwrap());
    Nat64::new(xlat, cfg).unwrap()
}

fn in_prefix(v4: Ipv4Addr) -> Ipv6Addr {
    let b = v4.to_bits();
    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, (b >> 16) as u16, b as u16)
}

/// A unicast IPv4 address that may send (RFC 1812 section 5.3.7) and is
/// not the pool's.
fn remote() -> impl Strategy<Value = Ipv4Addr> {
    (0x0100_0000u32..0xe000_0000)
        .prop_map(Ipv4Addr::from_bits)
        .prop_filter("loopback or the pool", |a| {
            a.octets()[0] != 127 && *a != POOL
        })
}

fn port(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// The transport segment of `kind` (0 UDP, 1 TCP, 2 echo) from `a` to `b`.
fn segment(kind: u8, v6: bool, reply: bool, a: u16, b: u16, payload: &[u8]) -> (u8, Vec<u8>) {
    match kind {
        0 => (17, udp(a, b, payload)),
        1 => {
            let mut t = tcp(a, b, 1, payload);
            t[13] = if reply { 0x12 } else { 0x02 };
            (6, t)
        }
        _ => {
            let ty = match (v6, reply) {
                (true, false) => 128,
                (true, true) => 129,
                (false, false) => 8,
                (false, true) => 0,
            };
            (if v6 { 58 } else { 1 }, echo(ty, a, 7, payload))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// 6→4 then the answer 4→6: the host gets its own addresses and ports
    /// back, the payload is untouched and every checksum verifies.
    #[test]
    fn a_session_round_trips(
        host in 1u16..0xffff,
        sport in 1u16..,
        dst in remote(),
        dport in 1u16..,
        kind in 0u8..3,
        payload in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut n = nat(1..=65535, 100, 100);
        let h = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, host);
        let (proto, l4) = segment(kind, true, false, sport, dport, &payload);
        let p6 = ipv6(h, in_prefix(dst), proto, 64, 0, &l4);
        let mut out = vec![0u8; v6xlat::buffer_len(p6.len())];
        let o = n.translate(&p6, &mut out, Duration::from_secs(1));
        let Outcome::Translated { len, count: 1 } = o else {
            return Err(TestCaseError::fail(format!("{o:?}")));
        };
        let p4 = out[..len].to_vec();
        check_v4(&p4).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&p4[12..16], &POOL.octets());
        prop_assert_eq!(&p4[16..20], &dst.octets());
        let at = if kind == 2 { 4 } else { 0 };
        let mapped = port(&p4, 20 + at);
        if kind != 2 {
            // Parity and range kept in a pool with room.
            prop_assert_eq!(mapped % 2, sport % 2);
            prop_assert_eq!(mapped < 1024, sport < 1024);
            prop_assert_eq!(port(&p4, 22), dport);
        }
        let data = if kind == 1 { 40 } else { 28 };
        prop_assert_eq!(&p4[data..], &p6[40 + data - 20..]);

        let (proto, l4) = if kind == 2 {
            segment(2, false, true, mapped, 0, &payload)
        } else {
            segment(kind, false, true, dport, mapped, &payload)
        };
        let back = ipv4(dst, POOL, proto, 64, false, &l4);
        let o = n.translate(&back, &mut out, Duration::from_secs(2));
        let Outcome::Translated { len, count: 1 } = o else {
            return Err(TestCaseError::fail(format!("{o:?}")));
        };
        let p = &out[..len];
        check_v6(p).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&p[8..24], &in_prefix(dst).octets());
        prop_assert_eq!(&p[24..40], &h.octets());
        if kind == 2 {
            prop_assert_eq!(port(p, 44), sport);
        } else {
            prop_assert_eq!((port(p, 40), port(p, 42)), (dport, sport));
        }
        prop_assert_eq!(&p[40 + data - 20..], &back[data..]);
    }

    /// However flows arrive, the table keeps to its limits, and a flow is
    /// refused only when a limit is reached.
    #[test]
    fn limits_hold(flows in prop::collection::vec((0u16..6, 1000u16..1010, 0u8..3), 1..80)) {
        let (max, per_host) = (10, 3);
        let mut n = nat(1024..=1100, max, per_host);
        let mut out = vec![0u8; 2000];
        for (i, (host, sport, kind)) in flows.into_iter().enumerate() {
            let h = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, host + 1);
            let dst = Ipv4Addr::new(203, 0, 113, 1 + (i % 3) as u8);
            let (proto, l4) = segment(kind, true, false, sport, 80, b"x");
            let p6 = ipv6(h, in_prefix(dst), proto, 64, 0, &l4);
            let before = n.stats().sessions.iter().sum::<usize>();
            let o = n.translate(&p6, &mut out, Duration::from_millis(i as u64));
            let mut per: HashMap<Ipv6Addr, usize> = HashMap::new();
            for s in n.sessions() {
                *per.entry(*s.v6.ip()).or_default() += 1;
            }
            let total: usize = per.values().sum();
            prop_assert!(total <= max);
            prop_assert!(per.values().all(|&c| c <= per_host));
            if o.reason().is_some() {
                prop_assert!(
                    before == max || per.get(&h).copied().unwrap_or(0) == per_host,
                    "{:?} refused with room", o
                );
            }
        }
    }

    /// The four fragments of a UDP datagram, either way, in any order:
    /// with what `poll_icmp` gives after each packet, as a daemon writes
    /// it, every fragment gets through once, and the datagram they make
    /// has the session's addresses and ports and a checksum that verifies.
    #[test]
    fn fragments_get_through_in_any_order(
        blocks in 4usize..40,
        seed in any::<u8>(),
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        from_v6 in any::<bool>(),
    ) {
        let mut n = nat(1..=65535, 100, 100);
        let h = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5);
        let server = Ipv4Addr::new(203, 0, 113, 80);
        let payload: Vec<u8> = (0..blocks * 8 - 8).map(|i| seed ^ i as u8).collect();
        let mut out = vec![0u8; v6xlat::buffer_len(400)];
        let now = Duration::from_secs(1);
        // A session the IPv4 side can answer to.
        let o = n.translate(&ipv6(h, in_prefix(server), 17, 64, 0, &udp(5000, 53, b"q")), &mut out, now);
        let Outcome::Translated { len, .. } = o else {
            return Err(TestCaseError::fail(format!("{o:?}")));
        };
        let mapped = port(&out[..len], 20);
        let datagram = if from_v6 {
            ipv6(h, in_prefix(server), 17, 64, 0, &udp(5000, 53, &payload))
        } else {
            ipv4(server, POOL, 17, 64, false, &udp(53, mapped, &payload))
        };
        let seg = &datagram[if from_v6 { 40 } else { 20 }..];
        let cuts = [0, blocks / 4 * 8, blocks / 2 * 8, blocks * 3 / 4 * 8, blocks * 8];
        let mut got = Vec::new();
        for i in order {
            let (at, data, more) = (cuts[i] as u16, &seg[cuts[i]..cuts[i + 1]], i < 3);
            let p = if from_v6 {
                fragment_v6(h, in_prefix(server), 17, 0x1234_5678, at, more, data)
            } else {
                fragment_v4(server, POOL, 17, 0x4321, at, more, data)
            };
            let o = n.translate(&p, &mut out, now);
            got.extend(o.packets(&out).map(<[u8]>::to_vec));
            while let Some(o) = n.poll_icmp(&mut out) {
                got.extend(o.packets(&out).map(<[u8]>::to_vec));
            }
        }
        prop_assert_eq!(got.len(), 4);
        prop_assert_eq!(n.stats().queued_fragments, 0);
        if from_v6 {
            let p = reassemble_v4(&got);
            check_v4(&p).map_err(TestCaseError::fail)?;
            prop_assert_eq!(&p[12..16], &POOL.octets());
            prop_assert_eq!(&p[16..20], &server.octets());
            prop_assert_eq!((port(&p, 20), port(&p, 22)), (mapped, 53));
            prop_assert_eq!(&p[28..], &payload[..]);
        } else {
            let p = reassemble_v6(&got);
            check_v6(&p).map_err(TestCaseError::fail)?;
            prop_assert_eq!(&p[8..24], &in_prefix(server).octets());
            prop_assert_eq!(&p[24..40], &h.octets());
            prop_assert_eq!((port(&p, 40), port(&p, 42)), (53, 5000));
            prop_assert_eq!(&p[48..], &payload[..]);
        }
    }

    /// Nothing that arrives, in any order and at any time, panics it.
    #[test]
    fn no_input_panics(
        packets in prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..200), 0u64..1_000_000, any::<bool>()),
            1..20,
        ),
    ) {
        let mut n = nat(1..=65535, 1000, 1000);
        let mut out = vec![0u8; v6xlat::buffer_len(200)];
        let mut now = 0;
        for (mut bytes, step, v6) in packets {
            if let Some(b) = bytes.first_mut() {
                *b = (*b & 0x0f) | if v6 { 0x60 } else { 0x40 };
            }
            now += step;
            let _ = n.translate(&bytes, &mut out, Duration::from_millis(now));
            n.expire(Duration::from_millis(now));
            while n.poll_icmp(&mut out).is_some() {}
        }
    }
}
