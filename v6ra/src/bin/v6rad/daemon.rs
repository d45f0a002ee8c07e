//! The daemon: one task per configured interface drives its
//! [`Advertiser`] with a raw socket and timers; the main task handles
//! signals (SIGHUP reloads, SIGTERM and SIGINT stop after the final
//! advertisements).

use core::net::{Ipv6Addr, SocketAddr};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use v6kit_daemon::notify::notify;
use v6kit_daemon::privilege::{self, Account, Capability};
use v6ra::advertiser::Reason;
use v6ra::config::{Config, InterfaceConfig, LinkInfo};
use v6ra::wire::{Packet, Repr};
use v6ra::{Advertiser, config};

use crate::link;
use crate::metrics::Metrics;
use crate::socket::{ALL_ROUTERS, IcmpSocket};

/// How often to look again for a missing interface or address.
const RETRY: Duration = Duration::from_millis(250);

/// How often to check that an advertising interface still exists.
const LINK_CHECK: Duration = Duration::from_secs(1);

/// How the daemon was started.
#[derive(Debug)]
pub(crate) struct Options {
    /// The configuration file, read again on SIGHUP.
    pub(crate) config_path: PathBuf,
    /// Where to write the process id.
    pub(crate) pidfile: Option<PathBuf>,
    /// Log every advertisement and solicitation.
    pub(crate) verbose: bool,
    /// Where to serve the counters.
    pub(crate) metrics: Option<SocketAddr>,
    /// Whom to run as once the counters' port is bound (`--username`).
    pub(crate) user: Option<Account>,
}

/// What the main task tells an interface task.
#[derive(Debug)]
enum Control {
    /// The configuration was read again.
    Reload(Box<InterfaceConfig>),
    /// Send the final advertisements and stop.
    Shutdown,
}

struct Task {
    control: mpsc::Sender<Control>,
    handle: JoinHandle<()>,
}

/// Runs the daemon until SIGTERM or SIGINT.
pub(crate) async fn run(config: Config, options: Options) -> Result<(), String> {
    for i in &config.interfaces {
        match link::info(&i.name) {
            // What does not fit an interface that is there is refused
            // before anything starts, like a bad line.
            Some(info) => {
                config::build::build(i, &info, link::info).map_err(|e| e.to_string())?;
            }
            None if !i.ignore_if_missing => {
                return Err(format!(
                    "{}: interface {} does not exist (IgnoreIfMissing on waits for it)",
                    i.location, i.name
                ));
            }
            None => {}
        }
    }
    let metrics = Arc::new(crate::metrics::new());
    if let Some(addr) = options.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
        let metrics = metrics.clone();
        tokio::spawn(v6kit_daemon::metrics::serve(listener, move || {
            metrics.render()
        }));
    }
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    if let Some(pidfile) = &options.pidfile {
        std::fs::write(pidfile, format!("{}\n", std::process::id()))
            .map_err(|e| format!("cannot write {}: {e}", pidfile.display()))?;
    }
    // The interfaces' raw sockets are opened as they come and go.
    privilege::give_up(options.user.as_ref(), &[Capability::NetRaw]).map_err(|e| e.to_string())?;
    eprintln!(
        "v6rad: started with {} ({} interfaces)",
        options.config_path.display(),
        config.interfaces.len()
    );
    let mut tasks: HashMap<String, Task> = HashMap::new();
    for i in config.interfaces {
        let name = i.name.clone();
        tasks.insert(name, spawn(i, &metrics, options.verbose));
    }
    notify("READY=1");
    loop {
        tokio::select! {
            _ = hup.recv() => {
                v6kit_daemon::notify::reloading();
                reload(&options, &mut tasks, &metrics).await;
                notify("READY=1");
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    notify("STOPPING=1");
    eprintln!("v6rad: stopping, sending final advertisements");
    for task in tasks.values() {
        let _ = task.control.send(Control::Shutdown).await;
    }
    for (_, task) in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task.handle).await;
    }
    if let Some(pidfile) = &options.pidfile {
        let _ = std::fs::remove_file(pidfile);
    }
    Ok(())
}

