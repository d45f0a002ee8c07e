//! The daemon: the workers on their TUN queues, and the control loop that
//! feeds the pool the time, saves its leases, answers signals and serves
//! the counters.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::signal::unix::{SignalKind, signal};
use tun_rs::{SyncDevice, VIRTIO_NET_HDR_LEN};
use v6xlat::nat64::BibEntry;
use v6xlat::nat64_conf::Nat64Conf;
use v6xlat::pool::DynamicPool;
use v6xlat::tayga::TaygaConf;

use crate::metrics::{self, Metrics};
use crate::worker::{self, Engine, Shared};
use crate::{leases, settings, tun};
use v6kit_daemon::notify::notify;
use v6kit_daemon::privilege::{self, Account};

/// How the daemon was asked to run.
pub(crate) struct Options {
    /// The configuration file, to reload on SIGHUP; `None` when the
    /// configuration came from flags.
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) pidfile: Option<PathBuf>,
    pub(crate) metrics: Option<SocketAddr>,
    pub(crate) workers: usize,
    pub(crate) offload: bool,
    /// Whom to run as once the device is open (`--user`).
    pub(crate) user: Option<Account>,
}

/// How often the leases are saved when nothing else asks for it, so that
/// their times of last use survive a crash (Tayga waits longer).
const SAVE_EVERY: Duration = Duration::from_secs(300);
/// How often leases are checked for inactivity.
const EXPIRE_EVERY: u64 = 10;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs the translator for `conf` until SIGTERM or SIGINT.
pub(crate) fn run(conf: TaygaConf, opts: Options) -> Result<(), String> {
    let tun_name = conf.tun_device.clone().ok_or("missing tun-device")?;

    let pool = conf.dynamic_pool.map(|net| Arc::new(DynamicPool::new(net)));
    if let Some(pool) = &pool {
        pool.set_now(unix_now());
        pool.reserve(settings::reserved(&conf));
        if let Some(dir) = &conf.data_dir {
            leases::load(dir, pool).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }

    let metrics_listener = bind_metrics(opts.metrics)?;

    let queues = tun::open(&tun_name, opts.workers, opts.offload)
        .map_err(|e| format!("cannot open TUN device {tun_name}: {e}"))?;
    let translator = settings::translator(&conf, pool.clone(), queues.mtu)?;
    let metrics = Arc::new(Metrics::new(queues.devices.len(), pool.clone()));
    let _pidfile = give_up(&opts, conf.data_dir.as_deref())?;
    let engine = Engine::Siit(std::sync::RwLock::new(Arc::new(translator)));
    let (shared, handles, _first) = start(&tun_name, queues, engine, &metrics, &conf)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(control(
        &conf,
        &opts,
        &shared,
        pool.as_deref(),
        None,
        metrics_listener,
    ));
    stop(&shared, handles);
    if let (Some(pool), Some(dir)) = (&pool, &conf.data_dir) {
        pool.set_now(unix_now());
        match leases::save(dir, pool) {
            Ok(()) => tracing::info!(
                "saved {} lease(s) in {}",
                pool.leases().len(),
                dir.display()
            ),
            Err(e) => tracing::error!("cannot save the leases in {}: {e}", dir.display()),
        }
    }
    tracing::info!("{}", metrics.summary());
    result
}

/// `--metrics ADDR`: the listener, bound while the daemon may still bind
/// any port.
fn bind_metrics(addr: Option<SocketAddr>) -> Result<Option<std::net::TcpListener>, String> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    std::net::TcpListener::bind(addr)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map(Some)
        .map_err(|e| format!("--metrics {addr}: {e}"))
}

/// The device is open and the leases are loaded: writes the pidfile while
/// root may still write it (under /run), then gives up what the rest does
/// not need. With `--user`, that user gets a data-dir it can write; without
/// it, a daemon started by systemd with `CAP_NET_ADMIN` for the device
/// alone drops that capability.
fn give_up(opts: &Options, data_dir: Option<&Path>) -> Result<PidFile, String> {
    let pidfile = PidFile::write(opts.pidfile.as_deref());
    let user = opts.user.as_ref();
    let data_dir = user.and(data_dir);
    if let (Some(account), Some(dir)) = (user, data_dir) {
        account
            .create_dir(dir)
            .map_err(|e| format!("data-dir {}: {e}", dir.display()))?;
    }
    privilege::give_up(user, &[]).map_err(|e| e.to_string())?;
    if let Some(dir) = data_dir {
        privilege::check_writable(dir).map_err(|e| format!("data-dir {e}"))?;
    }
    Ok(pidfile)
}

