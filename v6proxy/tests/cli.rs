//! `v6proxyd relay` on the command line: a bad argument exits 2 naming it,
//! a bad configuration line exits 1 naming its file, line and token, and
//! `--check` validates without starting.

use std::process::{Command, Output};

fn v6proxyd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_v6proxyd"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GOOD: &[&str] = &[
    "relay",
    "--listen",
    "127.0.0.1:0",
    "--backend-prefix",
    "2001:db8:1::/64",
    "--route",
    "www.example.org=[2001:db8:1::10]:443,proxy-protocol=v2",
];

#[test]
fn check_accepts_a_good_command_line() {
    let mut args = GOOD.to_vec();
    args.push("--check");
    let o = v6proxyd(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("configuration is good"));
}

#[test]
fn bad_arguments_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--listen", "localhost:80"),
        ("--route", "www.example.org=[::1"),
        (
            "--route",
            "www.example.org=[2001:db8:1::10]:443,proxy-protocol=v3",
        ),
        ("--proxy-protocol", "v3"),
        ("--embed-source", "2001:db8::/80"),
        ("--idle-timeout", "forever"),
    ] {
        let mut args = GOOD.to_vec();
        args.extend([flag, value, "--check"]);
        let o = v6proxyd(&args);
        assert_eq!(o.status.code(), Some(2), "{flag} {value}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }
    let o = v6proxyd(&["relay", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    // A route outside the backend prefixes is refused before starting.
    let o = v6proxyd(&[
        "relay",
        "--listen",
        "127.0.0.1:0",
        "--backend-prefix",
        "2001:db8:1::/64",
        "--route",
        "a.example=[::1]:80",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--route") && stderr(&o).contains("special-purpose"));
}

#[test]
fn a_bad_file_line_names_file_line_and_token() {
    let path = std::env::temp_dir().join(format!("v6proxy-cli-{}.conf", std::process::id()));
    std::fs::write(
        &path,
        "listen 127.0.0.1:0\nbackend-prefix 2001:db8:1::/64\n\nroute a.example [2001:db8:1::1]:80\nmax-connections lots\n",
    )
    .unwrap();
    let o = v6proxyd(&["relay", "-c", path.to_str().unwrap(), "--check"]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("{}:5: \"lots\"", path.display())),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_user_exits_2_naming_it() {
    let mut args = GOOD.to_vec();
    args.extend(["--user", "no-such-user-v6kit"]);
    let o = v6proxyd(&args);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(
        stderr(&o).contains("--user no-such-user-v6kit: no such user"),
        "{}",
        stderr(&o)
    );
}
