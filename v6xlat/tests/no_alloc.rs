//! The translator allocates nothing per packet (DESIGN.md rule 3): every
//! kind of translation runs under a counting global allocator.
//!
//! The test runs without the libtest harness (`harness = false` in
//! Cargo.toml): the harness's own threads allocate at moments of their
//! choosing, and the allocator counts every thread.

mod common;

use std::alloc::System;
use std::net::{Ipv4Addr, Ipv6Addr};

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use v6xlat::mapping::{DynamicMap, Eamt, EamtThenPrefix, Mapping, Rfc6052};
use v6xlat::{Config, Outcome, Translator};

use common::*;

/// A translator of one mapping type, behind one signature.
type Translate<'a> = &'a dyn Fn(&[u8], &mut [u8]) -> Outcome;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn icmp_error(ty: u8, code: u8, inner: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(inner);
    m
}

/// Packets that exercise every path: plain translation both ways,
/// fragmentation, ICMP errors with their inner packet, and errors the
/// translator sends itself.
fn packets() -> Vec<(&'static str, Vec<u8>)> {
    let a = Ipv4Addr::new(198, 51, 100, 7);
    let b = Ipv4Addr::new(203, 0, 113, 9);
    let router = Ipv4Addr::new(192, 0, 2, 254);
    let (a6, b6) = (v6_of(a), v6_of(b));
    let router6: Ipv6Addr = "2001:db8:ffff::1".parse().unwrap();
    let payload = [7u8; 64];
    let big = [9u8; 1400];
    let inner4 = ipv4(b, a, 17, 63, false, &udp(53, 4000, &payload));
    let inner6 = ipv6(a6, b6, 17, 63, 0, &udp(4000, 53, &payload));
    vec![
        ("6to4 udp", ipv6(a6, b6, 17, 64, 0, &udp(1, 2, &payload))),
        ("6to4 tcp", ipv6(a6, b6, 6, 64, 0, &tcp(1, 2, 3, &payload))),
        (
            "6to4 echo",
            ipv6(a6, b6, 58, 64, 0, &echo(128, 1, 2, &payload)),
        ),
        ("4to6 udp", ipv4(a, b, 17, 64, true, &udp(1, 2, &payload))),
        ("4to6 tcp", ipv4(a, b, 6, 64, true, &tcp(1, 2, 3, &payload))),
        (
            "4to6 echo",
            ipv4(a, b, 1, 64, true, &echo(8, 1, 2, &payload)),
        ),
        (
            "4to6 fragmented",
            ipv4(a, b, 17, 64, false, &udp(1, 2, &big)),
        ),
        (
            "4to6 icmp error",
            ipv4(router, b, 1, 64, false, &icmp_error(3, 1, &inner4)),
        ),
        (
            "6to4 icmp error",
            ipv6(router6, b6, 58, 64, 0, &icmp_error(1, 0, &inner6)),
        ),
        (
            "4to6 ttl expired",
            ipv4(a, b, 17, 1, true, &udp(1, 2, &payload)),
        ),
        (
            "6to4 hop limit expired",
            ipv6(a6, b6, 17, 1, 0, &udp(1, 2, &payload)),
        ),
        (
            "4to6 too big",
            ipv4(a, b, 17, 64, true, &udp(1, 2, &[0; 1470])),
        ),
        ("garbage", vec![0x45, 1, 2, 3]),
    ]
}

fn hairpin_translator() -> Translator<EamtThenPrefix> {
    let mut eamt = Eamt::new();
    eamt.add(
        "1.0.0.0/24".parse().unwrap(),
        "2001:db8:3::/120".parse().unwrap(),
    )
    .unwrap();
    let prefix = Rfc6052::new("2001:db8:100::/40".parse().unwrap());
    let cfg = Config::new(
        EamtThenPrefix::new(eamt, Some(prefix)),
        Ipv4Addr::new(192, 0, 2, 1),
        "2001:db8::1".parse().unwrap(),
    );
    Translator::new(cfg).unwrap()
}

fn dynamic_translator() -> Translator<DynamicMap> {
    let mut map = DynamicMap::new(Some(Rfc6052::new("64:ff9b::/96".parse().unwrap())));
    map.insert(
        "2001:db8::5".parse().unwrap(),
        Ipv4Addr::new(192, 168, 255, 5),
    )
    .unwrap();
    let cfg = Config::new(
        map,
        Ipv4Addr::new(192, 168, 255, 1),
        "2001:db8::1".parse().unwrap(),
    );
    Translator::new(cfg).unwrap()
}

fn main() {
    translation_does_not_allocate();
    println!("no_alloc: 1 passed, 0 failed");
}

fn translation_does_not_allocate() {
    let plain = translator();
    let hairpin = hairpin_translator();
    let dynamic = dynamic_translator();
    let mut cases: Vec<(&str, Vec<u8>, Translate<'_>)> = Vec::new();
    let plain_fn = |i: &[u8], o: &mut [u8]| plain.translate(i, o);
    let hairpin_fn = |i: &[u8], o: &mut [u8]| hairpin.translate(i, o);
    let dynamic_fn = |i: &[u8], o: &mut [u8]| dynamic.translate(i, o);
    for (name, p) in packets() {
        cases.push((name, p, &plain_fn));
    }
    let from: Ipv6Addr = "2001:db8:3::8".parse().unwrap();
    let to: Ipv6Addr = "2001:db8:101:0:9::".parse().unwrap();
    cases.push((
        "hairpin",
        ipv6(from, to, 17, 64, 0, &udp(1, 2, &[0; 32])),
        &hairpin_fn,
    ));
    let host: Ipv6Addr = "2001:db8::5".parse().unwrap();
    let remote = dynamic
        .config()
        .mapping
        .v4_to_v6(Ipv4Addr::new(8, 8, 8, 8))
        .unwrap();
    cases.push((
        "dynamic",
        ipv6(host, remote, 17, 64, 0, &udp(1, 2, &[0; 32])),
        &dynamic_fn,
    ));

    let mut out = vec![0u8; v6xlat::buffer_len(1500)];
    // Every case must do real work, or the test proves nothing.
    for (name, input, f) in &cases {
        let o = f(input, &mut out);
        let expected_drop = *name == "garbage";
        assert_eq!(
            matches!(o, Outcome::Dropped(_)),
            expected_drop,
            "{name}: {o:?}"
        );
    }

    let region = Region::new(GLOBAL);
    for _ in 0..100 {
        for (_, input, f) in &cases {
            std::hint::black_box(f(input, &mut out).reason());
        }
    }
    let change = region.change();
    assert_eq!(
        (change.allocations, change.reallocations),
        (0, 0),
        "{change:?}"
    );
}
