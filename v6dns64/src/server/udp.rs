//! The UDP workers: batches of queries in, batches of replies out.
//!
//! Each worker thread reads a socket of its own ([`bind`] makes one per
//! worker for a listening address, and the kernel gives each datagram to
//! the socket of the processor that received it). It blocks in
//! `recvmmsg(2)` until at least one datagram is there and takes up to
//! [`BATCH`] at once; the replies it can make at once (the reply cache,
//! static zones, cached upstream answers) go back in one `sendmmsg(2)`.
//! Under load that is two system calls per batch rather than per query,
//! which is where a cache-hit answer spends most of its time. Queries that
//! need the upstreams become tasks on the runtime and are answered with
//! their own `send_to`.

use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::Message;
use nix::sched::{CpuSet, sched_getaffinity};
use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg, setsockopt,
    sockopt,
};
use nix::unistd::Pid;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::sync::mpsc;

use super::metrics::inc;
use super::replies::QueryKey;
use super::{Server, wire};

/// Datagrams taken per `recvmmsg`.
pub const BATCH: usize = 32;

/// The largest query read; longer ones are cut and get FORMERR.
const QUERY_MAX: usize = 4096;

/// How often an idle worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// The receive buffer asked for (the kernel caps it at `rmem_max`), so
/// that bursts wait in the queue instead of being dropped.
const RCVBUF: usize = 4 << 20;

/// Binds the UDP sockets of one listening address, `workers` of them
/// (at least one), each to be read by a worker of its own.
///
/// They form one `SO_REUSEPORT` group (socket(7)), and the `i`-th is
/// marked with the `i`-th processor this process may run on
/// (`SO_INCOMING_CPU`): Linux (6.1 and later) gives a datagram to the
/// socket of the processor that received it, and to one picked by a hash
/// of the addresses when no socket has that processor. Each worker so
/// reads what one processor received, and no two workers wait on the same
/// socket's queue: measured against two workers reading one socket,
/// 5–8 % more queries per second at 5–8 % less CPU per query, client
/// included (BENCHMARKS.md).
///
/// A socket joins the group of any socket of the same user already bound
/// to the address with `SO_REUSEPORT`, and would silently share its
/// queries. So the address is first bound without it, which fails with
/// "address in use" when anything holds it; then the group takes it.
/// Port 0 picks a free port, the same for every socket of the group.
pub fn bind(addr: SocketAddr, workers: usize) -> std::io::Result<Vec<UdpSocket>> {
    // The socket bound without SO_REUSEPORT is closed at once.
    let addr = UdpSocket::bind(addr)?.local_addr()?;
    let cpus = allowed_cpus();
    (0..workers.max(1))
        .map(|i| {
            let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
            s.set_reuse_port(true)?;
            if !cpus.is_empty() {
                // Best effort: without it the kernel spreads the datagrams
                // by hash, which still works.
                let _ = s.set_cpu_affinity(cpus[i % cpus.len()]);
            }
            s.bind(&addr.into())?;
            Ok(s.into())
        })
        .collect()
}

/// The processors this process may run on (its affinity mask, which
/// `taskset` or systemd's `CPUAffinity=` narrow), in order; empty if it
/// cannot be read.
fn allowed_cpus() -> Vec<usize> {
    sched_getaffinity(Pid::from_raw(0)).map_or_else(
        |_| Vec::new(),
        |set| {
            (0..CpuSet::count())
                .filter(|&c| set.is_set(c).unwrap_or(false))
                .collect()
        },
    )
}

/// Prepares `sock` for [`serve`]: blocking, with a read timeout so that
/// workers see the stop flag, and a large receive buffer.
pub fn prepare(sock: &UdpSocket) -> std::io::Result<()> {
    sock.set_nonblocking(false)?;
    sock.set_read_timeout(Some(POLL))?;
    // Best effort: the default buffer still works, only drops sooner.
    let _ = setsockopt(sock, sockopt::RcvBuf, &RCVBUF);
    Ok(())
}

/// What a worker counts locally and adds to the shared counters once per
/// batch, so that the workers do not contend for the counters' cache line
/// on every query.
#[derive(Default)]
struct Tally {
    queries: u64,
    reply_cache_hits: u64,
    synthesized: u64,
}

impl Tally {
    fn flush(&mut self, m: &super::metrics::Metrics) {
        for (n, c) in [
            (self.queries, &m.queries_udp),
            (self.reply_cache_hits, &m.reply_cache_hits),
            (self.synthesized, &m.synthesized),
        ] {
            if n > 0 {
                c.fetch_add(n, Ordering::Relaxed);
            }
        }
        *self = Tally::default();
    }
}

