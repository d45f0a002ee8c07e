//! The same zone through Unbound's DNS64 (`module-config: "dns64 iterator"`)
//! and through `v6dns64d` gives the same answer sections.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use v6kit_testkit::{Process, TempDir, wait_until};

/// A free UDP port on loopback (and, almost surely, TCP).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn unbound(dir: &TempDir, authority: SocketAddr) -> (Process, SocketAddr) {
    let port = free_port();
    let conf = format!(
        r#"server:
    interface: 127.0.0.1
    port: {port}
    do-ip6: no
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    module-config: "dns64 iterator"
    dns64-prefix: 64:ff9b::/96
    qname-minimisation: no
    local-zone: "2.0.192.in-addr.arpa." nodefault
    local-zone: "example." nodefault
forward-zone:
    name: "."
    forward-addr: {ip}@{aport}
remote-control:
    control-enable: no
"#,
        dir = dir.path().display(),
        ip = authority.ip(),
        aport = authority.port(),
    );
    let path = dir.write("unbound.conf", &conf);
    let check = Command::new("unbound-checkconf")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let mut cmd = Command::new("unbound");
    cmd.args(["-d", "-c"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let p = Process::spawn(&mut cmd);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let up = wait_until(Duration::from_secs(10), || {
        status(&dig(addr, &["dual.example.", "A"])) == "NOERROR"
    });
    assert!(up, "unbound did not start");
    (p, addr)
}

#[test]
fn same_answers_as_unbound_dns64() {
    if !have("same_answers_as_unbound_dns64", "dig")
        || !have("same_answers_as_unbound_dns64", "unbound")
    {
        return;
    }
    let auth = Authority::start(&[ZONE, REVERSE]);
    let dir = temp_dir("differential");
    let (_unbound, ub) = unbound(&dir, auth.addr);
    let d = Daemon::start(&["--upstream", &auth.addr.to_string(), "--allow", "::1/128"]);
    let ptr = "64:ff9b::c000:221";
    let cases: &[&[&str]] = &[
        &["v4only.example.", "AAAA"],
        &["dual.example.", "AAAA"],
        &["alias.example.", "AAAA"],
        &["alias2.example.", "AAAA"],
        &["missing.example.", "AAAA"],
        &["nodata.example.", "AAAA"],
        &["v4only.example.", "A"],
        &["-x", ptr],
    ];
    for case in cases {
        let theirs = dig(ub, case);
        let ours = dig(d.addr, case);
        let why = format!("{case:?}\nunbound:\n{theirs}\nv6dns64d:\n{ours}");
        assert_eq!(status(&ours), status(&theirs), "{why}");
        if case[0] == "-x" {
            // Unbound answers with the PTR record moved to the ip6.arpa
            // name; RFC 6147 section 5.3.1 (and BIND) answer with a CNAME
            // to the in-addr.arpa name and its PTR. The PTR data agree.
            let targets = |out: &str| -> Vec<String> {
                answer_section(out)
                    .into_iter()
                    .filter(|l| l.contains(" ptr "))
                    .map(|l| l.rsplit(' ').next().unwrap().to_owned())
                    .collect()
            };
            assert_eq!(targets(&ours), targets(&theirs), "{why}");
            assert_eq!(targets(&ours), ["v4only.example."], "{why}");
            assert!(
                answer_section(&ours)[0].contains(" cname 33.2.0.192.in-addr.arpa."),
                "{why}"
            );
            continue;
        }
        assert_eq!(answer_section(&ours), answer_section(&theirs), "{why}");
        // And the expected: something synthesized where there should be.
        if case[0] == "v4only.example." && case[1] == "AAAA" {
            assert_eq!(answer_section(&ours).len(), 2);
        }
    }
}
