//! `v6rad` as an operator starts it: checking a configuration, bad
//! configurations and bad arguments, before anything touches the network.

use std::process::{Command, Output};

use v6kit_testkit::TempDir;

fn v6rad(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_v6rad"))
        .args(args)
        .output()
        .expect("v6rad runs")
}

/// `text` in the file `name` of a directory of its own, which is removed
/// on drop (also when a test fails); and the file's path.
fn write(name: &str, text: &str) -> (TempDir, String) {
    let dir = TempDir::new("v6rad-cli");
    let path = dir.write(name, text).to_str().unwrap().to_owned();
    (dir, path)
}

#[test]
fn check_accepts_a_good_configuration() {
    let (_dir, path) = write("good.conf", include_str!("data/rich.radvd.conf"));
    let out = v6rad(&["-c", "-C", &path]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn check_reports_file_line_column_and_token_with_status_1() {
    let (_dir, path) = write(
        "bad.conf",
        "interface eth0 {\n    AdvSendAdvert on;\n    MaxRtrAdvInterval 3;\n};\n",
    );
    let p = path.as_str();
    for args in [vec!["--check", "--config", p], vec!["-c", "-C", p]] {
        let out = v6rad(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert_eq!(
            stderr.trim(),
            format!("v6rad: {p}:3:23: MaxRtrAdvInterval must be between 4 and 1800 seconds: '3'")
        );
    }
    // Without --check the daemon refuses to start, with the same message.
    let out = v6rad(&["-C", p]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(":3:23:"));
}

#[test]
fn missing_file_is_status_1() {
    let out = v6rad(&["-c", "-C", "/nonexistent/radvd.conf"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/radvd.conf"));
}

#[test]
fn bad_argument_is_status_2_and_named() {
    let out = v6rad(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--frobnicate"));
    let out = v6rad(&["--metrics", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-an-address"));
}

#[test]
fn missing_interface_without_ignore_if_missing_is_status_1() {
    let (_dir, path) = write(
        "missing.conf",
        "interface v6k-nonexistent {\n    AdvSendAdvert on;\n    IgnoreIfMissing off;\n};\n",
    );
    let out = v6rad(&["-C", &path]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("v6k-nonexistent does not exist"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_user_exits_2_naming_it() {
    let (_dir, path) = write("user.conf", include_str!("data/rich.radvd.conf"));
    let out = v6rad(&["-C", &path, "-u", "no-such-user-v6kit"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--user no-such-user-v6kit: no such user"),
        "{err}"
    );
}