/// One worker: answers queries on `sock` until `stop` is set.
///
/// Its buffers are made once: a batch of queries and replies costs no
/// allocation when every reply comes from the reply cache.
pub fn serve(
    sock: &Arc<UdpSocket>,
    server: &Arc<Server>,
    runtime: &tokio::runtime::Handle,
    stop: &AtomicBool,
    done: &mpsc::Sender<()>,
) {
    let fd = sock.as_raw_fd();
    let mut bufs: Box<[[u8; QUERY_MAX]; BATCH]> = vec![[0u8; QUERY_MAX]; BATCH]
        .into_boxed_slice()
        .try_into()
        .unwrap_or_else(|_| unreachable!("BATCH buffers"));
    let mut recv_headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut send_headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut got: Vec<(usize, Option<SockaddrStorage>)> = Vec::with_capacity(BATCH);
    let mut replies: Vec<Vec<u8>> = (0..BATCH)
        .map(|_| Vec::with_capacity(usize::from(crate::EDNS_PAYLOAD)))
        .collect();
    let mut peers: Vec<Option<SockaddrStorage>> = Vec::with_capacity(BATCH);
    let mut tally = Tally::default();
    while !stop.load(Ordering::Relaxed) {
        got.clear();
        {
            let mut iovs = bufs.each_mut().map(|b| [IoSliceMut::new(&mut b[..])]);
            match recvmmsg(
                fd,
                &mut recv_headers,
                iovs.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(results) => got.extend(results.map(|r| (r.bytes, r.address))),
                // The poll timeout, ICMP errors for earlier replies and the
                // like: keep going.
                Err(_) => continue,
            }
        }
        peers.clear();
        let now = Instant::now();
        for (i, &(n, addr)) in got.iter().enumerate() {
            let Some(peer) = addr.as_ref().and_then(to_std) else {
                continue;
            };
            tally.queries += 1;
            let query = &bufs[i][..n.min(QUERY_MAX)];
            let out = &mut replies[peers.len()];
            if answer(
                sock, server, runtime, done, query, peer, now, out, &mut tally,
            ) {
                peers.push(addr);
            }
        }
        tally.flush(&server.metrics);
        send_all(fd, &mut send_headers, &replies[..peers.len()], &peers);
    }
}

