//! Stateful NAT64 set-ups shared by the NAT64 allocation test and bench: a
//! translator with the well-known prefix and a pool4, and one established
//! session of each protocol.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Nat64, Nat64Config, Pool4};
use v6xlat::{Config, Outcome};

use super::{echo, ipv4, ipv6, tcp, udp};

/// The first pool4 address, also the translator's own IPv4 address.
pub const POOL: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The IPv4 server the IPv6 hosts talk to.
pub const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 9);

/// `v4` in the well-known prefix `64:ff9b::/96`.
pub fn in_prefix(v4: Ipv4Addr) -> Ipv6Addr {
    let b = v4.to_bits();
    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, (b >> 16) as u16, b as u16)
}

/// IPv6 host number `n`, in `2001:db8::/64`.
pub fn host(n: u32) -> Ipv6Addr {
    Ipv6Addr::from_bits(0x2001_0db8_0000_0000_0000_0000_0000_0000 | u128::from(n))
}

/// A NAT64 with the addresses of `pool` (ports 1024 to 65535) as pool4,
/// translating the documentation addresses the tests use, with its
/// configuration then changed by `edit`.
pub fn nat64_with(pool: &str, edit: impl FnOnce(&mut Nat64Config)) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let xlat = Config::new(prefix, POOL, "2001:db8::1".parse().unwrap());
    let mut pool4 = Pool4::new();
    pool4
        .add(None, pool.parse().unwrap(), 1024..=65535)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    edit(&mut cfg);
    Nat64::new(xlat, cfg).unwrap()
}

/// [`nat64_with`] and the default configuration.
pub fn nat64(pool: &str) -> Nat64 {
    nat64_with(pool, |_| {})
}

/// The length of a translated packet; panics on any other outcome.
pub fn translated(o: Outcome) -> usize {
    match o {
        Outcome::Translated { len, .. } => len,
        o => panic!("{o:?}"),
    }
}

/// The 16-bit word at `at` of `p` (a port or an Echo identifier).
pub fn port(p: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// Packets of one established session of each protocol between IPv6
/// host 5 and [`SERVER`], both ways.
pub struct Established {
    /// UDP from the host, port 5000 to 53.
    pub udp6: Vec<u8>,
    /// UDP back from the server.
    pub udp4: Vec<u8>,
    /// TCP from the host, port 5001 to 80, after the handshake.
    pub tcp6: Vec<u8>,
    /// TCP back from the server.
    pub tcp4: Vec<u8>,
    /// An Echo Request from the host, identifier 9.
    pub ping: Vec<u8>,
    /// The Echo Reply from the server.
    pub pong: Vec<u8>,
    /// The pool4 port of the UDP session.
    pub udp_port4: u16,
}

impl Established {
    /// Opens the sessions in `n` at `now` (TCP with a SYN and a SYN/ACK)
    /// and builds their packets, each carrying `payload`.
    pub fn open(n: &mut Nat64, payload: &[u8], now: Duration) -> Established {
        let mut out = vec![0u8; v6xlat::buffer_len(1500)];
        let from_host = |proto, l4: &[u8]| ipv6(host(5), in_prefix(SERVER), proto, 64, 0, l4);
        let from_server = |proto, l4: &[u8]| ipv4(SERVER, POOL, proto, 64, false, l4);
        let udp6 = from_host(17, &udp(5000, 53, payload));
        let l = translated(n.translate(&udp6, &mut out, now));
        let udp_port4 = port(&out[..l], 20);
        let mut syn = tcp(5001, 80, 1, payload);
        syn[13] = 0x02;
        let l = translated(n.translate(&from_host(6, &syn), &mut out, now));
        let tcp_port4 = port(&out[..l], 20);
        let mut syn_ack = tcp(80, tcp_port4, 1, payload);
        syn_ack[13] = 0x12;
        translated(n.translate(&from_server(6, &syn_ack), &mut out, now));
        let ping = from_host(58, &echo(128, 9, 1, payload));
        let l = translated(n.translate(&ping, &mut out, now));
        let id = port(&out[..l], 24);
        Established {
            udp4: from_server(17, &udp(53, udp_port4, payload)),
            tcp6: from_host(6, &tcp(5001, 80, 2, payload)),
            tcp4: from_server(6, &tcp(80, tcp_port4, 2, payload)),
            pong: from_server(1, &echo(0, id, 1, payload)),
            udp6,
            ping,
            udp_port4,
        }
    }
}