/// The pidfile (`--pidfile`) once written: removed when dropped, at exit
/// or when the daemon fails to start after writing it.
struct PidFile(Option<PathBuf>);

impl PidFile {
    /// Writes the process id to `path`, if given; a failure is logged.
    fn write(path: Option<&Path>) -> PidFile {
        let written =
            path.filter(
                |p| match std::fs::write(p, format!("{}\n", std::process::id())) {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::warn!("cannot write {}: {e}", p.display());
                        false
                    }
                },
            );
        PidFile(written.map(Path::to_path_buf))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The queues of the device, the workers on them, and the first queue,
/// which the control loop also writes to.
type Started = (Arc<Shared>, Vec<std::thread::JoinHandle<()>>, Device);

/// A queue of the TUN device to write single packets to.
pub(crate) struct Device {
    dev: Arc<SyncDevice>,
    offload: bool,
}

impl Device {
    /// Writes one packet (after an empty offload header when the device
    /// has offload on).
    fn send(&self, packet: &[u8]) -> std::io::Result<usize> {
        if self.offload {
            let mut b = vec![0u8; VIRTIO_NET_HDR_LEN + packet.len()];
            b[VIRTIO_NET_HDR_LEN..].copy_from_slice(packet);
            self.dev.send(&b)
        } else {
            self.dev.send(packet)
        }
    }
}

/// Starts a worker on each queue.
fn start(
    tun_name: &str,
    queues: tun::Queues,
    engine: Engine,
    metrics: &Arc<Metrics>,
    conf: &TaygaConf,
) -> Result<Started, String> {
    let devices: Arc<[Arc<SyncDevice>]> = queues.devices.into_iter().map(Arc::new).collect();
    let shared = Arc::new(
        Shared::new(engine, metrics.clone(), devices.len(), conf.log)
            .map_err(|e| format!("cannot create the stop event: {e}"))?,
    );
    let first = Device {
        dev: devices[0].clone(),
        offload: queues.offload,
    };
    let mut handles = Vec::new();
    for i in 0..devices.len() {
        let (shared, devices) = (shared.clone(), devices.clone());
        let (offload, mtu) = (queues.offload, queues.mtu);
        let h = std::thread::Builder::new()
            .name(format!("v6xlatd-worker-{i}"))
            .spawn(move || worker::run(i, devices, offload, mtu, shared))
            .map_err(|e| format!("cannot start a worker: {e}"))?;
        handles.push(h);
    }
    tracing::info!(
        "translating{} on {tun_name} (MTU {}) with {} worker(s){}",
        match shared.engine {
            Engine::Siit(_) => "",
            Engine::Nat64(..) => " statefully (NAT64)",
        },
        queues.mtu,
        handles.len(),
        if queues.offload {
            ", segmentation offload on"
        } else {
            ""
        }
    );
    Ok((shared, handles, first))
}

/// Stops the workers; each sends the batch it holds before it returns.
fn stop(shared: &Shared, handles: Vec<std::thread::JoinHandle<()>>) {
    notify("STOPPING=1");
    let _ = shared.stop.trigger();
    for h in handles {
        let _ = h.join();
    }
}

/// Runs the stateful NAT64 (RFC 6146) of `conf` until SIGTERM or SIGINT.
pub(crate) fn run_nat64(conf: Nat64Conf, opts: Options) -> Result<(), String> {
    let tun_name = conf.tayga.tun_device.clone().ok_or("missing tun-device")?;
    // RFC 6056 section 3.3.3: the port choice is keyed by a secret.
    let secret = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        h.finish()
    };
    let nat = conf.build_with_secret(secret).map_err(|e| e.to_string())?;
    let metrics_listener = bind_metrics(opts.metrics)?;
    let queues = tun::open(&tun_name, opts.workers, opts.offload)
        .map_err(|e| format!("cannot open TUN device {tun_name}: {e}"))?;
    let metrics = Arc::new(Metrics::new(queues.devices.len(), None));
    let _pidfile = give_up(&opts, None)?;
    let (shared, handles, device) =
        start(&tun_name, queues, Engine::nat64(nat), &metrics, &conf.tayga)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(control(
        &conf.tayga,
        &opts,
        &shared,
        None,
        Some(&device),
        metrics_listener,
    ));
    stop(&shared, handles);
    tracing::info!("{}", summary(&shared));
    result
}

