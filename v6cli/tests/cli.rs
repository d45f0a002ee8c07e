//! The `v6` binary as a user runs it: output, JSON, exit status and error
//! messages of every subcommand.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// What one run of `v6` did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_v6"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("v6 runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin takes the input");
    let out = child.wait_with_output().expect("v6 finishes");
    Run {
        code: out.status.code().expect("v6 exits, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, "")
}

/// Runs `v6` expecting success with nothing on stderr; returns stdout.
fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, 0, "v6 {args:?}: {}", r.stderr);
    assert_eq!(r.stderr, "", "v6 {args:?}");
    r.stdout
}

/// Runs `v6 --json` expecting success; returns the parsed document.
fn json_of(args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(&all)).expect("--json output is JSON")
}

/// Checks the rules for bad input: exit status 2, nothing on stdout, one
/// line on stderr that starts with `v6: ` and names `token`, no panic.
fn check_bad(r: &Run, args: &[&str], token: &str) -> String {
    assert_eq!(r.code, 2, "v6 {args:?}: {}", r.stderr);
    assert_eq!(r.stdout, "", "v6 {args:?}");
    assert_eq!(r.stderr.lines().count(), 1, "v6 {args:?}: {}", r.stderr);
    assert!(r.stderr.starts_with("v6: "), "v6 {args:?}: {}", r.stderr);
    assert!(r.stderr.contains(token), "v6 {args:?}: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "v6 {args:?}: {}", r.stderr);
    r.stderr.trim_end().to_owned()
}

fn bad(args: &[&str], token: &str) -> String {
    check_bad(&run(args), args, token)
}

/// The known-answer vectors shared by the project's tests.
fn vectors() -> toml::Table {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/conformance/vectors.toml"
    );
    let text = std::fs::read_to_string(path).expect("conformance vectors are present");
    text.parse().expect("vectors.toml is TOML")
}

fn entries<'a>(v: &'a toml::Table, key: &str) -> &'a [toml::Value] {
    v[key].as_array().expect("an array of tables")
}

fn field<'a>(entry: &'a toml::Value, key: &str) -> &'a str {
    entry[key].as_str().expect("a string field")
}

/// The value of the row `name` in the text output of `v6 info`.
fn row<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .filter(|rest| rest.starts_with("  "))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no row {name:?} in:\n{text}"))
}

