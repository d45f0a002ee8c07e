//! `v6dns64d` on port 0 against a test authority, asked with `dig` over UDP
//! and TCP.

mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

use common::*;

fn upstream_args(a: &Authority) -> Vec<String> {
    vec!["--upstream".into(), a.addr.to_string()]
}

fn start(auth: &Authority, extra: &[&str]) -> Daemon {
    let mut args: Vec<String> = upstream_args(auth);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Daemon::start(&args)
}

#[test]
fn answers_over_udp_and_tcp() {
    if !have("answers_over_udp_and_tcp", "dig") {
        return;
    }
    let auth = Authority::start(&[ZONE, REVERSE]);
    let d = start(&auth, &["--allow", "::1/128"]);
    for transport in ["+notcp", "+tcp"] {
        let out = dig(d.addr, &[transport, "v4only.example.", "AAAA"]);
        assert_eq!(status(&out), "NOERROR", "{out}");
        assert_eq!(
            answer_section(&out),
            [
                "v4only.example. in aaaa 64:ff9b::c000:221",
                "v4only.example. in aaaa 64:ff9b::c633:6407"
            ],
            "{transport}: {out}"
        );
        assert!(out.contains("udp: 1232"), "EDNS0 advertised: {out}");
        let out = dig(d.addr, &[transport, "alias2.example.", "AAAA"]);
        assert_eq!(answer_section(&out).len(), 4, "{out}");
        let out = dig(d.addr, &[transport, "dual.example.", "AAAA"]);
        assert_eq!(answer_section(&out), ["dual.example. in aaaa 2001:db8::1"]);
        let out = dig(d.addr, &[transport, "missing.example.", "AAAA"]);
        assert_eq!(status(&out), "NXDOMAIN");
        let out = dig(d.addr, &[transport, "-x", "64:ff9b::c000:221"]);
        assert_eq!(
            answer_section(&out),
            [
                "1.2.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa. in cname 33.2.0.192.in-addr.arpa.",
                "33.2.0.192.in-addr.arpa. in ptr v4only.example."
            ],
            "{out}"
        );
        // A query type that is not AAAA is passed through.
        let out = dig(d.addr, &[transport, "v4only.example.", "A"]);
        assert_eq!(answer_section(&out).len(), 2);
    }
}

#[test]
fn large_replies_are_truncated_over_udp_and_complete_over_tcp() {
    if !have(
        "large_replies_are_truncated_over_udp_and_complete_over_tcp",
        "dig",
    ) {
        return;
    }
    let big = big_zone(100);
    let auth = Authority::start(&[ZONE, &big]);
    let d = start(&auth, &["--allow", "::1/128", "--metrics", "[::1]:0"]);
    let out = dig(d.addr, &["+ignore", "big.example.", "AAAA"]);
    assert!(out.contains(" tc"), "TC set over UDP: {out}");
    let out = dig(d.addr, &["big.example.", "AAAA"]);
    assert_eq!(answer_section(&out).len(), 100, "{out}");
    let out = dig(d.addr, &["+tcp", "big.example.", "AAAA"]);
    assert_eq!(answer_section(&out).len(), 100, "{out}");
    // The A answer itself was truncated upstream and asked again over TCP.
    let m = metrics(&d);
    assert!(
        counter(&m, "v6dns64_upstream_tcp_retries_total") >= 1,
        "{m}"
    );
    assert!(counter(&m, "v6dns64_truncated_total") >= 1, "{m}");
}

fn metrics(d: &Daemon) -> String {
    let mut s = TcpStream::connect(d.metrics.unwrap()).unwrap();
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.0 200 OK"), "{out}");
    out
}

fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

#[test]
fn the_cache_answers_again_and_metrics_count_it() {
    if !have("the_cache_answers_again_and_metrics_count_it", "dig") {
        return;
    }
    let auth = Authority::start(&[ZONE]);
    let d = start(&auth, &["--allow", "::1/128", "--metrics", "[::1]:0"]);
    for _ in 0..3 {
        let out = dig(d.addr, &["v4only.example.", "AAAA"]);
        assert_eq!(answer_section(&out).len(), 2);
    }
    let m = metrics(&d);
    assert_eq!(counter(&m, "v6dns64_queries_total"), 3, "{m}");
    assert_eq!(counter(&m, "v6dns64_synthesized_total"), 3, "{m}");
    // The AAAA and A answers were asked once; then the reply was kept.
    assert_eq!(counter(&m, "v6dns64_cache_misses_total"), 2, "{m}");
    assert_eq!(counter(&m, "v6dns64_reply_cache_hits_total"), 2, "{m}");
    // Over TCP the reply is made again, from the cached upstream answers.
    let out = dig(d.addr, &["+tcp", "v4only.example.", "AAAA"]);
    assert_eq!(answer_section(&out).len(), 2);
    let m = metrics(&d);
    assert_eq!(counter(&m, "v6dns64_cache_hits_total"), 2, "{m}");
    assert_eq!(counter(&m, "v6dns64_synthesized_total"), 4, "{m}");
}