/// The counters as Prometheus text, with the sessions in stateful mode.
fn render(shared: &Shared) -> String {
    let mut s = shared.metrics.render();
    if let Engine::Nat64(nat, _) = &shared.engine {
        let stats = worker::lock(nat).stats();
        s.push_str(&metrics::render_nat64(&stats));
    }
    s
}

/// The one-line summary for the log, with the sessions in stateful mode.
fn summary(shared: &Shared) -> String {
    let mut s = shared.metrics.summary();
    if let Engine::Nat64(nat, _) = &shared.engine {
        let stats = worker::lock(nat).stats();
        s.push_str("; ");
        s.push_str(&metrics::summary_nat64(&stats));
    }
    s
}

/// Stateful mode, once a second: removes the sessions whose time is up
/// (RFC 6146 section 3.5), and sends the Port Unreachable errors for IPv4
/// SYNs that no IPv6 SYN answered.
fn expire(shared: &Shared, device: Option<&Device>) {
    let (Engine::Nat64(nat, epoch), Some(device)) = (&shared.engine, device) else {
        return;
    };
    let mut errors = Vec::new();
    let removed = {
        let mut nat = worker::lock(nat);
        let removed = nat.expire(epoch.elapsed());
        let mut out = vec![0u8; v6xlat::buffer_len(1500)];
        while let Some(o) = nat.poll_icmp(&mut out) {
            errors.extend(o.packets(&out).map(<[u8]>::to_vec));
        }
        removed
    };
    if removed > 0 {
        tracing::debug!("{removed} session(s) expired");
    }
    for e in errors {
        if let Err(err) = device.send(&e) {
            tracing::warn!("cannot send an ICMP error: {err}");
        }
    }
}

/// The control loop: returns on SIGTERM or SIGINT.
async fn control(
    conf: &TaygaConf,
    opts: &Options,
    shared: &Arc<Shared>,
    pool: Option<&DynamicPool>,
    device: Option<&Device>,
    metrics_listener: Option<std::net::TcpListener>,
) -> Result<(), String> {
    let sig = |kind: SignalKind| signal(kind).map_err(|e| format!("cannot handle signals: {e}"));
    let mut term = sig(SignalKind::terminate())?;
    let mut int = sig(SignalKind::interrupt())?;
    let mut hup = sig(SignalKind::hangup())?;
    let mut usr1 = sig(SignalKind::user_defined1())?;

    if let Some(l) = metrics_listener {
        let addr = l.local_addr().ok();
        let l = tokio::net::TcpListener::from_std(l).map_err(|e| format!("--metrics: {e}"))?;
        let sh = shared.clone();
        tokio::spawn(v6kit_daemon::metrics::serve(l, move || render(&sh)));
        if let Some(addr) = addr {
            tracing::info!("serving counters at http://{addr}/metrics");
        }
    }

    let mut current = conf.clone();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks: u64 = 0;
    let mut last_save = tokio::time::Instant::now();
    notify("READY=1");
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = usr1.recv() => tracing::info!("{}", summary(shared)),
            _ = hup.recv() => {
                v6kit_daemon::notify::reloading();
                if device.is_some() {
                    reload_nat64(opts, &current, shared);
                } else {
                    reload(opts, &mut current, shared, pool);
                }
                notify("READY=1");
            }
            _ = tick.tick() => {
                ticks += 1;
                expire(shared, device);
                let Some(pool) = pool else { continue };
                pool.set_now(unix_now());
                if ticks % EXPIRE_EVERY == 0 {
                    let e = pool.expire();
                    for l in &e.dormant {
                        log_dyn(current.log.dynamic, format_args!("pool address {} of {} is dormant", l.v4, l.v6));
                    }
                    for l in &e.forgotten {
                        log_dyn(current.log.dynamic, format_args!("forgot pool address {} of {}", l.v4, l.v6));
                    }
                }
                if let Some(dir) = &current.data_dir {
                    if pool.take_changed() || last_save.elapsed() >= SAVE_EVERY {
                        last_save = tokio::time::Instant::now();
                        if let Err(e) = leases::save(dir, pool) {
                            tracing::error!("cannot save the leases in {}: {e}", dir.display());
                        }
                    }
                }
            }
        }
    }
    tracing::info!("stopping");
    Ok(())
}

