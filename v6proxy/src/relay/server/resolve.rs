//! AAAA lookups, for names without a static route.
//!
//! One query per lookup from a fresh socket (a random source port and a
//! random id, RFC 5452 §9.2), over UDP with EDNS0 offering
//! [`EDNS_PAYLOAD`] octets (RFC 6891); a truncated answer is asked again
//! over TCP (RFC 7766 §5). Answers come from a small cache that keeps them
//! for their TTL (negative ones for their SOA's negative TTL, RFC 2308), at
//! most [`MAX_TTL`].

use std::collections::HashMap;
use std::io;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::relay::HostName;

/// The longest an answer is kept.
pub const MAX_TTL: Duration = Duration::from_secs(60);
/// The most names kept; the cache is emptied when it is full.
const MAX_NAMES: usize = 4096;
/// The UDP payload size offered: the DNS flag day 2020 default, which
/// avoids IP fragmentation on common paths.
pub const EDNS_PAYLOAD: u16 = 1232;

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
        let mut edns = Edns::new();
        edns.set_max_payload(EDNS_PAYLOAD);
        q.edns = Some(edns);
        let bytes = q
            .to_vec()
            .map_err(|e| LookupError::Io(io::Error::other(e.to_string())))?;
        let mut reply = self.over_udp(&q, &bytes).await?;
        if reply.metadata.truncation {
            reply = self.over_tcp(&q, &bytes).await?;
        }
        match reply.metadata.response_code {
            ResponseCode::NoError | ResponseCode::NXDomain => Ok(addresses(&reply)),
            code => Err(LookupError::Failed(code)),
        }
    }

    /// The reply to `q` (encoded as `bytes`) over UDP; datagrams that are
    /// not its reply are ignored.
    async fn over_udp(&self, q: &Message, bytes: &[u8]) -> Result<Message, LookupError> {
        let any: SocketAddr = match self.server {
            SocketAddr::V4(_) => "0.0.0.0:0".parse().unwrap_or(self.server),
            SocketAddr::V6(_) => "[::]:0".parse().unwrap_or(self.server),
        };
        let sock = UdpSocket::bind(any).await.map_err(LookupError::Io)?;
        sock.connect(self.server).await.map_err(LookupError::Io)?;
        sock.send(bytes).await.map_err(LookupError::Io)?;
        let mut buf = vec![0u8; 4096];
        loop {
            let n = sock.recv(&mut buf).await.map_err(LookupError::Io)?;
            if let Some(m) = reply_to(q, &buf[..n]) {
                return Ok(m);
            }
        }
    }

    /// The reply to `q` (encoded as `bytes`) over TCP, each message after
    /// its two-octet length (RFC 1035 §4.2.2).
    async fn over_tcp(&self, q: &Message, bytes: &[u8]) -> Result<Message, LookupError> {
        let mut stream = TcpStream::connect(self.server)
            .await
            .map_err(LookupError::Io)?;
        let len = u16::try_from(bytes.len()).map_err(|e| LookupError::Io(io::Error::other(e)))?;
        let mut out = len.to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        stream.write_all(&out).await.map_err(LookupError::Io)?;
        loop {
            let len = stream.read_u16().await.map_err(LookupError::Io)?;
            let mut buf = vec![0u8; usize::from(len)];
            stream.read_exact(&mut buf).await.map_err(LookupError::Io)?;
            if let Some(m) = reply_to(q, &buf) {
                return Ok(m);
            }
        }
    }
}

/// The AAAA addresses of a NOERROR or NXDOMAIN `reply`, and how long they
/// may be kept: the smallest TTL among them, or for no address (a negative
/// answer) the smaller of the SOA record's TTL and its MINIMUM field (RFC
/// 2308 section 5), never more than [`MAX_TTL`].
fn addresses(reply: &Message) -> (Vec<Ipv6Addr>, Duration) {
    let mut ttl = MAX_TTL;
    let addrs: Vec<Ipv6Addr> = reply
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
    if addrs.is_empty() {
        for r in &reply.authorities {
            if let RData::SOA(soa) = &r.data {
                ttl = ttl.min(Duration::from_secs(r.ttl.min(soa.minimum).into()));
            }
        }
    }
    (addrs, ttl)
}

