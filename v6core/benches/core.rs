//! Benchmarks of the address math the `v6` command and the daemons call in
//! loops: walking a split, jumping into it, RFC 6052 embedding, classifying,
//! reverse names and aggregation.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv6Net};
use v6core::Pref64;
use v6core::class::classify;
use v6core::prefix::{aggregate, parse_prefix, subnets};
use v6core::reverse::ptr_name;

fn split(c: &mut Criterion) {
    let prefix = parse_prefix("2001:db8:100::/60").unwrap();
    c.bench_function("split /60 into /80, first 65536", |b| {
        b.iter(|| {
            subnets(black_box(prefix), 80)
                .unwrap()
                .take(65536)
                .fold(0u8, |acc, s| acc ^ s.prefix_len())
        })
    });
    let all = parse_prefix("::/0").unwrap();
    c.bench_function("nth of ::/0 split into /128", |b| {
        b.iter(|| {
            subnets(black_box(all), 128)
                .unwrap()
                .nth(black_box(usize::MAX / 3))
        })
    });
}

fn pref64(c: &mut Criterion) {
    let wkp = Pref64::WELL_KNOWN;
    let nsp: Pref64 = "2001:db8:100::/40".parse().unwrap();
    let v4 = Ipv4Addr::new(192, 0, 2, 33);
    let embedded = nsp.embed(v4);
    c.bench_function("Pref64::embed /96", |b| {
        b.iter(|| black_box(wkp).embed(black_box(v4)))
    });
    c.bench_function("Pref64::embed /40", |b| {
        b.iter(|| black_box(nsp).embed(black_box(v4)))
    });
    c.bench_function("Pref64::extract /40", |b| {
        b.iter(|| black_box(nsp).extract(black_box(embedded)))
    });
}

fn classification(c: &mut Criterion) {
    let addrs: Vec<IpAddr> = [
        "2001:db8::1",
        "fe80::1",
        "ff02::1",
        "2a00:1450:4001::1",
        "192.168.1.1",
        "8.8.8.8",
        "192.0.0.170",
        "64:ff9b::c000:221",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    c.bench_function("classify 8 addresses", |b| {
        b.iter(|| {
            addrs
                .iter()
                .map(|a| classify(black_box(*a)).block.prefix_len())
                .sum::<u8>()
        })
    });
}

fn reverse(c: &mut Criterion) {
    let v6: IpAddr = "2001:db8::5054:ff:fed6:c2a9".parse().unwrap();
    let v4: IpAddr = "192.0.2.33".parse().unwrap();
    c.bench_function("ptr_name IPv6", |b| b.iter(|| ptr_name(black_box(v6))));
    c.bench_function("ptr_name IPv4", |b| b.iter(|| ptr_name(black_box(v4))));
}

fn aggregation(c: &mut Criterion) {
    // 1000 /64s out of a /52 (4096 /64s), in a scrambled order, so that
    // some merge and some do not.
    let base = u128::from("2001:db8:0:f000::".parse::<Ipv6Addr>().unwrap());
    let prefixes: Vec<IpNet> = (0u128..1000)
        .map(|i| {
            let n = (i * 2654435761) % 4096;
            IpNet::V6(Ipv6Net::new_assert(Ipv6Addr::from(base | (n << 64)), 64))
        })
        .collect();
    c.bench_function("aggregate 1000 prefixes", |b| {
        b.iter(|| aggregate(black_box(&prefixes)))
    });
}

criterion_group!(benches, split, pref64, classification, reverse, aggregation);
criterion_main!(benches);
