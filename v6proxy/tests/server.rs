//! The relay server on loopback, without root: what it refuses, and how it
//! counts and shuts down. Relaying to backends needs IPv6 backends that
//! are not loopback, so it is tested in network namespaces (tests/e2e.rs).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use v6proxy::relay::config::Config;
use v6proxy::relay::server::{Relay, run};

const CONF: &str = "\
listen 127.0.0.1:0
backend-prefix 2001:db8:1::/64
route www.example.org [2001:db8:1::10]:1
first-bytes-timeout 300ms
connect-timeout 300ms
drain-timeout 1s
";

struct Server {
    addr: std::net::SocketAddr,
    relay: Arc<Relay>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start() -> Server {
    let config = Config::parse(CONF, "test.conf").unwrap();
    let router = config.router(vec![]).unwrap();
    let relay = Arc::new(Relay::new(config, router));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(run(vec![listener], relay.clone(), async {
        let _ = rx.await;
    }));
    Server {
        addr,
        relay,
        stop: Some(tx),
        task,
    }
}

/// Sends `bytes`, then reads until the relay closes; returns what it said.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .expect("the relay closes the connection")
        .unwrap_or_default();
    out
}

fn counter(relay: &Relay, line: &str) -> u64 {
    let text = relay.metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line} in\n{text}"))
}

#[tokio::test]
async fn garbage_is_refused_and_counted() {
    let s = start().await;
    let out = exchange(s.addr, b"\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00").await;
    assert!(out.is_empty());
    let out = exchange(s.addr, b"\x00\x01garbage").await;
    assert!(out.is_empty());
    let out = exchange(s.addr, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").await;
    assert!(
        out.starts_with(b"HTTP/1.1 400 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // The log line and the counters come after the close; give them a moment.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = &s.relay;
    assert_eq!(
        counter(
            r,
            "v6proxyd_relay_refused_total{reason=\"not_client_hello\"}"
        ),
        1
    );
    assert_eq!(
        counter(
            r,
            "v6proxyd_relay_refused_total{reason=\"unknown_protocol\"}"
        ),
        1
    );
    assert_eq!(
        counter(r, "v6proxyd_relay_refused_total{reason=\"duplicate_host\"}"),
        1
    );
    assert_eq!(
        counter(r, "v6proxyd_relay_connections_total{outcome=\"refused\"}"),
        3
    );
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_timeout() {
    let s = start().await;
    let t = std::time::Instant::now();
    let out = exchange(s.addr, b"GET / HT").await;
    assert!(out.is_empty());
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        counter(
            &s.relay,
            "v6proxyd_relay_connections_total{outcome=\"first_bytes_timeout\"}"
        ),
        1
    );
}

#[tokio::test]
async fn names_without_a_backend_get_421_and_are_counted() {
    let s = start().await;
    let out = exchange(s.addr, b"GET / HTTP/1.1\r\nHost: other.example.org\r\n\r\n").await;
    assert!(
        out.starts_with(b"HTTP/1.1 421 "),
        "{}",
        String::from_utf8_lossy(&out)
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        counter(&s.relay, "v6proxyd_relay_denied_total{reason=\"no_route\"}"),
        1
    );
}

#[tokio::test]
async fn shutdown_stops_accepting_and_drains() {
    let mut s = start().await;
    // A connection that is still sending its first bytes when the shutdown
    // comes is allowed to finish (here: to time out).
    let mut open = TcpStream::connect(s.addr).await.unwrap();
    open.write_all(b"GET").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), &mut s.task)
        .await
        .expect("run returns after draining")
        .unwrap();
    assert!(
        TcpStream::connect(s.addr).await.is_err(),
        "the listener is closed"
    );
    assert_eq!(
        counter(
            &s.relay,
            "v6proxyd_relay_connections_total{outcome=\"first_bytes_timeout\"}"
        ),
        1
    );
}
