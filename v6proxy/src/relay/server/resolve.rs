//! AAAA lookups over UDP, for names without a static route.
//!
//! One query per lookup from a fresh socket (a random source port and a
//! random id, RFC 5452 §9.2), answered from a small cache that keeps
//! answers for their TTL, at most [`MAX_TTL`].

use std::collections::HashMap;
use std::io;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::net::UdpSocket;

use crate::relay::HostName;

/// The longest an answer is kept.
pub const MAX_TTL: Duration = Duration::from_secs(60);
/// The most names kept; the cache is emptied when it is full.
const MAX_NAMES: usize = 4096;

/// Why a lookup failed.
#[derive(Debug)]
pub enum LookupError {
    /// The resolver did not answer in time.
    Timeout,
    /// The resolver answered with an error code other than NXDOMAIN.
    Failed(ResponseCode),
    /// Sending or receiving failed.
    Io(io::Error),
}

/// A resolver client for one DNS server, with a cache.
#[derive(Debug)]
pub struct Resolver {
    server: SocketAddr,
    cache: Mutex<HashMap<HostName, (Vec<Ipv6Addr>, Instant)>>,
}

impl Resolver {
    /// A client of `server`.
    pub fn new(server: SocketAddr) -> Resolver {
        Resolver {
            server,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The AAAA addresses of `name` (none for NXDOMAIN or NODATA), waiting
    /// at most `timeout` and asking twice within it.
    pub async fn aaaa(
        &self,
        name: &HostName,
        timeout: Duration,
    ) -> Result<Vec<Ipv6Addr>, LookupError> {
        let now = Instant::now();
        if let Some((addrs, until)) = self.lock().get(name)
            && *until > now
        {
            return Ok(addrs.clone());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = LookupError::Timeout;
        for attempt in 0..2u32 {
            let wait = timeout / 2 * (attempt + 1);
            match tokio::time::timeout_at(
                (tokio::time::Instant::now() + wait).min(deadline),
                self.ask(name),
            )
            .await
            {
                Ok(Ok((addrs, ttl))) => {
                    let mut cache = self.lock();
                    if cache.len() >= MAX_NAMES {
                        cache.clear();
                    }
                    cache.insert(name.clone(), (addrs.clone(), now + ttl.min(MAX_TTL)));
                    return Ok(addrs);
                }
                Ok(Err(e @ LookupError::Failed(_))) => return Err(e),
                Ok(Err(e)) => last = e,
                Err(_) => last = LookupError::Timeout,
            }
        }
        Err(last)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<HostName, (Vec<Ipv6Addr>, Instant)>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn ask(&self, name: &HostName) -> Result<(Vec<Ipv6Addr>, Duration), LookupError> {
        let qname = Name::from_ascii(format!("{name}."))
            .map_err(|e| LookupError::Io(io::Error::other(e.to_string())))?;
        let mut q = Message::query();
        q.metadata.id = rand::random();
        q.metadata.recursion_desired = true;
        q.add_query(Query::query(qname, RecordType::AAAA));
        let bytes = q
            .to_vec()
            .map_err(|e| LookupError::Io(io::Error::other(e.to_string())))?;
        let any: SocketAddr = match self.server {
            SocketAddr::V4(_) => "0.0.0.0:0".parse().unwrap_or(self.server),
            SocketAddr::V6(_) => "[::]:0".parse().unwrap_or(self.server),
        };
        let sock = UdpSocket::bind(any).await.map_err(LookupError::Io)?;
        sock.connect(self.server).await.map_err(LookupError::Io)?;
        sock.send(&bytes).await.map_err(LookupError::Io)?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).await.map_err(LookupError::Io)?;
            let Ok(m) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            if m.metadata.id != q.metadata.id || m.queries != q.queries {
                continue;
            }
            return match m.metadata.response_code {
                ResponseCode::NoError | ResponseCode::NXDomain => {
                    let mut ttl = MAX_TTL;
                    let addrs = m
                        .answers
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::AAAA(a) => {
                                ttl = ttl.min(Duration::from_secs(r.ttl.into()));
                                Some(a.0)
                            }
                            _ => None,
                        })
                        .collect();
                    Ok((addrs, ttl))
                }
                code => Err(LookupError::Failed(code)),
            };
        }
    }
}
