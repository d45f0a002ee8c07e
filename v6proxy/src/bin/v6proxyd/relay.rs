//! `v6proxyd relay`: arguments to configuration, then the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio::net::TcpListener;
use v6kit_daemon::notify::notify;
use v6kit_daemon::privilege::{self, Account};
use v6proxy::relay::config::{Builder, Config};
use v6proxy::relay::server::{self, Relay, host};

/// Relay IPv4 clients to IPv6-only web services by server name.
///
/// Every flag but --config, --check and --workers stands for the
/// configuration directive of the same name and is added after the file's
/// lines; see the v6proxy::relay::config documentation for the file.
#[derive(Debug, Args)]
pub(crate) struct RelayArgs {
    /// The configuration file.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Check the configuration and exit: 0 if it is good, 1 if not.
    #[arg(long)]
    check: bool,

    /// Worker threads (default: one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,

    /// An address to accept clients on, such as 0.0.0.0:443; repeatable.
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Vec<String>,

    /// A prefix backends must lie in; repeatable.
    #[arg(long, value_name = "PREFIX")]
    backend_prefix: Vec<String>,

    /// A static route, NAME=BACKEND[,proxy-protocol=v1|v2|none], where NAME
    /// may be *.domain and BACKEND is [IPv6]:port, [IPv6] or IPv6 (without
    /// a port: the port the client connected to); repeatable.
    // The text is also clap's help, where brackets must stay as they are.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "NAME=BACKEND")]
    route: Vec<String>,

    /// A DNS server to ask for the AAAA records of names without a route.
    #[arg(long, value_name = "ADDR[:PORT]")]
    resolver: Option<String>,

    /// Send a PROXY protocol header (v1, v2 or none) to backends.
    #[arg(long, value_name = "VERSION")]
    proxy_protocol: Option<String>,

    /// Connect to backends from the client's IPv4 address embedded in this
    /// prefix (RFC 6052, a /96); the host must route it locally.
    #[arg(long, value_name = "PREFIX")]
    embed_source: Option<String>,

    /// How long a client has to name its server (such as 5s).
    #[arg(long, value_name = "DURATION")]
    first_bytes_timeout: Option<String>,

    /// How long connecting to a backend may take.
    #[arg(long, value_name = "DURATION")]
    connect_timeout: Option<String>,

    /// How long a connection may carry nothing.
    #[arg(long, value_name = "DURATION")]
    idle_timeout: Option<String>,

    /// How long open connections may drain at shutdown.
    #[arg(long, value_name = "DURATION")]
    drain_timeout: Option<String>,

    /// The most connections open at once.
    #[arg(long, value_name = "N")]
    max_connections: Option<String>,

    /// Serve Prometheus text counters at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,

    /// Copy through a buffer instead of splice(2).
    #[arg(long)]
    no_splice: bool,

    /// Started as root: switch to this user once the ports are bound.
    #[arg(long, value_name = "USER")]
    user: Option<String>,
}

impl RelayArgs {
    /// The configuration lines the flags stand for, each with its flag.
    fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let many = [
            ("--listen", "listen", &self.listen),
            ("--backend-prefix", "backend-prefix", &self.backend_prefix),
        ];
        for (flag, directive, values) in many {
            lines.extend(values.iter().map(|v| (flag, format!("{directive} {v}"))));
        }
        for r in &self.route {
            let (name, rest) = r.split_once('=').unwrap_or((r, ""));
            let (backend, option) = rest.split_once(',').unwrap_or((rest, ""));
            let option = option.replacen('=', " ", 1);
            lines.push(("--route", format!("route {name} {backend} {option}")));
        }
        let singles = [
            ("--resolver", "resolver", &self.resolver),
            ("--proxy-protocol", "proxy-protocol", &self.proxy_protocol),
            ("--embed-source", "embed-source", &self.embed_source),
            (
                "--first-bytes-timeout",
                "first-bytes-timeout",
                &self.first_bytes_timeout,
            ),
            (
                "--connect-timeout",
                "connect-timeout",
                &self.connect_timeout,
            ),
            ("--idle-timeout", "idle-timeout", &self.idle_timeout),
            ("--drain-timeout", "drain-timeout", &self.drain_timeout),
            (
                "--max-connections",
                "max-connections",
                &self.max_connections,
            ),
            ("--metrics", "metrics", &self.metrics),
        ];
        for (flag, directive, value) in singles {
            if let Some(v) = value {
                lines.push((flag, format!("{directive} {v}")));
            }
        }
        if self.no_splice {
            lines.push(("--no-splice", "splice off".to_owned()));
        }
        lines
    }
}

