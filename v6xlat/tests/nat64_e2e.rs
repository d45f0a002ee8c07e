//! End-to-end tests of `v6xlatd --mode nat64` (stateful NAT64, RFC 6146)
//! in Linux network namespaces: two IPv6-only hosts reach an IPv4-only
//! server through the one IPv4 address of the translator's host, with no
//! masquerading rule anywhere.
//!
//! ```text
//!  h6a 2001:db8:1::2 ──veth── v6a 2001:db8:1::1
//!                              x (v6xlatd, nat64 TUN)   203.0.113.1 ──veth── s4 203.0.113.2
//!  h6b 2001:db8:2::2 ──veth── v6b 2001:db8:2::1
//! ```
//!
//! The host's address 203.0.113.1 is also the whole of pool4, with the
//! ports 61001-65534 that Linux does not pick for its own connections
//! (iproute2 takes no port range that ends at 65535).
//! Policy routing hands what arrives for those ports (and ICMP) to the
//! TUN device ahead of local delivery, and the device accepts packets
//! from the host's own address (`accept_local`): that is all the kernel
//! is told. The server, 203.0.113.2, is reached at 64:ff9b::203.0.113.2
//! (`wkpf-strict no`: a documentation address behind the well-known
//! prefix, inside the test's namespaces only).
//!
//! They need root; without it they say they were skipped (under CI they
//! fail instead). Every namespace, interface and process is removed when a
//! test ends, also when it fails.

use std::process::{Command, Stdio};
use std::time::Duration;

use v6kit_testkit::{
    Netns, NotifySocket, Process, TempDir, metric, root_or_skip, scrape, veth, wait_until,
};

const TOOLS: &[&str] = &["ip", "ping", "curl", "python3"];
const SERVER: &str = "64:ff9b::203.0.113.2";
const METRICS: &str = "127.0.0.1:9464";

/// The hosts, the daemon and the servers. Fields drop in order: processes
/// first, then namespaces (with their interfaces), then files.
struct Lab {
    daemon: Option<Process>,
    _servers: Process,
    h6a: Netns,
    h6b: Netns,
    x: Netns,
    s4: Netns,
    dir: TempDir,
}

impl Lab {
    /// Builds the topology, starts the servers and the daemon with the
    /// configuration lines `extra` added.
    fn new(test: &str, extra: &str) -> Lab {
        let dir = TempDir::new(&format!("v6xlatd-nat64-{test}"));
        let (h6a, h6b, x, s4) = (
            Netns::new("h6a"),
            Netns::new("h6b"),
            Netns::new("nat64"),
            Netns::new("s4"),
        );
        veth(&h6a, "eth0", &x, "v6a");
        veth(&h6b, "eth0", &x, "v6b");
        veth(&s4, "eth0", &x, "v4");
        for (h, n) in [(&h6a, 1), (&h6b, 2)] {
            h.ip(&[
                "addr",
                "add",
                &format!("2001:db8:{n}::2/64"),
                "dev",
                "eth0",
                "nodad",
            ]);
            h.ip(&[
                "-6",
                "route",
                "add",
                "default",
                "via",
                &format!("2001:db8:{n}::1"),
            ]);
            x.ip(&[
                "addr",
                "add",
                &format!("2001:db8:{n}::1/64"),
                "dev",
                &format!("v6{}", if n == 1 { 'a' } else { 'b' }),
                "nodad",
            ]);
        }
        x.ip(&["addr", "add", "203.0.113.1/24", "dev", "v4"]);
        x.sysctl("net.ipv6.conf.all.forwarding=1");
        x.sysctl("net.ipv4.ip_forward=1");
        s4.ip(&["addr", "add", "203.0.113.2/24", "dev", "eth0"]);

        std::fs::write(dir.join("v6xlatd.conf"), conf_text(extra)).unwrap();
        let py = dir.join("servers.py");
        std::fs::write(&py, SERVERS_PY).unwrap();
        let mut servers = s4.command("python3");
        servers.arg(&py).stdout(Stdio::null()).stderr(Stdio::null());
        let servers = Process::spawn(&mut servers);

        let mut lab = Lab {
            daemon: None,
            _servers: servers,
            h6a,
            h6b,
            x,
            s4,
            dir,
        };
        let out = lab.xlatd(&["--mktun"]).output().unwrap();
        assert!(out.status.success(), "--mktun: {out:?}");
        let x = &lab.x;
        x.ip(&["link", "set", "nat64", "up"]);
        x.ip(&["route", "add", "64:ff9b::/96", "dev", "nat64"]);
        x.ip(&["route", "add", "2001:db8:ffff::1/128", "dev", "nat64"]);
        // pool4's ports and ICMP go to the translator before the local
        // table is consulted; the translator's packets from the host's own
        // address are accepted.
        x.ip(&["route", "add", "default", "dev", "nat64", "table", "64"]);
        for proto in ["tcp", "udp"] {
            x.ip(&[
                "rule",
                "add",
                "pref",
                "100",
                "to",
                "203.0.113.1",
                "ipproto",
                proto,
                "dport",
                "61001-65534",
                "lookup",
                "64",
            ]);
        }
        x.ip(&[
            "rule",
            "add",
            "pref",
            "100",
            "to",
            "203.0.113.1",
            "ipproto",
            "icmp",
            "lookup",
            "64",
        ]);
        x.ip(&["rule", "add", "pref", "1000", "lookup", "local"]);
        x.ip(&["rule", "del", "pref", "0"]);
        x.sysctl("net.ipv4.conf.nat64.accept_local=1");
        x.sysctl("net.ipv4.conf.nat64.rp_filter=0");
        x.sysctl("net.ipv4.conf.all.rp_filter=0");

        let up = wait_until(Duration::from_secs(10), || {
            lab.s4
                .output("curl", &["-s", "-o", "/dev/null", "http://127.0.0.1:8080/"])
                .status
                .success()
        });
        assert!(up, "the servers did not start");
        lab.start();
        lab
    }