fn spawn(iface: InterfaceConfig, metrics: &Arc<Metrics>, verbose: bool) -> Task {
    let (control, rx) = mpsc::channel(4);
    let handle = tokio::spawn(interface(iface, rx, metrics.clone(), verbose));
    Task { control, handle }
}

/// Reads the configuration again; a bad file is reported and the running
/// configuration kept.
async fn reload(options: &Options, tasks: &mut HashMap<String, Task>, metrics: &Arc<Metrics>) {
    let config = match config::load(&options.config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("v6rad: reload refused, keeping the running configuration: {e}");
            return;
        }
    };
    eprintln!("v6rad: reloading {}", options.config_path.display());
    for warning in &config.warnings {
        eprintln!("v6rad: warning: {warning}");
    }
    let names: Vec<String> = config.interfaces.iter().map(|i| i.name.clone()).collect();
    let gone: Vec<String> = tasks
        .keys()
        .filter(|n| !names.contains(n))
        .cloned()
        .collect();
    for name in gone {
        if let Some(task) = tasks.remove(&name) {
            let _ = task.control.send(Control::Shutdown).await;
        }
    }
    for i in config.interfaces {
        match tasks.get(&i.name) {
            Some(task) if !task.handle.is_finished() => {
                let _ = task.control.send(Control::Reload(Box::new(i))).await;
            }
            _ => {
                let name = i.name.clone();
                tasks.insert(name, spawn(i, metrics, options.verbose));
            }
        }
    }
}

/// The source address for advertisements: the first `AdvRASrcAddress`
/// the interface has, else its link-local address (RFC 4861 section 4.2
/// requires a link-local source).
fn source(iface: &InterfaceConfig, info: &LinkInfo) -> Option<Ipv6Addr> {
    iface
        .ra_source
        .iter()
        .find(|a| info.addresses.iter().any(|n| n.addr() == **a))
        .copied()
        .or_else(|| info.link_local())
}

/// What was made of a received packet.
enum Incoming {
    Solicitation(Ipv6Addr, Vec<v6ra::NdiscOptionRepr>),
    Advertisement(Ipv6Addr, v6ra::RouterAdvert),
    Bad(&'static str),
    Other,
}

fn classify(data: &[u8], source: Ipv6Addr, hop_limit: Option<u8>) -> Incoming {
    let packet = match Packet::new_checked(data) {
        Ok(p) => p,
        // Not neighbor discovery at all (echo requests and the like).
        Err(v6ra::Error::MessageType(_)) => return Incoming::Other,
        Err(_) => return Incoming::Bad("truncated"),
    };
    if !matches!(
        packet.msg_type(),
        v6ra::wire::Message::RouterSolicit | v6ra::wire::Message::RouterAdvert
    ) {
        return Incoming::Other;
    }
    // RFC 4861 sections 6.1.1 and 6.1.2: hop limit 255, so it came from
    // the link.
    if hop_limit != Some(255) {
        return Incoming::Bad("hop_limit");
    }
    match Repr::parse(&packet) {
        Ok(Repr::RouterSolicit { options }) => Incoming::Solicitation(source, options),
        Ok(Repr::RouterAdvert(ra)) => Incoming::Advertisement(source, ra),
        Ok(_) => Incoming::Other,
        Err(v6ra::Error::Code(_)) => Incoming::Bad("code"),
        Err(_) => Incoming::Bad("malformed_option"),
    }
}

fn reason_label(r: Reason) -> &'static str {
    match r {
        Reason::Unsolicited => "unsolicited",
        Reason::Solicited => "solicited",
        Reason::Final => "final",
    }
}

/// How advertising on an interface ended.
enum Ended {
    /// Told to stop; the final advertisements went out.
    Stopped,
    /// The interface disappeared.
    LinkGone,
}

/// One interface task's state.
struct Interface {
    iface: InterfaceConfig,
    control: mpsc::Receiver<Control>,
    metrics: Arc<Metrics>,
    verbose: bool,
}