#[test]
fn info_ipv6_prefix() {
    let text = ok(&["2001:db8::1/64"]);
    assert_eq!(
        row(&text, "expanded"),
        "2001:0db8:0000:0000:0000:0000:0000:0001"
    );
    assert_eq!(row(&text, "compressed"), "2001:db8::1");
    assert_eq!(row(&text, "prefix"), "2001:db8::/64");
    assert_eq!(row(&text, "prefix length"), "64");
    assert_eq!(row(&text, "netmask"), "ffff:ffff:ffff:ffff::");
    assert_eq!(
        row(&text, "range"),
        "2001:db8:: - 2001:db8::ffff:ffff:ffff:ffff"
    );
    assert_eq!(row(&text, "addresses"), "18446744073709551616");
    assert_eq!(row(&text, "type"), "Documentation");
    assert_eq!(row(&text, "rfc"), "RFC 3849");
    assert_eq!(
        row(&text, "ptr"),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    );
    assert_eq!(
        row(&text, "reverse zone"),
        "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    );
    // The explicit subcommand says the same.
    assert_eq!(ok(&["info", "2001:db8::1/64"]), text);
}

#[test]
fn info_ipv4_with_netmask() {
    let text = ok(&["192.0.2.33/255.255.255.0"]);
    assert_eq!(row(&text, "prefix"), "192.0.2.0/24");
    assert_eq!(row(&text, "netmask"), "255.255.255.0");
    assert_eq!(row(&text, "wildcard"), "0.0.0.255");
    assert_eq!(row(&text, "broadcast"), "192.0.2.255");
    assert_eq!(row(&text, "range"), "192.0.2.0 - 192.0.2.255");
    assert_eq!(row(&text, "usable range"), "192.0.2.1 - 192.0.2.254");
    assert_eq!(row(&text, "usable"), "254");
    assert_eq!(row(&text, "ptr"), "33.2.0.192.in-addr.arpa.");
    assert_eq!(row(&text, "reverse zone"), "2.0.192.in-addr.arpa.");
}

#[test]
fn info_json() {
    let v = json_of(&["2001:db8::/32", "10.1.2.3/8", "ff02::1"]);
    let [v6, v4, mc] = v.as_array().expect("an array").as_slice() else {
        panic!("one object per argument: {v}");
    };
    assert_eq!(v6["family"], 6);
    assert_eq!(v6["expanded"], "2001:0db8:0000:0000:0000:0000:0000:0000");
    assert_eq!(v6["compressed"], "2001:db8::");
    assert_eq!(v6["prefix"], "2001:db8::/32");
    assert_eq!(v6["prefix_len"], 32);
    assert_eq!(v6["netmask"], "ffff:ffff::");
    assert_eq!(v6["first"], "2001:db8::");
    assert_eq!(v6["last"], "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    assert_eq!(v6["addresses"], "79228162514264337593543950336");
    assert_eq!(v6["type"], "Documentation");
    assert_eq!(v6["rfc"], "RFC 3849");
    assert_eq!(v6["globally_reachable"], false);
    assert_eq!(v6["broadcast"], Value::Null);
    assert_eq!(v6["ptr"], Value::Null);
    assert_eq!(v6["reverse_zones"], json!(["8.b.d.0.1.0.0.2.ip6.arpa."]));

    assert_eq!(v4["family"], 4);
    assert_eq!(v4["prefix"], "10.0.0.0/8");
    assert_eq!(v4["broadcast"], "10.255.255.255");
    assert_eq!(v4["usable"], "16777214");
    assert_eq!(v4["type"], "Private-Use");
    assert_eq!(v4["ptr"], "3.2.1.10.in-addr.arpa.");

    assert_eq!(mc["type"], "Multicast");
    assert_eq!(mc["multicast_scope"], "link-local");
    // ::/0 holds 2^128 addresses, one more than a u128 holds.
    assert_eq!(
        json_of(&["::/0"])[0]["addresses"],
        "340282366920938463463374607431768211456"
    );
}

#[test]
fn split_vectors() {
    let v = vectors();
    for case in entries(&v, "split") {
        let prefix = field(case, "prefix");
        let len = case["length"].as_integer().expect("a length").to_string();
        let text = ok(&["split", prefix, &len]);
        let lines: Vec<&str> = text.lines().collect();
        let count = case["count"].as_integer().expect("a count");
        assert_eq!(lines.len() as i64, count, "{prefix} /{len}");
        assert_eq!(lines[1], field(case, "second"), "{prefix} /{len}");
        assert_eq!(lines.last(), Some(&field(case, "last")), "{prefix} /{len}");
        // `/56` means the same as `56`.
        assert_eq!(ok(&["split", prefix, &format!("/{len}")]), text);

        let json = json_of(&["split", prefix, &len]);
        let items = json.as_array().expect("an array");
        assert_eq!(items.len() as i64, count);
        assert_eq!(items[1]["prefix"], field(case, "second"));
    }
}

#[test]
fn split_range_and_json_fields() {
    let text = ok(&["split", "2001:db8:100::/60", "64", "--range"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 16);
    assert_eq!(
        lines[1],
        "2001:0db8:0100:0001:0000:0000:0000:0000 - 2001:0db8:0100:0001:ffff:ffff:ffff:ffff"
    );
    assert_eq!(
        ok(&["split", "192.0.2.0/24", "26", "--range"]),
        "192.0.2.0 - 192.0.2.63\n192.0.2.64 - 192.0.2.127\n192.0.2.128 - 192.0.2.191\n192.0.2.192 - 192.0.2.255\n"
    );
    assert_eq!(
        json_of(&["split", "192.0.2.0/25", "26"]),
        json!([
            {"prefix": "192.0.2.0/26", "first": "192.0.2.0", "last": "192.0.2.63"},
            {"prefix": "192.0.2.64/26", "first": "192.0.2.64", "last": "192.0.2.127"},
        ])
    );
    // A prefix split into its own length is itself.
    assert_eq!(ok(&["split", "2001:db8::/64", "64"]), "2001:db8::/64\n");
}

#[test]
fn split_limit() {
    let msg = bad(&["split", "2001:db8::/32", "64"], "2001:db8::/32");
    assert!(msg.contains("4294967296"), "{msg}");
    assert!(msg.contains("--all"), "{msg}");
    // The 2^128 /128s of ::/0 are counted exactly.
    let msg = bad(&["split", "::/0", "128"], "::/0");
    assert!(
        msg.contains("340282366920938463463374607431768211456"),
        "{msg}"
    );

    let msg = bad(
        &["split", "2001:980:1234::/48", "56", "--limit", "100"],
        "2001:980:1234::/48",
    );
    assert!(msg.contains("256"), "{msg}");
    let all = ok(&[
        "split",
        "2001:980:1234::/48",
        "56",
        "--limit",
        "100",
        "--all",
    ]);
    assert_eq!(all.lines().count(), 256);
    let exact = ok(&["split", "2001:980:1234::/48", "56", "--limit", "256"]);
    assert_eq!(exact, all);
}

#[test]
fn eui64_vectors() {
    let v = vectors();
    for case in entries(&v, "eui64") {
        let (prefix, mac, address) = (
            field(case, "prefix"),
            field(case, "mac"),
            field(case, "address"),
        );
        assert_eq!(ok(&["eui64", prefix, mac]), format!("{address}\n"));
        let j = json_of(&["eui64", prefix, mac]);
        assert_eq!(j["address"], address);
        assert_eq!(j["mac"], mac);
        assert_eq!(j["prefix"], prefix);
        // And back again.
        assert_eq!(ok(&["mac", address]), format!("{mac}\n"));
        let j = json_of(&["mac", address]);
        assert_eq!(j["mac"], mac);
        assert_eq!(j["address"], address);
    }
    let j = json_of(&["eui64", "2001:db8::/64", "5254.00d6.c2a9"]);
    assert_eq!(j["interface_id"], "5054:ff:fed6:c2a9");
}

#[test]
fn mac_refuses_other_identifiers() {
    let msg = bad(
        &["mac", "2001:db8::1234:5678:9abc:def0"],
        "2001:db8::1234:5678:9abc:def0",
    );
    assert!(msg.contains("ff:fe"), "{msg}");
}

#[test]
fn stable_iid() {
    let secret = "00112233445566778899aabbccddeeff";
    let args = [
        "stable-iid",
        "2001:db8:1::/64",
        "--interface",
        "eth0",
        "--network-id",
        "office",
        "--secret",
        secret,
    ];
    let key: Vec<u8> = (0..16u8).map(|i| i * 0x11).collect();
    let input = v6core::stable_iid::StableIidInput {
        prefix: "2001:db8:1::/64".parse().expect("a prefix"),
        interface: "eth0",
        network_id: b"office",
        dad_counter: 0,
        secret_key: &key,
    };
    let want = input.address().expect("a /64 makes an address");
    assert_eq!(ok(&args), format!("{want}\n"));

    let j = json_of(&args);
    assert_eq!(j["address"], want.to_string());
    assert_eq!(j["interface"], "eth0");
    assert_eq!(j["network_id"], "office");
    assert_eq!(j["dad_counter"], 0);
    assert_eq!(
        j["interface_id"],
        input.iid().expect("an identifier").to_string()
    );
    assert_eq!(j.get("secret"), None, "the secret is never printed");

    let mut next = args.to_vec();
    next.extend(["--dad-counter", "1"]);
    assert_ne!(ok(&next), ok(&args), "the DAD counter changes the address");

    // A text secret is taken as its bytes.
    let text_secret = ["stable-iid", "2001:db8::/64", "--interface", "eth0"];
    let mut with_text = text_secret.to_vec();
    with_text.extend(["--secret", "a long enough passphrase"]);
    let text_key = v6core::stable_iid::StableIidInput {
        prefix: "2001:db8::/64".parse().expect("a prefix"),
        interface: "eth0",
        network_id: b"",
        dad_counter: 0,
        secret_key: b"a long enough passphrase",
    };
    assert_eq!(
        ok(&with_text),
        format!("{}\n", text_key.address().expect("an address"))
    );

    let mut short = text_secret.to_vec();
    short.extend(["--secret", "short"]);
    bad(&short, "secret");
}

#[test]
fn embed_and_extract_vectors() {
    let v = vectors();
    for case in entries(&v, "rfc6052") {
        let (prefix, v4, v6) = (
            field(case, "prefix"),
            field(case, "ipv4"),
            field(case, "ipv6"),
        );
        assert_eq!(ok(&["embed", prefix, v4]), format!("{v6}\n"));
        assert_eq!(ok(&["extract", prefix, v6]), format!("{v4}\n"));
        assert_eq!(
            json_of(&["embed", prefix, v4]),
            json!({"pref64": prefix, "ipv4": v4, "ipv6": v6})
        );
        assert_eq!(
            json_of(&["extract", prefix, v6]),
            json!({"pref64": prefix, "ipv6": v6, "ipv4": v4})
        );
    }
    bad(&["embed", "2001:db8::/33", "192.0.2.33"], "2001:db8::/33");
    bad(&["embed", "64:ff9b::/96", "192.0.2.333"], "192.0.2.333");
    bad(&["extract", "64:ff9b::/96", "2001:db8::1"], "2001:db8::1");
}

#[test]
fn random_addresses() {
    let text = ok(&["random", "2001:db8:1:2::/64", "-n", "20"]);
    let addrs: Vec<std::net::Ipv6Addr> = text
        .lines()
        .map(|l| l.parse().expect("an IPv6 address"))
        .collect();
    assert_eq!(addrs.len(), 20);
    let prefix: ipnet::Ipv6Net = "2001:db8:1:2::/64".parse().expect("a prefix");
    assert!(addrs.iter().all(|a| prefix.contains(a)), "{text}");
    let mut distinct = addrs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 20, "{text}");

    // All four addresses of a /30, each once.
    let j = json_of(&["random", "192.0.2.0/30", "-n", "4"]);
    let mut got: Vec<&str> = j
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| a.as_str().expect("a string"))
        .collect();
    got.sort();
    assert_eq!(got, ["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"]);

    assert_eq!(ok(&["random", "2001:db8::/64"]).lines().count(), 1);
    bad(&["random", "192.0.2.0/30", "-n", "5"], "5");
    bad(
        &["random", "2001:db8::/64", "-n", "100000000000000"],
        "100000000000000",
    );
}

#[test]
fn ptr_names() {
    let v = vectors();
    for case in entries(&v, "ptr") {
        let (address, name) = (field(case, "address"), field(case, "name"));
        assert_eq!(ok(&["ptr", address]), format!("{name}\n"));
        assert_eq!(ok(&["ptr", name]), format!("{address}\n"));
        let j = json_of(&["ptr", address]);
        assert_eq!(j["names"], json!([name]));
    }
    assert_eq!(
        ok(&["ptr", "2001:db8::/31"]),
        "8.b.d.0.1.0.0.2.ip6.arpa.\n9.b.d.0.1.0.0.2.ip6.arpa.\n"
    );
    assert_eq!(
        json_of(&["ptr", "2001:db8::/32"]),
        json!({"prefix": "2001:db8::/32", "names": ["8.b.d.0.1.0.0.2.ip6.arpa."]})
    );
    assert_eq!(ok(&["ptr", "2.0.192.in-addr.arpa."]), "192.0.2.0/24\n");
    assert_eq!(
        json_of(&["ptr", "8.b.d.0.1.0.0.2.ip6.arpa"]),
        json!({"name": "8.b.d.0.1.0.0.2.ip6.arpa", "prefix": "2001:db8::/32"})
    );
    bad(&["ptr", "x.ip6.arpa."], "x.ip6.arpa.");
}

#[test]
fn summarize() {
    assert_eq!(
        ok(&[
            "summarize",
            "2001:db8:1::/48",
            "192.0.2.128/25",
            "2001:db8::/48",
            "192.0.2.0-192.0.2.127"
        ]),
        "192.0.2.0/24\n2001:db8::/47\n"
    );
    assert_eq!(
        json_of(&["summarize", "10.0.0.1-10.0.0.6"]),
        json!(["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"])
    );

    let stdin = "# delegated\n2001:db8::/64\n\n2001:db8:0:1::/64\n  2001:db8:0:2::/63  \n";
    let r = run_with_stdin(&["summarize"], stdin);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "2001:db8::/62\n"),
        "{}",
        r.stderr
    );
    let r = run_with_stdin(&["summarize", "2001:db8:0:4::/62", "-"], stdin);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "2001:db8::/61\n"),
        "{}",
        r.stderr
    );

    let args = ["summarize"];
    let r = run_with_stdin(&args, "2001:db8::/64\nnonsense\n");
    let msg = check_bad(&r, &args, "\"nonsense\"");
    assert!(msg.contains("line 2"), "{msg}");
    bad(&["summarize", "192.0.2.9-192.0.2.1"], "192.0.2.9-192.0.2.1");
    bad(
        &["summarize", "192.0.2.1-2001:db8::1"],
        "192.0.2.1-2001:db8::1",
    );
}

