//! Stateful NAT64 (RFC 6146) on a virtual clock: every timer and TCP state
//! transition, filtering, limits, hairpinning, ICMP errors and fragments.
//! Packets are built and checked with the independent wire code of
//! `common`.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Filtering, Nat64, Nat64Config, Pool4, Protocol, Refusal, TcpState};
use v6xlat::{Config, DropReason, Outcome};

use common::{
    check_v4, check_v6, echo, fragment_v4, fragment_v6, ipv4, ipv6, reassemble_v4, reassemble_v6,
    sum, tcp, udp,
};

const POOL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 80);
const ROUTER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);

fn host(n: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n)
}

/// `v4` in the prefix 64:ff9b::/96.
fn v6(v4: Ipv4Addr) -> Ipv6Addr {
    let [a, b, c, d] = v4.octets();
    Ipv6Addr::new(
        0x64,
        0xff9b,
        0,
        0,
        0,
        0,
        u16::from_be_bytes([a, b]),
        u16::from_be_bytes([c, d]),
    )
}

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn config() -> Nat64Config {
    let mut pool4 = Pool4::new();
    pool4
        .add(None, "198.51.100.1/32".parse().unwrap(), 1024..=65535)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    cfg
}

fn nat(cfg: Nat64Config) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let xlat = Config::new(prefix, POOL, "2001:db8::1".parse().unwrap());
    Nat64::new(xlat, cfg).unwrap()
}

/// Translates `p` at `now` and returns the packets it gave, checked.
fn run(n: &mut Nat64, p: &[u8], now: Duration) -> (Outcome, Vec<Vec<u8>>) {
    let mut out = vec![0u8; v6xlat::buffer_len(p.len())];
    let o = n.translate(p, &mut out, now);
    let pkts: Vec<Vec<u8>> = o.packets(&out).map(<[u8]>::to_vec).collect();
    for p in &pkts {
        let r = if p[0] >> 4 == 4 {
            check_v4(p)
        } else {
            check_v6(p)
        };
        r.unwrap_or_else(|e| panic!("{e}: {p:02x?}"));
    }
    (o, pkts)
}

/// Translates `p`, which must go through, and returns the packets.
fn pass(n: &mut Nat64, p: &[u8], now: Duration) -> Vec<Vec<u8>> {
    let (o, pkts) = run(n, p, now);
    assert!(matches!(o, Outcome::Translated { .. }), "{o:?}");
    pkts
}

fn udp6(src: Ipv6Addr, sport: u16, dst: Ipv4Addr, dport: u16) -> Vec<u8> {
    ipv6(src, v6(dst), 17, 64, 0, &udp(sport, dport, b"hello"))
}

fn udp4(src: Ipv4Addr, sport: u16, dport: u16) -> Vec<u8> {
    ipv4(src, POOL, 17, 64, false, &udp(sport, dport, b"world"))
}

fn tcp_flags(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut t = tcp(sport, dport, 1, b"");
    t[13] = flags;
    t
}

fn tcp6(src: Ipv6Addr, sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    ipv6(src, v6(SERVER), 6, 64, 0, &tcp_flags(sport, dport, flags))
}

fn tcp4(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    ipv4(SERVER, POOL, 6, 64, false, &tcp_flags(sport, dport, flags))
}