/// `bytes` parsed, if they are a reply to `q`: its id and its question.
fn reply_to(q: &Message, bytes: &[u8]) -> Option<Message> {
    let m = Message::from_vec(bytes).ok()?;
    (m.metadata.message_type == MessageType::Response
        && m.metadata.id == q.metadata.id
        && m.queries == q.queries)
        .then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{AAAA, SOA};
    use tokio::net::TcpListener;

    fn name() -> HostName {
        "big.example.test".parse().unwrap()
    }

    /// The reply to `query`: `addrs` as AAAA records, TC set when `tc`.
    fn reply(query: &[u8], addrs: &[Ipv6Addr], tc: bool) -> Vec<u8> {
        let q = Message::from_vec(query).unwrap();
        let mut r = q.clone();
        r.metadata.message_type = MessageType::Response;
        r.metadata.truncation = tc;
        r.edns = None;
        for a in addrs {
            let owner = q.queries[0].name().clone();
            r.add_answer(Record::from_rdata(owner, 300, RData::AAAA(AAAA(*a))));
        }
        r.to_vec().unwrap()
    }

    /// A DNS server on loopback whose UDP answers are truncated, with one
    /// address, and whose TCP answers hold all of `addrs`; it checks that
    /// each UDP query offers EDNS0 with [`EDNS_PAYLOAD`] octets.
    async fn server(addrs: Vec<Ipv6Addr>) -> SocketAddr {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = TcpListener::bind(addr).await.unwrap();
        let first = addrs[..1].to_vec();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            loop {
                let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
                let q = Message::from_vec(&buf[..n]).unwrap();
                assert_eq!(q.edns.as_ref().map(Edns::max_payload), Some(EDNS_PAYLOAD));
                // Something that is not the reply comes first.
                let mut other = Message::from_vec(&reply(&buf[..n], &[], false)).unwrap();
                other.metadata.id = q.metadata.id.wrapping_add(1);
                udp.send_to(&other.to_vec().unwrap(), peer).await.unwrap();
                udp.send_to(&reply(&buf[..n], &first, true), peer)
                    .await
                    .unwrap();
            }
        });
        tokio::spawn(async move {
            loop {
                let (mut s, _) = tcp.accept().await.unwrap();
                let len = s.read_u16().await.unwrap();
                let mut q = vec![0u8; usize::from(len)];
                s.read_exact(&mut q).await.unwrap();
                let r = reply(&q, &addrs, false);
                let mut out = (r.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&r);
                s.write_all(&out).await.unwrap();
            }
        });
        addr
    }

    /// A negative answer is kept for its SOA's negative TTL (the smaller of
    /// the record's TTL and MINIMUM), a positive one for its smallest TTL,
    /// both at most [`MAX_TTL`].
    #[test]
    fn answers_are_kept_for_their_ttl_and_negative_ones_for_the_soa_s() {
        let owner = Name::from_ascii("example.test.").unwrap();
        let soa = |ttl: u32, minimum: u32| {
            let rdata = SOA::new(owner.clone(), owner.clone(), 1, 3600, 600, 86400, minimum);
            Record::from_rdata(owner.clone(), ttl, RData::SOA(rdata))
        };
        let a = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 10);
        for (answers, soas, want) in [
            (vec![(a, 30), (a, 20)], vec![], (vec![a, a], 20)),
            (vec![(a, 3600)], vec![], (vec![a], 60)),
            (vec![], vec![(300, 5)], (vec![], 5)),
            (vec![], vec![(7, 300)], (vec![], 7)),
            (vec![], vec![(3600, 3600)], (vec![], 60)),
            (vec![], vec![], (vec![], 60)),
            // An address answer ignores the SOA beside it.
            (vec![(a, 40)], vec![(300, 5)], (vec![a], 40)),
        ] {
            let mut m = Message::query();
            m.metadata.message_type = MessageType::Response;
            for (addr, ttl) in answers {
                m.add_answer(Record::from_rdata(
                    owner.clone(),
                    ttl,
                    RData::AAAA(AAAA(addr)),
                ));
            }
            for (ttl, minimum) in soas {
                m.add_authority(soa(ttl, minimum));
            }
            assert_eq!(addresses(&m), (want.0, Duration::from_secs(want.1)));
        }
    }

    #[tokio::test]
    async fn a_truncated_answer_is_asked_again_over_tcp() {
        let addrs: Vec<Ipv6Addr> = (1..=100u16)
            .map(|i| Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, i))
            .collect();
        let resolver = Resolver::new(server(addrs.clone()).await);
        let got = resolver
            .aaaa(&name(), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(got, addrs);
    }
}
