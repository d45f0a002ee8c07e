//! Asking the upstream resolvers: UDP first, TCP when the answer is
//! truncated, the next upstream when one does not answer in time.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use super::metrics::{Metrics, inc};

/// The upstream resolvers, tried in order starting with the one that last
/// answered.
#[derive(Debug)]
pub struct Upstreams {
    addrs: Vec<SocketAddr>,
    timeout: Duration,
    preferred: AtomicUsize,
}

impl Upstreams {
    /// `addrs`, each given `timeout` per attempt.
    pub fn new(addrs: Vec<SocketAddr>, timeout: Duration) -> Self {
        Upstreams {
            addrs,
            timeout,
            preferred: AtomicUsize::new(0),
        }
    }

    /// Whether there is any upstream at all.
    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty()
    }

    /// The answer to `query` from the first upstream that gives one, or
    /// `None` when none does. Each attempt uses a fresh random ID and source
    /// port (RFC 5452 section 9.2) and accepts only a response with that ID
    /// and the same question.
    pub async fn ask(&self, query: &Message, metrics: &Metrics) -> Option<Message> {
        let n = self.addrs.len();
        let first = self.preferred.load(Ordering::Relaxed);
        for i in 0..n {
            let idx = (first + i) % n;
            let addr = self.addrs[idx];
            let mut q = query.clone();
            q.metadata.id = rand::random();
            let Ok(bytes) = q.to_vec() else { return None };
            let answer = match timeout(self.timeout, udp(addr, &bytes, &q)).await {
                Ok(Ok(a)) if a.metadata.truncation => {
                    inc(&metrics.upstream_tcp_retries);
                    match timeout(self.timeout, tcp(addr, &bytes, &q)).await {
                        Ok(Ok(a)) => Some(a),
                        _ => None,
                    }
                }
                Ok(Ok(a)) => Some(a),
                _ => None,
            };
            if let Some(a) = answer {
                if idx != first {
                    self.preferred.store(idx, Ordering::Relaxed);
                }
                return Some(a);
            }
        }
        None
    }
}

fn matches(answer: &Message, query: &Message) -> bool {
    answer.metadata.id == query.metadata.id && answer.queries == query.queries
}

async fn udp(addr: SocketAddr, bytes: &[u8], query: &Message) -> io::Result<Message> {
    let local: IpAddr = match addr {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let sock = UdpSocket::bind((local, 0)).await?;
    // Connected: only the upstream's datagrams arrive, and a closed port
    // fails at once (ICMP port unreachable) instead of timing out.
    sock.connect(addr).await?;
    sock.send(bytes).await?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = sock.recv(&mut buf).await?;
        if let Ok(m) = Message::from_vec(&buf[..n]) {
            if matches(&m, query) {
                return Ok(m);
            }
        }
    }
}

async fn tcp(addr: SocketAddr, bytes: &[u8], query: &Message) -> io::Result<Message> {
    let mut s = TcpStream::connect(addr).await?;
    let len = u16::try_from(bytes.len()).map_err(|_| io::ErrorKind::InvalidInput)?;
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    s.write_all(&out).await?;
    loop {
        let len = usize::from(s.read_u16().await?);
        let mut buf = vec![0u8; len];
        s.read_exact(&mut buf).await?;
        if let Ok(m) = Message::from_vec(&buf) {
            if matches(&m, query) {
                return Ok(m);
            }
        }
    }
}
