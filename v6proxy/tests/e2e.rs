//! End-to-end: an IPv4-only client namespace, the host namespace running
//! `v6proxyd relay`, and an IPv6-only backend namespace with an HTTP and an
//! HTTPS server (self-signed certificate made here). The client speaks to
//! the host's IPv4 address with curl; the host holds no certificate.
//!
//! ```text
//!  client            host (v6proxyd)                 backend
//!  192.0.2.2 ---- 192.0.2.1 | 2001:db8:1::1 ---- 2001:db8:1::10 (:80 HTTP, :443 HTTPS)
//! ```
//!
//! Needs root, curl, openssl and python3; skipped without them (and failing
//! under CI).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use v6kit_testkit::{Netns, Process, TempDir, root_or_skip, veth, wait_until};

const BACKEND: &str = "2001:db8:1::10";
const TOOLS: &[&str] = &["curl", "openssl", "python3", "ss"];

struct Lab {
    client: Netns,
    host: Netns,
    backend: Netns,
    dir: TempDir,
    _servers: Vec<Process>,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let client = Netns::new("rc");
        let host = Netns::new("rh");
        let backend = Netns::new("rb");
        veth(&client, "eth0", &host, "c0");
        veth(&host, "b0", &backend, "eth0");
        client.sysctl("net.ipv6.conf.all.disable_ipv6=1");
        client.ip(&["addr", "add", "192.0.2.2/24", "dev", "eth0"]);
        client.ip(&["route", "add", "default", "via", "192.0.2.1"]);
        host.ip(&["addr", "add", "192.0.2.1/24", "dev", "c0"]);
        host.ip(&["addr", "add", "2001:db8:1::1/64", "dev", "b0", "nodad"]);
        backend.ip(&[
            "addr",
            "add",
            &format!("{BACKEND}/64"),
            "dev",
            "eth0",
            "nodad",
        ]);
        backend.ip(&["-6", "route", "add", "default", "via", "2001:db8:1::1"]);