#[test]
fn clients_outside_allow_are_refused() {
    if !have("clients_outside_allow_are_refused", "dig") {
        return;
    }
    let auth = Authority::start(&[ZONE]);
    let d = start(&auth, &["--allow", "2001:db8::/32", "--metrics", "[::1]:0"]);
    let out = dig(d.addr, &["v4only.example.", "AAAA"]);
    assert_eq!(status(&out), "REFUSED", "{out}");
    assert!(answer_section(&out).is_empty());
    let out = dig(d.addr, &["+tcp", "v4only.example.", "AAAA"]);
    assert_eq!(status(&out), "REFUSED", "{out}");
    assert_eq!(counter(&metrics(&d), "v6dns64_refused_total"), 2);
}

#[test]
fn upstream_down_is_servfail_and_the_next_upstream_is_tried() {
    if !have(
        "upstream_down_is_servfail_and_the_next_upstream_is_tried",
        "dig",
    ) {
        return;
    }
    // A port nobody listens on, and a socket that never answers.
    let closed = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap().to_string();
    let d = Daemon::start(&[
        "--upstream",
        &closed.to_string(),
        &silent_addr,
        "--allow",
        "::1/128",
        "--timeout-ms",
        "300",
    ]);
    let out = dig(d.addr, &["v4only.example.", "AAAA"]);
    assert_eq!(status(&out), "SERVFAIL", "{out}");

    let auth = Authority::start(&[ZONE]);
    let d = Daemon::start(&[
        "--upstream",
        &silent_addr,
        &closed.to_string(),
        &auth.addr.to_string(),
        "--allow",
        "::1/128",
        "--timeout-ms",
        "300",
    ]);
    let out = dig(d.addr, &["v4only.example.", "AAAA"]);
    assert_eq!(status(&out), "NOERROR", "{out}");
    assert_eq!(answer_section(&out).len(), 2);
}

#[test]
fn garbage_does_not_stop_it_answering() {
    if !have("garbage_does_not_stop_it_answering", "dig") {
        return;
    }
    let auth = Authority::start(&[ZONE]);
    let d = start(&auth, &["--allow", "::1/128", "--metrics", "[::1]:0"]);
    let s = UdpSocket::bind("[::1]:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut formerr = 0;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..500usize {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 700) as usize;
        let mut bytes: Vec<u8> = (0..len)
            .map(|j| (seed >> (j % 57)) as u8 ^ j as u8)
            .collect();
        if i % 2 == 0 && bytes.len() > 12 {
            // A query header (QR clear, one question) with junk after it.
            bytes[2] = 0x01;
            bytes[4..6].copy_from_slice(&[0, 1]);
        }
        s.send_to(&bytes, d.addr).unwrap();
    }
    let mut buf = [0u8; 2048];
    while let Ok((n, _)) = s.recv_from(&mut buf) {
        if n >= 4 && buf[3] & 0x0f == 1 {
            formerr += 1;
        }
    }
    assert!(formerr > 0, "malformed queries get FORMERR");
    // Junk over TCP, too.
    let mut t = TcpStream::connect(d.addr).unwrap();
    t.write_all(&[0, 20, 1, 2, 3]).unwrap();
    drop(t);
    let out = dig(d.addr, &["v4only.example.", "AAAA"]);
    assert_eq!(answer_section(&out).len(), 2, "{out}");
    let out = dig(d.addr, &["+tcp", "v4only.example.", "AAAA"]);
    assert_eq!(answer_section(&out).len(), 2, "{out}");
    assert!(counter(&metrics(&d), "v6dns64_formerr_total") > 0);
}

/// The bytes of an AAAA query for `v4only.example.` with ID `id`, RD set.
fn aaaa_query(id: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in ["v4only", "example"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 28, 0, 1]);
    q
}

/// The processors this test may run on.
fn cpus() -> Vec<usize> {
    let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).unwrap();
    (0..nix::sched::CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect()
}

