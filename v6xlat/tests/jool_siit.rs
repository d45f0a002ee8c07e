//! Jool's SIIT graybox vectors (RFC 7915, RFC 7757, RFC 6791), run through
//! the library with the configuration that `README.md` of the vector
//! directory describes.
//!
//! The vectors are GPL-2.0 data kept outside this repository, in
//! `../shared/conformance/jool-graybox/`. The test fails when they are
//! missing rather than passing vacuously.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use common::jool::{DATA, Pair, check_failures, compare, pairs, read};
use v6xlat::mapping::{Eamt, EamtThenPrefix, Rfc6052};
use v6xlat::{Config, Outcome, Translator};

/// Pairs that are known not to pass, by input and expected file, with the
/// reason. Everything else must pass, and every entry here must still fail.
///
/// It is empty: every SIIT row passes, including `eb` (disabled upstream
/// only because of checksum offload on veth) and the `tcp46` rows that
/// upstream never runs. The Linux behaviour baked into the expected bytes
/// (errors from the translator's own address, TTL 64, DF clear, 576/1280
/// limits, DF above 1260 bytes) is what the translator does by default.
const ALLOWED_FAILURES: &[(&str, &str, &str)] = &[];

fn eamt(extra: bool) -> Eamt {
    let mut t = Eamt::new();
    let mut add = |v4: &str, v6: &str| t.add(v4.parse().unwrap(), v6.parse().unwrap()).unwrap();
    add("1.0.0.0/24", "2001:db8:3::/120");
    add("10.0.0.0/24", "2001:db8:2::/120");
    if extra {
        add("198.51.100.0/24", "2001:db8:1c6:3364::/72");
        add("192.0.2.0/24", "2001:db8:1c0:2::/72");
    }
    t
}

/// A number that follows `key` in `delta`, if any.
fn number_after(delta: &str, key: &str) -> Option<u16> {
    let at = delta.find(key)? + key.len();
    let digits: String = delta[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits.parse().unwrap())
}

/// The baseline SIIT configuration of the README, changed by the row's
/// column 8. Returns one configuration per run (`ec` runs twice).
fn configs(delta: &str) -> Vec<Config<EamtThenPrefix>> {
    let no_pool6 = delta.contains("pool6=none");
    let prefix = (!no_pool6).then(|| Rfc6052::new("2001:db8:100::/40".parse().unwrap()));
    let mapping = EamtThenPrefix::new(eamt(no_pool6), prefix);
    let mut cfg = Config::new(
        mapping,
        Ipv4Addr::new(198, 51, 100, 1),
        "2001:db8:1c0:2:1::".parse::<Ipv6Addr>().unwrap(),
    );
    cfg.rfc6791_v4 = Some("203.0.113.8/32".parse().unwrap());
    if delta.contains("rfc6791v4-prefix=none") {
        cfg.rfc6791_v4 = None;
    }
    if delta.contains("rfc6791v6-prefix=2::2") {
        cfg.rfc6791_v6 = Some("2::2/128".parse().unwrap());
    }
    if let Some(mtu) = number_after(delta, "lowest-ipv6-mtu=") {
        cfg.lowest_ipv6_mtu = mtu;
    }
    if let Some(mtu) = number_after(delta, "IPv6-side link MTU=") {
        cfg.ipv6_mtu = mtu;
    }
    if let Some(mtu) = number_after(delta, "IPv4-side link MTU=") {
        cfg.ipv4_mtu = mtu;
    }
    // "n4<->j IPv4 link MTU=2153" is the ingress link: it only lets the
    // input through and changes nothing in the translator.
    if let Some(v) = number_after(delta, "amend-udp-checksum-zero=") {
        cfg.amend_udp_checksum_zero = v == 1;
    }
    if delta.contains("run again with =0") {
        let mut other = cfg.clone();
        other.amend_udp_checksum_zero = false;
        return vec![cfg, other];
    }
    vec![cfg]
}

/// Runs one pair; `Err` says what went wrong.
fn run(dir: &Path, pair: &Pair, cfg: Config<EamtThenPrefix>) -> Result<(), String> {
    let xlat = Translator::new(cfg).map_err(|e| e.to_string())?;
    let input = read(dir, &pair.input);
    let mut out = vec![0u8; v6xlat::buffer_len(input.len())];
    let outcome = xlat.translate(&input, &mut out);
    if let Outcome::Dropped(reason) = outcome {
        return Err(format!("dropped: {}", reason.as_str()));
    }
    let got: Vec<&[u8]> = outcome.packets(&out).collect();
    compare(dir, pair, &got).map_err(|e| format!("{e} ({outcome:?})"))
}

#[test]
fn jool_siit_vectors() {
    let dir = Path::new(DATA);
    let pairs = pairs(dir, "siit");
    assert!(
        pairs.len() > 100,
        "only {} SIIT pairs in pairs.tsv",
        pairs.len()
    );
    let mut runs = 0;
    let mut passed = 0;
    let mut failures: Vec<(String, String, String)> = Vec::new();
    for pair in &pairs {
        for cfg in configs(&pair.delta) {
            runs += 1;
            let expected = pair.expected.join(";");
            match run(dir, pair, cfg) {
                Ok(()) => passed += 1,
                Err(why) => {
                    println!("FAIL {} {} -> {}: {why}", pair.group, pair.input, expected);
                    failures.push((pair.input.clone(), expected, why));
                }
            }
        }
    }
    println!("{passed}/{runs} SIIT runs pass ({} pairs)", pairs.len());
    check_failures(&failures, ALLOWED_FAILURES);
}
