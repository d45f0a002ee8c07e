//! `v6proxyd ndp`: the NDP proxy, a drop-in for ndppd that reads
//! ndppd.conf, or with `--kernel` the program form of the hand-written
//! `sysctl proxy_ndp=1; ip -6 neigh add proxy …; ip -6 route add …`
//! scripts.
//!
//! The decisions are `v6proxy::ndp::Responder`'s; this module only moves
//! packets, timers, signals and netlink requests: the sockets in
//! [`socket`], system information in [`link`], netlink in [`netlink`],
//! the kernel mode in [`kernel`].

use core::net::{Ipv6Addr, SocketAddr};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use v6kit_daemon::notify::notify;
use v6kit_daemon::privilege::{self, Account, Capability};
use v6proxy::ndp::config::{self, Config};
use v6proxy::ndp::{HostRoute, Output, Responder, Route};

mod kernel;
mod link;
mod netlink;
mod socket;

use netlink::Netlink;

/// Answer Neighbor Solicitations for addresses behind another link (NDP
/// proxy), reading ndppd.conf.
#[derive(Debug, Args)]
pub(crate) struct NdpArgs {
    /// The configuration file, in ndppd.conf syntax.
    #[arg(
        short = 'c',
        long = "config",
        value_name = "FILE",
        default_value = "/etc/ndppd.conf"
    )]
    config: PathBuf,

    /// Check the configuration and exit: 0 if it is good, 1 if not.
    #[arg(long)]
    check: bool,

    /// Program the kernel's own NDP proxy (proxy_ndp and proxy neighbor
    /// entries) and host routes for a list of addresses instead of
    /// answering in user space; removed again on exit. The addresses come
    /// from --address, or else from the /128 rules of the configuration.
    #[arg(long)]
    kernel: bool,

    /// With --kernel: the interface solicitations arrive on.
    #[arg(long, value_name = "IF", requires = "kernel")]
    proxy: Option<String>,

    /// With --kernel: the interface the addresses are behind; a host route
    /// through it is added for each.
    #[arg(long, value_name = "IF", requires = "kernel")]
    internal: Option<String>,

    /// With --kernel: an address to proxy; repeatable.
    #[arg(
        long = "address",
        value_name = "ADDR",
        requires_all = ["kernel", "proxy"]
    )]
    addresses: Vec<Ipv6Addr>,

    /// Serve Prometheus text counters at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,

    /// Started as root: switch to this user once the counters' port is
    /// bound, keeping CAP_NET_ADMIN and CAP_NET_RAW for the interfaces,
    /// routes and proxy entries it opens and adds while it runs.
    #[arg(long, value_name = "USER")]
    user: Option<String>,
}