/// Each worker reads a socket of its own, and the kernel picks the socket
/// by the processor that receives the query (on loopback, the sender's).
/// A query sent from every processor is answered, whether there are fewer
/// workers than processors, as many, or more.
#[test]
fn queries_from_every_processor_are_answered() {
    let auth = Authority::start(&[ZONE]);
    let n = cpus().len();
    for workers in [1, n, n + 1] {
        let d = start(
            &auth,
            &["--allow", "::1/128", "--workers", &workers.to_string()],
        );
        for cpu in cpus() {
            let addr = d.addr;
            let answered = std::thread::spawn(move || {
                let mut set = nix::sched::CpuSet::new();
                set.set(cpu).unwrap();
                nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).unwrap();
                let s = UdpSocket::bind("[::1]:0").unwrap();
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut buf = [0u8; 1232];
                (0..8u16).all(|id| {
                    s.send_to(&aaaa_query(id), addr).unwrap();
                    matches!(s.recv_from(&mut buf), Ok((n, _)) if n > 12 && buf[..2] == id.to_be_bytes())
                })
            })
            .join()
            .unwrap();
            assert!(
                answered,
                "a query sent from CPU {cpu} to {workers} worker(s) went unanswered"
            );
        }
    }
}

/// The UDP sockets share their address (`SO_REUSEPORT`), which would let
/// them join another server's sockets on it; the address is bound alone
/// first, so a second server, or any other socket on it, is refused.
#[test]
fn an_address_in_use_is_refused_not_shared() {
    let auth = Authority::start(&[ZONE]);
    let d = start(&auth, &["--allow", "::1/128"]);
    let other = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None).unwrap();
    other.set_reuse_port(true).unwrap();
    other
        .bind(&"[::1]:0".parse::<std::net::SocketAddr>().unwrap().into())
        .unwrap();
    let other_addr = other.local_addr().unwrap().as_socket().unwrap();
    for addr in [d.addr, other_addr] {
        let out = Command::new(env!("CARGO_BIN_EXE_v6dns64d"))
            .args(["--listen", &addr.to_string()])
            .args(upstream_args(&auth))
            .args(["--allow", "::1/128"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("{addr}: Address already in use")),
            "{err}"
        );
    }
    // The first server still answers.
    let s = UdpSocket::bind("[::1]:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.send_to(&aaaa_query(7), d.addr).unwrap();
    let mut buf = [0u8; 1232];
    let (n, _) = s.recv_from(&mut buf).unwrap();
    assert!(n > 12 && buf[..2] == 7u16.to_be_bytes());
}

#[test]
fn static_zones_need_no_upstream() {
    if !have("static_zones_need_no_upstream", "dig") {
        return;
    }
    let dir = temp_dir("static");
    let zone = dir.write("lab.zone", ZONE);
    let d = Daemon::start(&[
        "--static",
        zone.to_str().unwrap(),
        "--prefix",
        "2001:db8:64::/96",
        "--allow",
        "::1/128",
    ]);
    let out = dig(d.addr, &["alias.example.", "AAAA"]);
    assert_eq!(
        answer_section(&out),
        [
            "alias.example. in cname v4only.example.",
            "v4only.example. in aaaa 2001:db8:64::c000:221",
            "v4only.example. in aaaa 2001:db8:64::c633:6407"
        ],
        "{out}"
    );
    // Outside the static zone and no upstream: SERVFAIL.
    let out = dig(d.addr, &["www.example.org.", "AAAA"]);
    assert_eq!(status(&out), "SERVFAIL", "{out}");
}

#[test]
fn terminates_gracefully() {
    let dir = temp_dir("term");
    let zone = dir.write("lab.zone", ZONE);
    let mut d = Daemon::start(&["--static", zone.to_str().unwrap()]);
    d.process.signal("TERM");
    let status = d
        .process
        .wait_timeout(Duration::from_secs(8))
        .expect("exits");
    assert!(status.success(), "{status}");
}

