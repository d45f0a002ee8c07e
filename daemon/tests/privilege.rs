//! Giving up root: the test runs itself again as a child process that
//! switches to `nobody`, and reads what the kernel says of that child in
//! /proc/<pid>/status. Its own harness, so that the child has one thread,
//! as a daemon has when it keeps capabilities.

use std::process::{Command, ExitCode};

use v6kit_daemon::privilege::{Account, Capability, drop_to, keep_only};

/// Set in the child: which capabilities it keeps ("" for none).
const CHILD: &str = "V6KIT_PRIVILEGE_TEST_KEEP";

fn main() -> ExitCode {
    if let Ok(keep) = std::env::var(CHILD) {
        return child(&keep);
    }
    if !v6kit_testkit::root_or_skip("privilege", &["id", "setpriv"]) {
        return ExitCode::SUCCESS;
    }
    let uid = v6kit_testkit::run(Command::new("id").args(["-u", "nobody"]));
    let gid = v6kit_testkit::run(Command::new("id").args(["-g", "nobody"]));
    let (uid, gid) = (uid.trim(), gid.trim());

    // CAP_NET_RAW is capability 13 (linux/capability.h).
    let status = run_child("net_raw");
    assert_eq!(field(&status, "Uid"), [uid; 4].join("\t"), "{status}");
    assert_eq!(field(&status, "Gid"), [gid; 4].join("\t"), "{status}");
    assert_eq!(field(&status, "CapEff"), "0000000000002000", "{status}");
    assert_eq!(field(&status, "CapPrm"), "0000000000002000", "{status}");
    assert_eq!(field(&status, "CapInh"), "0000000000000000", "{status}");
    assert_eq!(field(&status, "CapBnd"), "0000000000002000", "{status}");
    assert!(status.contains("raw socket: opened"), "{status}");

    let status = run_child("");
    assert_eq!(field(&status, "Uid"), [uid; 4].join("\t"), "{status}");
    assert_eq!(field(&status, "CapEff"), "0000000000000000", "{status}");
    assert_eq!(field(&status, "CapPrm"), "0000000000000000", "{status}");
    assert!(
        status.contains("raw socket: Operation not permitted"),
        "{status}"
    );
    // Started without root but with ambient capabilities, as systemd
    // starts a unit with AmbientCapabilities=: it keeps only CAP_NET_RAW.
    let status = v6kit_testkit::run(
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--init-groups"])
            .args([
                "--inh-caps=+net_raw,+net_admin",
                "--ambient-caps=+net_raw,+net_admin",
            ])
            .arg(std::env::current_exe().unwrap())
            .env(CHILD, "narrow"),
    );
    assert!(
        status.contains("before: CapEff:\t0000000000003000"),
        "{status}"
    );
    assert_eq!(field(&status, "Uid"), [uid; 4].join("\t"), "{status}");
    assert_eq!(field(&status, "CapEff"), "0000000000002000", "{status}");
    assert_eq!(field(&status, "CapPrm"), "0000000000002000", "{status}");
    assert_eq!(field(&status, "CapInh"), "0000000000000000", "{status}");
    assert_eq!(field(&status, "CapAmb"), "0000000000000000", "{status}");
    assert!(status.contains("raw socket: opened"), "{status}");
    // Without root, --user is refused as a bad argument that names it.
    let out = v6kit_testkit::run(
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--init-groups"])
            .arg(std::env::current_exe().unwrap())
            .env(CHILD, "not-root"),
    );
    assert!(
        out.starts_with("bad argument: --user nobody: only root can switch users"),
        "{out}"
    );
    println!("privilege: 4 passed, 0 failed");
    ExitCode::SUCCESS
}

/// Runs this program as a child that keeps `keep`; returns what it printed.
fn run_child(keep: &str) -> String {
    let exe = std::env::current_exe().expect("the test's own path");
    v6kit_testkit::run(Command::new(exe).env(CHILD, keep))
}

/// The value of `name:` in a /proc/<pid>/status text.
fn field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
        .trim()
}

fn child(keep: &str) -> ExitCode {
    if keep == "not-root" {
        let e = Account::lookup("nobody", None).unwrap_err();
        let kind = if e.is_bad_argument() {
            "bad argument"
        } else {
            "other"
        };
        println!("{kind}: {e}");
        return ExitCode::SUCCESS;
    }
    if keep == "narrow" {
        let before = std::fs::read_to_string("/proc/self/status").expect("own status");
        for l in before.lines().filter(|l| l.starts_with("CapEff")) {
            println!("before: {l}");
        }
        keep_only(&[Capability::NetRaw]).expect("narrowed");
    } else {
        let keep: &[Capability] = if keep == "net_raw" {
            &[Capability::NetRaw]
        } else {
            &[]
        };
        let account = Account::lookup("nobody", None).expect("nobody exists");
        drop_to(&account, keep).expect("switched to nobody");
    }
    print!(
        "{}",
        std::fs::read_to_string("/proc/self/status").expect("own status")
    );
    let raw = socket2::Socket::new(
        socket2::Domain::IPV6,
        socket2::Type::RAW,
        Some(socket2::Protocol::ICMPV6),
    );
    match raw {
        Ok(_) => println!("raw socket: opened"),
        Err(e) => println!(
            "raw socket: {}",
            std::io::Error::from_raw_os_error(e.raw_os_error().unwrap_or(0))
        ),
    }
    ExitCode::SUCCESS
}
