//! Stateful NAT64: a sequence of packets in both directions with the clock
//! moving on, so that sessions are made, used, hairpinned, limited and
//! expired. Each record of the input is a flags byte, a time step, a
//! length and that many bytes of packet; the flags may force the packet's
//! addresses to the configured ones so that records reach the session
//! table rather than stop at the address checks, and make a forced packet
//! a fragment of one of a few datagrams, so that fragments arrive before,
//! with and after their first fragment and wait in the bounded queue.
#![no_main]

use std::net::Ipv4Addr;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Filtering, Nat64, Nat64Config, Pool4, Protocol};
use v6xlat::{Config, Outcome};

const MAX_SESSIONS: usize = 16;
const MAX_QUEUED_FRAGMENTS: usize = 4;

fn nat64(adf: bool) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let mut xlat = Config::new(
        prefix,
        Ipv4Addr::new(192, 0, 2, 2),
        "2001:db8::1".parse().unwrap(),
    );
    xlat.ipv4_mtu = 576;
    let mut pool4 = Pool4::new();
    pool4
        .add(None, "192.0.2.2/32".parse().unwrap(), 1..=40)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    cfg.allow_non_global = true;
    cfg.max_sessions = MAX_SESSIONS;
    cfg.max_sessions_per_host = 6;
    cfg.max_stored_syns = 3;
    cfg.max_queued_fragments = MAX_QUEUED_FRAGMENTS;
    if adf {
        cfg.filtering = Filtering::AddressDependent;
    }
    let mut nat = Nat64::new(xlat, cfg).unwrap();
    nat.add_static(
        Protocol::Udp,
        "[2001:db8::5]:53".parse().unwrap(),
        "192.0.2.2:53".parse().unwrap(),
    )
    .unwrap();
    nat
}

/// The addresses a forced record gets: IPv6 hosts, a remote server in the
/// prefix, and the pool4 address for hairpinning.
fn force(packet: &mut [u8], v6: bool, which: u8) {
    if v6 && packet.len() >= 40 {
        let src = [
            0x20,
            0x01,
            0x0d,
            0xb8,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            5 + (which & 1),
        ];
        let mut dst = [
            0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 203, 0, 113, 5,
        ];
        if which & 2 != 0 {
            dst[12..16].copy_from_slice(&[192, 0, 2, 2]);
        }
        packet[8..24].copy_from_slice(&src);
        packet[24..40].copy_from_slice(&dst);
    } else if !v6 && packet.len() >= 20 {
        packet[0] = 0x45;
        packet[12..16].copy_from_slice(&[203, 0, 113, 5 + (which & 1)]);
        packet[16..20].copy_from_slice(&[192, 0, 2, 2]);
        // A header checksum that verifies.
        packet[10..12].fill(0);
        let mut sum: u32 = packet[..20]
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        packet[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    }
}

/// Makes `packet` a fragment of the TCP, UDP or ICMP datagram `shape`
/// chooses, at offset 0, 8, 16 or 24, with More Fragments set or not.
fn fragment(packet: &mut [u8], v6: bool, shape: u8) {
    let more = u16::from(shape & 1);
    let offset = u16::from((shape >> 1) & 3) * 8;
    let ident = shape >> 3;
    if v6 && packet.len() >= 48 {
        let len = (packet.len() - 40) as u16;
        packet[4..6].copy_from_slice(&len.to_be_bytes());
        packet[6] = 44;
        packet[40] = [6, 17, 58, 17][usize::from(ident & 3)];
        packet[41] = 0;
        packet[42..44].copy_from_slice(&(offset | more).to_be_bytes());
        packet[44..48].copy_from_slice(&[0, 0, 0, ident]);
    } else if !v6 && packet.len() >= 20 {
        let len = packet.len() as u16;
        packet[2..4].copy_from_slice(&len.to_be_bytes());
        packet[4..6].copy_from_slice(&[0, ident]);
        packet[6..8].copy_from_slice(&((offset / 8) | (more << 13)).to_be_bytes());
        packet[9] = [6, 17, 1, 17][usize::from(ident & 3)];
    }
}

fn check(outcome: Outcome, out: &[u8]) {
    let len = match outcome {
        Outcome::Translated { len, count } => {
            assert_eq!(outcome.packets(&out[..len]).count(), count);
            len
        }
        Outcome::Icmp { len, .. } => len,
        Outcome::Dropped(_) => 0,
    };
    assert!(len <= out.len());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut nat = nat64(mode & 1 != 0);
    let mut out = vec![0u8; v6xlat::buffer_len(1600)];
    let mut now = Duration::ZERO;
    while rest.len() >= 3 {
        let (flags, step, len) = (rest[0], rest[1], usize::from(rest[2]) * 8);
        rest = &rest[3..];
        let take = len.min(rest.len());
        let mut packet = rest[..take].to_vec();
        rest = &rest[take..];
        let v6 = flags & 1 != 0;
        if let Some(b) = packet.first_mut() {
            *b = (*b & 0x0f) | if v6 { 0x60 } else { 0x40 };
        }
        if flags & 2 != 0 {
            if flags & 0x10 != 0 {
                fragment(&mut packet, v6, flags >> 5 | (step & 0x18));
            }
            force(&mut packet, v6, flags >> 2);
        }
        // Steps of up to about 17 minutes, so every timer runs out.
        now += Duration::from_millis(u64::from(step) * u64::from(step) * 16);
        let o = nat.translate(&packet, &mut out, now);
        check(o, &out);
        nat.expire(now);
        while let Some(o) = nat.poll_icmp(&mut out) {
            check(o, &out);
        }
        let stats = nat.stats();
        assert!(stats.sessions.iter().sum::<usize>() <= MAX_SESSIONS);
        assert!(stats.queued_fragments <= MAX_QUEUED_FRAGMENTS);
        assert_eq!(nat.sessions().count(), stats.sessions.iter().sum::<usize>());
        assert_eq!(nat.bib().count(), stats.bib_entries.iter().sum::<usize>());
    }
});