        let dir = TempDir::new(&format!("v6proxy-e2e-{tag}"));
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        v6kit_testkit::self_signed_certificate(
            &cert,
            &key,
            &["tls.example.test", "inside.example.test"],
        );
        let script = dir.join("backend.py");
        std::fs::write(&script, include_str!("data/backend.py")).unwrap();
        let dns = dir.join("dns.py");
        std::fs::write(&dns, include_str!("data/dns.py")).unwrap();
        let mut servers = vec![
            backend.spawn(
                backend
                    .command("python3")
                    .arg(&script)
                    .args(["80", "443"])
                    .arg(&cert)
                    .arg(&key),
            ),
        ];
        // The host's resolver: one name inside the backend prefix, one
        // outside it, one on the host's loopback.
        servers.push(host.spawn(host.command("python3").arg(&dns).args([
            "::1",
            "5353",
            &format!("inside.example.test={BACKEND}"),
            "outside.example.test=2001:db8:2::10",
            "loop.example.test=::1",
        ])));
        let lab = Lab {
            client,
            host,
            backend,
            dir,
            _servers: servers,
        };
        assert!(
            wait_until(Duration::from_secs(10), || lab.listening(&lab.backend, 443)
                && lab.listening(&lab.backend, 80)),
            "the backend servers did not start"
        );
        lab
    }

    fn listening(&self, ns: &Netns, port: u16) -> bool {
        let out = ns.output("ss", &["-Hltn", &format!("sport = :{port}")]);
        !String::from_utf8_lossy(&out.stdout).trim().is_empty()
    }

    /// Starts `v6proxyd relay` in the host with the common flags and
    /// `extra`, and waits until it listens.
    fn relay(&self, extra: &[&str]) -> Process {
        self.relay_through(&[], extra)
    }

    /// [`Lab::relay`] started by `launcher` (a program and its arguments,
    /// such as setpriv's) when it is not empty.
    fn relay_through(&self, launcher: &[String], extra: &[&str]) -> Process {
        let mut cmd = match launcher.split_first() {
            Some((program, args)) => {
                let mut c = self.host.command(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_v6proxyd"));
                c
            }
            None => self.host.command(env!("CARGO_BIN_EXE_v6proxyd")),
        };
        cmd.args([
            "relay",
            "--listen",
            "0.0.0.0:80",
            "--listen",
            "0.0.0.0:443",
            "--backend-prefix",
            "2001:db8:1::/64",
            "--route",
            &format!("http.example.test=[{BACKEND}]:80"),
            "--route",
            &format!("tls.example.test=[{BACKEND}]:443"),
            "--first-bytes-timeout",
            "1s",
            "--metrics",
            "127.0.0.1:9145",
        ])
        .args(extra)
        .stdout(Stdio::null());
        let p = self.host.spawn(&mut cmd);
        assert!(
            wait_until(Duration::from_secs(10), || self.listening(&self.host, 443)
                && self.listening(&self.host, 9145)),
            "v6proxyd did not start"
        );
        p
    }

    /// `curl` in the client for `url` with `name` resolved to the host's
    /// IPv4 address: (HTTP status, body).
    fn curl(&self, url: &str) -> (String, String) {
        let name = url.split('/').nth(2).unwrap();
        let port = if url.starts_with("https") { 443 } else { 80 };
        let cacert = self.dir.join("cert.pem");
        let out = self.client.output(
            "curl",
            &[
                "-sS",
                "--max-time",
                "10",
                "--cacert",
                cacert.to_str().unwrap(),
                "--resolve",
                &format!("{name}:{port}:192.0.2.1"),
                "-w",
                "\n%{http_code}",
                url,
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.to_owned(), body.trim_end().to_owned())
    }

    fn metrics(&self) -> String {
        self.host
            .run("curl", &["-sS", "http://127.0.0.1:9145/metrics"])
    }

    /// Runs python3 `code` in the client namespace; returns its output.
    fn client_python(&self, code: &str) -> String {
        let out = self.client.output("python3", &["-c", code]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

fn counter(metrics: &str, line: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line} in\n{metrics}"))
}

#[test]
fn ipv4_clients_reach_ipv6_only_sites_by_host_and_by_sni() {
    if !root_or_skip(
        "ipv4_clients_reach_ipv6_only_sites_by_host_and_by_sni",
        TOOLS,
    ) {
        return;
    }
    let lab = Lab::new("sites");
    let _relay = lab.relay(&["--resolver", "[::1]:5353"]);

    let (code, body) = lab.curl("http://http.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=http.example.test tls=no peer=2001:db8:1::1 proxy=-"
    );

    // The certificate curl checks against the backend's own is the one the
    // backend holds: the host has none, and TLS is not terminated there.
    let (code, body) = lab.curl("https://tls.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=tls.example.test tls=yes peer=2001:db8:1::1 proxy=-"
    );

    // The certificate the client is shown is the backend's, byte for byte.
    let fingerprint = |pem_source: &str| {
        lab.client.run(
            "sh",
            &[
                "-c",
                &format!("{pem_source} | openssl x509 -noout -fingerprint -sha256"),
            ],
        )
    };
    let cert = lab.dir.join("cert.pem");
    let shown = fingerprint(
        "echo | openssl s_client -connect 192.0.2.1:443 -servername tls.example.test 2>/dev/null",
    );
    assert!(shown.contains("Fingerprint="), "{shown}");
    assert_eq!(shown, fingerprint(&format!("cat {}", cert.display())));

    // A name without a route, resolved through the host's DNS server.
    let (code, body) = lab.curl("https://inside.example.test/");
    assert_eq!(code, "200", "{body}");
    assert!(
        body.starts_with("site=inside.example.test tls=yes"),
        "{body}"
    );

    // Names that resolve outside the backend prefixes, or to the host's own
    // loopback, are refused: 421 for HTTP, a closed connection for TLS.
    let (code, _) = lab.curl("http://outside.example.test/");
    assert_eq!(code, "421");
    let (code, _) = lab.curl("https://outside.example.test/");
    assert_eq!(code, "000");
    let (code, _) = lab.curl("http://loop.example.test/");
    assert_eq!(code, "421");

    let m = lab.metrics();
    // Three curls and openssl (which may end with a reset).
    let relayed = counter(&m, "v6proxyd_relay_connections_total{outcome=\"relayed\"}")
        + counter(&m, "v6proxyd_relay_connections_total{outcome=\"reset\"}");
    assert_eq!(relayed, 4);
    assert_eq!(
        counter(
            &m,
            "v6proxyd_relay_denied_total{reason=\"outside_prefixes\"}"
        ),
        2
    );
    assert_eq!(
        counter(
            &m,
            "v6proxyd_relay_denied_total{reason=\"special_purpose\"}"
        ),
        1
    );
    assert!(counter(&m, "v6proxyd_relay_bytes_total{direction=\"down\"}") > 500);
}

#[test]
fn runs_as_the_user_of_dash_dash_user_on_ports_80_and_443() {
    if !root_or_skip(
        "runs_as_the_user_of_dash_dash_user_on_ports_80_and_443",
        TOOLS,
    ) {
        return;
    }
    let lab = Lab::new("user");
    let relay = lab.relay(&["--user", "nobody"]);
    v6kit_testkit::runs_as(relay.id(), "nobody").unwrap();
    let (code, body) = lab.curl("https://tls.example.test/");
    assert_eq!(code, "200", "{body}");
    assert!(body.starts_with("site=tls.example.test tls=yes"), "{body}");
    let (code, body) = lab.curl("http://http.example.test/");
    assert_eq!(code, "200", "{body}");
}

/// SIGHUP reads the configuration file again: new connections follow the
/// new routes; a bad file is refused and the running routes kept.
#[test]
fn sighup_reloads_the_routes_and_a_bad_file_keeps_them() {
    if !root_or_skip("sighup_reloads_the_routes_and_a_bad_file_keeps_them", TOOLS) {
        return;
    }
    let lab = Lab::new("reload");
    let conf = lab.dir.write(
        "relay.conf",
        &format!("route old.example.test [{BACKEND}]:80\n"),
    );
    let mut relay = lab.relay(&["--config", conf.to_str().unwrap()]);
    assert_eq!(lab.curl("http://old.example.test/").0, "200");
    assert_eq!(lab.curl("http://new.example.test/").0, "421");

    lab.dir.write(
        "relay.conf",
        &format!("route new.example.test [{BACKEND}]:80\n"),
    );
    relay.signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .curl("http://new.example.test/")
            .0
            == "200"),
        "the new route is followed after SIGHUP"
    );
    assert_eq!(lab.curl("http://old.example.test/").0, "421");
    // The routes given as flags stay.
    assert_eq!(lab.curl("http://http.example.test/").0, "200");

    lab.dir
        .write("relay.conf", "route new.example.test not-an-address\n");
    relay.signal("HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert!(relay.is_running(), "a bad file does not stop the relay");
    assert_eq!(lab.curl("http://new.example.test/").0, "200");
    assert_eq!(lab.curl("http://old.example.test/").0, "421");
}

#[test]
fn relays_with_only_the_capability_of_its_systemd_unit() {
    if !root_or_skip(
        "relays_with_only_the_capability_of_its_systemd_unit",
        &[
            "curl",
            "openssl",
            "python3",
            "ss",
            "setpriv",
            "strace",
            "systemd-analyze",
        ],
    ) {
        return;
    }
    let lab = Lab::new("unit");
    // As examples/systemd/v6proxyd-relay.service starts it; strace
    // records its system calls.
    let trace = lab.dir.join("relay.strace");
    let launcher = v6kit_testkit::traced_unit_launcher("net_bind_service", &trace);
    let mut strace = lab.relay_through(&launcher, &["--resolver", "[::1]:5353"]);
    let pid = v6kit_testkit::traced_child(strace.id());
    v6kit_testkit::runs_as(pid, "nobody").unwrap();
    // Ports 80 and 443 are bound; then no capability is left.
    let cap = |f| v6kit_testkit::proc_status(pid, f).unwrap();
    assert_eq!(cap("CapEff"), "0000000000000000");
    assert_eq!(cap("CapPrm"), "0000000000000000");
    assert_eq!(cap("CapAmb"), "0000000000000000");
    let (code, body) = lab.curl("https://tls.example.test/");
    assert_eq!(code, "200", "{body}");
    let (code, body) = lab.curl("https://inside.example.test/");
    assert_eq!(code, "200", "{body}");
    assert!(lab.metrics().contains("v6proxyd_relay_connections_total"));
    v6kit_testkit::run(Command::new("kill").args(["-TERM", &pid.to_string()]));
    let status = strace
        .wait_timeout(Duration::from_secs(10))
        .expect("the relay stops");
    assert!(status.success(), "exit status {status}");
    // Every system call it made is one its unit allows.
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/systemd/v6proxyd-relay.service");
    let allowed = v6kit_testkit::unit_allowed_system_calls(&unit);
    let outside = v6kit_testkit::system_calls_outside(&trace, &allowed);
    assert!(
        outside.is_empty(),
        "outside the unit's SystemCallFilter: {outside:?}"
    );
}

#[test]
fn silent_and_garbage_clients_are_dropped_and_counted() {
    if !root_or_skip("silent_and_garbage_clients_are_dropped_and_counted", TOOLS) {
        return;
    }
    let lab = Lab::new("bad");
    let _relay = lab.relay(&[]);

    // A client that sends nothing is dropped after the 1 s timeout.
    let start = Instant::now();
    let said = lab.client_python(
        "import socket\n\
         s = socket.create_connection(('192.0.2.1', 443), timeout=10)\n\
         print(len(s.recv(100)))",
    );
    let waited = start.elapsed();
    assert_eq!(said, "0", "closed without a word");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    // Garbage where a ClientHello belongs is refused at once.
    let said = lab.client_python(
        "import socket\n\
         s = socket.create_connection(('192.0.2.1', 443), timeout=10)\n\
         s.sendall(b'\\x16\\x03\\x01\\x00\\x10' + b'\\xee' * 16)\n\
         print(len(s.recv(100)))",
    );
    assert_eq!(said, "0");
    let said = lab.client_python(
        "import socket\n\
         s = socket.create_connection(('192.0.2.1', 443), timeout=10)\n\
         s.sendall(bytes(range(256)))\n\
         print(len(s.recv(100)))",
    );
    assert_eq!(said, "0");

    let m = lab.metrics();
    assert_eq!(
        counter(
            &m,
            "v6proxyd_relay_connections_total{outcome=\"first_bytes_timeout\"}"
        ),
        1
    );
    assert_eq!(
        counter(
            &m,
            "v6proxyd_relay_refused_total{reason=\"not_client_hello\"}"
        ),
        1
    );
    assert_eq!(
        counter(
            &m,
            "v6proxyd_relay_refused_total{reason=\"unknown_protocol\"}"
        ),
        1
    );
}

#[test]
fn proxy_protocol_tells_the_backend_the_ipv4_client() {
    if !root_or_skip("proxy_protocol_tells_the_backend_the_ipv4_client", TOOLS) {
        return;
    }
    let lab = Lab::new("proxy");
    // v2 by default; the route of v1.example.test sends v1.
    let _relay = lab.relay(&[
        "--proxy-protocol",
        "v2",
        "--route",
        &format!("v1.example.test=[{BACKEND}]:80,proxy-protocol=v1"),
    ]);
    let (code, body) = lab.curl("http://http.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=http.example.test tls=no peer=2001:db8:1::1 proxy=192.0.2.2"
    );
    let (code, body) = lab.curl("https://tls.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=tls.example.test tls=yes peer=2001:db8:1::1 proxy=192.0.2.2"
    );
    let (code, body) = lab.curl("http://v1.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=v1.example.test tls=no peer=2001:db8:1::1 proxy=192.0.2.2"
    );
}

#[test]
fn embedded_source_shows_the_client_without_a_protocol_change() {
    if !root_or_skip(
        "embedded_source_shows_the_client_without_a_protocol_change",
        TOOLS,
    ) {
        return;
    }
    let lab = Lab::new("embed");
    // What the operator configures: the /96 is the host's, delivered
    // locally; the backends route it to the host (here: their default route).
    lab.host.ip(&[
        "-6",
        "route",
        "add",
        "local",
        "2001:db8:64::/96",
        "dev",
        "lo",
    ]);
    let _relay = lab.relay(&["--embed-source", "2001:db8:64::/96"]);
    let (code, body) = lab.curl("https://tls.example.test/");
    assert_eq!(code, "200", "{body}");
    // 192.0.2.2 is c000:202.
    assert_eq!(
        body,
        "site=tls.example.test tls=yes peer=2001:db8:64::c000:202 proxy=-"
    );
    let (code, body) = lab.curl("http://http.example.test/");
    assert_eq!(code, "200", "{body}");
    assert_eq!(
        body,
        "site=http.example.test tls=no peer=2001:db8:64::c000:202 proxy=-"
    );
}
