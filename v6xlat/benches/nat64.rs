//! Stateful NAT64: packets of an established session both ways, and the
//! creation of new sessions (a BIB entry, a pool4 port and a session each).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};

use common::stateful::*;
use common::*;

/// Packets of one established session of each protocol, both ways, in a
/// table that also holds 10,000 other sessions.
fn established(c: &mut Criterion) {
    let mut n = nat64("198.51.100.1/32");
    let mut out = vec![0u8; 4096];
    let now = Duration::from_secs(1);
    for i in 0..10_000 {
        let p = ipv6(
            host(1000 + i),
            in_prefix(SERVER),
            17,
            64,
            0,
            &udp(5000, 53, b"x"),
        );
        translated(n.translate(&p, &mut out, now));
    }
    let e = Established::open(&mut n, &[0x5a; 64], now);
    let mut group = c.benchmark_group("nat64/established");
    group.throughput(Throughput::Elements(1));
    for (name, packet) in [
        ("6to4/udp64", &e.udp6),
        ("4to6/udp64", &e.udp4),
        ("6to4/tcp64", &e.tcp6),
        ("4to6/tcp64", &e.tcp4),
        ("6to4/echo64", &e.ping),
        ("4to6/echo64", &e.pong),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(n.translate(black_box(packet), &mut out, now)))
        });
    }
    group.finish();
}

/// A new UDP flow from a new host each time: pool4 port allocation, a BIB
/// entry and a session. The table is started afresh every 100,000 flows,
/// outside the timed part.
fn new_sessions(c: &mut Criterion) {
    let mut out = vec![0u8; 4096];
    let mut packet = ipv6(
        host(0),
        in_prefix(SERVER),
        17,
        64,
        0,
        &udp(5000, 53, &[0; 64]),
    );
    let mut group = c.benchmark_group("nat64/new_session");
    group.throughput(Throughput::Elements(1));
    group.bench_function("udp", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let chunk = (iters - done).min(100_000);
                let mut n = nat64("198.51.100.0/30");
                let start = Instant::now();
                for i in 0..chunk {
                    packet[8..24].copy_from_slice(&host(i as u32).octets());
                    let _ = black_box(n.translate(&packet, &mut out, Duration::from_secs(1)));
                }
                total += start.elapsed();
                done += chunk;
            }
            total
        })
    });
    group.finish();
}

/// This thread's CPU time (user and system) from `/proc/thread-self/stat`,
/// in clock ticks of 10 ms (Linux's USER_HZ).
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// CPU time per packet, which the other programs on a loaded machine
/// change much less than the wall-clock time criterion measures: the
/// stateless translator and the established and new-session paths of
/// NAT64, side by side, 2,000,000 packets each.
fn cpu_time_per_packet() {
    const N: u64 = 2_000_000;
    let measure = |name: &str, f: &mut dyn FnMut(u64)| {
        let Some(start) = cpu_ticks() else {
            return;
        };
        for i in 0..N {
            f(i);
        }
        let ticks = cpu_ticks().unwrap_or(start) - start;
        let ns = ticks as f64 * 10e6 / N as f64;
        println!("cpu time per packet: {name:<28} {ns:6.0} ns");
    };
    let mut out = vec![0u8; 4096];
    let small = [0x5au8; 64];
    let a = Ipv4Addr::new(198, 51, 100, 7);
    let stateless = translator();
    let siit = ipv6(v6_of(a), v6_of(SERVER), 17, 64, 0, &udp(4000, 53, &small));
    measure("stateless 6to4/udp64", &mut |_| {
        let _ = black_box(stateless.translate(black_box(&siit), &mut out));
    });
    let mut n = nat64("198.51.100.1/32");
    let now = Duration::from_secs(1);
    let Established { udp6, udp4, .. } = Established::open(&mut n, &small, now);
    measure("nat64 established 6to4/udp64", &mut |_| {
        let _ = black_box(n.translate(black_box(&udp6), &mut out, now));
    });
    measure("nat64 established 4to6/udp64", &mut |_| {
        let _ = black_box(n.translate(black_box(&udp4), &mut out, now));
    });
    let mut packet = udp6.clone();
    let mut fresh = nat64("198.51.100.0/26");
    measure("nat64 new session udp", &mut |i| {
        if i % 100_000 == 99_999 {
            fresh = nat64("198.51.100.0/26");
        }
        packet[8..24].copy_from_slice(&host(i as u32).octets());
        let _ = black_box(fresh.translate(&packet, &mut out, now));
    });
}

criterion_group!(benches, established, new_sessions);

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    cpu_time_per_packet();
}
