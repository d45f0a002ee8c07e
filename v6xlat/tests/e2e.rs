//! End-to-end tests of `v6xlatd` in Linux network namespaces, set up as a
//! Tayga host is: an IPv6-only host, the translator's namespace (the
//! kernel routes the NAT64 prefix and the dynamic pool into the TUN device
//! and masquerades the pool with nftables), and an IPv4-only server, joined
//! by veth pairs. Real software on both ends: ping, curl, Python's HTTP
//! server, a UDP echo server.
//!
//! ```text
//!  h6 (IPv6 only)             x (v6xlatd, nat64 TUN)             s4 (IPv4 only)
//!  2001:db8:1::2/64  ──veth──  2001:db8:1::1/64
//!  2001:db8:1::10 (static map)                  203.0.113.1/24 ──veth── 203.0.113.2/24
//!                              pool 198.51.100.0/24 → nat64       192.88.99.1, 192.0.2.1 (lo)
//! ```
//!
//! Addresses are documentation addresses, with one exception: with the
//! well-known prefix 64:ff9b::/96 the translator only embeds global IPv4
//! addresses (RFC 6052 section 3.1) and every TEST-NET is non-global, so
//! the server also answers at 192.88.99.1. That block was the 6to4 relay
//! anycast prefix, deprecated by RFC 7526 and no longer routed; it is
//! configured only inside the test's namespaces, which have no route out,
//! so no packet to it leaves them.
//!
//! They need root; without it they say they were skipped (under CI they
//! fail instead). Every namespace, interface and process is removed when a
//! test ends, also when it fails.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use v6kit_testkit::{
    Netns, NotifySocket, Process, TempDir, metric, root_or_skip, runs_as, scrape, veth, wait_until,
};

const TOOLS: &[&str] = &["ip", "nft", "ping", "curl", "python3"];

/// The server's global-looking address (see the module documentation).
const SERVER_GLOBAL: &str = "192.88.99.1";
/// The server's private address, reached through the network-specific prefix.
const SERVER_PRIVATE: &str = "192.0.2.1";
const WKP: &str = "64:ff9b::/96";
const NSP: &str = "2001:db8:64::/96";
const METRICS: &str = "127.0.0.1:9464";

/// The three hosts, the daemon and the servers. Fields drop in order:
/// processes first, then namespaces (with their interfaces), then files.
struct Lab {
    daemon: Option<Process>,
    servers: Vec<Process>,
    h6: Netns,
    x: Netns,
    s4: Netns,
    dir: TempDir,
    conf: PathBuf,
}

impl Lab {
    /// Builds the topology for `prefix` and starts the servers; the daemon
    /// is not started yet.
    fn new(test: &str, prefix: &str) -> Lab {
        Lab::with_pool(test, prefix, "198.51.100.0/24")
    }

