//! The DNS64 server: UDP and TCP listeners around [`Dns64`], a cache of
//! upstream answers, static zones and the upstream resolvers.
//!
//! [`run`] takes bound sockets, so tests bind port 0, and a shutdown
//! future, as mini-redis's `server::run` does. Everything that decides what
//! a reply holds is in [`Dns64`]; this module only carries questions and
//! answers.

pub mod cache;
pub mod config;
pub mod interfaces;
pub mod metrics;
pub mod replies;
pub mod udp;
pub mod upstream;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};

use crate::resolve::{Action, Dns64, Pending};
use crate::wire;
use crate::zone::Zone;
use cache::{Cache, Key};
use metrics::{Metrics, inc};
use replies::Replies;
use upstream::Upstreams;

/// How long a TCP connection may stay idle (RFC 7766 section 6.2.3 asks
/// for seconds, not minutes).
pub const TCP_IDLE: Duration = Duration::from_secs(10);

/// The most TCP connections served at once; more wait to be accepted.
pub const MAX_TCP_CONNECTIONS: usize = 512;

/// How long shutdown waits for queries in progress.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The most upstream questions one query may lead to (the state machine
/// needs at most two; this guards against a loop).
const MAX_STEPS: usize = 4;

/// Everything a query is answered from.
#[derive(Debug)]
pub struct Server {
    dns64: Dns64,
    zones: Vec<Zone>,
    upstreams: Upstreams,
    cache: Cache,
    replies: Replies,
    metrics: Metrics,
}

impl Server {
    /// A server making `dns64`'s decisions, answering upstream questions
    /// from `zones` (the most specific zone that contains the name), then
    /// from a cache of `cache_size` answers, then from `upstreams`; up to
    /// `cache_size` whole replies are kept as well.
    pub fn new(dns64: Dns64, zones: Vec<Zone>, upstreams: Upstreams, cache_size: usize) -> Self {
        Server {
            dns64,
            zones,
            upstreams,
            cache: Cache::new(cache_size),
            replies: Replies::new(cache_size),
            metrics: Metrics::default(),
        }
    }

    /// The counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The first action for a raw query, and the largest UDP reply it may
    /// get.
    fn start(&self, bytes: &[u8], client: IpAddr) -> (Action, usize) {
        match Message::from_vec(bytes) {
            Ok(m) => {
                let limit = wire::udp_limit(&m);
                (self.dns64.query_message(m, client), limit)
            }
            Err(_) => (self.dns64.query(bytes, client), 512),
        }
    }

    /// Runs the state machine as far as it goes without the network: an
    /// upstream question a static zone or the cache answers is answered
    /// at once. Returns the reply, or the question that needs the network.
    fn advance(
        &self,
        mut action: Action,
        synthesized: &mut bool,
    ) -> Result<Option<Message>, Box<Pending>> {
        for _ in 0..MAX_STEPS {
            match action {
                Action::Drop => {
                    inc(&self.metrics.dropped);
                    return Ok(None);
                }
                Action::Reply(m) => return Ok(Some(self.count(m))),
                Action::Ask(p) => {
                    let Some(answer) = self.local_answer(&p) else {
                        return Err(p);
                    };
                    action = self.step(p, Some(answer), synthesized);
                }
            }
        }
        Ok(None)
    }

    fn local_answer(&self, p: &Pending) -> Option<Message> {
        let q = p.question();
        if let Some(z) = self
            .zones
            .iter()
            .filter(|z| z.contains(q.name()))
            .max_by_key(|z| z.origin().num_labels())
        {
            inc(&self.metrics.static_answers);
            return Some(z.answer(p.upstream_query()));
        }
        let key = Key::new(q, p.dnssec_ok(), p.checking_disabled());
        match self.cache.get(&key, Instant::now()) {
            Some(m) => {
                inc(&self.metrics.cache_hits);
                Some(m)
            }
            None => {
                inc(&self.metrics.cache_misses);
                None
            }
        }
    }

    fn step(&self, p: Box<Pending>, answer: Option<Message>, synthesized: &mut bool) -> Action {
        let synthesizes = p.synthesizes();
        let action = p.answer(&self.dns64, answer);
        if synthesizes {
            if let Action::Reply(m) = &action {
                if m.answers
                    .iter()
                    .any(|r: &Record| matches!(r.data, RData::AAAA(_)))
                {
                    inc(&self.metrics.synthesized);
                    *synthesized = true;
                }
            }
        }
        action
    }

    fn count(&self, m: Message) -> Message {
        match m.response_code {
            ResponseCode::Refused => inc(&self.metrics.refused),
            ResponseCode::FormErr => inc(&self.metrics.formerr),
            _ => {}
        }
        m
    }