#[test]
fn contains_exit_status() {
    let inside = run(&["contains", "2001:db8::/32", "2001:db8:ffff::1"]);
    assert_eq!(
        (inside.code, inside.stdout.as_str(), inside.stderr.as_str()),
        (0, "", "")
    );
    let outside = run(&["contains", "2001:db8::/32", "2001:db9::1"]);
    assert_eq!(
        (
            outside.code,
            outside.stdout.as_str(),
            outside.stderr.as_str()
        ),
        (1, "", "")
    );

    let verbose = run(&["contains", "--verbose", "192.0.2.0/24", "192.0.3.1"]);
    assert_eq!(verbose.code, 1);
    assert_eq!(verbose.stdout, "192.0.3.1 is not inside 192.0.2.0/24\n");

    let j = run(&["--json", "contains", "2001:db8::/32", "2001:db8::1"]);
    assert_eq!(j.code, 0);
    let j: Value = serde_json::from_str(&j.stdout).expect("JSON");
    assert_eq!(
        j,
        json!({"prefix": "2001:db8::/32", "address": "2001:db8::1", "contains": true})
    );
    let j = run(&["contains", "2001:db8::/32", "2001:db9::1", "--json"]);
    assert_eq!(j.code, 1);
    assert!(j.stdout.contains("\"contains\": false"), "{}", j.stdout);

    bad(&["contains", "2001:db8::/32", "192.0.2.1"], "192.0.2.1");
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["2001:db8::/129"], "\"2001:db8::/129\""),
        (&["192.0.2.0/33"], "\"192.0.2.0/33\""),
        (&["2001:db8::g"], "\"2001:db8::g\""),
        (&["192.0.2.0/255.0.255.0"], "\"192.0.2.0/255.0.255.0\""),
        (&["splt"], "\"splt\""),
        (&["split", "2001:db8::/48", "40"], "\"40\""),
        (&["split", "2001:db8::/48", "129"], "\"129\""),
        (&["split", "2001:db8::/48", "x"], "\"x\""),
        (&["split", "nonsense", "64"], "\"nonsense\""),
        (
            &["eui64", "2001:db8::/64", "52:54:00:d6:c2"],
            "\"52:54:00:d6:c2\"",
        ),
        (
            &["eui64", "2001:db8::/80", "52:54:00:d6:c2:a9"],
            "\"2001:db8::/80\"",
        ),
        (
            &["eui64", "192.0.2.0/24", "52:54:00:d6:c2:a9"],
            "\"192.0.2.0/24\"",
        ),
        (&["mac", "192.0.2.1"], "\"192.0.2.1\""),
        (&["mac", "2001:db8::/64"], "\"2001:db8::/64\""),
        (
            &["extract", "64:ff9b::/95", "64:ff9b::1"],
            "\"64:ff9b::/95\"",
        ),
        (&["random", "2001:db8::/200"], "\"2001:db8::/200\""),
        (&["ptr", "2001:db8::/x"], "\"2001:db8::/x\""),
        (
            &["contains", "2001:db8::/32", "2001:db8::/64"],
            "\"2001:db8::/64\"",
        ),
        (&["man", "nosuch"], "\"nosuch\""),
    ];
    for (args, token) in cases {
        let msg = bad(args, token);
        assert!(msg.starts_with("v6: invalid "), "{msg}");
    }
    let msg = bad(&["2001:db8::/129"], "2001:db8::/129");
    assert_eq!(
        msg,
        "v6: invalid prefix \"2001:db8::/129\": an IPv6 prefix length is at most 128"
    );
}

