//! `v6` against the tools it replaces: sipcalc and ipv6calc must agree with
//! it on the same inputs.
//!
//! When a peer is not installed the test says "skipped: … not installed" and
//! returns, unless `CI` is set: CI installs the peers, so there a missing
//! peer is a failure, never a silent pass.
//!
//! Known, deliberate differences (RFC 5952 is followed where the peers
//! predate it or differ):
//! - sipcalc compresses IPv4-mapped addresses as `::ffff:c000:201`; RFC 5952
//!   section 5 recommends `::ffff:192.0.2.1`, which v6 (like ipv6calc) prints.
//! - ipv6calc prints the deprecated IPv4-compatible form `::192.0.2.1`
//!   (RFC 4291 section 2.5.5.1); v6 prints `::c000:201`, like sipcalc.

use std::process::Command;

use serde_json::Value;

/// Whether `peer` can be run; `false` (after saying so) if it cannot and
/// `CI` is not set. Panics if it cannot and `CI` is set.
fn installed(peer: &str) -> bool {
    let found = Command::new(peer).arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{peer} is not installed, but CI is set and CI installs it"
        );
        println!("skipped: {peer} not installed");
    }
    found
}

fn stdout_of(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn v6(args: &[&str]) -> String {
    stdout_of(env!("CARGO_BIN_EXE_v6"), args)
}

fn v6_json(arg: &str) -> Value {
    let text = v6(&["--json", arg]);
    let v: Value = serde_json::from_str(&text).expect("JSON");
    v[0].clone()
}

/// The value after `label` and the `-` separator in sipcalc's output.
fn sipcalc_field(output: &str, label: &str) -> String {
    output
        .lines()
        .find(|l| l.starts_with(label))
        .and_then(|l| l.split_once("\t- "))
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label:?} in sipcalc output:\n{output}"))
}

/// Every address in the `[Split network]` section of sipcalc, in order:
/// first and last of each subnet.
fn sipcalc_split_addresses(output: &str) -> Vec<String> {
    output
        .split_whitespace()
        .filter(|w| w.parse::<std::net::IpAddr>().is_ok())
        .map(str::to_owned)
        .collect()
}