    /// `v6xlatd --mode nat64 --config CONF ARGS…` in the translator's namespace.
    fn xlatd(&self, args: &[&str]) -> Command {
        let mut c = self.x.command(env!("CARGO_BIN_EXE_v6xlatd"));
        c.args(["--mode", "nat64", "--config"])
            .arg(self.dir.join("v6xlatd.conf"))
            .args(args);
        c
    }

    /// Starts the daemon and waits for its readiness notification.
    fn start(&mut self) {
        let sock_path = self.dir.join("notify.sock");
        let sock = NotifySocket::bind(&sock_path);
        let log = std::fs::File::create(self.dir.join("v6xlatd.log")).unwrap();
        let mut cmd = self.xlatd(&["--metrics", METRICS]);
        cmd.env("NOTIFY_SOCKET", &sock_path)
            .stdout(Stdio::null())
            .stderr(log);
        self.daemon = Some(Process::spawn(&mut cmd));
        let ready = sock
            .recv()
            .unwrap_or_else(|e| panic!("no readiness notification ({e}); log:\n{}", self.log()));
        assert_eq!(ready, "READY=1");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("v6xlatd.log")).unwrap_or_default()
    }

    /// The daemon's counters, as Prometheus text.
    fn metrics(&self) -> String {
        scrape(&self.x, METRICS)
    }

    /// One counter or gauge from [`Lab::metrics`] (0 when absent).
    fn counter(&self, name_and_labels: &str) -> u64 {
        metric(&self.metrics(), name_and_labels)
    }

    /// Sends `message` to the server's UDP echo from `[::]:port` of `host`;
    /// the answer, or what went wrong.
    fn udp(&self, host: &Netns, port: u16, message: &str) -> String {
        let py = self.dir.join("udp.py");
        std::fs::write(&py, UDP_CLIENT_PY).unwrap();
        let out = host.output(
            "python3",
            &[py.to_str().unwrap(), SERVER, &port.to_string(), message],
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Stops the daemon with SIGTERM; it must exit 0 within seconds.
    fn stop(&mut self) {
        let mut d = self.daemon.take().expect("daemon running");
        d.signal("TERM");
        let status = d.wait_timeout(Duration::from_secs(5));
        assert!(
            status.is_some_and(|s| s.success()),
            "exit {status:?}; log:\n{}",
            self.log()
        );
    }
}

/// The configuration file, with the lines `extra` at its end.
fn conf_text(extra: &str) -> String {
    format!(
        "# the stateful translator of the test\n\
         tun-device nat64\n\
         ipv4-addr 203.0.113.1\n\
         ipv6-addr 2001:db8:ffff::1\n\
         prefix 64:ff9b::/96\n\
         wkpf-strict no\n\
         pool4 203.0.113.1 61001-65534\n\
         {extra}"
    )
}

/// The IPv4-only server: HTTP on 8080 answers, after a second (so that
/// clients overlap), with the address and port it saw the client at; UDP
/// 7 echoes.
const SERVERS_PY: &str = r#"
import http.server, socket, threading, time
class Who(http.server.ThreadingHTTPServer):
    daemon_threads = True
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != '/':
            time.sleep(1)
        body = ('%s:%d\n' % self.client_address[:2]).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
def echo():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('203.0.113.2', 7))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(b'echo:' + data, peer)
threading.Thread(target=echo, daemon=True).start()
Who(('0.0.0.0', 8080), H).serve_forever()
"#;

