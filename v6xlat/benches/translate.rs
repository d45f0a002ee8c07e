//! Packets per second for the common cases, both ways.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use common::*;

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let a = Ipv4Addr::new(198, 51, 100, 7);
    let b = Ipv4Addr::new(203, 0, 113, 9);
    let (a6, b6) = (v6_of(a), v6_of(b));
    let small = [0x5au8; 64];
    let large = [0xa5u8; 1400];
    vec![
        (
            "6to4/udp64",
            ipv6(a6, b6, 17, 64, 0, &udp(4000, 53, &small)),
        ),
        (
            "6to4/udp1400",
            ipv6(a6, b6, 17, 64, 0, &udp(4000, 53, &large)),
        ),
        (
            "6to4/tcp64",
            ipv6(a6, b6, 6, 64, 0, &tcp(4000, 443, 1, &small)),
        ),
        (
            "6to4/echo64",
            ipv6(a6, b6, 58, 64, 0, &echo(128, 7, 1, &small)),
        ),
        (
            "4to6/udp64",
            ipv4(a, b, 17, 64, true, &udp(4000, 53, &small)),
        ),
        (
            "4to6/udp1400",
            ipv4(a, b, 17, 64, true, &udp(4000, 53, &large)),
        ),
        (
            "4to6/tcp64",
            ipv4(a, b, 6, 64, true, &tcp(4000, 443, 1, &small)),
        ),
        (
            "4to6/echo64",
            ipv4(a, b, 1, 64, true, &echo(8, 7, 1, &small)),
        ),
    ]
}

fn translate(c: &mut Criterion) {
    let x = translator();
    let mut out = vec![0u8; 4096];
    let mut group = c.benchmark_group("translate");
    group.throughput(Throughput::Elements(1));
    for (name, packet) in cases() {
        group.bench_function(name, |bench| {
            bench.iter(|| x.translate(black_box(&packet), black_box(&mut out)))
        });
    }
    group.finish();
}

criterion_group!(benches, translate);
criterion_main!(benches);