#[test]
fn usage_errors_are_one_line_and_status_2() {
    bad(&["--bogus"], "--bogus");
    bad(&["split", "2001:db8::/48"], "<LEN>");
    bad(&["split", "2001:db8::/48", "64", "--limit", "many"], "many");
    bad(
        &[
            "stable-iid",
            "2001:db8::/64",
            "--secret",
            "0123456789abcdef0123",
        ],
        "--interface",
    );
    bad(
        &[
            "stable-iid",
            "2001:db8::/64",
            "--interface",
            "eth0",
            "--secret",
            "0123456789abcdef0123",
            "--dad-counter",
            "256",
        ],
        "256",
    );
    bad(&["completions", "tcsh"], "tcsh");
    bad(&[], "v6 --help");
}

#[test]
fn help_and_version_exit_0() {
    let help = ok(&["--help"]);
    for sub in [
        "info",
        "split",
        "eui64",
        "mac",
        "stable-iid",
        "embed",
        "extract",
        "random",
        "ptr",
        "summarize",
        "contains",
        "completions",
        "man",
    ] {
        assert!(help.contains(sub), "--help lists {sub}:\n{help}");
    }
    assert!(ok(&["split", "--help"]).contains("--range"));
    assert!(ok(&["help", "split"]).contains("--limit"));
    assert_eq!(
        ok(&["--version"]),
        format!("v6 {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn broken_pipe_is_a_quiet_exit() {
    // 16,777,216 subnets: far more than a pipe holds, so v6 is still writing
    // when the reader goes away.
    let mut child = Command::new(env!("CARGO_BIN_EXE_v6"))
        .args(["split", "2001:db8::/40", "64", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("v6 runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut first)
        .expect("a first line");
    assert_eq!(first, "2001:db8::/64\n");
    // The reader is dropped here, closing the pipe.
    let out = child.wait_with_output().expect("v6 finishes");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(&["completions", shell]);
        for sub in ["split", "eui64", "summarize"] {
            assert!(script.contains(sub), "{shell} completions mention {sub}");
        }
    }
    let j = json_of(&["completions", "bash"]);
    assert_eq!(j["shell"], "bash");
    assert!(j["script"].as_str().is_some_and(|s| s.contains("split")));

    let man = ok(&["man"]);
    assert!(man.starts_with(".ie") || man.contains(".TH v6 1"), "{man}");
    for sub in ["split", "eui64", "stable\\-iid", "contains"] {
        assert!(man.contains(sub), "the man page mentions {sub}");
    }
    let split = ok(&["man", "split"]);
    assert!(split.contains(".TH v6-split 1"), "{split}");
    assert!(split.contains("\\-\\-range"), "{split}");
    let j = json_of(&["man", "split"]);
    assert_eq!(j["name"], "v6-split");
}