    /// [`Lab::new`] with another dynamic pool (inside 198.51.100.0/24).
    fn with_pool(test: &str, prefix: &str, pool: &str) -> Lab {
        let dir = TempDir::new(&format!("v6xlatd-e2e-{test}"));
        let (h6, x, s4) = (Netns::new("h6"), Netns::new("xlat"), Netns::new("s4"));
        veth(&h6, "eth0", &x, "v6");
        veth(&s4, "eth0", &x, "v4");
        h6.ip(&["addr", "add", "2001:db8:1::2/64", "dev", "eth0", "nodad"]);
        // The statically mapped address is never chosen as a source on its
        // own, so that the host's flows use the dynamic pool.
        h6.ip(&[
            "addr",
            "add",
            "2001:db8:1::10/64",
            "dev",
            "eth0",
            "nodad",
            "preferred_lft",
            "0",
        ]);
        h6.ip(&["-6", "route", "add", "default", "via", "2001:db8:1::1"]);
        x.ip(&["addr", "add", "2001:db8:1::1/64", "dev", "v6", "nodad"]);
        x.ip(&["addr", "add", "203.0.113.1/24", "dev", "v4"]);
        x.sysctl("net.ipv6.conf.all.forwarding=1");
        x.sysctl("net.ipv4.ip_forward=1");
        x.ip(&["route", "add", "192.88.99.0/24", "via", "203.0.113.2"]);
        x.ip(&["route", "add", "192.0.2.0/24", "via", "203.0.113.2"]);
        s4.ip(&["addr", "add", "203.0.113.2/24", "dev", "eth0"]);
        s4.ip(&["addr", "add", &format!("{SERVER_GLOBAL}/32"), "dev", "lo"]);
        s4.ip(&["addr", "add", &format!("{SERVER_PRIVATE}/32"), "dev", "lo"]);
        s4.ip(&["route", "add", "default", "via", "203.0.113.1"]);

        let conf = dir.join("tayga.conf");
        std::fs::write(
            &conf,
            format!(
                "# the translator of the test\n\
                 tun-device nat64\n\
                 ipv4-addr 198.51.100.1\n\
                 ipv6-addr 2001:db8:ffff::1\n\
                 prefix {prefix}\n\
                 dynamic-pool {pool}\n\
                 data-dir {}\n\
                 map 198.51.100.10 2001:db8:1::10\n",
                dir.join("data").display()
            ),
        )
        .unwrap();

        let mut lab = Lab {
            daemon: None,
            servers: Vec::new(),
            h6,
            x,
            s4,
            dir,
            conf,
        };
        // What a Tayga host does before it starts the translator.
        let out = lab.xlatd(&["--mktun"]).output().unwrap();
        assert!(out.status.success(), "--mktun: {out:?}");
        lab.x.ip(&["link", "set", "nat64", "up"]);
        lab.x.ip(&["route", "add", prefix, "dev", "nat64"]);
        lab.x
            .ip(&["route", "add", "2001:db8:ffff::1/128", "dev", "nat64"]);
        lab.x
            .ip(&["route", "add", "198.51.100.0/24", "dev", "nat64"]);
        let nft = "table ip v6xlat_test {\n\
                     chain post {\n\
                       type nat hook postrouting priority 100;\n\
                       ip saddr 198.51.100.0/24 oifname \"v4\" masquerade\n\
                     }\n\
                   }\n";
        let rules = lab.dir.join("nat.nft");
        std::fs::write(&rules, nft).unwrap();
        lab.x.run("nft", &["-f", rules.to_str().unwrap()]);
        lab.start_servers();
        lab
    }

    /// `v6xlatd --config CONF ARGS…` inside the translator's namespace.
    fn xlatd(&self, args: &[&str]) -> Command {
        let mut c = self.x.command(env!("CARGO_BIN_EXE_v6xlatd"));
        c.arg("--config").arg(&self.conf).args(args);
        c
    }

    /// Starts the daemon and waits for its readiness notification.
    fn start(&mut self) {
        self.start_with(&[]);
    }

    /// [`Lab::start`] with more arguments.
    fn start_with(&mut self, args: &[&str]) {
        self.start_through(&[], args);
    }

