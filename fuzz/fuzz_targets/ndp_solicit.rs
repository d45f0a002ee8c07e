//! The NDP proxy's packet path: whatever arrives on either link, at
//! whatever time, is answered, asked about or dropped by reason, never a
//! panic; what it sends parses back as neighbor discovery.
//!
//! The input is a sequence of records `[flags, milliseconds, length,
//! bytes…]`: flags bit 0 picks the link (upstream or internal), bit 1
//! wraps the bytes as an ICMPv6 message in a valid IPv6 header with the
//! right checksum (so that the fuzzer gets past the checksum), bits 2-3
//! pick the source address.
#![no_main]

use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use v6proxy::ndp::config::parse;
use v6proxy::ndp::responder::{Route, ipv6_packet, solicited_node};
use v6proxy::ndp::{Output, Responder, Transmit};
use v6ra::wire::{Packet, Repr};

const CONFIG: &str = "proxy ext0 {\n timeout 100\n ttl 1000\n retries 1\n autowire yes\n \
    rule 2001:db8:0:1::/64 { static }\n rule 2001:db8::/64 { iface int0 }\n \
    rule 2001:db8::/32 { auto\n autovia yes }\n}\n";

fn check(out: Output) {
    if let Output::Transmit(t) = out {
        let bytes = t.to_bytes(&Ipv6Addr::UNSPECIFIED);
        let view = Packet::new_checked(&bytes[..]).expect("sent a short message");
        Repr::parse(&view).expect("sent a malformed message");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Responder::new(parse(CONFIG, "fuzz").unwrap());
    r.set_link_addr("ext0", vec![2, 0, 0, 0, 0, 1]);
    r.set_link_addr("int0", vec![2, 0, 0, 0, 0, 2]);
    r.set_local_addresses(["2001:db8::2".parse().unwrap()]);
    r.set_routes(vec![Route {
        prefix: "2001:db8:5::/48".parse().unwrap(),
        iface: "int0".into(),
        via: Some("fe80::5".parse().unwrap()),
    }]);
    let mut now = Instant::now();
    let mut rest = data;
    while let [flags, ms, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        now += Duration::from_millis(u64::from(*ms) * 8);
        r.handle_timeout(now);
        let iface = if flags & 1 == 0 { "ext0" } else { "int0" };
        let source: Ipv6Addr = match (flags >> 2) & 3 {
            0 => Ipv6Addr::UNSPECIFIED,
            1 => "fe80::9".parse().unwrap(),
            2 => "2001:db8::1".parse().unwrap(),
            _ => "2001:db8::100".parse().unwrap(),
        };
        let packet = if flags & 2 != 0 && bytes.len() >= 24 {
            let target = Ipv6Addr::from(<[u8; 16]>::try_from(&bytes[8..24]).unwrap());
            let message = Repr::parse(&Packet::new_unchecked(bytes));
            let Ok(message) = message else { continue };
            ipv6_packet(
                source,
                &Transmit {
                    iface: iface.into(),
                    destination: solicited_node(target),
                    message,
                },
            )
        } else {
            bytes.to_vec()
        };
        let _ = r.handle_packet(now, iface, &packet);
        while let Some(out) = r.poll_output() {
            check(out);
        }
        assert!(r.sessions() <= v6proxy::ndp::responder::MAX_SESSIONS);
        if let Some(t) = r.poll_timeout() {
            assert!(t >= now || r.sessions() > 0);
        }
    }
    r.shutdown();
    while let Some(out) = r.poll_output() {
        assert!(matches!(out, Output::Unwire(_)));
    }
});
