//! Stateful NAT64: packets of an established session both ways, and the
//! creation of new sessions (a BIB entry, a pool4 port and a session each).

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Nat64, Nat64Config, Pool4};
use v6xlat::{Config, Outcome};

use common::*;

const POOL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);

fn in_prefix(v4: Ipv4Addr) -> Ipv6Addr {
    let b = v4.to_bits();
    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, (b >> 16) as u16, b as u16)
}

fn host(n: u32) -> Ipv6Addr {
    Ipv6Addr::from_bits(0x2001_0db8_0000_0000_0000_0000_0000_0000 | u128::from(n))
}

fn nat64(pool: &str) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let xlat = Config::new(prefix, POOL, "2001:db8::1".parse().unwrap());
    let mut pool4 = Pool4::new();
    pool4
        .add(None, pool.parse().unwrap(), 1024..=65535)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    Nat64::new(xlat, cfg).unwrap()
}

fn len(o: Outcome) -> usize {
    match o {
        Outcome::Translated { len, .. } => len,
        o => panic!("{o:?}"),
    }
}

fn port(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

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
        len(n.translate(&p, &mut out, now));
    }
    let small = [0x5au8; 64];
    let udp6 = ipv6(
        host(5),
        in_prefix(SERVER),
        17,
        64,
        0,
        &udp(4000, 53, &small),
    );
    let l = len(n.translate(&udp6, &mut out, now));
    let udp4 = ipv4(
        SERVER,
        POOL,
        17,
        64,
        false,
        &udp(53, port(&out[..l], 20), &small),
    );
    let mut syn = tcp(4001, 443, 1, b"");
    syn[13] = 0x02;
    let syn = ipv6(host(5), in_prefix(SERVER), 6, 64, 0, &syn);
    let l = len(n.translate(&syn, &mut out, now));
    let t4 = port(&out[..l], 20);
    let mut syn_ack = tcp(443, t4, 1, b"");
    syn_ack[13] = 0x12;
    len(n.translate(&ipv4(SERVER, POOL, 6, 64, false, &syn_ack), &mut out, now));
    let tcp6 = ipv6(
        host(5),
        in_prefix(SERVER),
        6,
        64,
        0,
        &tcp(4001, 443, 2, &small),
    );
    let tcp4 = ipv4(SERVER, POOL, 6, 64, false, &tcp(443, t4, 2, &small));
    let ping = ipv6(
        host(5),
        in_prefix(SERVER),
        58,
        64,
        0,
        &echo(128, 7, 1, &small),
    );
    let l = len(n.translate(&ping, &mut out, now));
    let pong = ipv4(
        SERVER,
        POOL,
        1,
        64,
        false,
        &echo(0, port(&out[..l], 24), 1, &small),
    );
    let mut group = c.benchmark_group("nat64/established");
    group.throughput(Throughput::Elements(1));
    for (name, packet) in [
        ("6to4/udp64", &udp6),
        ("4to6/udp64", &udp4),
        ("6to4/tcp64", &tcp6),
        ("4to6/tcp64", &tcp4),
        ("6to4/echo64", &ping),
        ("4to6/echo64", &pong),
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
    let udp6 = ipv6(
        host(5),
        in_prefix(SERVER),
        17,
        64,
        0,
        &udp(4000, 53, &small),
    );
    let l = len(n.translate(&udp6, &mut out, now));
    let udp4 = ipv4(
        SERVER,
        POOL,
        17,
        64,
        false,
        &udp(53, port(&out[..l], 20), &small),
    );
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