fn port(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const RST: u8 = 0x04;

fn state(n: &Nat64) -> Option<TcpState> {
    n.sessions().find_map(|s| s.tcp_state)
}

#[test]
fn udp_session_lives_five_minutes_from_its_last_packet() {
    let mut n = nat(config());
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    assert_eq!(&out[0][12..16], &POOL.octets());
    let p4 = port(&out[0], 20);
    // The reply comes back to the host's own port.
    let back = pass(&mut n, &udp4(SERVER, 53, p4), s(100));
    assert_eq!(&back[0][24..40], &host(5).octets());
    assert_eq!(port(&back[0], 42), 5000);
    assert_eq!(n.next_expiry(), Some(s(400)));
    assert_eq!(n.expire(Duration::from_millis(399_999)), 0);
    assert_eq!(n.stats().sessions, [0, 1, 0]);
    assert_eq!(n.expire(s(400)), 1);
    assert_eq!(n.stats().sessions, [0, 0, 0]);
    assert_eq!(n.stats().bib_entries, [0, 0, 0]);
    assert_eq!(n.stats().expired, [0, 1, 0]);
    // Without a binding, the reply is refused with Port Unreachable.
    let (o, err) = run(&mut n, &udp4(SERVER, 53, p4), s(401));
    assert_eq!(o.reason(), Some(DropReason::NoBinding));
    assert_eq!((err[0][20], err[0][21]), (3, 3));
}

#[test]
fn icmp_echo_session_lives_sixty_seconds() {
    let mut n = nat(config());
    let ping = ipv6(host(5), v6(SERVER), 58, 64, 0, &echo(128, 77, 1, b"ping"));
    let out = pass(&mut n, &ping, s(0));
    assert_eq!(out[0][20], 8);
    let id = port(&out[0], 24);
    let reply = ipv4(SERVER, POOL, 1, 64, false, &echo(0, id, 1, b"ping"));
    let back = pass(&mut n, &reply, s(30));
    assert_eq!((back[0][40], port(&back[0], 44)), (129, 77));
    n.expire(Duration::from_millis(89_999));
    assert_eq!(n.stats().sessions, [0, 0, 1]);
    n.expire(s(90));
    assert_eq!(n.stats().sessions, [0, 0, 0]);
    // An echo reply opens nothing.
    let (o, _) = run(&mut n, &reply, s(91));
    assert_eq!(o, Outcome::Dropped(DropReason::NoBinding));
}

#[test]
fn tcp_state_machine_and_timers() {
    let mut n = nat(config());
    let h = host(5);
    // V6 SYN: V6 INIT for TCP_TRANS (4 min).
    pass(&mut n, &tcp6(h, 40000, 80, SYN), s(0));
    assert_eq!(state(&n), Some(TcpState::V6Init));
    // Data before the V4 SYN does not refresh the session.
    pass(&mut n, &tcp6(h, 40000, 80, ACK), s(100));
    n.expire(s(239));
    assert_eq!(state(&n), Some(TcpState::V6Init));
    n.expire(s(240));
    assert_eq!(state(&n), None);

    // Again, with the V4 SYN/ACK: ESTABLISHED for TCP_EST (2 h 4 min).
    let out = pass(&mut n, &tcp6(h, 40000, 80, SYN), s(1000));
    let p4 = port(&out[0], 20);
    let back = pass(&mut n, &tcp4(80, p4, SYN | ACK), s(1001));
    assert_eq!(port(&back[0], 42), 40000);
    assert_eq!(state(&n), Some(TcpState::Established));
    let est = 2 * 3600 + 4 * 60;
    pass(&mut n, &tcp6(h, 40000, 80, ACK), s(2000));
    n.expire(s(2000 + est - 1));
    assert_eq!(state(&n), Some(TcpState::Established));
    // A RST: TRANS for 4 minutes; traffic brings it back to ESTABLISHED.
    pass(&mut n, &tcp4(80, p4, RST), s(3000));
    assert_eq!(state(&n), Some(TcpState::Trans));
    pass(&mut n, &tcp6(h, 40000, 80, ACK), s(3100));
    assert_eq!(state(&n), Some(TcpState::Established));
    // FIN from the IPv6 side, then from the IPv4 side: 4 minutes left.
    pass(&mut n, &tcp6(h, 40000, 80, FIN | ACK), s(3200));
    assert_eq!(state(&n), Some(TcpState::V6FinRcv));
    pass(&mut n, &tcp4(80, p4, FIN | ACK), s(3300));
    assert_eq!(state(&n), Some(TcpState::V4FinV6FinRcv));
    // The last ACK does not extend it.
    pass(&mut n, &tcp6(h, 40000, 80, ACK), s(3400));
    n.expire(s(3300 + 239));
    assert_eq!(state(&n), Some(TcpState::V4FinV6FinRcv));
    n.expire(s(3300 + 240));
    assert_eq!(state(&n), None);

    // An established session left alone for TCP_EST is probed and moves
    // to TRANS; the host's answer brings it back.
    let p4 = port(&pass(&mut n, &tcp6(h, 40001, 80, SYN), s(10_000))[0], 20);
    pass(&mut n, &tcp4(80, p4, SYN | ACK), s(10_001));
    let mut out = vec![0u8; 1500];
    n.expire(s(10_001 + est - 1));
    assert_eq!(state(&n), Some(TcpState::Established));
    assert!(n.poll_icmp(&mut out).is_none());
    n.expire(s(10_001 + est));
    assert_eq!(state(&n), Some(TcpState::Trans));
    let o = n.poll_icmp(&mut out).unwrap();
    assert_eq!(o, Outcome::Translated { len: 60, count: 1 });
    let probe = &out[..60];
    check_v6(probe).unwrap();
    assert_eq!(
        (&probe[8..24], &probe[24..40]),
        (&v6(SERVER).octets()[..], &h.octets()[..])
    );
    assert_eq!(
        (port(probe, 40), port(probe, 42), probe[53]),
        (80, 40001, ACK)
    );
    assert!(n.poll_icmp(&mut out).is_none());
    pass(&mut n, &tcp6(h, 40001, 80, ACK), s(10_002 + est));
    assert_eq!(state(&n), Some(TcpState::Established));
    // Unanswered, the probe leaves the session TCP_TRANS to live.
    let t = 10_002 + 2 * est;
    n.expire(s(t));
    assert_eq!(state(&n), Some(TcpState::Trans));
    n.expire(s(t + 239));
    assert_eq!(state(&n), Some(TcpState::Trans));
    n.expire(s(t + 240));
    assert_eq!(state(&n), None);
    // A segment without SYN opens nothing.
    let (o, _) = run(&mut n, &tcp6(h, 40002, 80, ACK), s(100_000));
    assert_eq!(o, Outcome::Dropped(DropReason::NoSession));
}

#[test]
fn fin_from_ipv4_first_then_ipv6() {
    let mut n = nat(config());
    let out = pass(&mut n, &tcp6(host(5), 40000, 80, SYN), s(0));
    let p4 = port(&out[0], 20);
    pass(&mut n, &tcp4(80, p4, SYN | ACK), s(1));
    pass(&mut n, &tcp4(80, p4, FIN | ACK), s(2));
    assert_eq!(state(&n), Some(TcpState::V4FinRcv));
    pass(&mut n, &tcp6(host(5), 40000, 80, FIN | ACK), s(3));
    assert_eq!(state(&n), Some(TcpState::V4FinV6FinRcv));
}

#[test]
fn ipv4_syn_without_binding_waits_six_seconds_for_the_ipv6_syn() {
    let mut n = nat(config());
    let mut out = vec![0u8; 2000];
    // No IPv6 SYN: Port Unreachable after TCP_INCOMING_SYN.
    let syn = tcp4(5555, 3000, SYN);
    let (o, _) = run(&mut n, &syn, s(0));
    assert_eq!(o, Outcome::Dropped(DropReason::SynStored));
    assert_eq!(n.stats().stored_syns, 1);
    assert_eq!(n.next_expiry(), Some(s(6)));
    n.expire(Duration::from_millis(5999));
    assert!(n.poll_icmp(&mut out).is_none());
    n.expire(s(6));
    let o = n.poll_icmp(&mut out).unwrap();
    let Outcome::Icmp { len, .. } = o else {
        panic!("{o:?}")
    };
    check_v4(&out[..len]).unwrap();
    assert_eq!((out[20], out[21]), (3, 3));
    assert_eq!(&out[16..20], &SERVER.octets());
    assert_eq!(&out[28..len], &syn[..]);
    assert!(n.poll_icmp(&mut out).is_none());

    // Simultaneous open: the IPv6 SYN gets the port the IPv4 SYN asked for.
    let (o, _) = run(&mut n, &tcp4(5556, 4000, SYN), s(10));
    assert_eq!(o, Outcome::Dropped(DropReason::SynStored));
    let sent = pass(&mut n, &tcp6(host(5), 7000, 5556, SYN), s(11));
    assert_eq!(port(&sent[0], 20), 4000);
    assert_eq!(state(&n), Some(TcpState::Established));
    n.expire(s(30));
    assert!(n.poll_icmp(&mut out).is_none());
    assert_eq!(n.stats().stored_syns, 0);
}

#[test]
fn stored_syns_are_bounded() {
    let mut cfg = config();
    cfg.max_stored_syns = 2;
    let mut n = nat(cfg);
    for p in 0..3 {
        let (o, _) = run(&mut n, &tcp4(5000 + p, 3000, SYN), s(0));
        assert!(o.packets(&[]).next().is_none());
    }
    assert_eq!(n.stats().stored_syns, 2);
    assert_eq!(n.stats().refused[Refusal::StoredSynLimit.index()], 1);
}

#[test]
fn mapping_is_endpoint_independent_and_hosts_share_the_address() {
    let mut n = nat(config());
    let a = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let b = pass(&mut n, &udp6(host(5), 5000, ROUTER, 123), s(0));
    let c = pass(&mut n, &udp6(host(6), 5000, SERVER, 53), s(0));
    // One binding for host 5's port 5000 whatever the destination.
    assert_eq!(port(&a[0], 20), port(&b[0], 20));
    // Host 6 shares the address on another port.
    assert_eq!(&c[0][12..16], &POOL.octets());
    assert_ne!(port(&a[0], 20), port(&c[0], 20));
    // Ports keep their parity and range.
    for p in [&a[0], &c[0]] {
        assert_eq!(port(p, 20) % 2, 0);
        assert!(port(p, 20) >= 1024);
    }
    let odd = pass(&mut n, &udp6(host(7), 5001, SERVER, 53), s(0));
    assert_eq!(port(&odd[0], 20) % 2, 1);
    assert_eq!(n.stats().sessions, [0, 4, 0]);
    assert_eq!(n.stats().bib_entries, [0, 3, 0]);
}

#[test]
fn filtering_endpoint_independent_or_address_dependent() {
    for filtering in [Filtering::EndpointIndependent, Filtering::AddressDependent] {
        let mut cfg = config();
        cfg.filtering = filtering;
        let mut n = nat(cfg);
        let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
        let p4 = port(&out[0], 20);
        // Same remote address, other port: allowed by both.
        let (o, _) = run(&mut n, &udp4(SERVER, 54, p4), s(1));
        assert!(matches!(o, Outcome::Translated { .. }), "{o:?}");
        // Another remote address.
        let (o, err) = run(&mut n, &udp4(ROUTER, 53, p4), s(1));
        if filtering == Filtering::EndpointIndependent {
            assert!(matches!(o, Outcome::Translated { .. }), "{o:?}");
        } else {
            assert_eq!(o.reason(), Some(DropReason::Filtered));
            assert_eq!((err[0][20], err[0][21]), (3, 13));
        }
    }
}

#[test]
fn full_table_refuses_new_flows_and_keeps_the_old_ones() {
    let mut cfg = config();
    cfg.max_sessions = 3;
    cfg.max_sessions_per_host = 2;
    let mut n = nat(cfg);
    pass(&mut n, &udp6(host(5), 5000, SERVER, 1), s(0));
    pass(&mut n, &udp6(host(5), 5000, SERVER, 2), s(0));
    // Host 5 has its two.
    let (o, err) = run(&mut n, &udp6(host(5), 5000, SERVER, 3), s(0));
    assert_eq!(o.reason(), Some(DropReason::HostSessionLimit));
    assert_eq!((err[0][40], err[0][41]), (1, 1));
    let out = pass(&mut n, &udp6(host(6), 5000, SERVER, 1), s(0));
    let p6 = port(&out[0], 20);
    // The table has its three.
    let (o, _) = run(&mut n, &udp6(host(7), 5000, SERVER, 1), s(0));
    assert_eq!(o.reason(), Some(DropReason::SessionLimit));
    // Nor may the IPv4 side open one.
    let (o, _) = run(&mut n, &udp4(ROUTER, 9, p6), s(0));
    assert_eq!(o.reason(), Some(DropReason::SessionLimit));
    let st = n.stats();
    assert_eq!(st.refused[Refusal::HostLimit.index()], 1);
    assert_eq!(st.refused[Refusal::SessionLimit.index()], 2);
    // Existing flows go on, both ways.
    let (o, _) = run(&mut n, &udp6(host(5), 5000, SERVER, 1), s(1));
    assert!(matches!(o, Outcome::Translated { .. }));
    let (o, _) = run(&mut n, &udp4(SERVER, 1, p6), s(1));
    assert!(matches!(o, Outcome::Translated { .. }));
    // Once sessions expire there is room again.
    n.expire(s(400));
    let (o, _) = run(&mut n, &udp6(host(7), 5000, SERVER, 1), s(400));
    assert!(matches!(o, Outcome::Translated { .. }));
}

#[test]
fn static_bib_entries_reach_a_host_and_survive_their_sessions() {
    let mut n = nat(config());
    let v6 = SocketAddrV6::new(host(9), 8080, 0, 0);
    let v4 = SocketAddrV4::new(POOL, 80);
    n.add_static(Protocol::Tcp, v6, v4).unwrap();
    assert!(n.add_static(Protocol::Tcp, v6, v4).is_err());
    assert!(
        n.add_static(Protocol::Udp, v6, SocketAddrV4::new(SERVER, 1))
            .is_err()
    );
    let to_host = pass(&mut n, &tcp4(33000, 80, SYN), s(0));
    assert_eq!(&to_host[0][24..40], &host(9).octets());
    assert_eq!(port(&to_host[0], 42), 8080);
    assert_eq!(state(&n), Some(TcpState::V4Init));
    // The server's answer goes out from the static port.
    let out = pass(&mut n, &tcp6(host(9), 8080, 33000, SYN | ACK), s(1));
    assert_eq!(port(&out[0], 20), 80);
    assert_eq!(state(&n), Some(TcpState::Established));
    // TCP_EST, then the probe's TCP_TRANS.
    n.expire(s(100_000));
    n.expire(s(100_240));
    assert_eq!(n.stats().sessions, [0, 0, 0]);
    assert_eq!(n.stats().bib_entries, [1, 0, 0]);
    assert!(n.remove_static(Protocol::Tcp, v4));
    assert_eq!(n.stats().bib_entries, [0, 0, 0]);
}

#[test]
fn hairpinning_reaches_another_host_through_the_pool_address() {
    let mut n = nat(config());
    let server = SocketAddrV6::new(host(9), 53, 0, 0);
    n.add_static(Protocol::Udp, server, SocketAddrV4::new(POOL, 53))
        .unwrap();
    let out = pass(&mut n, &udp6(host(5), 5000, POOL, 53), s(0));
    let p = &out[0];
    assert_eq!(p[0] >> 4, 6);
    assert_eq!(&p[24..40], &host(9).octets());
    assert_eq!(port(p, 42), 53);
    // The far end is host 5's pool4 transport address, in the prefix.
    assert_eq!(&p[8..24], &v6(POOL).octets());
    let p4 = port(p, 40);
    // The answer goes back the same way.
    let back = pass(
        &mut n,
        &ipv6(host(9), v6(POOL), 17, 64, 0, &udp(53, p4, b"a")),
        s(1),
    );
    assert_eq!(&back[0][24..40], &host(5).octets());
    assert_eq!(port(&back[0], 42), 5000);
    assert_eq!(n.stats().sessions, [0, 2, 0]);
}

#[test]
fn icmp_errors_reach_the_session_with_inner_ports_translated() {
    let mut n = nat(config());
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let sent = &out[0];
    // A router on the IPv4 side: Time Exceeded about what was sent.
    let mut body = vec![11, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(sent);
    let err = ipv4(ROUTER, POOL, 1, 64, false, &body);
    let got = pass(&mut n, &err, s(1));
    let p = &got[0];
    assert_eq!((p[40], p[41]), (3, 0));
    assert_eq!(&p[8..24], &v6(ROUTER).octets());
    assert_eq!(&p[24..40], &host(5).octets());
    // The quoted packet is what the host sent, its port and checksum too.
    let quoted = &p[48..];
    assert_eq!(&quoted[8..24], &host(5).octets());
    assert_eq!(port(quoted, 40), 5000);
    let original = udp6(host(5), 5000, SERVER, 53);
    assert_eq!(&quoted[40..], &original[40..]);
    // An error about a flow that has no session goes nowhere.
    let mut body = vec![11, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&ipv4(POOL, SERVER, 17, 1, false, &udp(4444, 53, b"x")));
    let (o, _) = run(&mut n, &ipv4(ROUTER, POOL, 1, 64, false, &body), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::NoSession));

    // The host answers the server's datagram with Port Unreachable.
    let p4 = port(sent, 20);
    let reply = pass(&mut n, &udp4(SERVER, 53, p4), s(2));
    let mut body = vec![1, 4, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&reply[0]);
    let got = pass(&mut n, &ipv6(host(5), v6(SERVER), 58, 64, 0, &body), s(2));
    let p = &got[0];
    assert_eq!((p[20], p[21]), (3, 3));
    assert_eq!(&p[12..16], &POOL.octets());
    assert_eq!(sum(&p[20..]), 0xffff);
    let quoted = &p[28..];
    assert_eq!(&quoted[16..20], &POOL.octets());
    assert_eq!(port(quoted, 22), p4);
}

/// An IPv4 fragment of a UDP datagram from `SERVER`.
fn fragment(ident: u16, offset: u16, more: bool, data: &[u8]) -> Vec<u8> {
    fragment_v4(SERVER, POOL, 17, ident, offset, more, data)
}

#[test]
fn fragments_after_the_first_follow_its_session() {
    let mut n = nat(config());
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let p4 = port(&out[0], 20);
    let whole = udp(53, p4, &[7u8; 40]);
    // The checksum over the whole datagram, as the sender computed it.
    let full = ipv4(SERVER, POOL, 17, 64, false, &whole);
    let seg = &full[20..];
    let (o, first) = run(&mut n, &fragment(9, 0, true, &seg[..24]), s(1));
    assert!(matches!(o, Outcome::Translated { .. }), "{o:?}");
    assert_eq!(&first[0][24..40], &host(5).octets());
    assert_eq!(first[0][6], 44);
    assert_eq!(port(&first[0], 50), 5000);
    let (o, second) = run(&mut n, &fragment(9, 24, false, &seg[24..]), s(1));
    assert!(matches!(o, Outcome::Translated { .. }), "{o:?}");
    assert_eq!(&second[0][24..40], &host(5).octets());
    // Put together, the datagram's checksum verifies at the host.
    let mut l4 = first[0][48..].to_vec();
    l4.extend_from_slice(&second[0][48..]);
    let mut rebuilt = first[0][..40].to_vec();
    rebuilt[4..6].copy_from_slice(&(l4.len() as u16).to_be_bytes());
    rebuilt[6] = 17;
    rebuilt.extend_from_slice(&l4);
    check_v6(&rebuilt).unwrap();
    // Its memory fades after FRAGMENT_MIN: the same fragment again now
    // waits for a first fragment.
    n.expire(s(4));
    let (o, _) = run(&mut n, &fragment(9, 24, false, &seg[24..]), s(4));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
}

/// An IPv6 fragment from `src` to `SERVER` of a UDP datagram.
fn fragment6(src: Ipv6Addr, ident: u32, offset: u16, more: bool, data: &[u8]) -> Vec<u8> {
    fragment_v6(src, v6(SERVER), 17, ident, offset, more, data)
}

/// Every packet `poll_icmp` has, checked.
fn poll(n: &mut Nat64) -> Vec<Vec<u8>> {
    let mut out = vec![0u8; v6xlat::buffer_len(1500)];
    let mut pkts = Vec::new();
    while let Some(o) = n.poll_icmp(&mut out) {
        assert!(matches!(o, Outcome::Translated { count: 1, .. }), "{o:?}");
        let p = o.packets(&out).next().unwrap().to_vec();
        if p[0] >> 4 == 4 {
            check_v4(&p).unwrap();
        } else {
            check_v6(&p).unwrap();
        }
        pkts.push(p);
    }
    pkts
}

#[test]
fn ipv4_fragments_before_their_first_follow_it() {
    let mut n = nat(config());
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let p4 = port(&out[0], 20);
    let full = ipv4(SERVER, POOL, 17, 64, false, &udp(53, p4, &[7u8; 40]));
    let seg = &full[20..];
    // The last fragment, then the middle one, before the first.
    for (offset, data, more) in [(40, &seg[40..], false), (24, &seg[24..40], true)] {
        let (o, _) = run(&mut n, &fragment(9, offset, more, data), s(1));
        assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    }
    assert_eq!(n.stats().queued_fragments, 2);
    assert!(
        poll(&mut n).is_empty(),
        "released before the first fragment"
    );
    let first = pass(&mut n, &fragment(9, 0, true, &seg[..24]), s(1));
    assert_eq!(port(&first[0], 50), 5000);
    let followers = poll(&mut n);
    assert_eq!(n.stats().queued_fragments, 0);
    // In the order they arrived, with the session's addresses.
    assert_eq!(followers.len(), 2);
    assert_eq!(port(&followers[0], 42) & 0xfff8, 40);
    assert_eq!(port(&followers[1], 42) & 0xfff8, 24);
    for f in &followers {
        assert_eq!(&f[8..24], &v6(SERVER).octets());
        assert_eq!(&f[24..40], &host(5).octets());
        assert_eq!(&f[44..48], &first[0][44..48], "fragment identification");
    }
    // Put together at the host, the datagram's checksum verifies.
    let mut all = first;
    all.extend(followers);
    let datagram = reassemble_v6(&all);
    check_v6(&datagram).unwrap();
    assert_eq!((port(&datagram, 40), port(&datagram, 42)), (53, 5000));
    assert_eq!(&datagram[48..], &[7u8; 40]);
}

#[test]
fn ipv6_fragments_before_their_first_follow_it() {
    let mut n = nat(config());
    // The first fragment opens the session: the others wait for it.
    let payload: Vec<u8> = (0..40u8).collect();
    let datagram = ipv6(host(5), v6(SERVER), 17, 64, 0, &udp(6000, 53, &payload));
    let seg = &datagram[40..];
    for (offset, data, more) in [(32, &seg[32..], false), (16, &seg[16..32], true)] {
        let (o, _) = run(&mut n, &fragment6(host(5), 77, offset, more, data), s(1));
        assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    }
    assert_eq!(n.stats().sessions, [0, 0, 0]);
    let first = pass(&mut n, &fragment6(host(5), 77, 0, true, &seg[..16]), s(1));
    assert_eq!(n.stats().sessions, [0, 1, 0]);
    let p4 = port(&first[0], 20);
    let followers = poll(&mut n);
    assert_eq!(followers.len(), 2);
    assert_eq!(port(&followers[0], 6) & 0x1fff, 4);
    assert_eq!(port(&followers[1], 6) & 0x1fff, 2);
    for f in &followers {
        assert_eq!(&f[12..16], &POOL.octets());
        assert_eq!(&f[16..20], &SERVER.octets());
        assert_eq!(&f[4..6], &first[0][4..6], "fragment identification");
    }
    let mut all = first;
    all.extend(followers);
    let back = reassemble_v4(&all);
    check_v4(&back).unwrap();
    assert_eq!((port(&back, 20), port(&back, 22)), (p4, 53));
    assert_eq!(&back[28..], &payload[..]);
    // The answer reaches the host through the session the first made.
    let answer = pass(&mut n, &udp4(SERVER, 53, p4), s(2));
    assert_eq!(port(&answer[0], 42), 6000);
}

#[test]
fn hairpinned_fragments_before_their_first_follow_it() {
    let mut n = nat(config());
    let server = SocketAddrV6::new(host(9), 53, 0, 0);
    n.add_static(Protocol::Udp, server, SocketAddrV4::new(POOL, 53))
        .unwrap();
    let payload = [9u8; 24];
    let datagram = ipv6(host(5), v6(POOL), 17, 64, 0, &udp(5000, 53, &payload));
    let seg = &datagram[40..];
    let frag =
        |offset: u16, more, data: &[u8]| fragment_v6(host(5), v6(POOL), 17, 3, offset, more, data);
    let (o, _) = run(&mut n, &frag(16, false, &seg[16..]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    let first = pass(&mut n, &frag(0, true, &seg[..16]), s(1));
    let follower = poll(&mut n);
    assert_eq!(follower.len(), 1);
    assert_eq!(&follower[0][24..40], &host(9).octets());
    let mut all = first;
    all.extend(follower);
    let p = reassemble_v6(&all);
    check_v6(&p).unwrap();
    assert_eq!(&p[8..24], &v6(POOL).octets());
    assert_eq!(port(&p, 42), 53);
    assert_eq!(&p[48..], &payload);
}

#[test]
fn queued_fragments_wait_fragment_min_then_are_dropped_and_counted() {
    let mut n = nat(config());
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let p4 = port(&out[0], 20);
    let (o, _) = run(&mut n, &fragment(11, 24, false, &[1u8; 16]), s(10));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    assert_eq!(n.next_expiry(), Some(s(12)));
    // FRAGMENT_MIN (2 s) is kept.
    n.expire(s(11));
    assert_eq!(n.stats().queued_fragments, 1);
    n.expire(s(12));
    let stats = n.stats();
    assert_eq!(stats.queued_fragments, 0);
    assert_eq!(stats.fragments_expired, 1);
    // Its first fragment, too late, goes alone.
    let full = ipv4(SERVER, POOL, 17, 64, false, &udp(53, p4, &[1u8; 32]));
    pass(&mut n, &fragment(11, 0, true, &full[20..44]), s(12));
    assert!(poll(&mut n).is_empty());
}

#[test]
fn fragment_queue_is_bounded_in_packets_and_bytes() {
    let mut cfg = config();
    cfg.max_queued_fragments = 3;
    let mut n = nat(cfg);
    for ident in 0..3 {
        let (o, _) = run(&mut n, &fragment(ident, 8, false, &[0u8; 8]), s(1));
        assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    }
    let (o, _) = run(&mut n, &fragment(3, 8, false, &[0u8; 8]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueueFull));
    let stats = n.stats();
    assert_eq!((stats.queued_fragments, stats.fragments_over_limit), (3, 1));
    // Once FRAGMENT_MIN is over, they make room for new ones.
    let (o, _) = run(&mut n, &fragment(3, 8, false, &[0u8; 8]), s(3));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    let stats = n.stats();
    assert_eq!((stats.queued_fragments, stats.fragments_expired), (1, 3));

    let mut cfg = config();
    cfg.max_queued_fragment_bytes = 100;
    let mut n = nat(cfg);
    let (o, _) = run(&mut n, &fragment(1, 8, false, &[0u8; 40]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    let (o, _) = run(&mut n, &fragment(2, 8, false, &[0u8; 40]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueueFull));

    let mut cfg = config();
    cfg.max_queued_fragments = 0;
    let mut n = nat(cfg);
    let (o, _) = run(&mut n, &fragment(1, 8, false, &[0u8; 8]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueueFull));
}

#[test]
fn released_fragments_count_until_polled() {
    let mut cfg = config();
    cfg.max_queued_fragments = 2;
    let mut n = nat(cfg);
    let out = pass(&mut n, &udp6(host(5), 5000, SERVER, 53), s(0));
    let p4 = port(&out[0], 20);
    let full = ipv4(SERVER, POOL, 17, 64, false, &udp(53, p4, &[3u8; 40]));
    let seg = &full[20..];
    for (offset, data, more) in [(40, &seg[40..], false), (24, &seg[24..40], true)] {
        let (o, _) = run(&mut n, &fragment(5, offset, more, data), s(1));
        assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueued));
    }
    pass(&mut n, &fragment(5, 0, true, &seg[..24]), s(1));
    // Released but not yet given out: still held, so still counted.
    assert_eq!(n.stats().queued_fragments, 2);
    let (o, _) = run(&mut n, &fragment(6, 8, false, &[0u8; 8]), s(1));
    assert_eq!(o, Outcome::Dropped(DropReason::FragmentQueueFull));
    // Nor does expiry drop them: their session is known.
    n.expire(s(5));
    assert_eq!(poll(&mut n).len(), 2);
    assert_eq!(n.stats().queued_fragments, 0);
}

#[test]
fn pool_exhaustion_is_refused_and_counted() {
    let mut pool4 = Pool4::new();
    pool4
        .add(
            Some(Protocol::Udp),
            "198.51.100.1/32".parse().unwrap(),
            2000..=2001,
        )
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    let mut n = nat(cfg);
    pass(&mut n, &udp6(host(1), 5000, SERVER, 53), s(0));
    pass(&mut n, &udp6(host(2), 5000, SERVER, 53), s(0));
    let (o, err) = run(&mut n, &udp6(host(3), 5000, SERVER, 53), s(0));
    assert_eq!(o.reason(), Some(DropReason::PortsExhausted));
    assert_eq!((err[0][40], err[0][41]), (1, 1));
    assert_eq!(n.stats().refused[Refusal::PortsExhausted.index()], 1);
    // TCP has no pool4 entry.
    let (o, _) = run(&mut n, &tcp6(host(1), 5000, 80, SYN), s(0));
    assert_eq!(o.reason(), Some(DropReason::PortsExhausted));
}

#[test]
fn well_known_prefix_refuses_non_global_addresses_by_default() {
    let mut cfg = config();
    cfg.allow_non_global = false;
    let mut n = nat(cfg);
    let (o, _) = run(
        &mut n,
        &udp6(host(5), 5000, Ipv4Addr::new(10, 0, 0, 1), 53),
        s(0),
    );
    assert_eq!(o.reason(), Some(DropReason::DestinationUnmapped));
    let (o, _) = run(
        &mut n,
        &udp6(host(5), 5000, Ipv4Addr::new(8, 8, 8, 8), 53),
        s(0),
    );
    assert!(matches!(o, Outcome::Translated { .. }));
}

#[test]
fn a_host_keeps_one_pool4_address_for_all_its_flows() {
    let mut pool4 = Pool4::new();
    pool4
        .add(None, "198.51.100.0/29".parse().unwrap(), 1024..=65535)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    let mut n = nat(cfg);
    let mut addrs = std::collections::HashSet::new();
    for h in 1..20 {
        let first = pass(&mut n, &udp6(host(h), 5000, SERVER, 53), s(0));
        for d in 1..10u8 {
            let dst = Ipv4Addr::new(203, 0, 113, d);
            let out = pass(&mut n, &udp6(host(h), 6000 + u16::from(d), dst, 80), s(0));
            assert_eq!(&out[0][12..16], &first[0][12..16], "host {h}");
        }
        addrs.insert(first[0][12..16].to_vec());
    }
    // Hosts spread over the addresses.
    assert!(addrs.len() > 2, "{addrs:?}");
}

#[test]
fn icmp_errors_about_echo_carry_the_hosts_identifier() {
    let mut n = nat(config());
    let ping = ipv6(host(5), v6(SERVER), 58, 64, 0, &echo(128, 77, 1, b"ping"));
    let out = pass(&mut n, &ping, s(0));
    let id4 = port(&out[0], 24);
    // A router on the IPv4 side: Time Exceeded quoting the request.
    let mut body = vec![11, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&out[0]);
    let got = pass(&mut n, &ipv4(ROUTER, POOL, 1, 64, false, &body), s(1));
    let quoted = &got[0][48..];
    assert_eq!(quoted[40], 128);
    assert_eq!(port(quoted, 44), 77);
    // The quoted request is whole, so its own checksum must verify too.
    check_v6(quoted).unwrap();
    // The host answers a request from the server with an error.
    let request = ipv4(SERVER, POOL, 1, 64, false, &echo(0, id4, 2, b"pong"));
    let reply = pass(&mut n, &request, s(2));
    assert_eq!(port(&reply[0], 44), 77);
    let mut body = vec![1, 4, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&reply[0]);
    let got = pass(&mut n, &ipv6(host(5), v6(SERVER), 58, 64, 0, &body), s(2));
    let quoted = &got[0][28..];
    assert_eq!(quoted[20], 0);
    assert_eq!(port(quoted, 24), id4);
    check_v4(quoted).unwrap();
}