    /// [`Lab::start_with`], started by `launcher` (a program and its
    /// arguments, such as setpriv's) when it is not empty.
    fn start_through(&mut self, launcher: &[String], args: &[&str]) {
        let sock_path = self.dir.join("notify.sock");
        let sock = NotifySocket::bind(&sock_path);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("v6xlatd.log"))
            .unwrap();
        let mut cmd = match launcher.split_first() {
            Some((program, rest)) => {
                let mut c = self.x.command(program);
                c.args(rest)
                    .arg(env!("CARGO_BIN_EXE_v6xlatd"))
                    .arg("--config")
                    .arg(&self.conf)
                    .args(["--metrics", METRICS]);
                c
            }
            None => self.xlatd(&["--metrics", METRICS]),
        };
        cmd.args(args)
            .env("NOTIFY_SOCKET", &sock_path)
            .stdout(Stdio::null())
            .stderr(log);
        self.daemon = Some(Process::spawn(&mut cmd));
        let ready = sock
            .recv()
            .unwrap_or_else(|e| panic!("no readiness notification ({e}); log:\n{}", self.log()));
        assert_eq!(ready, "READY=1");
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

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("v6xlatd.log")).unwrap_or_default()
    }

    fn start_servers(&mut self) {
        let www = self.dir.join("www");
        std::fs::create_dir_all(&www).unwrap();
        std::fs::write(www.join("index.html"), "hello through NAT64\n").unwrap();
        let mut http = self.s4.command("python3");
        http.args([
            "-m",
            "http.server",
            "--bind",
            "0.0.0.0",
            "--directory",
            www.to_str().unwrap(),
            "8080",
        ]);
        self.servers.push(Process::spawn(
            http.stdout(Stdio::null()).stderr(Stdio::null()),
        ));
        let py = self.dir.join("servers.py");
        std::fs::write(&py, SERVERS_PY).unwrap();
        let mut more = self.s4.command("python3");
        more.arg(&py);
        self.servers.push(Process::spawn(
            more.stdout(Stdio::null()).stderr(Stdio::null()),
        ));
        let up = wait_until(Duration::from_secs(10), || {
            let a = self
                .s4
                .output("curl", &["-s", "-o", "/dev/null", "http://127.0.0.1:8080/"]);
            let b = self.s4.output(
                "curl",
                &["-s", "-o", "/dev/null", "-d", "x", "http://127.0.0.1:8081/"],
            );
            a.status.success() && b.status.success()
        });
        assert!(up, "the servers did not start");
    }

    /// The daemon's counters, as Prometheus text.
    fn metrics(&self) -> String {
        scrape(&self.x, METRICS)
    }

    /// One counter from [`Lab::metrics`] (0 when absent).
    fn counter(&self, name_and_labels: &str) -> u64 {
        metric(&self.metrics(), name_and_labels)
    }

    /// The leases saved in data-dir.
    fn leases(&self) -> String {
        std::fs::read_to_string(self.dir.join("data").join("dynamic.map")).unwrap_or_default()
    }

    /// The pool address leased to `v6`, from the saved leases.
    fn lease_of(&self, v6: &str) -> Option<String> {
        self.leases().lines().find_map(|l| {
            let mut t = l.split_whitespace();
            let v4 = t.next()?;
            (t.next()? == v6).then(|| v4.to_owned())
        })
    }

    /// Checks that the translator, running `how`, carries a ping from the
    /// IPv6-only host to the server, and saves the host's lease.
    fn translates_and_saves_the_lease(&self, how: &str) {
        assert!(
            ping_ok(&self.h6, &["64:ff9b::192.88.99.1"]),
            "ping through the translator {how}; log:\n{}",
            self.log()
        );
        assert!(
            wait_until(Duration::from_secs(3), || self
                .lease_of("2001:db8:1::2")
                .is_some()),
            "no lease saved; log:\n{}",
            self.log()
        );
    }
}

/// The IPv4 side's other servers: TCP 8081 answers a POST with the number
/// of bytes it received; UDP 7 echoes on each of the server's addresses.
const SERVERS_PY: &str = r#"
import http.server, socket, threading
class Upload(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get('Content-Length', 0))
        got = 0
        while got < n:
            b = self.rfile.read(min(65536, n - got))
            if not b:
                break
            got += len(b)
        body = str(got).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
def echo(addr):
    # One socket per address, so that the answer leaves from the address
    # the question went to (and masquerading recognises it).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 7))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(b'echo:' + data, peer)
for a in ('192.88.99.1', '192.0.2.1', '203.0.113.2'):
    threading.Thread(target=echo, args=(a,), daemon=True).start()
http.server.ThreadingHTTPServer(('0.0.0.0', 8081), Upload).serve_forever()
"#;

/// A UDP exchange from the IPv6-only host: sends a datagram to `dst`
/// port 7 and returns the answer.
const UDP_CLIENT_PY: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(3):
    s.sendto(b'v6kit', (sys.argv[1], 7))
    try:
        print(s.recvfrom(100)[0].decode())
        break
    except socket.timeout:
        pass
"#;

/// Malformed packets written into the TUN device from the translator's
/// side (an AF_PACKET socket on the device hands them to the daemon).
const INJECT_PY: &str = r#"
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
junk = [bytes([0x60]) + bytes(10),             # IPv6, cut inside the header
        bytes([0x45, 0, 0, 200]) + bytes(16),  # IPv4, total length past the end
        bytes([0x10]) * 40,                    # IP version 1
        bytes([0x6f, 0, 0, 0, 0xff, 0xff, 17, 64]) + bytes(32)]  # IPv6, payload missing