#[test]
fn split_ranges_match_sipcalc() {
    if !installed("sipcalc") {
        return;
    }
    let cases = [
        ("2001:db8:100::/60", "64", "-S"),
        ("2001:980:1234::/48", "56", "-S"),
        ("2001:db8::/64", "70", "-S"),
        ("fe80::/10", "16", "-S"),
        ("192.0.2.0/24", "27", "-s"),
        ("10.0.0.0/16", "20", "-s"),
    ];
    for (prefix, len, flag) in cases {
        let theirs = stdout_of("sipcalc", &[flag, len, prefix]);
        // The header line names the input as `[ipv6 : PREFIX]`, which is
        // not an address, so only the split's addresses are taken.
        let theirs = sipcalc_split_addresses(&theirs);
        let ours: Vec<String> = v6(&["split", prefix, len, "--range"])
            .lines()
            .flat_map(|l| l.split(" - ").map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert!(!ours.is_empty(), "{prefix} /{len}");
        assert_eq!(
            ours, theirs,
            "v6 split {prefix} {len} --range vs sipcalc {flag}"
        );
    }
}

const V6_INPUTS: [&str; 16] = [
    "2001:db8::1",
    "2001:db8:0:1:0:0:0:1",
    "1:0:0:0:1:0:0:0",
    "2001:DB8::A",
    "fe80::1",
    "::1",
    "::",
    "fd00::1",
    "ff02::1:ff00:1",
    "ff05::2",
    "64:ff9b::c000:221",
    "2002:c000:221::1",
    "2001::1",
    "::ffff:192.0.2.1",
    "::192.0.2.1",
    "2606:4700::1111",
];

#[test]
fn info_matches_sipcalc() {
    if !installed("sipcalc") {
        return;
    }
    for input in V6_INPUTS {
        let theirs = stdout_of("sipcalc", &[input]);
        let ours = v6_json(input);
        assert_eq!(
            ours["expanded"],
            sipcalc_field(&theirs, "Expanded Address"),
            "{input}"
        );
        if !input.starts_with("::ffff:") {
            assert_eq!(
                ours["compressed"],
                sipcalc_field(&theirs, "Compressed address"),
                "{input}"
            );
        }
    }
    // sipcalc takes a netmask only as a separate argument.
    for (input, sipcalc_input) in [
        ("192.0.2.33/24", "192.0.2.33/24"),
        ("10.1.2.3/255.255.0.0", "10.1.2.3/16"),
        ("198.51.100.7/30", "198.51.100.7/30"),
        ("203.0.113.9", "203.0.113.9/32"),
    ] {
        let theirs = stdout_of("sipcalc", &[sipcalc_input]);
        let ours = v6_json(input);
        let prefix = ours["prefix"].as_str().expect("a prefix");
        assert_eq!(
            prefix.split('/').next(),
            Some(sipcalc_field(&theirs, "Network address").as_str()),
            "{input}"
        );
        assert_eq!(
            ours["netmask"],
            sipcalc_field(&theirs, "Network mask"),
            "{input}"
        );
        assert_eq!(
            ours["hostmask"],
            sipcalc_field(&theirs, "Cisco wildcard"),
            "{input}"
        );
        assert_eq!(
            ours["broadcast"],
            sipcalc_field(&theirs, "Broadcast address"),
            "{input}"
        );
        assert_eq!(
            ours["addresses"],
            sipcalc_field(&theirs, "Addresses in network"),
            "{input}"
        );
    }
}

/// What v6 calls the types ipv6calc names in `IPV6_TYPE`.
const TYPES: [(&str, &str); 9] = [
    ("loopback", "Loopback"),
    ("unspecified", "Unspecified"),
    ("unique-local-unicast", "Unique-Local"),
    ("multicast", "Multicast"),
    ("6to4", "6to4"),
    ("teredo", "TEREDO"),
    ("mapped", "IPv4-mapped"),
    ("nat64", "IPv4-IPv6 Translation"),
    ("link-local", "Link-Local"),
];

#[test]
fn info_matches_ipv6calc() {
    if !installed("ipv6calc") {
        return;
    }
    // How many type and RFC answers were compared, so that a change in
    // ipv6calc's output format cannot make this test compare nothing.
    let mut compared = 0;
    for input in V6_INPUTS {
        let ours = v6_json(input);
        let compressed = stdout_of("ipv6calc", &["-q", "--addr2compaddr", input]);
        if !input.starts_with("::192.") {
            assert_eq!(ours["compressed"], compressed.trim(), "{input}");
        }

        let info = stdout_of("ipv6calc", &["-q", "-i", "-m", input]);
        let value = |key: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_default()
                .to_owned()
        };
        let kind = ours["type"].as_str().expect("a type");
        let types = value("IPV6_TYPE=");
        let types: Vec<&str> = types.split(',').collect();
        for (theirs, want) in TYPES {
            if !types.contains(&theirs) {
                continue;
            }
            if theirs == "link-local" && types.contains(&"multicast") {
                // For multicast, ipv6calc's "link-local" is the scope.
                assert_eq!(ours["multicast_scope"], "link-local", "{input}");
            } else {
                assert!(
                    kind.contains(want),
                    "{input}: ipv6calc says {theirs}, v6 says {kind}"
                );
            }
            compared += 1;
        }
        if types.contains(&"multicast") && types.contains(&"site-local") {
            assert_eq!(ours["multicast_scope"], "site-local", "{input}");
        }

        // IPV6_REGISTRY=reserved(RFC4291#2.5.6): the same RFC must be named.
        let registry = value("IPV6_REGISTRY=");
        if let Some(rfc) = registry
            .strip_prefix("reserved(RFC")
            .and_then(|r| r.split(['#', ')']).next())
        {
            let rfcs = ours["rfc"].as_str().expect("an RFC");
            assert!(
                rfcs.contains(&format!("RFC {rfc}")),
                "{input}: ipv6calc says RFC {rfc}, v6 says {rfcs}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} answers compared");
}
