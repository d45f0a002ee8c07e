//! Stateful NAT64 under a counting global allocator: the packets of
//! existing sessions allocate nothing (DESIGN.md rule 3), and 100,000
//! sessions take less than 200 bytes each, everything counted (the session
//! and BIB slots, the hash tables that find them, the per-host counts).
//!
//! The test runs without the libtest harness (`harness = false` in
//! Cargo.toml): the harness's own threads allocate at moments of their
//! choosing, and the allocator counts every thread.

mod common;

use std::alloc::System;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Nat64, Nat64Config, Pool4, Protocol};
use v6xlat::{Config, Outcome};

use common::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const POOL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);

/// The target of the stateful mode.
const MAX_BYTES_PER_SESSION: usize = 200;

fn in_prefix(v4: Ipv4Addr) -> Ipv6Addr {
    let b = v4.to_bits();
    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, (b >> 16) as u16, b as u16)
}

fn nat64(max_sessions: usize, pool: &str) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let xlat = Config::new(prefix, POOL, "2001:db8::1".parse().unwrap());
    let mut pool4 = Pool4::new();
    pool4
        .add(None, pool.parse().unwrap(), 1024..=65535)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    cfg.max_sessions = max_sessions;
    Nat64::new(xlat, cfg).unwrap()
}

fn host(n: u32) -> Ipv6Addr {
    Ipv6Addr::from_bits(0x2001_0db8_0000_0000_0000_0000_0000_0000 | u128::from(n))
}

fn translated(o: Outcome) -> usize {
    match o {
        Outcome::Translated { len, .. } => len,
        o => panic!("{o:?}"),
    }
}

fn port(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// Sessions of every kind, then their packets again, counted.
fn established_path_allocates_nothing() {
    let mut n = nat64(1000, "198.51.100.1/32");
    n.add_static(
        Protocol::Udp,
        SocketAddrV6::new(host(9), 53, 0, 0),
        SocketAddrV4::new(POOL, 53),
    )
    .unwrap();
    let mut out = vec![0u8; v6xlat::buffer_len(1500)];
    let payload = [7u8; 64];
    let now = Duration::from_secs(1);
    let udp6 = ipv6(
        host(5),
        in_prefix(SERVER),
        17,
        64,
        0,
        &udp(5000, 53, &payload),
    );
    let l = translated(n.translate(&udp6, &mut out, now));
    let p4 = port(&out[..l], 20);
    let udp4 = ipv4(SERVER, POOL, 17, 64, false, &udp(53, p4, &payload));
    let mut syn = tcp(5001, 80, 1, &payload);
    syn[13] = 0x02;
    let l = translated(n.translate(
        &ipv6(host(5), in_prefix(SERVER), 6, 64, 0, &syn),
        &mut out,
        now,
    ));
    let t4 = port(&out[..l], 20);
    let mut syn_ack = tcp(80, t4, 1, &payload);
    syn_ack[13] = 0x12;
    translated(n.translate(&ipv4(SERVER, POOL, 6, 64, false, &syn_ack), &mut out, now));
    let tcp6 = ipv6(
        host(5),
        in_prefix(SERVER),
        6,
        64,
        0,
        &tcp(5001, 80, 2, &payload),
    );
    let tcp4 = ipv4(SERVER, POOL, 6, 64, false, &tcp(80, t4, 2, &payload));
    let ping = ipv6(
        host(5),
        in_prefix(SERVER),
        58,
        64,
        0,
        &echo(128, 9, 1, &payload),
    );
    let l = translated(n.translate(&ping, &mut out, now));
    let id = port(&out[..l], 24);
    let pong = ipv4(SERVER, POOL, 1, 64, false, &echo(0, id, 1, &payload));
    let mut te = vec![11, 0, 0, 0, 0, 0, 0, 0];
    te.extend_from_slice(&ipv4(POOL, SERVER, 17, 1, false, &udp(p4, 53, &payload)));
    let error4 = ipv4(Ipv4Addr::new(203, 0, 113, 1), POOL, 1, 64, false, &te);
    let hairpin = ipv6(
        host(5),
        in_prefix(POOL),
        17,
        64,
        0,
        &udp(5000, 53, &payload),
    );
    translated(n.translate(&hairpin, &mut out, now));
    let cases: [(&str, &[u8]); 8] = [
        ("udp 6to4", &udp6),
        ("udp 4to6", &udp4),
        ("tcp 6to4", &tcp6),
        ("tcp 4to6", &tcp4),
        ("echo 6to4", &ping),
        ("echo 4to6", &pong),
        ("icmp error 4to6", &error4),
        ("hairpin", &hairpin),
    ];
    for (name, packet) in cases {
        let region = Region::new(GLOBAL);
        for i in 0..100u64 {
            let o = n.translate(packet, &mut out, now + Duration::from_millis(i));
            assert!(matches!(o, Outcome::Translated { .. }), "{name}: {o:?}");
        }
        n.expire(now + Duration::from_secs(1));
        let c = region.change();
        assert_eq!(
            (c.allocations, c.reallocations),
            (0, 0),
            "{name} allocated: {c:?}"
        );
    }
    println!("established sessions: no allocation in 800 packets");
}

/// 100,000 UDP flows from 1,000 hosts with 100 sockets each: a BIB entry
/// and a session per flow, the worst case of one session per binding.
fn memory_per_session() {
    const SESSIONS: u32 = 100_000;
    let mut out = vec![0u8; 2000];
    let mut packet = ipv6(host(0), in_prefix(SERVER), 17, 64, 0, &udp(0, 443, &[0; 8]));
    let before = Region::new(GLOBAL);
    // Two addresses: 100,000 bindings need more than one address's ports.
    let mut n = nat64(SESSIONS as usize, "198.51.100.0/31");
    let now = Duration::from_secs(1);
    for i in 0..SESSIONS {
        packet[8..24].copy_from_slice(&host(i / 100).octets());
        packet[40..42].copy_from_slice(&(10_000 + (i % 100) as u16).to_be_bytes());
        translated(n.translate(&packet, &mut out, now));
    }
    let c = before.change();
    // A reallocation's growth is already in `bytes_allocated`.
    let live = c.bytes_allocated - c.bytes_deallocated;
    let stats = n.stats();
    assert_eq!(stats.sessions[Protocol::Udp.index()], SESSIONS as usize);
    assert_eq!(stats.bib_entries[Protocol::Udp.index()], SESSIONS as usize);
    let per = live / SESSIONS as usize;
    println!(
        "{SESSIONS} sessions (and as many BIB entries): {live} bytes on the heap, {per} bytes per session"
    );
    assert!(
        per < MAX_BYTES_PER_SESSION,
        "{per} bytes per session, above {MAX_BYTES_PER_SESSION}"
    );
    drop(n);
}

fn main() {
    established_path_allocates_nothing();
    memory_per_session();
}