fn log_dyn(on: bool, msg: std::fmt::Arguments<'_>) {
    if on {
        tracing::info!("{msg}");
    } else {
        tracing::debug!("{msg}");
    }
}

/// SIGHUP: the configuration file read again with `load`, and its path;
/// `None`, with the reason logged, when the configuration came from flags
/// or the file is bad (the running configuration stays).
fn reread<T>(opts: &Options, load: fn(&Path) -> Result<T, String>) -> Option<(&Path, T)> {
    let Some(path) = &opts.config_path else {
        tracing::warn!("SIGHUP: no configuration file to reload (started from flags)");
        return None;
    };
    match load(path) {
        Ok(c) => Some((path, c)),
        Err(e) => {
            tracing::error!("SIGHUP: {e}; keeping the running configuration");
            None
        }
    }
}

/// SIGHUP in stateful mode: reads the configuration file again and puts
/// its `bib` lines in force (RFC 6146 section 3.5.1's static BIB entries):
/// entries no longer listed go, with their sessions; new ones come. Other
/// changes need a restart; a bad file changes nothing.
fn reload_nat64(opts: &Options, current: &TaygaConf, shared: &Shared) {
    let Engine::Nat64(nat, _) = &shared.engine else {
        return;
    };
    let Some((path, new)) = reread(opts, settings::load_nat64) else {
        return;
    };
    let mut nat = worker::lock(nat);
    let running: Vec<BibEntry> = nat.bib().filter(|b| b.is_static).collect();
    for b in &running {
        let kept = new
            .statics
            .iter()
            .any(|s| (s.protocol, s.v6, s.v4) == (b.protocol, b.v6, b.v4));
        if !kept {
            nat.remove_static(b.protocol, b.v4);
            tracing::info!(
                "SIGHUP: removed static {} binding {} = {}",
                b.protocol,
                b.v4,
                b.v6
            );
        }
    }
    for s in &new.statics {
        let present = running
            .iter()
            .any(|b| (s.protocol, s.v6, s.v4) == (b.protocol, b.v6, b.v4));
        if present {
            continue;
        }
        match nat.add_static(s.protocol, s.v6, s.v4) {
            Ok(()) => tracing::info!(
                "SIGHUP: added static {} binding {} = {}",
                s.protocol,
                s.v4,
                s.v6
            ),
            Err(e) => tracing::error!("SIGHUP: {}:{}: {e}", path.display(), s.line),
        }
    }
    // The running limits, timeouts and pool4 are what the file said at
    // start-up, secret aside.
    let mut running_cfg = nat.config().clone();
    running_cfg.secret = 0;
    if format!("{running_cfg:?}") != format!("{:?}", new.nat64) || new.tayga != *current {
        tracing::warn!("SIGHUP: only bib lines are reloaded; restart to apply the other changes");
    }
    let n = nat.bib().filter(|b| b.is_static).count();
    tracing::info!(
        "SIGHUP: {n} static BIB entr{} in force",
        if n == 1 { "y" } else { "ies" }
    );
}

/// SIGHUP: reads the configuration file again and puts its `map` lines in
/// force. Other changes need a restart; a bad file changes nothing.
fn reload(opts: &Options, current: &mut TaygaConf, shared: &Shared, pool: Option<&DynamicPool>) {
    let Some((_, new)) = reread(opts, settings::load) else {
        return;
    };
    let mut others = new.clone();
    others.maps = current.maps.clone();
    if others != *current {
        tracing::warn!("SIGHUP: only map lines are reloaded; restart to apply the other changes");
    }
    let Some(old) = shared.translator() else {
        return;
    };
    let mtu = old.config().ipv4_mtu;
    let mut next = current.clone();
    next.maps = new.maps;
    let pool_arc = old.config().mapping.pool().cloned();
    match settings::translator(&next, pool_arc, mtu) {
        Ok(t) => {
            if let Some(pool) = pool {
                for l in pool.reserve(settings::reserved(&next)) {
                    tracing::info!("lease of {} to {} ended by a static map", l.v4, l.v6);
                }
            }
            shared.replace(t);
            tracing::info!(
                "SIGHUP: {} static map(s) in force",
                next.maps.entries().len()
            );
            *current = next;
        }
        Err(e) => tracing::error!("SIGHUP: {e}; keeping the running configuration"),
    }
}
