//! `v6proxyd relay` on the command line: a bad argument exits 2 naming it,
//! a bad configuration line exits 1 naming its file, line and token,
//! `--check` validates without starting, and an address in use is refused.

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
    let dir = v6kit_testkit::TempDir::new("v6proxy-cli");
    let path = dir.write(
        "relay.conf",
        "listen 127.0.0.1:0\nbackend-prefix 2001:db8:1::/64\n\nroute a.example [2001:db8:1::1]:80\nmax-connections lots\n",
    );
    let o = v6proxyd(&["relay", "-c", path.to_str().unwrap(), "--check"]);
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

/// The workers' listeners share their address (`SO_REUSEPORT`), which
/// would let them join another relay's listeners on it and share its
/// connections; each address is bound alone first, so a second relay is
/// refused, and port 0 gives every worker the same port.
#[test]
fn an_address_in_use_is_refused_not_shared() {
    use std::io::{BufRead, BufReader};
    let mut first = Command::new(env!("CARGO_BIN_EXE_v6proxyd"));
    first
        .args(GOOD)
        .args(["--workers", "2"])
        .stderr(std::process::Stdio::piped());
    let mut first = v6kit_testkit::Process::spawn(&mut first);
    let lines = BufReader::new(first.child_mut().stderr.take().unwrap()).lines();
    let addr = lines
        .map_while(Result::ok)
        .find_map(|l| {
            let rest = l.split("relaying on ").nth(1)?;
            Some(rest.split(' ').next()?.to_owned())
        })
        .expect("the relay says where it listens");
    let listening = |port: &str| {
        let out = v6kit_testkit::run(Command::new("ss").args(["-Htln", "sport", "=", port]));
        out.lines().count()
    };
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(listening(port), 2, "one listener per worker on port {port}");
    let mut args = GOOD.to_vec();
    args[2] = &addr;
    let mut second = Command::new(env!("CARGO_BIN_EXE_v6proxyd"));
    second.args(&args).stderr(std::process::Stdio::piped());
    let mut second = v6kit_testkit::Process::spawn(&mut second);
    let status = second
        .wait_timeout(std::time::Duration::from_secs(10))
        .expect("a second relay on the same address does not start");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.child_mut().stderr.take().unwrap(), &mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("listen {addr}: Address already in use")),
        "{err}"
    );
    assert_eq!(listening(port), 2, "the first relay's listeners only");
}