/// The life of one interface: wait for it, advertise until told to stop,
/// and wait again if it disappears meanwhile.
async fn interface(
    iface: InterfaceConfig,
    control: mpsc::Receiver<Control>,
    metrics: Arc<Metrics>,
    verbose: bool,
) {
    let mut this = Interface {
        iface,
        control,
        metrics,
        verbose,
    };
    loop {
        let Some((index, info, src)) = this.wait_for_link().await else {
            return;
        };
        match this.advertise(index, info, src).await {
            Ended::Stopped => return,
            Ended::LinkGone => eprintln!(
                "v6rad: {}: the interface went away; waiting for it",
                this.iface.name
            ),
        }
    }
}

impl Interface {
    /// Waits for the interface and a usable source address; `None` when
    /// told to stop first.
    async fn wait_for_link(&mut self) -> Option<(u32, LinkInfo, Ipv6Addr)> {
        let mut said = false;
        loop {
            let name = &self.iface.name;
            if let (Some(index), Some(info)) = (link::index(name), link::info(name))
                && let Some(src) = source(&self.iface, &info)
            {
                return Some((index, info, src));
            }
            if !said {
                eprintln!("v6rad: {name}: waiting for the interface and its link-local address");
                said = true;
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY) => {}
                msg = self.control.recv() => match msg {
                    Some(Control::Reload(c)) => self.iface = *c,
                    Some(Control::Shutdown) | None => return None,
                },
            }
        }
    }

    fn gone(&self, index: u32) -> bool {
        link::index(&self.iface.name) != Some(index)
    }

    /// Advertises on the interface until told to stop or the interface
    /// goes away.
    async fn advertise(&mut self, index: u32, mut info: LinkInfo, mut src: Ipv6Addr) -> Ended {
        let name = self.iface.name.clone();
        let socket = match IcmpSocket::open(&name, index, &[ALL_ROUTERS]) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("v6rad: {name}: cannot open a raw ICMPv6 socket: {e}");
                return Ended::Stopped;
            }
        };
        let config = match config::build::build(&self.iface, &info, link::info) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("v6rad: {name}: {e}");
                return Ended::Stopped;
            }
        };
        let rng: StdRng = rand::make_rng();
        let mut advertiser = Advertiser::new(config, rng, Instant::now().into_std());
        eprintln!("v6rad: {name}: advertising from {src}");
        let mut buf = Vec::with_capacity(1280);
        loop {
            let now = Instant::now().into_std();
            while let Some(t) = advertiser.poll_transmit(now) {
                let repr = Repr::RouterAdvert(t.advert);
                buf.clear();
                buf.resize(repr.buffer_len(), 0);
                let mut packet = Packet::new_unchecked(&mut buf[..]);
                if let Err(e) = repr.emit(&mut packet) {
                    eprintln!("v6rad: {name}: cannot encode the advertisement: {e}");
                    continue;
                }
                packet.fill_checksum(&src, &t.destination);
                let reason = reason_label(t.reason);
                match socket.send(&buf, src, t.destination).await {
                    Ok(()) => {
                        self.metrics.inc(
                            "v6rad_advertisements_sent_total",
                            &[("interface", &name), ("reason", reason)],
                        );
                        if self.verbose {
                            eprintln!(
                                "v6rad: {name}: sent {reason} advertisement to {}",
                                t.destination
                            );
                        }
                    }
                    Err(e) => {
                        self.metrics
                            .inc("v6rad_send_errors_total", &[("interface", &name)]);
                        if self.gone(index) {
                            return Ended::LinkGone;
                        }
                        eprintln!("v6rad: {name}: cannot send to {}: {e}", t.destination);
                    }
                }
            }
            if advertiser.is_finished() {
                return Ended::Stopped;
            }
            let deadline = advertiser.poll_timeout().map(Instant::from_std);
            tokio::select! {
                incoming = socket.recv(|m| classify(m.data, m.source, m.hop_limit)) => {
                    let now = Instant::now().into_std();
                    match incoming {
                        Ok(Incoming::Solicitation(from, options)) => {
                            self.metrics.inc(
                                "v6rad_solicitations_received_total",
                                &[("interface", &name)],
                            );
                            let r = advertiser.handle_solicitation(now, from, &options);
                            if self.verbose {
                                eprintln!("v6rad: {name}: solicitation from {from}: {r:?}");
                            }
                            if r == Err(v6ra::advertiser::Ignored::Invalid) {
                                self.metrics.inc(
                                    "v6rad_bad_packets_total",
                                    &[("interface", &name), ("reason", "invalid_solicitation")],
                                );
                            }
                        }
                        Ok(Incoming::Advertisement(from, theirs)) if from != src => {
                            let ours = advertiser.advert(now, false);
                            let found = v6ra::consistency::inconsistencies(&ours, &theirs);
                            if !found.is_empty() {
                                self.metrics.inc(
                                    "v6rad_inconsistent_advertisements_total",
                                    &[("interface", &name)],
                                );
                            }
                            for i in found {
                                eprintln!("v6rad: {name}: router {from} disagrees: {i}");
                            }
                        }
                        Ok(Incoming::Bad(reason)) => {
                            self.metrics.inc(
                                "v6rad_bad_packets_total",
                                &[("interface", &name), ("reason", reason)],
                            );
                            if self.verbose {
                                eprintln!("v6rad: {name}: dropped a packet: {reason}");
                            }
                        }
                        Ok(Incoming::Advertisement(..) | Incoming::Other) => {}
                        Err(e) => {
                            if self.gone(index) {
                                return Ended::LinkGone;
                            }
                            eprintln!("v6rad: {name}: receive failed: {e}");
                            tokio::time::sleep(RETRY).await;
                        }
                    }
                }
                _ = sleep_until(deadline) => {}
                // A deleted interface says nothing to a raw socket bound to
                // it; look now and then.
                _ = tokio::time::sleep(LINK_CHECK) => {
                    if self.gone(index) {
                        return Ended::LinkGone;
                    }
                }
                msg = self.control.recv() => match msg {
                    Some(Control::Reload(c)) => {
                        self.iface = *c;
                        if let Some(new_info) = link::info(&name) {
                            info = new_info;
                        }
                        if let Some(new_src) = source(&self.iface, &info) {
                            src = new_src;
                        }
                        match config::build::build(&self.iface, &info, link::info) {
                            Ok(c) => advertiser.set_config(c, Instant::now().into_std()),
                            Err(e) => eprintln!("v6rad: {name}: reload refused: {e}"),
                        }
                    }
                    Some(Control::Shutdown) | None => {
                        advertiser.shutdown(Instant::now().into_std());
                    }
                },
            }
        }
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FROM: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

    fn bad(data: &[u8], hop_limit: Option<u8>) -> Option<&'static str> {
        match classify(data, FROM, hop_limit) {
            Incoming::Bad(reason) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn solicitations_are_validated_and_malformed_ones_dropped() {
        // A solicitation with a source link-layer address option.
        let rs = [133u8, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 2];
        assert!(matches!(
            classify(&rs, FROM, Some(255)),
            Incoming::Solicitation(FROM, ref o) if o.len() == 1
        ));
        // RFC 4861 section 6.1.1: hop limit 255, code 0, options of
        // non-zero length, at least 8 bytes.
        assert_eq!(bad(&rs, Some(64)), Some("hop_limit"));
        assert_eq!(bad(&rs, None), Some("hop_limit"));
        let mut code = rs;
        code[1] = 1;
        assert_eq!(bad(&code, Some(255)), Some("code"));
        let mut zero_len = rs;
        zero_len[9] = 0;
        assert_eq!(bad(&zero_len, Some(255)), Some("malformed_option"));
        assert_eq!(bad(&rs[..6], Some(255)), Some("truncated"));
        assert_eq!(bad(&rs[..12], Some(255)), Some("malformed_option"));
        // Other ICMPv6 messages are not ours to count.
        assert!(matches!(
            classify(&[128, 0, 0, 0, 0, 1, 0, 1], FROM, Some(64)),
            Incoming::Other
        ));
        assert!(matches!(
            classify(&[134, 0, 0, 0], FROM, Some(255)),
            Incoming::Bad(_)
        ));
    }
}