    /// Finishes a resolution that needs the upstream resolvers.
    async fn finish(&self, mut p: Box<Pending>, synthesized: &mut bool) -> Option<Message> {
        for _ in 0..MAX_STEPS {
            let answer = self.upstreams.ask(p.upstream_query(), &self.metrics).await;
            match &answer {
                Some(m) => {
                    let key = Key::new(p.question(), p.dnssec_ok(), p.checking_disabled());
                    self.cache.insert(key, m, Instant::now());
                }
                None => inc(&self.metrics.upstream_failures),
            }
            let action = self.step(p, answer, synthesized);
            match self.advance(action, synthesized) {
                Ok(m) => return m,
                Err(next) => p = next,
            }
        }
        None
    }

    /// The reply to a raw query from `client`, or `None` when nothing is to
    /// be sent; with the UDP size limit of the query.
    pub async fn resolve(&self, bytes: &[u8], client: IpAddr) -> (Option<Message>, usize) {
        let (action, limit) = self.start(bytes, client);
        let mut synthesized = false;
        match self.advance(action, &mut synthesized) {
            Ok(m) => (m, limit),
            Err(p) => (self.finish(p, &mut synthesized).await, limit),
        }
    }
}

/// The sockets a server runs on.
#[derive(Debug, Default)]
pub struct Listeners {
    /// UDP sockets for queries, each read by a worker thread of its own
    /// ([`udp::bind`] makes one per worker for a listening address).
    pub udp: Vec<std::net::UdpSocket>,
    /// TCP listeners for queries (RFC 7766).
    pub tcp: Vec<TcpListener>,
    /// A TCP listener for the Prometheus counters, if any.
    pub metrics: Option<TcpListener>,
}

/// Serves queries on `listeners` until `shutdown` completes, then stops
/// accepting and waits up to [`SHUTDOWN_GRACE`] for the queries in
/// progress.
///
/// Each UDP socket is read by a thread of its own ([`udp::serve`],
/// batches of datagrams per system call, no event-loop round trip for a
/// query that is answered at once). A query that needs the upstreams
/// becomes a task on the tokio runtime this runs on; TCP is served by
/// tasks.
pub async fn run(listeners: Listeners, server: Arc<Server>, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let stop_threads = Arc::new(AtomicBool::new(false));
    // Every task holds a sender; when all are gone, all tasks are done.
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    let mut threads = Vec::new();
    for sock in listeners.udp {
        if udp::prepare(&sock).is_err() {
            continue;
        }
        let (sock, server, stop, done) = (
            Arc::new(sock),
            server.clone(),
            stop_threads.clone(),
            done_tx.clone(),
        );
        let runtime = tokio::runtime::Handle::current();
        threads.push(std::thread::spawn(move || {
            udp::serve(&sock, &server, &runtime, &stop, &done);
        }));
    }
    let limit = Arc::new(Semaphore::new(MAX_TCP_CONNECTIONS));
    for l in listeners.tcp {
        tokio::spawn(serve_tcp(
            l,
            server.clone(),
            limit.clone(),
            stop_rx.clone(),
            done_tx.clone(),
        ));
    }
    if let Some(l) = listeners.metrics {
        let counters = server.clone();
        let endpoint = v6kit_daemon::metrics::serve(l, move || counters.metrics.render());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = endpoint => {}
                _ = stop.changed() => {}
            }
        });
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    stop_threads.store(true, Ordering::Relaxed);
    drop(done_tx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, done_rx.recv()).await;
    let _ = tokio::task::spawn_blocking(move || {
        for t in threads {
            let _ = t.join();
        }
    })
    .await;
}

async fn serve_tcp(
    listener: TcpListener,
    server: Arc<Server>,
    limit: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    done: mpsc::Sender<()>,
) {
    loop {
        let Ok(permit) = limit.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(r) => r,
                Err(_) => {
                    // Out of file descriptors and the like: wait a little.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let (server, stop, done) = (server.clone(), stop.clone(), done.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, &server, stop).await;
            drop(permit);
            drop(done);
        });
    }
}

/// Answers the queries of one TCP connection in turn (RFC 7766 section 8:
/// two-byte length, then the message).
async fn serve_connection(
    mut s: TcpStream,
    peer: SocketAddr,
    server: &Server,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = Vec::new();
    loop {
        let len = tokio::select! {
            r = tokio::time::timeout(TCP_IDLE, s.read_u16()) => match r {
                Ok(Ok(len)) => usize::from(len),
                _ => return,
            },
            _ = stop.changed() => return,
        };
        buf.resize(len, 0);
        match tokio::time::timeout(TCP_IDLE, s.read_exact(&mut buf)).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
        inc(&server.metrics.queries_tcp);
        let (reply, _) = server.resolve(&buf, peer.ip()).await;
        let Some(reply) = reply else { continue };
        let out = wire::encode(&reply, usize::from(u16::MAX));
        let mut framed = Vec::with_capacity(out.len() + 2);
        framed.extend_from_slice(&(out.len() as u16).to_be_bytes());
        framed.extend_from_slice(&out);
        if s.write_all(&framed).await.is_err() {
            return;
        }
    }
}