/// Sends `replies[i]` to `peers[i]`, in as few `sendmmsg` calls as the
/// kernel allows.
fn send_all(
    fd: i32,
    headers: &mut MultiHeaders<SockaddrStorage>,
    replies: &[Vec<u8>],
    peers: &[Option<SockaddrStorage>],
) {
    let iovs: [[IoSlice<'_>; 1]; BATCH] =
        std::array::from_fn(|i| [IoSlice::new(replies.get(i).map_or(&[][..], |r| &r[..]))]);
    let mut from = 0;
    while from < replies.len() {
        let no_cmsgs: [ControlMessage<'_>; 0] = [];
        match sendmmsg(
            fd,
            headers,
            &iovs[from..replies.len()],
            &peers[from..],
            no_cmsgs,
            MsgFlags::empty(),
        ) {
            Ok(sent) => {
                let n = sent.count();
                if n == 0 {
                    return;
                }
                from += n;
            }
            // A reply that cannot be sent (the peer's address is bad, the
            // buffer is full): skip it, send the rest.
            Err(_) => from += 1,
        }
    }
}

fn to_std(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// Makes the reply to one datagram in `out` if it can be made at once and
/// returns `true`; otherwise the query goes to a task (which sends its own
/// reply), or is dropped, and `false` is returned.
#[allow(clippy::too_many_arguments)]
fn answer(
    sock: &Arc<UdpSocket>,
    server: &Arc<Server>,
    runtime: &tokio::runtime::Handle,
    done: &mpsc::Sender<()>,
    bytes: &[u8],
    peer: SocketAddr,
    now: Instant,
    out: &mut Vec<u8>,
    tally: &mut Tally,
) -> bool {
    let policy = server.dns64.policy();
    let key = if policy.allows(peer.ip()) {
        QueryKey::of(bytes, policy.rule_for(peer.ip()))
    } else {
        None
    };
    if let Some(k) = &key {
        if let Some(synthesized) = server.replies.get_into(k, bytes, now, out) {
            tally.reply_cache_hits += 1;
            tally.synthesized += u64::from(synthesized);
            return true;
        }
    }
    let (action, limit) = server.start(bytes, peer.ip());
    let mut synthesized = false;
    match server.advance(action, &mut synthesized) {
        Ok(Some(m)) => {
            *out = encode(server, &m, limit, key, synthesized);
            true
        }
        Ok(None) => false,
        Err(p) => {
            let (sock, server, done) = (sock.clone(), server.clone(), done.clone());
            runtime.spawn(async move {
                let mut synthesized = false;
                if let Some(m) = server.finish(p, &mut synthesized).await {
                    let out = encode(&server, &m, limit, key, synthesized);
                    // A UDP send does not wait for the peer.
                    let _ = sock.send_to(&out, peer);
                }
                drop(done);
            });
            false
        }
    }
}

/// Encodes a reply for UDP; keeps it for the next identical query when the
/// query had a [`QueryKey`] and the reply was not truncated.
fn encode(
    server: &Server,
    m: &Message,
    limit: usize,
    key: Option<QueryKey>,
    synthesized: bool,
) -> Vec<u8> {
    let out = wire::encode(m, limit);
    if out.len() > 2 && out[2] & 0x02 != 0 {
        inc(&server.metrics.truncated);
    } else if let Some(key) = key {
        server
            .replies
            .insert(key, &out, synthesized, Instant::now());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::upstream::Upstreams;
    use crate::{Dns64, Policy, Zone};
    use hickory_proto::op::{Edns, Query};
    use hickory_proto::rr::{Name, RecordType};
    use nix::sys::socket::SockaddrLike;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv6Addr};
    use v6core::Pref64;

    const ZONE: &str = r#"
$ORIGIN example.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
@        NS    ns
v4only   300   A 192.0.2.33
v4only   300   A 198.51.100.7
dual     A     192.0.2.1
dual     AAAA  2001:db8::1
alias    CNAME v4only
nodata   TXT   "no addresses"
"#;

    const REVERSE: &str = r#"
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 3600
@        IN SOA ns.example. hostmaster.example. 1 3600 600 86400 120
33       PTR   v4only.example.
"#;

    const QUESTIONS: [(&str, RecordType); 7] = [
        ("v4only.example.", RecordType::AAAA),
        ("dual.example.", RecordType::AAAA),
        ("alias.example.", RecordType::AAAA),
        ("missing.example.", RecordType::AAAA),
        ("nodata.example.", RecordType::AAAA),
        ("v4only.example.", RecordType::A),
        (
            "1.2.2.0.0.0.0.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.9.f.f.4.6.0.0.ip6.arpa.",
            RecordType::PTR,
        ),
    ];

    const CLIENT: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    /// A server that answers every upstream question from static zones.
    fn server() -> Server {
        let zones = [ZONE, REVERSE].map(|z| Zone::parse(z, None, None).unwrap());
        Server::new(
            Dns64::new(Policy::new(
                Pref64::WELL_KNOWN,
                vec!["::1/128".parse().unwrap()],
            )),
            zones.into(),
            Upstreams::new(Vec::new(), Duration::from_secs(1)),
            100,
        )
    }

    /// The header bits and OPT record a query may have.
    #[derive(Debug, Clone, Copy)]
    struct Shape {
        rd: bool,
        cd: bool,
        edns: Option<(u16, bool)>,
    }

    /// A query's bytes: `id`, the AD bit, and the case of each letter of
    /// the name flipped where `case` has a bit set.
    fn query(q: usize, shape: Shape, id: u16, ad: bool, case: u64) -> Vec<u8> {
        let (name, rtype) = QUESTIONS[q];
        let mut m = Message::query();
        m.metadata.id = id;
        m.metadata.recursion_desired = shape.rd;
        m.metadata.checking_disabled = shape.cd;
        m.metadata.authentic_data = ad;
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        if let Some((payload, dnssec_ok)) = shape.edns {
            let mut e = Edns::new();
            e.set_max_payload(payload);
            e.set_dnssec_ok(dnssec_ok);
            m.edns = Some(e);
        }
        let mut b = m.to_vec().unwrap();
        for (i, byte) in b[12..12 + name.len() + 1].iter_mut().enumerate() {
            if case >> (i % 64) & 1 == 1 && byte.is_ascii_alphabetic() {
                *byte ^= 0x20;
            }
        }
        b
    }

    /// The reply the state machine makes (what a reply-cache miss sends),
    /// kept in the reply cache when `keep`.
    fn fresh(server: &Server, bytes: &[u8], keep: bool) -> Vec<u8> {
        let rule = server.dns64.policy().rule_for(CLIENT);
        let key = QueryKey::of(bytes, rule).filter(|_| keep);
        let (action, limit) = server.start(bytes, CLIENT);
        let mut synthesized = false;
        let Ok(Some(m)) = server.advance(action, &mut synthesized) else {
            panic!("no local reply");
        };
        encode(server, &m, limit, key, synthesized)
    }

    /// `reply` parsed, with its owner names in lower case and its TTLs
    /// raised by `age`. (A record whose owner is the question's name may
    /// point at the question, so it takes the case the client asked in,
    /// or be written out in the case of the data: compression may change
    /// the case of names on output, RFC 4343 section 4.1.)
    fn canonical(reply: &[u8], age: u32) -> Message {
        let mut m = Message::from_vec(reply).unwrap();
        for q in &mut m.queries {
            q.name = q.name.to_lowercase();
        }
        for r in m
            .answers
            .iter_mut()
            .chain(m.authorities.iter_mut())
            .chain(m.additionals.iter_mut())
        {
            r.name = r.name.to_lowercase();
            r.ttl += age;
        }
        m
    }

    fn shape() -> impl Strategy<Value = Shape> {
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of((512u16..4096, any::<bool>())),
        )
            .prop_map(|(rd, cd, edns)| Shape { rd, cd, edns })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A reply patched from the reply cache for another query with the
        /// same key (another ID, AD bit, payload size and case of the
        /// name) is byte for byte the reply the state machine makes for
        /// that query; later, only its TTLs are lower, by the time kept.
        #[test]
        fn a_patched_reply_is_the_fresh_reply(
            q in 0..QUESTIONS.len(),
            shape in shape(),
            ids in any::<(u16, u16)>(),
            ad in any::<(bool, bool)>(),
            case in any::<u64>(),
            payload in 512u16..4096,
            age in 1u64..120,
        ) {
            let server = server();
            let rule = server.dns64.policy().rule_for(CLIENT);
            let first = query(q, shape, ids.0, ad.0, 0);
            let kept = fresh(&server, &first, true);
            // Only NOERROR and NXDOMAIN replies are kept.
            prop_assume!(kept[3] & 0x0f == 0 || kept[3] & 0x0f == 3);
            let mut other = shape;
            if let Some((_, dnssec_ok)) = other.edns {
                other.edns = Some((payload, dnssec_ok));
            }
            let second = query(q, other, ids.1, ad.1, case);
            let key = QueryKey::of(&second, rule).unwrap();
            let now = Instant::now();
            let (patched, _) = server.replies.get(&key, &second, now).unwrap();
            let want = fresh(&server, &second, false);
            // The question exactly as asked: ID, flags, name and its case.
            let question = 12..12 + QUESTIONS[q].0.len() + 1 + 4;
            prop_assert_eq!(&patched[..4], &want[..4]);
            prop_assert_eq!(&patched[question.clone()], &second[question.clone()]);
            prop_assert_eq!(canonical(&patched, 0), canonical(&want, 0));

            let (aged, _) = server
                .replies
                .get(&key, &second, now + Duration::from_secs(age))
                .unwrap();
            prop_assert_eq!(&aged[question.clone()], &second[question]);
            prop_assert_eq!(canonical(&aged, age as u32), canonical(&want, 0));
        }

        /// A query that differs in what the reply depends on (RD, CD, DO,
        /// EDNS at all) does not get the other's reply.
        #[test]
        fn other_flags_miss(q in 0..QUESTIONS.len(), a in shape(), b in shape()) {
            let key = |s: Shape| (s.rd, s.cd, s.edns.map(|e| e.1));
            prop_assume!(key(a) != key(b));
            let server = server();
            let rule = server.dns64.policy().rule_for(CLIENT);
            let kept = fresh(&server, &query(q, a, 1, false, 0), true);
            prop_assume!(kept[3] & 0x0f == 0 || kept[3] & 0x0f == 3);
            let second = query(q, b, 2, false, 0);
            let k = QueryKey::of(&second, rule).unwrap();
            prop_assert!(server.replies.get(&k, &second, Instant::now()).is_none());
        }
    }

    #[test]
    fn addresses_convert_both_ways() {
        for s in ["192.0.2.1:53", "[2001:db8::1]:5353"] {
            let a: SocketAddr = s.parse().unwrap();
            let storage = SockaddrStorage::from(a);
            assert_eq!(to_std(&storage), Some(a));
            assert!(storage.len() > 0);
        }
    }
}