/// Runs the subcommand.
pub(crate) fn main(args: NdpArgs) -> ExitCode {
    let config = if args.kernel && !args.addresses.is_empty() {
        None
    } else {
        match config::load(&args.config) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("v6proxyd: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    if args.check {
        match config {
            Some(_) => println!("{}: configuration is good", args.config.display()),
            None => println!("arguments are good"),
        }
        return ExitCode::SUCCESS;
    }
    let user = match Account::from_arg("v6proxyd", args.user.as_deref(), None) {
        Ok(user) => user,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("v6proxyd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let counters = Arc::new(Counters::new(&HELP));
        if let Some(addr) = args.metrics {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("--metrics {addr}: {e}"))?;
            let c = counters.clone();
            tokio::spawn(v6kit_daemon::metrics::serve(listener, move || c.render()));
        }
        let keep = [Capability::NetAdmin, Capability::NetRaw];
        privilege::give_up(user.as_ref(), &keep).map_err(|e| e.to_string())?;
        if args.kernel {
            kernel::run(&args, config, counters).await
        } else {
            let config = config.ok_or("no configuration")?;
            run(args.config.clone(), config, counters).await
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v6proxyd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The daemon's counters, served as Prometheus text.
pub(crate) type Counters = v6kit_daemon::metrics::Counters;

const HELP: [(&str, &str); 6] = [
    (
        "v6proxyd_ndp_packets_total",
        "Neighbor solicitations and advertisements accepted, by interface and outcome.",
    ),
    (
        "v6proxyd_ndp_dropped_total",
        "Packets dropped, by interface and reason.",
    ),
    (
        "v6proxyd_ndp_sent_total",
        "Neighbor solicitations (ns) and advertisements (na) sent, by interface.",
    ),
    (
        "v6proxyd_ndp_send_errors_total",
        "Messages the kernel refused to send, by interface.",
    ),
    (
        "v6proxyd_ndp_routes_total",
        "Host routes and proxy entries added and removed.",
    ),
    (
        "v6proxyd_ndp_netlink_errors_total",
        "Netlink requests that failed.",
    ),
];

/// The sockets of one interface.
struct Io {
    index: u32,
    sender: socket::Sender,
    reader: JoinHandle<()>,
    /// Whether we turned all-multicast (or promiscuous) mode on, and so
    /// must turn it off again.
    receive_all: Option<bool>,
}

struct Daemon {
    responder: Responder,
    netlink: Netlink,
    ios: HashMap<String, Io>,
    wired: HashSet<(HostRoute, u32)>,
    counters: Arc<Counters>,
    packets: mpsc::Sender<(String, Vec<u8>)>,
}

async fn run(path: PathBuf, config: Config, counters: Arc<Counters>) -> Result<(), String> {
    let netlink = Netlink::connect().map_err(|e| format!("netlink: {e}"))?;
    let (tx, mut rx) = mpsc::channel(1024);
    let mut d = Daemon {
        responder: Responder::new(config),
        netlink,
        ios: HashMap::new(),
        wired: HashSet::new(),
        counters,
        packets: tx,
    };
    if let Err(e) = d.open().await {
        d.close().await;
        return Err(e);
    }
    let sig = |kind| signal(kind).map_err(|e| format!("signals: {e}"));
    let (mut hup, mut term, mut int) = (
        sig(SignalKind::hangup())?,
        sig(SignalKind::terminate())?,
        sig(SignalKind::interrupt())?,
    );
    let mut route_tick = tokio::time::interval(d.responder.config().route_ttl.max(MIN_TICK));
    let mut addr_tick = tokio::time::interval(d.responder.config().address_ttl.max(MIN_TICK));
    tracing::info!(
        "ndp: proxying on {}",
        d.responder
            .config()
            .proxies
            .iter()
            .map(|p| p.iface.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    notify("READY=1");
    loop {
        let deadline = d
            .responder
            .poll_timeout()
            .map_or_else(far_future, tokio::time::Instant::from_std);
        tokio::select! {
            Some((iface, packet)) = rx.recv() => d.packet(&iface, &packet),
            _ = tokio::time::sleep_until(deadline) => d.responder.handle_timeout(Instant::now()),
            _ = route_tick.tick() => d.refresh_routes().await,
            _ = addr_tick.tick() => d.responder.set_local_addresses(link::local_addresses()),
            _ = hup.recv() => {
                v6kit_daemon::notify::reloading();
                d.reload(&path).await;
                notify("READY=1");
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
        d.drain().await;
    }
    notify("STOPPING=1");
    tracing::info!("ndp: stopping; removing what was added");
    d.responder.shutdown();
    d.drain().await;
    d.close().await;
    Ok(())
}

/// The shortest interval between reloads of routes and addresses.
const MIN_TICK: Duration = Duration::from_millis(100);

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}

impl Daemon {
    /// Opens the sockets of every interface of the configuration.
    async fn open(&mut self) -> Result<(), String> {
        self.responder.set_local_addresses(link::local_addresses());
        if self.responder.needs_routes() {
            // Also opens the interfaces the routes lead to.
            self.refresh_routes().await;
        }
        self.open_missing().await
    }

    /// Opens the sockets of the interfaces the responder needs and that
    /// are not open yet.
    ///
    /// An interface the configuration names must open; one that only a
    /// route leads to (for `auto` rules) is logged and tried again when
    /// the routes are next read.
    async fn open_missing(&mut self) -> Result<(), String> {
        let named: HashSet<String> = self
            .responder
            .config()
            .proxies
            .iter()
            .flat_map(|p| {
                core::iter::once(p.iface.clone()).chain(p.rules.iter().filter_map(
                    |r| match &r.kind {
                        v6proxy::ndp::RuleKind::Iface(i) => Some(i.clone()),
                        _ => None,
                    },
                ))
            })
            .collect();
        for name in self.responder.interfaces() {
            if self.ios.contains_key(&name) {
                continue;
            }
            match self.open_iface(&name).await {
                Ok(()) => {}
                Err(e) if named.contains(&name) => return Err(e),
                Err(e) => tracing::warn!("{e}"),
            }
        }
        Ok(())
    }

    async fn open_iface(&mut self, name: &str) -> Result<(), String> {
        let index = link::index(name).ok_or_else(|| format!("interface {name} does not exist"))?;
        let mac = link::link_addr(name)
            .ok_or_else(|| format!("interface {name} has no link-layer address"))?;
        self.responder.set_link_addr(name, mac);
        let sender = socket::Sender::open(name, index)
            .map_err(|e| format!("{name}: raw ICMPv6 socket: {e}"))?;
        let listener =
            socket::Listener::open(index).map_err(|e| format!("{name}: packet socket: {e}"))?;
        let reader = tokio::spawn(read(listener, name.to_string(), self.packets.clone()));
        let mut io = Io {
            index,
            sender,
            reader,
            receive_all: None,
        };
        let proxied = self
            .responder
            .config()
            .proxies
            .iter()
            .find(|p| p.iface == name)
            .map(|p| p.promiscuous);
        if let Some(promiscuous) = proxied {
            // Solicitations for the proxied addresses go to multicast
            // groups nobody on this host joined.
            let changed = self
                .netlink
                .set_receive_all(index, promiscuous, true)
                .await
                .map_err(|e| format!("{name}: all-multicast mode: {e}"))?;
            io.receive_all = changed.then_some(promiscuous);
        }
        tracing::debug!("{name}: listening");
        self.ios.insert(name.to_string(), io);
        Ok(())
    }

    /// Closes every socket and undoes all-multicast mode and host routes.
    async fn close(&mut self) {
        for (name, io) in self.ios.drain() {
            io.reader.abort();
            if let Some(promiscuous) = io.receive_all {
                if let Err(e) = self
                    .netlink
                    .set_receive_all(io.index, promiscuous, false)
                    .await
                {
                    tracing::warn!("{name}: cannot leave all-multicast mode: {e}");
                }
            }
        }
        for (route, index) in core::mem::take(&mut self.wired) {
            let _ = self
                .netlink
                .del_host_route(route.target, index, route.via)
                .await;
        }
    }

    fn packet(&mut self, iface: &str, packet: &[u8]) {
        let now = Instant::now();
        match self.responder.handle_packet(now, iface, packet) {
            Ok(outcome) => {
                tracing::debug!("{iface}: {}", outcome.as_str());
                self.counters.inc(
                    "v6proxyd_ndp_packets_total",
                    &[("interface", iface), ("outcome", outcome.as_str())],
                );
            }
            Err(drop) => {
                tracing::debug!("{iface}: dropped: {drop}");
                self.counters.inc(
                    "v6proxyd_ndp_dropped_total",
                    &[("interface", iface), ("reason", drop.as_str())],
                );
            }
        }
    }

    /// Does what the responder asks for.
    async fn drain(&mut self) {
        while let Some(output) = self.responder.poll_output() {
            match output {
                Output::Transmit(t) => {
                    let Some(io) = self.ios.get(&t.iface) else {
                        continue;
                    };
                    let kind = match t.message {
                        v6ra::Repr::NeighborAdvert { .. } => "na",
                        _ => "ns",
                    };
                    let bytes = t.to_bytes(&Ipv6Addr::UNSPECIFIED);
                    match io.sender.send(&bytes, t.destination) {
                        Ok(()) => {
                            tracing::debug!("{}: sent {kind} to {}", t.iface, t.destination);
                            self.counters.inc(
                                "v6proxyd_ndp_sent_total",
                                &[("interface", &t.iface), ("type", kind)],
                            );
                        }
                        Err(e) => {
                            tracing::warn!("{}: cannot send to {}: {e}", t.iface, t.destination);
                            self.counters
                                .inc("v6proxyd_ndp_send_errors_total", &[("interface", &t.iface)]);
                        }
                    }
                }
                Output::Wire(route) => {
                    let Some(index) = self.ios.get(&route.iface).map(|io| io.index) else {
                        continue;
                    };
                    match self
                        .netlink
                        .add_host_route(route.target, index, route.via)
                        .await
                    {
                        Ok(()) => {
                            tracing::info!("route {}/128 dev {} added", route.target, route.iface);
                            self.counters
                                .inc("v6proxyd_ndp_routes_total", &[("action", "added")]);
                            self.wired.insert((route, index));
                        }
                        Err(e) => {
                            tracing::warn!("cannot add route {}/128: {e}", route.target);
                            self.counters.inc("v6proxyd_ndp_netlink_errors_total", &[]);
                        }
                    }
                }
                Output::Unwire(route) => {
                    let Some(&(_, index)) = self.wired.iter().find(|(r, _)| *r == route) else {
                        continue;
                    };
                    self.wired.remove(&(route.clone(), index));
                    match self
                        .netlink
                        .del_host_route(route.target, index, route.via)
                        .await
                    {
                        Ok(()) => {
                            tracing::info!(
                                "route {}/128 dev {} removed",
                                route.target,
                                route.iface
                            );
                            self.counters
                                .inc("v6proxyd_ndp_routes_total", &[("action", "removed")]);
                        }
                        Err(e) => {
                            tracing::warn!("cannot remove route {}/128: {e}", route.target);
                            self.counters.inc("v6proxyd_ndp_netlink_errors_total", &[]);
                        }
                    }
                }
            }
        }
    }

    /// Reads the routing table again for `auto` rules.
    async fn refresh_routes(&mut self) {
        if !self.responder.needs_routes() {
            return;
        }
        match self.netlink.routes().await {
            Ok(table) => {
                let mut names = HashMap::new();
                let routes = table
                    .into_iter()
                    .filter_map(|(prefix, index, via)| {
                        let iface = names.entry(index).or_insert_with(|| link::name(index));
                        Some(Route {
                            prefix,
                            iface: iface.clone()?,
                            via,
                        })
                    })
                    .collect();
                self.responder.set_routes(routes);
                // Routes may lead to interfaces that `auto` rules now ask
                // on; one that cannot be opened is tried again next time.
                if let Err(e) = self.open_missing().await {
                    tracing::warn!("{e}");
                }
            }
            Err(e) => {
                tracing::warn!("cannot read the routing table: {e}");
                self.counters.inc("v6proxyd_ndp_netlink_errors_total", &[]);
            }
        }
    }

    /// SIGHUP: reads the configuration again; a bad one is logged and the
    /// old one kept.
    async fn reload(&mut self, path: &std::path::Path) {
        let config = match config::load(path) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("reload: {e}; keeping the running configuration");
                return;
            }
        };
        if config == *self.responder.config() {
            // Keep what was learned and the routes it wired; only read
            // what the system says again.
            tracing::info!("reload: {} unchanged", path.display());
            for name in self.responder.interfaces() {
                if let Some(mac) = link::link_addr(&name) {
                    self.responder.set_link_addr(&name, mac);
                }
            }
            self.responder.set_local_addresses(link::local_addresses());
            self.refresh_routes().await;
            return;
        }
        tracing::info!("reload: {}", path.display());
        self.responder.reload(config);
        self.drain().await;
        self.close().await;
        if let Err(e) = self.open().await {
            tracing::error!("reload: {e}");
        }
    }
}

/// Passes what arrives on `listener` to the daemon's loop.
async fn read(listener: socket::Listener, iface: String, packets: mpsc::Sender<(String, Vec<u8>)>) {
    let mut buf = vec![0u8; 65_575];
    loop {
        match listener.recv(&mut buf).await {
            Ok(n) => {
                if packets
                    .send((iface.clone(), buf[..n].to_vec()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("{iface}: receiving: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