#[test]
fn bad_configuration_is_reported_before_starting() {
    let bin = env!("CARGO_BIN_EXE_v6dns64d");
    let dir = temp_dir("config");
    let conf = dir.write(
        "v6dns64d.toml",
        "upstream = [\"192.0.2.53\"]\n# the NAT64 prefix\nprefix = [\"64:ff9b::/95\"]\n",
    );
    let out = Command::new(bin)
        .args(["--config", conf.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:3: `64:ff9b::/95`", conf.display())),
        "{err}"
    );

    let out = Command::new(bin)
        .args(["--upstream", "192.0.2.53", "--prefix", "nonsense"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--prefix") && err.contains("nonsense"),
        "{err}"
    );

    let out = Command::new(bin)
        .args(["--upstream", "192.0.2.53", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"));

    let bad_zone = dir.write(
        "bad.zone",
        "$ORIGIN example.\n@ IN SOA ns hm 1 2 3 4 5\nwww IN A 300.1.1.1\n",
    );
    let out = Command::new(bin)
        .args(["--static", bad_zone.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.zone"), "{err}");

    let good = dir.write(
        "good.toml",
        "upstream = [\"[2001:db8::53]:53\"]\nprefix = [\"64:ff9b::/96\"]\nmapped = [\"!10.0.0.0/8\"]\n",
    );
    let out = Command::new(bin)
        .args(["--config", good.to_str().unwrap(), "--check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn runs_as_the_user_of_dash_dash_user_on_port_53() {
    use v6kit_testkit::{Netns, root_or_skip, runs_as};
    if !root_or_skip(
        "runs_as_the_user_of_dash_dash_user_on_port_53",
        &["dig", "ip"],
    ) {
        return;
    }
    // Port 53 of its own namespace's loopback: no other resolver is there.
    let ns = Netns::new("dns64user");
    let dir = temp_dir("user");
    let zone = dir.write("lab.zone", ZONE);
    let sock_path = dir.join("notify.sock");
    let sock = v6kit_testkit::NotifySocket::bind(&sock_path);
    let mut cmd = ns.command(env!("CARGO_BIN_EXE_v6dns64d"));
    cmd.args(["--listen", "[::1]:53", "--allow", "::1/128", "--static"])
        .arg(&zone)
        .args(["--user", "nobody"])
        .env("NOTIFY_SOCKET", &sock_path)
        .stderr(std::process::Stdio::null());
    let d = ns.spawn(&mut cmd);
    assert_eq!(sock.recv().expect("a readiness notification"), "READY=1");
    runs_as(d.id(), "nobody").unwrap();
    // 192.0.2.33 in 64:ff9b::/96 (RFC 6052 section 2.4).
    let out = ns.run(
        "dig",
        &["@::1", "+short", "+time=3", "v4only.example.", "AAAA"],
    );
    assert!(out.lines().any(|l| l == "64:ff9b::c000:221"), "{out}");
    drop(d);
}

#[test]
fn an_unknown_user_exits_2_naming_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_v6dns64d"))
        .args(["--upstream", "192.0.2.53", "--user", "no-such-user-v6kit"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--user no-such-user-v6kit: no such user"),
        "{err}"
    );
}

#[test]
fn answers_on_port_53_with_only_the_capability_of_its_systemd_unit() {
    use v6kit_testkit::{Netns, root_or_skip, runs_as};
    if !root_or_skip(
        "answers_on_port_53_with_only_the_capability_of_its_systemd_unit",
        &["dig", "ip", "setpriv", "strace", "systemd-analyze"],
    ) {
        return;
    }
    let ns = Netns::new("dns64unit");
    let dir = temp_dir("unit");
    let zone = dir.write("lab.zone", ZONE);
    // As examples/systemd/v6dns64d.service starts it; strace records its
    // system calls.
    let trace = dir.join("v6dns64d.strace");
    let launcher = v6kit_testkit::traced_unit_launcher("net_bind_service", &trace);
    let mut cmd = ns.command(&launcher[0]);
    cmd.args(&launcher[1..])
        .arg(env!("CARGO_BIN_EXE_v6dns64d"))
        .args(["--listen", "[::1]:53", "--allow", "::1/128", "--static"])
        .arg(&zone)
        .stderr(std::process::Stdio::null());
    let mut strace = ns.spawn(&mut cmd);
    let pid = v6kit_testkit::traced_child(strace.id());
    let ask = |tcp: &str| {
        let out = ns.output(
            "dig",
            &["@::1", tcp, "+short", "+time=1", "v4only.example.", "AAAA"],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        eventually(|| ask("+notcp").lines().any(|l| l == "64:ff9b::c000:221")),
        "no answer from v6dns64d started as its unit"
    );
    assert!(ask("+tcp").lines().any(|l| l == "64:ff9b::c000:221"));
    runs_as(pid, "nobody").unwrap();
    // Port 53 is bound; then no capability is left.
    let cap = |f| v6kit_testkit::proc_status(pid, f).unwrap();
    assert_eq!(cap("CapEff"), "0000000000000000");
    assert_eq!(cap("CapPrm"), "0000000000000000");
    assert_eq!(cap("CapAmb"), "0000000000000000");
    v6kit_testkit::run(Command::new("kill").args(["-TERM", &pid.to_string()]));
    let status = strace
        .wait_timeout(Duration::from_secs(10))
        .expect("v6dns64d stops");
    assert!(status.success(), "exit status {status}");
    // Every system call it made is one its unit allows.
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/systemd/v6dns64d.service");
    let allowed = v6kit_testkit::unit_allowed_system_calls(&unit);
    let outside = v6kit_testkit::system_calls_outside(&trace, &allowed);
    assert!(
        outside.is_empty(),
        "outside the unit's SystemCallFilter: {outside:?}"
    );
}
