//! `v6xlatd`'s command line, run as a program: configuration errors name
//! the file, the line and the token; bad arguments exit with 2 and name
//! the argument; `--check` validates without touching the system. These
//! need no root.

use std::path::PathBuf;
use std::process::{Command, Output};

use v6kit_testkit::TempDir;

fn v6xlatd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_v6xlatd"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `text` in `NAME.conf`, in a directory of its own that is removed on
/// drop (also when a test fails).
fn conf_file(name: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new("v6xlatd-cli");
    let path = dir.write(&format!("{name}.conf"), text);
    (dir, path)
}

const GOOD: &str = "tun-device nat64\nipv4-addr 198.51.100.1\nipv6-addr 2001:db8:ffff::1\n\
                    prefix 64:ff9b::/96\ndynamic-pool 198.51.100.0/24\n\
                    data-dir /var/lib/v6xlatd\nmap 198.51.100.10 2001:db8:1::10\n";

#[test]
fn check_accepts_a_good_tayga_conf() {
    let (_dir, p) = conf_file("good", GOOD);
    let o = v6xlatd(&["--config", p.to_str().unwrap(), "--check"]);
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("configuration is good"));
}

#[test]
fn a_bad_line_names_file_line_and_token() {
    let text = format!("{GOOD}# a comment\nprefx 2001:db8::/96\n");
    let (_dir, p) = conf_file("bad", &text);
    let o = v6xlatd(&["-c", p.to_str().unwrap(), "--check"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let want = format!("{}:9: unknown directive: \"prefx\"", p.display());
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));

    let (_dir, p) = conf_file(
        "bad2",
        "tun-device nat64\nipv4-addr 198.51.100.1\nmap 198.51.100.300 2001:db8::1\n",
    );
    let o = v6xlatd(&["-c", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        stderr(&o).contains(":3: expected an IPv4 address or prefix: \"198.51.100.300\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_file_is_an_error() {
    let o = v6xlatd(&["-c", "/nonexistent/tayga.conf", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/tayga.conf"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bad_arguments_exit_2_and_name_the_argument() {
    let o = v6xlatd(&["--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--frobnicate"), "{}", stderr(&o));

    let o = v6xlatd(&["--metrics", "not-an-address", "--check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--metrics"), "{}", stderr(&o));

    let o = v6xlatd(&[
        "--tun-device",
        "nat64",
        "--ipv4-addr",
        "198.51.100.1",
        "--prefix",
        "64:ff9b::/95",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--prefix: ") && stderr(&o).contains("64:ff9b::/95"),
        "{}",
        stderr(&o)
    );

    let o = v6xlatd(&[
        "--tun-device",
        "nat64",
        "--prefix",
        "2001:db8:64::/96",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing --ipv4-addr"), "{}", stderr(&o));

    let o = v6xlatd(&["--tun-device", "nat64", "--config", "/etc/tayga.conf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--tun-device cannot be combined with --config"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn runs_from_flags_alone() {
    let o = v6xlatd(&[
        "--tun-device",
        "nat64",
        "--ipv4-addr",
        "192.0.2.1",
        "--prefix",
        "2001:db8:64::/96",
        "--map",
        "192.0.2.10=2001:db8:1::10",
        "--check",
    ]);
    assert!(o.status.success(), "{o:?}");
}

#[test]
fn an_unknown_user_exits_2_naming_it() {
    let (_dir, p) = conf_file("user", GOOD);
    let o = v6xlatd(&["-c", p.to_str().unwrap(), "--user", "no-such-user-v6kit"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        stderr(&o).contains("--user no-such-user-v6kit: no such user"),
        "{}",
        stderr(&o)
    );
}
