//! Jool's stateful NAT64 graybox vectors (RFC 6146), run through
//! [`Nat64`] with the configuration that `README.md` of the vector
//! directory describes, on a virtual clock.
//!
//! Upstream runs the rows in order against one translator, so that the
//! sessions the `session-test` rows create serve the rows after them; this
//! test does the same with one [`Nat64`], advancing the clock by 100 ms a
//! row. Rows that change the configuration get their own [`Nat64`].

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::time::Duration;

use common::jool::{DATA, Pair, check_failures, compare, pairs, read};
use v6xlat::mapping::Rfc6052;
use v6xlat::nat64::{Nat64, Nat64Config, Pool4, Protocol};
use v6xlat::{Config, Outcome};

/// Pairs that are known not to pass, by input and expected file, with the
/// reason. Everything else must pass, and every entry here must still fail.
///
/// It is empty: all 42 NAT64 rows pass. Two need more than one call, as
/// upstream's network does: the `so` rows wait TCP_INCOMING_SYN on the
/// virtual clock (upstream waits 8 s), and issue132 has n4 answer the
/// translated packet with a Host Unreachable, which goes back through the
/// translator (built here as Linux builds it: TOS 0xc0, TTL 64).
const ALLOWED_FAILURES: &[(&str, &str, &str)] = &[];

/// The NAT64 network of the README: pool6 64:ff9b::/96, pool4 192.0.2.2
/// ports 1-3000 for every protocol, the static BIB entries, and the
/// changes of the row's column 8.
fn nat64(delta: &str) -> Nat64 {
    let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
    let mut xlat = Config::new(
        prefix,
        Ipv4Addr::new(192, 0, 2, 2),
        "2001:db8::1".parse().unwrap(),
    );
    if delta.contains("IPv4-side link MTU=1000") {
        xlat.ipv4_mtu = 1000;
    }
    if delta.contains("IPv6-side link MTU=1280") {
        xlat.ipv6_mtu = 1280;
    }
    let mut pool4 = Pool4::new();
    pool4
        .add(None, "192.0.2.2/32".parse().unwrap(), 1..=3000)
        .unwrap();
    let mut cfg = Nat64Config::new(pool4);
    // The vectors embed documentation addresses in the well-known prefix,
    // which Jool does not forbid.
    cfg.allow_non_global = true;
    cfg.zeroize_traffic_class = delta.contains("zeroize-traffic-class=true");
    cfg.source_icmpv6_errors_better = !delta.contains("source-icmpv6-errors-better=off");
    let mut nat = Nat64::new(xlat, cfg).unwrap();
    let mut add = |p, v6: &str, v4: &str| {
        let v6: SocketAddrV6 = v6.parse().unwrap();
        let v4: SocketAddrV4 = v4.parse().unwrap();
        nat.add_static(p, v6, v4).unwrap();
    };
    add(Protocol::Tcp, "[2001:db8::5]:2000", "192.0.2.2:2000");
    add(Protocol::Udp, "[2001:db8::5]:2000", "192.0.2.2:2000");
    add(Protocol::Icmp, "[2001:db8::5]:1", "192.0.2.2:1");
    add(Protocol::Udp, "[2001:db8:1::5]:1001", "192.0.2.2:1000");
    add(Protocol::Udp, "[2001:db8::5]:1003", "192.0.2.2:1002");
    nat
}

/// Whether the row's column 8 changes the configuration (rather than
/// noting what the row needs).
fn changes_config(delta: &str) -> bool {
    delta.contains('=') && !delta.starts_with("TCP simultaneous-open")
}

/// What n4 answers when it cannot forward `packet` (issue132): an ICMPv4
/// Destination Unreachable, Host Unreachable, from its own address with
/// Linux's TOS 0xc0 and TTL 64, quoting the packet.
fn n4_unreachable(packet: &[u8]) -> Vec<u8> {
    let n4 = Ipv4Addr::new(192, 0, 2, 5);
    let dst = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let mut icmp = vec![3, 1, 0, 0, 0, 0, 0, 0];
    icmp.extend_from_slice(packet);
    let mut p = common::ipv4(n4, dst, 1, 64, false, &icmp);
    p[1] = 0xc0;
    p[10..12].fill(0);
    let c = !(common::sum(&p[..20]) as u16);
    p[10..12].copy_from_slice(&c.to_be_bytes());
    p
}

/// Runs one pair through `nat` at `*now`; `Err` says what went wrong.
fn run(dir: &Path, pair: &Pair, nat: &mut Nat64, now: &mut Duration) -> Result<(), String> {
    let inputs: Vec<Vec<u8>> = pair.input.split(" then ").map(|n| read(dir, n)).collect();
    let size = v6xlat::buffer_len(4096);
    let mut out = vec![0u8; size];
    let mut got: Vec<Vec<u8>> = Vec::new();
    if pair.group == "so" {
        // TCP simultaneous open: every input but the last is an IPv4 SYN
        // that is stored; the expected packet is either the translation of
        // the last input, or the Port Unreachable that TCP_INCOMING_SYN
        // (6 s) later brings.
        let (last, stored) = inputs.split_last().unwrap();
        for syn in stored {
            let o = nat.translate(syn, &mut out, *now);
            if o.packets(&out).count() != 0 {
                return Err(format!("the stored SYN gave {o:?}"));
            }
            *now += Duration::from_secs(1);
        }
        let o = nat.translate(last, &mut out, *now);
        got.extend(o.packets(&out).map(<[u8]>::to_vec));
        *now += Duration::from_millis(6100);
        nat.expire(*now);
        while let Some(o) = nat.poll_icmp(&mut out) {
            got.extend(o.packets(&out).map(<[u8]>::to_vec));
        }
    } else if pair.group == "misc" {
        // issue132: the translated packet reaches n4, which has no route
        // to 203.0.113.0/24 and answers with an ICMPv4 error.
        let o = nat.translate(&inputs[0], &mut out, *now);
        let Outcome::Translated { len, .. } = o else {
            return Err(format!("the packet to n4 gave {o:?}"));
        };
        let error = n4_unreachable(&out[..len]);
        let o = nat.translate(&error, &mut out, *now);
        got.extend(o.packets(&out).map(<[u8]>::to_vec));
    } else {
        let o = nat.translate(&inputs[0], &mut out, *now);
        got.extend(o.packets(&out).map(<[u8]>::to_vec));
    }
    *now += Duration::from_millis(100);
    let got: Vec<&[u8]> = got.iter().map(Vec::as_slice).collect();
    compare(dir, pair, &got)
}

#[test]
fn jool_nat64_vectors() {
    let dir = Path::new(DATA);
    let pairs = pairs(dir, "nat64");
    assert_eq!(pairs.len(), 42, "NAT64 rows in pairs.tsv");
    let mut shared = nat64("-");
    let mut now = Duration::from_secs(1);
    let mut passed = 0;
    let mut failures: Vec<(String, String, String)> = Vec::new();
    for pair in &pairs {
        let expected = pair.expected.join(";");
        let result = if changes_config(&pair.delta) {
            let mut own = nat64(&pair.delta);
            run(dir, pair, &mut own, &mut now)
        } else {
            run(dir, pair, &mut shared, &mut now)
        };
        match result {
            Ok(()) => passed += 1,
            Err(why) => {
                println!(
                    "FAIL {} {}->{} {} -> {}: {why}",
                    pair.group, pair.send_from, pair.expect_at, pair.input, expected
                );
                failures.push((pair.input.clone(), expected, why));
            }
        }
    }
    println!("{passed}/{} NAT64 rows pass", pairs.len());
    check_failures(&failures, ALLOWED_FAILURES);
}
