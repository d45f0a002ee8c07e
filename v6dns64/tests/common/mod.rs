//! What the server tests share: a test authority serving a zone file over
//! UDP and TCP (the `authority` example's), the server binary on port 0,
//! and `dig`.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use v6dns64::Zone;
use v6kit_testkit::{Process, TempDir, under_ci, which};

/// The zone the tests ask about.
pub const ZONE: &str = r#"
$ORIGIN example.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
@        NS    ns
ns       A     127.0.0.1
v4only   300   A 192.0.2.33
v4only   300   A 198.51.100.7
dual     A     192.0.2.1
dual     AAAA  2001:db8::1
alias    CNAME v4only
alias2   CNAME alias
nodata   TXT   "no addresses"
"#;

/// The reverse zone for 192.0.2.0/24.
pub const REVERSE: &str = r#"
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
@        NS    ns.example.
33       PTR   v4only.example.
"#;

/// `big.example.` with `n` A records: its synthesized reply is larger than
/// 1232 bytes, so it is truncated over UDP.
pub fn big_zone(n: u8) -> String {
    let mut z = String::from(
        "$ORIGIN big.example.\n$TTL 3600\n@ IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120\n",
    );
    for i in 1..=n {
        z.push_str(&format!("@ A 203.0.113.{i}\n"));
    }
    z
}

/// The `authority` example's server.
#[path = "../../examples/authority/serve.rs"]
mod authority;

/// A test authority (the `authority` example's server): answers from its
/// zones over UDP and TCP, truncating UDP answers to the query's size, on
/// 127.0.0.1 and a free port. It stops when dropped.
pub struct Authority {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl Authority {
    pub fn start(zones: &[&str]) -> Authority {
        let zones: Arc<Vec<Zone>> = Arc::new(
            zones
                .iter()
                .map(|z| Zone::parse(z, None, None).unwrap())
                .collect(),
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let addr = runtime.block_on(async {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = udp.local_addr().unwrap();
            let tcp = TcpListener::bind(addr).await.unwrap();
            tokio::spawn(authority::serve(udp, tcp, zones));
            addr
        });
        Authority {
            addr,
            _runtime: runtime,
        }
    }
}

/// A running `v6dns64d`, killed when dropped.
pub struct Daemon {
    pub process: Process,
    pub addr: SocketAddr,
    pub metrics: Option<SocketAddr>,
}

impl Daemon {
    /// Starts `v6dns64d` with `args` and `--listen [::1]:0`, and waits for
    /// it to say where it listens.
    pub fn start(args: &[&str]) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_v6dns64d"));
        cmd.args(["--listen", "[::1]:0"])
            .args(args)
            .stderr(Stdio::piped());
        let mut process = Process::spawn(&mut cmd);
        let stderr = process.child_mut().stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let mut addr = None;
        let mut metrics = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("v6dns64d: listening on ") {
                addr = Some(rest.split(' ').next().unwrap().parse().unwrap());
            } else if let Some(rest) = line.strip_prefix("v6dns64d: metrics on http://") {
                metrics = Some(rest.trim_end_matches("/metrics").parse().unwrap());
            }
            let want_metrics = args.contains(&"--metrics");
            if addr.is_some() && (metrics.is_some() || !want_metrics) {
                break;
            }
        }
        // Keep draining stderr so the daemon never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Daemon {
            process,
            addr: addr.expect("v6dns64d did not say where it listens"),
            metrics,
        }
    }
}

/// Whether `dig` is here; otherwise says the test is skipped, or fails
/// under CI.
pub fn have(test: &str, tool: &str) -> bool {
    if which(tool).is_some() {
        return true;
    }
    let why = format!("{test}: {tool} is not installed");
    if under_ci() {
        panic!("{why}, and CI must not skip it");
    }
    eprintln!("skipped: {why}");
    false
}

/// Runs `dig` against `server` with `args` and returns its output.
pub fn dig(server: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", server.ip()))
        .args(["-p", &server.port().to_string(), "+time=3", "+tries=1"])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The answer section of `dig` output as sorted `name type data` lines,
/// without TTLs, lowercase.
pub fn answer_section(dig_output: &str) -> Vec<String> {
    let mut v: Vec<String> = dig_output
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // name ttl class type data…
            let mut keep = vec![f[0]];
            keep.extend(&f[2..]);
            keep.join(" ").to_lowercase()
        })
        .collect();
    v.sort();
    v
}

/// The status (NOERROR, NXDOMAIN, …) in `dig` output.
pub fn status(dig_output: &str) -> String {
    dig_output
        .split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("none")
        .to_owned()
}

/// A fresh temporary directory for the test, removed with its files when
/// dropped.
pub fn temp_dir(test: &str) -> TempDir {
    TempDir::new(&format!("v6dns64-{test}"))
}

/// Waits until `f` holds, up to 5 s.
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    v6kit_testkit::wait_until(Duration::from_secs(5), &mut f)
}