/// Why a configuration could not be loaded, and the exit status it means
/// at start: 2 when a command-line flag is at fault, 1 otherwise.
struct LoadError {
    message: String,
    status: u8,
}

/// The configuration of the file (if any) and the flags, and its router.
fn load(args: &RelayArgs) -> Result<(Config, v6proxy::relay::route::Router), LoadError> {
    let fail = |message: String, status: u8| LoadError { message, status };
    let mut builder = Builder::default();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(format!("{}: {e}", path.display()), 1))?;
        builder
            .file(&text, &path.display().to_string())
            .map_err(|e| fail(e.to_string(), 1))?;
    }
    for (flag, line) in args.lines() {
        // A bad flag is a bad argument: exit 2, naming it.
        builder
            .line(&line, flag, 0)
            .map_err(|e| fail(e.to_string(), 2))?;
    }
    let from_file = args.config.is_some();
    let config = builder
        .finish()
        .map_err(|e| fail(e.to_string(), if from_file { 1 } else { 2 }))?;
    let host =
        host::addresses().map_err(|e| fail(format!("cannot list the host's addresses: {e}"), 1))?;
    let router = config.router(host).map_err(|e| {
        let status = if e.line > 0 || from_file { 1 } else { 2 };
        fail(e.to_string(), status)
    })?;
    Ok((config, router))
}

pub(crate) fn main(args: RelayArgs) -> ExitCode {
    let (config, router) = match load(&args) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("v6proxyd: {}", e.message);
            return ExitCode::from(e.status);
        }
    };
    if args.check {
        println!(
            "v6proxyd: configuration is good ({} listener(s), {} route(s), resolver {})",
            config.listen.len(),
            config.routes.len(),
            config.resolver.map_or("none".to_owned(), |r| r.to_string())
        );
        return ExitCode::SUCCESS;
    }
    let user = match Account::from_arg("v6proxyd", args.user.as_deref(), None) {
        Ok(user) => user,
        Err(code) => return code,
    };
    raise_file_limit(config.max_connections);
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    match serve(&args, config, router, workers, user) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v6proxyd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves with `workers` threads, each with its own single-threaded
/// runtime and its own `SO_REUSEPORT` listeners, so that a connection
/// stays on the thread that accepted it; the main thread handles signals
/// (SIGHUP: [`reload`]) and the metrics endpoint.
fn serve(
    args: &RelayArgs,
    config: Config,
    router: v6proxy::relay::route::Router,
    workers: usize,
    user: Option<Account>,
) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Every listener is bound before anything starts, so that a busy port
    // is an error at once. Each address is first bound alone: a listener
    // with SO_REUSEPORT would join the listeners of any process of the
    // same user on it and silently share its connections, while a lone
    // bind fails with "address in use". It also settles port 0 to one
    // port for all workers.
    let mut addrs = Vec::new();
    for addr in &config.listen {
        addrs.push(bind(*addr, false)?.local_addr()?);
    }
    let mut sets = Vec::new();
    for _ in 0..workers {
        let mut set = Vec::new();
        for addr in &addrs {
            set.push(bind(*addr, workers > 1)?);
        }
        sets.push(set);
    }
    let metrics_addr = config.metrics;
    let started = config.clone();
    let relay = Arc::new(Relay::new(config, router));
    let main_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (mut term, mut int, mut hup) = main_rt.block_on(async {
        // Before anything is served, so that an early signal is caught.
        let signals = (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
            signal(SignalKind::hangup())?,
        );
        if let Some(addr) = metrics_addr {
            let l = TcpListener::bind(addr)
                .await
                .map_err(|e| std::io::Error::new(e.kind(), format!("metrics {addr}: {e}")))?;
            let r = relay.clone();
            tracing::info!("metrics on http://{}/metrics", l.local_addr()?);
            tokio::spawn(v6kit_daemon::metrics::serve(l, move || r.metrics.render()));
        }
        std::io::Result::Ok(signals)
    })?;
    // Relaying needs no privilege once the ports are bound.
    privilege::give_up(user.as_ref(), &[]).map_err(std::io::Error::other)?;
    for l in &sets[0] {
        tracing::info!("relaying on {} with {workers} worker(s)", l.local_addr()?);
    }
    let mut threads = Vec::new();
    for (i, set) in sets.into_iter().enumerate() {
        let relay = relay.clone();
        let mut stop = stop_rx.clone();
        let t = std::thread::Builder::new()
            .name(format!("relay-{i}"))
            .spawn(move || -> std::io::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listeners = set
                        .into_iter()
                        .map(TcpListener::from_std)
                        .collect::<std::io::Result<Vec<_>>>()?;
                    server::run(listeners, relay, async move {
                        let _ = stop.wait_for(|s| *s).await;
                    })
                    .await;
                    Ok(())
                })
            })?;
        threads.push(t);
    }
    main_rt.block_on(async {
        notify("READY=1");
        // The metrics endpoint is served on this thread meanwhile.
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = hup.recv() => {
                    v6kit_daemon::notify::reloading();
                    reload(args, &started, &relay);
                    notify("READY=1");
                }
            }
        }
        notify("STOPPING=1");
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
        // Serve metrics while the workers drain.
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    });
    Ok(())
}

