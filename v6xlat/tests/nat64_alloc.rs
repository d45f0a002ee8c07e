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
use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use v6xlat::Outcome;
use v6xlat::nat64::Protocol;

use common::stateful::*;
use common::*;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The target of the stateful mode.
const MAX_BYTES_PER_SESSION: usize = 200;

/// Sessions of every kind, then their packets again, counted.
fn established_path_allocates_nothing() {
    let mut n = nat64_with("198.51.100.1/32", |cfg| cfg.max_sessions = 1000);
    n.add_static(
        Protocol::Udp,
        SocketAddrV6::new(host(9), 53, 0, 0),
        SocketAddrV4::new(POOL, 53),
    )
    .unwrap();
    let mut out = vec![0u8; v6xlat::buffer_len(1500)];
    let payload = [7u8; 64];
    let now = Duration::from_secs(1);
    let e = Established::open(&mut n, &payload, now);
    let mut te = vec![11, 0, 0, 0, 0, 0, 0, 0];
    te.extend_from_slice(&ipv4(
        POOL,
        SERVER,
        17,
        1,
        false,
        &udp(e.udp_port4, 53, &payload),
    ));
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
        ("udp 6to4", &e.udp6),
        ("udp 4to6", &e.udp4),
        ("tcp 6to4", &e.tcp6),
        ("tcp 4to6", &e.tcp4),
        ("echo 6to4", &e.ping),
        ("echo 4to6", &e.pong),
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
    let mut n = nat64_with("198.51.100.0/31", |cfg| {
        cfg.max_sessions = SESSIONS as usize
    });
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
