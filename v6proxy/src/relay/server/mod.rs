//! The relay server: accepts clients, peeks, routes, connects and relays.
//!
//! [`run`] drives a set of listeners until a shutdown future completes, in
//! the style of mini-redis: a semaphore caps the open connections (accepting
//! waits while all are in use), and on shutdown the listeners close and
//! open connections may drain for the drain timeout before they are cut.
//! Each connection ends with one log line: client, name, backend, bytes
//! each way, duration and outcome.

pub mod conn;
pub mod host;
pub mod metrics;
pub mod pump;
pub mod resolve;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::config::Config;
use super::peek::Refusal;
use super::route::{Denied, Router};
pub use metrics::Metrics;
use resolve::Resolver;

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Relayed until both sides finished.
    Relayed,
    /// Relayed until a socket failed (a reset, say).
    Reset,
    /// Relayed until nothing moved for the idle timeout.
    Idle,
    /// The first bytes named no server.
    Refused(Refusal),
    /// The name has no allowed backend.
    Denied(Denied),
    /// The client sent too little within the first-bytes timeout.
    FirstBytesTimeout,
    /// The client closed before its first bytes named a server.
    ClosedEarly,
    /// The backend refused the connection, or could not be reached.
    ConnectFailed,
    /// Connecting to the backend took longer than the connect timeout.
    ConnectTimeout,
    /// Cut when the drain timeout ended, at shutdown.
    Cut,
}

impl Outcome {
    /// The outcomes' names, in the order of [`Outcome::index`].
    pub const NAMES: [&'static str; 10] = [
        "relayed",
        "reset",
        "idle_timeout",
        "refused",
        "denied",
        "first_bytes_timeout",
        "closed_early",
        "connect_failed",
        "connect_timeout",
        "cut_at_shutdown",
    ];

    /// The outcome's position in [`Outcome::NAMES`].
    pub fn index(self) -> usize {
        match self {
            Outcome::Relayed => 0,
            Outcome::Reset => 1,
            Outcome::Idle => 2,
            Outcome::Refused(_) => 3,
            Outcome::Denied(_) => 4,
            Outcome::FirstBytesTimeout => 5,
            Outcome::ClosedEarly => 6,
            Outcome::ConnectFailed => 7,
            Outcome::ConnectTimeout => 8,
            Outcome::Cut => 9,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Refused(r) => write!(f, "refused:{r}"),
            Outcome::Denied(d) => write!(f, "denied:{}", d.as_str()),
            o => f.write_str(Outcome::NAMES[o.index()]),
        }
    }
}

/// What a connection routes by: the configuration, the router built from
/// it and the resolver it names. A reload replaces it as a whole.
#[derive(Debug)]
pub struct Routing {
    /// The configuration.
    pub config: Config,
    /// The routing table and its policy.
    pub router: Router,
    /// The AAAA resolver, if configured.
    pub resolver: Option<Arc<Resolver>>,
}

/// What every connection shares: the routing, the counters and the
/// connection limit.
#[derive(Debug)]
pub struct Relay {
    routing: RwLock<Arc<Routing>>,
    /// The counters.
    pub metrics: Metrics,
    /// One permit per connection that may be open: shared by every
    /// [`run`] serving this relay (one per worker thread).
    pub permits: Arc<Semaphore>,
    /// The number of permits: `max-connections` as the relay started.
    max_connections: u32,
}

impl Relay {
    /// The relay for `config` with `router` (see [`Config::router`]).
    pub fn new(config: Config, router: Router) -> Relay {
        let max = config.max_connections.min(Semaphore::MAX_PERMITS);
        Relay {
            routing: RwLock::new(Arc::new(Routing {
                resolver: config.resolver.map(|r| Arc::new(Resolver::new(r))),
                config,
                router,
            })),
            metrics: Metrics::default(),
            permits: Arc::new(Semaphore::new(max)),
            max_connections: u32::try_from(max).unwrap_or(u32::MAX),
        }
    }

    /// The routing a connection that starts now follows to its end.
    pub fn routing(&self) -> Arc<Routing> {
        self.routing
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Routes the connections that start from now by `config` and
    /// `router`; open connections keep the routing they started with. The
    /// resolver, with what it has cached, is kept when its address is the
    /// same. What the relay was started with stays: its listeners, metrics
    /// address and connection limit (they take a restart).
    pub fn reload(&self, config: Config, router: Router) {
        let mut routing = self.routing.write().unwrap_or_else(|e| e.into_inner());
        let resolver = match (&routing.resolver, config.resolver) {
            (Some(r), Some(addr)) if routing.config.resolver == Some(addr) => Some(r.clone()),
            (_, addr) => addr.map(|a| Arc::new(Resolver::new(a))),
        };
        *routing = Arc::new(Routing {
            config,
            router,
            resolver,
        });
    }
}

/// Serves `listeners` until `shutdown` completes, then stops accepting and
/// lets open connections drain for the configured drain timeout.
///
/// Several `run`s may serve one relay (a worker thread each, with its own
/// `SO_REUSEPORT` listeners): they share its connection limit, and each
/// waits at shutdown until every connection of the relay has ended or its
/// drain timeout has passed, then cuts its own.
pub async fn run(listeners: Vec<TcpListener>, relay: Arc<Relay>, shutdown: impl Future) {
    let max = relay.max_connections;
    let permits = relay.permits.clone();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (cut_tx, cut_rx) = watch::channel(false);
    let mut loops = tokio::task::JoinSet::new();
    for listener in listeners {
        loops.spawn(accept_loop(
            listener,
            relay.clone(),
            permits.clone(),
            stop_rx.clone(),
            cut_rx.clone(),
        ));
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    while loops.join_next().await.is_some() {}
    // Counted by the connections themselves: the free permits would also
    // miss those that other workers' accept loops or drains hold.
    let open = relay.metrics.active.load(Ordering::Relaxed);
    let drain = relay.routing().config.timeouts.drain;
    if open > 0 {
        tracing::info!("shutting down: {open} connection(s) open, draining for up to {drain:?}");
    }
    if tokio::time::timeout(drain, permits.acquire_many(max))
        .await
        .is_err()
    {
        let open = relay.metrics.active.load(Ordering::Relaxed);
        tracing::warn!("drain timeout: cutting {open} connection(s)");
        let _ = cut_tx.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), permits.acquire_many(max))
            .await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    relay: Arc<Relay>,
    permits: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    cut: watch::Receiver<bool>,
) {
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            () = set(&mut stop) => return,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = set(&mut stop) => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors, say: wait a little, go on.
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let relay = relay.clone();
        let mut cut = cut.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let progress = pump::Progress::default();
            let mut record = conn::Record::new(peer);
            tokio::select! {
                () = conn::handle(&relay, stream, &mut record, &progress) => {}
                () = set(&mut cut) => record.outcome = Outcome::Cut,
            }
            record.finish(&relay.metrics, &progress);
        });
    }
}

/// Completes once `flag` is true (or its sender is gone).
async fn set(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|f| *f).await;
}