for _ in range(int(sys.argv[2])):
    for j in junk:
        s.sendto(j, (sys.argv[1], 0x86DD if j[0] >> 4 == 6 else 0x0800))
"#;

fn ping(ns: &Netns, args: &[&str]) -> String {
    let out = ns.output("ping", args);
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ping_ok(ns: &Netns, args: &[&str]) -> bool {
    let mut a = vec!["-c", "1", "-W", "2"];
    a.extend_from_slice(args);
    // The first packet may wait for neighbour discovery; try three times.
    (0..3).any(|_| ns.output("ping", &a).status.success())
}

#[test]
fn well_known_prefix_ping_http_and_udp() {
    if !root_or_skip("well_known_prefix_ping_http_and_udp", TOOLS) {
        return;
    }
    let mut lab = Lab::new("wkp", WKP);
    lab.start();
    let server = "64:ff9b::192.88.99.1";

    assert!(ping_ok(&lab.h6, &[server]), "ping 6→4; log:\n{}", lab.log());

    let out = lab.h6.output(
        "curl",
        &[
            "-s",
            "-m",
            "5",
            &format!("http://[{server}]:8080/index.html"),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello through NAT64\n",
        "{out:?}"
    );

    let py = lab.dir.join("udp.py");
    std::fs::write(&py, UDP_CLIENT_PY).unwrap();
    let out = lab.h6.output("python3", &[py.to_str().unwrap(), server]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "echo:v6kit",
        "{out:?}"
    );

    // The other way: the server reaches the statically mapped host, from
    // its global address (a non-global source has no place in 64:ff9b::/96).
    assert!(
        ping_ok(&lab.s4, &["-I", SERVER_GLOBAL, "198.51.100.10"]),
        "ping 4→6 through the static map"
    );
    // …and the host that started flows, at its pool address.
    let pool_addr = lab.lease_of("2001:db8:1::2");
    let pool_addr = match pool_addr {
        Some(a) => a,
        None => {
            assert!(wait_until(Duration::from_secs(3), || lab
                .lease_of("2001:db8:1::2")
                .is_some()));
            lab.lease_of("2001:db8:1::2").unwrap()
        }
    };
    assert!(
        ping_ok(&lab.s4, &["-I", SERVER_GLOBAL, &pool_addr]),
        "ping 4→6 to {pool_addr}"
    );
    // A private source cannot be embedded in the well-known prefix.
    assert!(
        !lab.s4
            .output("ping", &["-c", "1", "-W", "1", "198.51.100.10"])
            .status
            .success()
    );
    assert!(lab.counter("v6xlatd_packets_dropped_total{reason=\"source_unmapped\"}") >= 1);
    assert!(lab.counter("v6xlatd_packets_translated_total{direction=\"6to4\"}") >= 3);
    assert!(lab.counter("v6xlatd_packets_translated_total{direction=\"4to6\"}") >= 3);
    lab.stop();
}

#[test]
fn network_specific_prefix_reaches_private_servers() {
    if !root_or_skip("network_specific_prefix_reaches_private_servers", TOOLS) {
        return;
    }
    let mut lab = Lab::new("nsp", NSP);
    lab.start();
    let server = "2001:db8:64::192.0.2.1";
    assert!(ping_ok(&lab.h6, &[server]), "ping; log:\n{}", lab.log());
    let out = lab.h6.output(
        "curl",
        &[
            "-s",
            "-m",
            "5",
            &format!("http://[{server}]:8080/index.html"),
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello through NAT64\n",
        "{out:?}"
    );
    let py = lab.dir.join("udp.py");
    std::fs::write(&py, UDP_CLIENT_PY).unwrap();
    let out = lab.h6.output("python3", &[py.to_str().unwrap(), server]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "echo:v6kit",
        "{out:?}"
    );
    // With a network-specific prefix every IPv4 source maps.
    assert!(
        ping_ok(&lab.s4, &["198.51.100.10"]),
        "ping 4→6 through the static map"
    );
    lab.stop();
}

#[test]
fn hop_limit_and_packet_too_big() {
    if !root_or_skip("hop_limit_and_packet_too_big", TOOLS) {
        return;
    }
    let mut lab = Lab::new("icmp", WKP);
    lab.start();
    let server = "64:ff9b::192.88.99.1";
    assert!(ping_ok(&lab.h6, &[server]));

    // Hop limit 2 leaves the host, the translator's kernel forwards it
    // into the TUN with 1, and the translator answers Time Exceeded from
    // its own address.
    let out = ping(&lab.h6, &["-c", "1", "-W", "2", "-t", "2", server]);
    assert!(
        out.contains("From 2001:db8:ffff::1") && out.contains("Time exceeded"),
        "{out}"
    );
    assert!(lab.counter("v6xlatd_icmp_errors_sent_total{reason=\"hop_limit_exceeded\"}") >= 1);

    // The IPv4 path to the server has MTU 1400: a 1500-byte IPv6 packet
    // becomes 1480 bytes of IPv4 with DF, the router says Fragmentation
    // Needed with 1400, and the translator makes it Packet Too Big 1420.
    lab.x.ip(&[
        "route",
        "change",
        "192.88.99.0/24",
        "via",
        "203.0.113.2",
        "mtu",
        "1400",
    ]);
    let out = ping(
        &lab.h6,
        &["-c", "1", "-W", "2", "-s", "1452", "-M", "do", server],
    );
    assert!(out.contains("Packet too big: mtu=1420"), "{out}");

    // A TCP upload that starts without the path MTU known discovers it.
    lab.h6.ip(&["-6", "route", "flush", "cache"]);
    let body = lab.dir.join("upload.bin");
    std::fs::write(&body, vec![0x5au8; 1_000_000]).unwrap();
    let out = lab.h6.output(
        "curl",
        &[
            "-s",
            "-m",
            "10",
            "--data-binary",
            &format!("@{}", body.display()),
            &format!("http://[{server}]:8081/"),
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1000000", "{out:?}");
    let route = lab.h6.ip(&["-6", "route", "get", server]);
    assert!(route.contains("mtu 1420"), "{route}");
    lab.stop();
}

#[test]
fn pool_address_survives_a_restart() {
    if !root_or_skip("pool_address_survives_a_restart", TOOLS) {
        return;
    }
    let mut lab = Lab::new("restart", WKP);
    let pidfile = lab.dir.join("v6xlatd.pid");
    lab.start_with(&["--pidfile", pidfile.to_str().unwrap()]);
    assert!(pidfile.exists(), "no pidfile; log:\n{}", lab.log());
    let server = "64:ff9b::192.88.99.1";
    assert!(ping_ok(&lab.h6, &[server]));
    assert!(
        wait_until(Duration::from_secs(3), || lab
            .lease_of("2001:db8:1::2")
            .is_some()),
        "no lease saved: {}",
        lab.leases()
    );
    let before = lab.lease_of("2001:db8:1::2").unwrap();

    lab.stop();
    assert!(!pidfile.exists(), "the pidfile outlived the daemon");
    // The device the operator made is still there, and so are the leases.
    lab.x.ip(&["link", "show", "nat64"]);
    assert_eq!(
        lab.lease_of("2001:db8:1::2").as_deref(),
        Some(before.as_str())
    );

    lab.start();
    // The server reaches the host at the same address before the host
    // sends anything: the lease came back from data-dir.
    assert!(
        ping_ok(&lab.s4, &["-I", SERVER_GLOBAL, &before]),
        "ping {before} after the restart; log:\n{}",
        lab.log()
    );
    assert!(ping_ok(&lab.h6, &[server]));
    assert_eq!(lab.lease_of("2001:db8:1::2"), Some(before));
    lab.stop();

    // --rmtun removes the device, as Tayga's does; a second one says so.
    let out = lab.xlatd(&["--rmtun"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        !lab.x
            .output("ip", &["link", "show", "nat64"])
            .status
            .success()
    );
    let out = lab.xlatd(&["--rmtun"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn runs_as_the_user_of_dash_dash_user() {
    if !root_or_skip("runs_as_the_user_of_dash_dash_user", TOOLS) {
        return;
    }
    let mut lab = Lab::new("user", WKP);
    // The data-dir does not exist yet: v6xlatd creates it for the user.
    // The pidfile goes in a directory only root can write, as /run is.
    let pidfile = lab.dir.join("v6xlatd.pid");
    lab.start_with(&["--user", "nobody", "--pidfile", pidfile.to_str().unwrap()]);
    let pid = lab.daemon.as_ref().unwrap().id();
    runs_as(pid, "nobody").unwrap_or_else(|e| panic!("{e}; log:\n{}", lab.log()));
    let written = std::fs::read_to_string(&pidfile).unwrap_or_default();
    assert_eq!(written, format!("{pid}\n"), "pidfile; log:\n{}", lab.log());
    // The leases are still saved, in the directory the user owns.
    lab.translates_and_saves_the_lease("running as nobody");
    lab.stop();
}

#[test]
fn translates_with_only_the_capability_of_its_systemd_unit() {
    if !root_or_skip(
        "translates_with_only_the_capability_of_its_systemd_unit",
        &[
            "ip",
            "nft",
            "ping",
            "curl",
            "python3",
            "setpriv",
            "strace",
            "systemd-analyze",
        ],
    ) {
        return;
    }
    let mut lab = Lab::new("unit", WKP);
    // As examples/systemd/v6xlatd.service starts it, with the data-dir
    // that StateDirectory= gives the service's user.
    let data = lab.dir.join("data");
    std::fs::create_dir(&data).unwrap();
    v6kit_testkit::run(Command::new("chown").arg("nobody:nogroup").arg(&data));
    // /dev/net/tun readable and writable by all, as udev makes it on a
    // Debian host (a sandbox may have it 0600): a copy of the node,
    // mounted over it in the mount namespace of `ip netns exec` alone.
    // strace records its system calls.
    let node = lab.dir.join("tun");
    let trace = lab.dir.join("v6xlatd.strace");
    let script = format!(
        "mknod -m 666 {} c 10 200 && mount --bind {} /dev/net/tun && exec {} \"$0\" \"$@\"",
        node.display(),
        node.display(),
        v6kit_testkit::traced_unit_launcher("net_admin", &trace).join(" ")
    );
    lab.start_through(&["sh".to_owned(), "-c".to_owned(), script], &[]);
    let pid = v6kit_testkit::traced_child(lab.daemon.as_ref().unwrap().id());
    runs_as(pid, "nobody").unwrap();
    // The device is open; then no capability is left.
    let cap = |f| v6kit_testkit::proc_status(pid, f).unwrap();
    assert_eq!(cap("CapEff"), "0000000000000000");
    assert_eq!(cap("CapPrm"), "0000000000000000");
    assert_eq!(cap("CapAmb"), "0000000000000000");
    lab.translates_and_saves_the_lease("started as its unit");
    // A reload and a stop; strace ends with the daemon.
    for signal in ["-HUP", "-TERM"] {
        v6kit_testkit::run(Command::new("kill").args([signal, &pid.to_string()]));
    }
    let mut strace = lab.daemon.take().unwrap();
    let status = strace.wait_timeout(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "exit {status:?}; log:\n{}",
        lab.log()
    );
    // Every system call it made is one its unit allows.
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/systemd/v6xlatd.service");
    let allowed = v6kit_testkit::unit_allowed_system_calls(&unit);
    let outside = v6kit_testkit::system_calls_outside(&trace, &allowed);
    assert!(
        outside.is_empty(),
        "outside the unit's SystemCallFilter: {outside:?}"
    );
}

#[test]
fn an_exhausted_pool_answers_unreachable_and_logs_once() {
    if !root_or_skip("an_exhausted_pool_answers_unreachable_and_logs_once", TOOLS) {
        return;
    }
    // A /30 holds 198.51.100.1 and .2; .1 is the translator's own address.
    let mut lab = Lab::with_pool("exhaust", WKP, "198.51.100.0/30");
    lab.h6.ip(&[
        "addr",
        "add",
        "2001:db8:1::3/64",
        "dev",
        "eth0",
        "nodad",
        "preferred_lft",
        "0",
    ]);
    lab.start();
    let server = "64:ff9b::192.88.99.1";
    assert!(ping_ok(&lab.h6, &[server]));
    assert!(wait_until(Duration::from_secs(3), || lab
        .lease_of("2001:db8:1::2")
        .as_deref()
        == Some("198.51.100.2")));
    for _ in 0..3 {
        let out = ping(
            &lab.h6,
            &["-c", "1", "-W", "3", "-I", "2001:db8:1::3", server],
        );
        // Code 5, "source address failed ingress/egress policy" (RFC 4443),
        // which this ping names only by number.
        assert!(
            out.contains("From 2001:db8:ffff::1")
                && out.contains("Destination unreachable")
                && (out.contains("code 5") || out.contains("ingress/egress policy")),
            "{out}"
        );
    }
    assert!(lab.counter("v6xlatd_icmp_errors_sent_total{reason=\"pool_exhausted\"}") >= 3);
    assert_eq!(
        lab.log().matches("dynamic pool is exhausted").count(),
        1,
        "{}",
        lab.log()
    );
    // The host that has a lease is still served.
    assert!(ping_ok(&lab.h6, &[server]));
    lab.stop();
}

#[test]
fn malformed_packets_are_counted_and_the_daemon_keeps_serving() {
    if !root_or_skip(
        "malformed_packets_are_counted_and_the_daemon_keeps_serving",
        TOOLS,
    ) {
        return;
    }
    let mut lab = Lab::new("junk", WKP);
    lab.start();
    let server = "64:ff9b::192.88.99.1";
    assert!(ping_ok(&lab.h6, &[server]));
    let before = lab.counter("v6xlatd_packets_dropped_total{reason=\"truncated\"}");
    let py = lab.dir.join("inject.py");
    std::fs::write(&py, INJECT_PY).unwrap();
    lab.x.run("python3", &[py.to_str().unwrap(), "nat64", "50"]);
    let counted = wait_until(Duration::from_secs(10), || {
        lab.counter("v6xlatd_packets_dropped_total{reason=\"unknown_version\"}") >= 50
            && lab.counter("v6xlatd_packets_dropped_total{reason=\"truncated\"}") >= before + 150
    });
    assert!(counted, "{}", lab.metrics());
    assert!(lab.daemon.as_mut().unwrap().is_running());
    assert!(ping_ok(&lab.h6, &[server]), "still serving");
    // Nothing was translated from the junk.
    let text = lab.metrics();
    assert!(
        text.contains("v6xlatd_tun_errors_total{op=\"read\"} 0"),
        "{text}"
    );
    lab.stop();
}

#[test]
fn sighup_reloads_the_map() {
    if !root_or_skip("sighup_reloads_the_map", TOOLS) {
        return;
    }
    let mut lab = Lab::new("hup", NSP);
    lab.start();
    assert!(ping_ok(&lab.s4, &["198.51.100.10"]));
    assert!(
        !lab.s4
            .output("ping", &["-c", "1", "-W", "1", "198.51.100.11"])
            .status
            .success()
    );
    lab.h6.ip(&[
        "addr",
        "add",
        "2001:db8:1::11/64",
        "dev",
        "eth0",
        "nodad",
        "preferred_lft",
        "0",
    ]);
    let mut conf = std::fs::read_to_string(&lab.conf).unwrap();
    conf.push_str("map 198.51.100.11 2001:db8:1::11\n");
    std::fs::write(&lab.conf, conf).unwrap();
    lab.daemon.as_ref().unwrap().signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .s4
            .output("ping", &["-c", "1", "-W", "1", "198.51.100.11"])
            .status
            .success()),
        "the new map is not in force; log:\n{}",
        lab.log()
    );
    // SIGUSR1 prints the counters.
    lab.daemon.as_ref().unwrap().signal("USR1");
    assert!(wait_until(Duration::from_secs(3), || lab
        .log()
        .contains("translated 6to4=")));
    lab.stop();
}