/// SIGHUP: reads the configuration file and the flags again; connections
/// that start from now follow the new routes, backend prefixes, resolver,
/// PROXY protocol settings and timeouts, open ones keep theirs. A bad
/// configuration is logged (file:line and token) and the running one
/// kept. Listeners, the metrics address and the connection limit stay as
/// started: changing them takes a restart, and a reload says so.
fn reload(args: &RelayArgs, started: &Config, relay: &Relay) {
    let (config, router) = match load(args) {
        Ok(loaded) => loaded,
        Err(e) => {
            tracing::error!("reload: {}; keeping the running configuration", e.message);
            return;
        }
    };
    for (what, changed) in [
        ("listen", config.listen != started.listen),
        ("metrics", config.metrics != started.metrics),
        (
            "max-connections",
            config.max_connections != started.max_connections,
        ),
    ] {
        if changed {
            tracing::warn!("reload: {what} changed; it takes a restart to apply");
        }
    }
    relay.reload(config, router);
    tracing::info!("reload: configuration applied");
}

/// A listener on `addr`, with a long accept queue; an IPv6 wildcard
/// accepts IPv6 only, so that `0.0.0.0` and `[::]` can both be listed.
fn bind(addr: SocketAddr, reuse_port: bool) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let err = |e: std::io::Error| std::io::Error::new(e.kind(), format!("listen {addr}: {e}"));
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).map_err(err)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(err)?;
    }
    socket.set_reuse_address(true).map_err(err)?;
    if reuse_port {
        socket.set_reuse_port(true).map_err(err)?;
    }
    socket.set_nonblocking(true).map_err(err)?;
    socket.bind(&addr.into()).map_err(err)?;
    socket.listen(4096).map_err(err)?;
    Ok(socket.into())
}

/// Raises the soft limit of open files towards the hard limit: each
/// connection holds two sockets and, with splice, two pipes (six
/// descriptors), and the usual soft limit of 1024 would cap the relay at a
/// few hundred connections.
fn raise_file_limit(max_connections: usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let want = (max_connections as u64)
        .saturating_mul(6)
        .saturating_add(64);
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < want
    {
        let new = want.min(hard);
        if setrlimit(Resource::RLIMIT_NOFILE, new, hard).is_err() || new < want {
            tracing::warn!(
                "open-file limit {new} is below the {want} that {max_connections} connections may need"
            );
        }
    }
}