/// A UDP exchange from a fixed source port: prints the answer, `refused`
/// when an ICMPv6 error came back, or `timeout`.
const UDP_CLIENT_PY: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', int(sys.argv[2])))
s.connect((sys.argv[1], 7))
s.settimeout(1)
result = 'timeout'
for _ in range(3):
    try:
        s.send(sys.argv[3].encode())
        result = s.recv(100).decode()
        break
    except socket.timeout:
        pass
    except OSError as e:
        result = 'refused'
        break
print(result)
"#;

fn ping_ok(ns: &Netns, dst: &str) -> bool {
    // The first packet may wait for neighbour discovery; try three times.
    (0..3).any(|_| {
        ns.output("ping", &["-c", "1", "-W", "2", dst])
            .status
            .success()
    })
}

#[test]
fn two_hosts_share_one_ipv4_address() {
    if !root_or_skip("two_hosts_share_one_ipv4_address", TOOLS) {
        return;
    }
    let mut lab = Lab::new("share", "");
    assert!(ping_ok(&lab.h6a, SERVER), "ping; log:\n{}", lab.log());
    assert!(ping_ok(&lab.h6b, SERVER), "ping; log:\n{}", lab.log());

    // Both hosts fetch at the same time (the server answers after a second).
    let url = format!("http://[{SERVER}]:8080/slow");
    let fetch = |h: &Netns| {
        let mut c = h.command("curl");
        c.args(["-s", "-m", "10", &url]).stdout(Stdio::piped());
        c.spawn().unwrap()
    };
    let (a, b) = (fetch(&lab.h6a), fetch(&lab.h6b));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let seen: Vec<String> = [a, b]
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .collect();
    let mut ports = Vec::new();
    for s in &seen {
        let (addr, port) = s
            .split_once(':')
            .unwrap_or_else(|| panic!("server saw {seen:?}; log:\n{}", lab.log()));
        assert_eq!(addr, "203.0.113.1", "{seen:?}");
        let port: u16 = port.parse().unwrap();
        assert!((61001..=65534).contains(&port), "{seen:?}");
        ports.push(port);
    }
    assert_ne!(ports[0], ports[1], "{seen:?}");

    // UDP too, from both hosts.
    assert_eq!(lab.udp(&lab.h6a, 5353, "a"), "echo:a");
    assert_eq!(lab.udp(&lab.h6b, 5353, "b"), "echo:b");

    let m = lab.metrics();
    for p in ["tcp", "udp", "icmp"] {
        let line = format!("v6xlatd_nat64_sessions_created_total{{protocol=\"{p}\"}}");
        assert!(lab.counter(&line) >= 2, "{p}:\n{m}");
    }
    assert!(
        m.contains("v6xlatd_nat64_sessions{protocol=\"udp\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains("v6xlatd_nat64_refused_total{reason=\"session_limit\"} 0\n"),
        "{m}"
    );

    // SIGUSR1 logs the same.
    lab.daemon.as_ref().unwrap().signal("USR1");
    assert!(
        wait_until(Duration::from_secs(3), || lab
            .log()
            .contains("sessions tcp=")),
        "{}",
        lab.log()
    );
    lab.stop();
}

#[test]
fn sessions_expire_after_their_timeout() {
    if !root_or_skip("sessions_expire_after_their_timeout", TOOLS) {
        return;
    }
    let mut lab = Lab::new("expire", "timeout icmp 2\n");
    let icmp = "v6xlatd_nat64_sessions{protocol=\"icmp\"}";
    assert!(ping_ok(&lab.h6a, SERVER), "ping; log:\n{}", lab.log());
    assert_eq!(lab.counter(icmp), 1, "{}", lab.metrics());
    // Two seconds of ICMP timeout, expiry once a second.
    assert!(
        wait_until(Duration::from_secs(6), || lab.counter(icmp) == 0),
        "{}",
        lab.metrics()
    );
    assert_eq!(
        lab.counter("v6xlatd_nat64_sessions_expired_total{protocol=\"icmp\"}"),
        1
    );
    // A new ping makes a new session.
    assert!(ping_ok(&lab.h6a, SERVER));
    assert_eq!(lab.counter(icmp), 1);
    lab.stop();
}

#[test]
fn a_full_table_refuses_new_flows_and_keeps_the_others() {
    if !root_or_skip("a_full_table_refuses_new_flows_and_keeps_the_others", TOOLS) {
        return;
    }
    let mut lab = Lab::new("full", "max-sessions 2\n");
    assert_eq!(lab.udp(&lab.h6a, 5001, "one"), "echo:one", "{}", lab.log());
    assert_eq!(lab.udp(&lab.h6b, 5002, "two"), "echo:two");
    // The table is full: a third flow is refused with an ICMPv6 error...
    assert_eq!(lab.udp(&lab.h6a, 5003, "three"), "refused");
    assert!(
        lab.counter("v6xlatd_nat64_refused_total{reason=\"session_limit\"}") >= 1,
        "{}",
        lab.metrics()
    );
    // ...while the two flows go on.
    assert_eq!(lab.udp(&lab.h6a, 5001, "one again"), "echo:one again");
    assert_eq!(lab.udp(&lab.h6b, 5002, "two again"), "echo:two again");
    assert_eq!(
        lab.counter("v6xlatd_nat64_sessions{protocol=\"udp\"}"),
        2,
        "{}",
        lab.metrics()
    );
    lab.stop();
}

#[test]
fn a_static_binding_reaches_an_ipv6_server_and_sighup_reloads_it() {
    if !root_or_skip(
        "a_static_binding_reaches_an_ipv6_server_and_sighup_reloads_it",
        TOOLS,
    ) {
        return;
    }
    let bib = "bib tcp [2001:db8:1::2]:8000 203.0.113.1:8000\n";
    let mut lab = Lab::new("static", bib);
    // Port 8000 of the host's address goes to the translator too.
    lab.x.ip(&[
        "rule",
        "add",
        "pref",
        "100",
        "to",
        "203.0.113.1",
        "ipproto",
        "tcp",
        "dport",
        "8000",
        "lookup",
        "64",
    ]);
    let www = lab.dir.join("www6");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "served over IPv6\n").unwrap();
    let mut http = lab.h6a.command("python3");
    http.args(["-m", "http.server", "--bind", "::", "--directory"])
        .arg(&www)
        .arg("8000")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _http = Process::spawn(&mut http);
    let fetch = |lab: &Lab| {
        let out = lab
            .s4
            .output("curl", &["-s", "-m", "2", "http://203.0.113.1:8000/"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(
        wait_until(Duration::from_secs(10), || fetch(&lab)
            == "served over IPv6\n"),
        "log:\n{}",
        lab.log()
    );
    assert!(
        lab.metrics()
            .contains("v6xlatd_nat64_bib_entries{protocol=\"tcp\"} 1\n")
    );

    // Without the bib line, SIGHUP removes the binding...
    std::fs::write(lab.dir.join("v6xlatd.conf"), conf_text("")).unwrap();
    lab.daemon.as_ref().unwrap().signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .log()
            .contains("0 static BIB entries in force")),
        "{}",
        lab.log()
    );
    assert_eq!(fetch(&lab), "");
    // ...and with it again, brings it back.
    std::fs::write(lab.dir.join("v6xlatd.conf"), conf_text(bib)).unwrap();
    lab.daemon.as_ref().unwrap().signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || fetch(&lab)
            == "served over IPv6\n"),
        "log:\n{}",
        lab.log()
    );
    // A bad file changes nothing.
    std::fs::write(
        lab.dir.join("v6xlatd.conf"),
        conf_text("bib tcp [2001:db8:1::2]:8000 192.0.2.1:8000\n"),
    )
    .unwrap();
    lab.daemon.as_ref().unwrap().signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .log()
            .contains("192.0.2.1 is not a pool4 address")),
        "{}",
        lab.log()
    );
    assert_eq!(fetch(&lab), "served over IPv6\n");
    lab.stop();
}
