//! One worker per TUN queue: read a batch, translate each packet, write
//! the results back as one batch.
//!
//! With offload the kernel hands over TCP/UDP super-packets, which tun-rs
//! cuts into the segments the kernel would otherwise have sent one by one,
//! and the translated segments of one flow are merged again on the way
//! back, so that each crossing of the TUN device carries up to 64 KiB.
//! Each segment is translated on its own, exactly as without offload.

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use tun_rs::{GROTable, IDEAL_BATCH_SIZE, InterruptEvent, SyncDevice, VIRTIO_NET_HDR_LEN};
use v6xlat::mapping::{Prepared, TaygaMap};
use v6xlat::nat64::Nat64;
use v6xlat::tayga::LogOptions;
use v6xlat::{DropReason, Outcome, Translator};

use crate::metrics::{Counters, Metrics, add};

/// The translator in use; replaced as a whole when the map is reloaded.
pub(crate) type Xlat = Translator<TaygaMap>;

/// What translates: the stateless translator of a tayga.conf, or a
/// stateful NAT64 (RFC 6146) whose sessions all workers share.
pub(crate) enum Engine {
    /// SIIT with Tayga's mapping; replaced as a whole when the map is
    /// reloaded.
    Siit(RwLock<Arc<Xlat>>),
    /// Stateful NAT64, and the instant its clock counts from.
    Nat64(Box<Mutex<Nat64>>, Instant),
}

impl Engine {
    /// A stateful engine whose clock starts now.
    pub(crate) fn nat64(nat: Nat64) -> Self {
        Engine::Nat64(Box::new(Mutex::new(nat)), Instant::now())
    }
}

/// The stateful NAT64 behind `m`, even if a worker panicked holding it
/// (its tables stay consistent between calls).
pub(crate) fn lock(m: &Mutex<Nat64>) -> std::sync::MutexGuard<'_, Nat64> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the workers share with the control loop.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    generation: AtomicU64,
    /// Triggered to stop the workers.
    pub(crate) stop: InterruptEvent,
    pub(crate) metrics: Arc<Metrics>,
    /// For each queue, whether a worker is reading it.
    pub(crate) busy: Box<[AtomicBool]>,
    /// Set while the pool is exhausted, so that it is logged once.
    pub(crate) exhausted: AtomicBool,
    pub(crate) log: LogOptions,
}

impl Shared {
    pub(crate) fn new(
        engine: Engine,
        metrics: Arc<Metrics>,
        queues: usize,
        log: LogOptions,
    ) -> io::Result<Self> {
        Ok(Shared {
            engine,
            busy: (0..queues).map(|_| AtomicBool::new(false)).collect(),
            generation: AtomicU64::new(0),
            stop: InterruptEvent::new()?,
            metrics,
            exhausted: AtomicBool::new(false),
            log,
        })
    }

    /// The stateless translator; `None` in stateful mode.
    pub(crate) fn translator(&self) -> Option<Arc<Xlat>> {
        match &self.engine {
            Engine::Siit(t) => Some(t.read().unwrap_or_else(PoisonError::into_inner).clone()),
            Engine::Nat64(..) => None,
        }
    }

    /// Puts `t` in place of the stateless translator; workers pick it up
    /// before their next batch.
    pub(crate) fn replace(&self, t: Xlat) {
        if let Engine::Siit(cur) = &self.engine {
            *cur.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(t);
            self.generation.fetch_add(1, Ordering::Release);
        }
    }
}

/// At most this many drop messages per worker and second.
const DROP_LOGS_PER_SECOND: u32 = 10;

/// A log of dropped packets that stays quiet under a flood.
struct DropLog {
    second: Instant,
    logged: u32,
    suppressed: u64,
    verbose: bool,
}

impl DropLog {
    fn new(log: LogOptions) -> Self {
        DropLog {
            second: Instant::now(),
            logged: 0,
            suppressed: 0,
            verbose: log.drop || log.reject,
        }
    }

    fn log(&mut self, packet: &[u8], reason: DropReason, answered: bool) {
        let level_on = if self.verbose {
            tracing::enabled!(tracing::Level::INFO)
        } else {
            tracing::enabled!(tracing::Level::DEBUG)
        };
        if !level_on {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.second).as_secs() >= 1 {
            if self.suppressed > 0 {
                self.emit(format_args!(
                    "{} more dropped packets not logged",
                    self.suppressed
                ));
            }
            self.second = now;
            self.logged = 0;
            self.suppressed = 0;
        }
        if self.logged >= DROP_LOGS_PER_SECOND {
            self.suppressed += 1;
            return;
        }
        self.logged += 1;
        let what = if answered { "refused" } else { "dropped" };
        match addresses(packet) {
            Some((src, dst)) => self.emit(format_args!(
                "{what} {} bytes {src} -> {dst}: {reason}",
                packet.len()
            )),
            None => self.emit(format_args!("{what} {} bytes: {reason}", packet.len())),
        }
    }

    fn emit(&self, msg: std::fmt::Arguments<'_>) {
        if self.verbose {
            tracing::info!("{msg}");
        } else {
            tracing::debug!("{msg}");
        }
    }
}

/// The source and destination of an IP packet, if its header is there.
fn addresses(p: &[u8]) -> Option<(IpAddr, IpAddr)> {
    match p.first()? >> 4 {
        4 if p.len() >= 20 => {
            let a = |i: usize| IpAddr::from([p[i], p[i + 1], p[i + 2], p[i + 3]]);
            Some((a(12), a(16)))
        }
        6 if p.len() >= 40 => {
            let a = |i: usize| {
                let mut o = [0u8; 16];
                o.copy_from_slice(&p[i..i + 16]);
                IpAddr::from(o)
            };
            Some((a(8), a(24)))
        }
        _ => None,
    }
}

/// Translates one packet into `out`, counting what happened.
fn handle(
    x: &Xlat,
    shared: &Shared,
    c: &Counters,
    log: &mut DropLog,
    packet: &[u8],
    out: &mut [u8],
) -> Outcome {
    let version = packet.first().map(|b| b >> 4);
    let outcome = if version == Some(6) {
        match x.config().mapping.prepare(packet) {
            Prepared::Ready => x.translate(packet, out),
            Prepared::Leased(v4) => {
                if let Some((src, _)) = addresses(packet) {
                    if shared.log.dynamic {
                        tracing::info!("assigned pool address {v4} to {src}");
                    } else {
                        tracing::debug!("assigned pool address {v4} to {src}");
                    }
                }
                if shared.exhausted.swap(false, Ordering::Relaxed) {
                    tracing::info!("the dynamic pool has free addresses again");
                }
                x.translate(packet, out)
            }
            Prepared::Refused(e) => {
                if !shared.exhausted.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "{e}: new IPv6 hosts are refused with ICMPv6 unreachable until a lease lapses"
                    );
                }
                x.refuse(packet, out, DropReason::PoolExhausted)
            }
        }
    } else {
        x.translate(packet, out)
    };
    count(c, log, packet, outcome)
}

/// Counts what became of `packet`, and logs a drop.
fn count(c: &Counters, log: &mut DropLog, packet: &[u8], outcome: Outcome) -> Outcome {
    let version = packet.first().map(|b| b >> 4);
    match outcome {
        Outcome::Translated { .. } => match version {
            Some(6) => add(&c.v6_to_v4, 1),
            _ => add(&c.v4_to_v6, 1),
        },
        Outcome::Icmp { reason, .. } => {
            add(&c.dropped[reason.index()], 1);
            add(&c.icmp[reason.index()], 1);
            log.log(packet, reason, true);
        }
        Outcome::Dropped(reason) => {
            add(&c.dropped[reason.index()], 1);
            // A stored SYN or an early fragment is held, not lost: it goes
            // on when its peer or its first fragment comes.
            if !matches!(reason, DropReason::SynStored | DropReason::FragmentQueued) {
                log.log(packet, reason, false);
            }
        }
    }
    outcome
}

/// Writes `out`, merging what the kernel allows.
fn send(dev: &SyncDevice, gro: &mut GROTable, out: &mut [Vec<u8>], offset: usize, c: &Counters) {
    if dev.send_multiple(gro, out, offset).is_err() {
        add(&c.write_errors, 1);
    }
}

/// How many reads a worker makes before it writes what it translated:
/// enough for the kernel to merge the writes of one flow, few enough that
/// the first packet does not wait long.
const READS_PER_BATCH: usize = 64;

/// The most packets written in one batch. Each output buffer may grow to
/// hold the segments merged into it, and merging moves buffers around, so
/// this bounds the memory of a worker (32 × 64 KiB at worst).
const WRITES_PER_BATCH: usize = 32;

/// A worker's buffers and state between batches.
struct Batch<'a> {
    index: usize,
    shared: &'a Shared,
    c: &'a Counters,
    offload: bool,
    offset: usize,
    packet_max: usize,
    original: Vec<u8>,
    bufs: Vec<Vec<u8>>,
    sizes: Vec<usize>,
    scratch: Vec<u8>,
    out: Vec<Vec<u8>>,
    gro: GROTable,
    log: DropLog,
    x: Option<Arc<Xlat>>,
    read_error_logged: bool,
}

impl Batch<'_> {
    /// Reads `from` until it is empty (or [`READS_PER_BATCH`] reads),
    /// translates, and writes the results to `to`, the worker's own queue
    /// (the kernel sends a flow's packets to the queue that last wrote
    /// it). Returns how many reads brought packets, and whether the last
    /// found the queue empty.
    fn drain(&mut self, from: &SyncDevice, to: &SyncDevice) -> (usize, bool) {
        let (offset, c) = (self.offset, self.c);
        let mut nout = 0;
        let mut reads = 0;
        let mut idle = false;
        while reads < READS_PER_BATCH {
            let n = match from.recv_multiple(
                &mut self.original,
                &mut self.bufs,
                &mut self.sizes,
                offset,
            ) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Empty: write what there is.
                    idle = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // A malformed offload header, or the device going away.
                    add(&c.read_errors, 1);
                    if !self.read_error_logged {
                        tracing::warn!("worker {}: reading the TUN device: {e}", self.index);
                        self.read_error_logged = true;
                    }
                    // Do not spin on a device that keeps failing.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    break;
                }
            };
            reads += 1;
            // One reading of the clock for what one read brought.
            let now = match &self.shared.engine {
                Engine::Nat64(_, epoch) => epoch.elapsed(),
                Engine::Siit(_) => std::time::Duration::ZERO,
            };
            for i in 0..n {
                let Some(packet) = self.bufs[i].get(offset..offset + self.sizes[i]) else {
                    continue;
                };
                match (&self.x, &self.shared.engine) {
                    (Some(x), _) => {
                        let o = handle(x, self.shared, c, &mut self.log, packet, &mut self.scratch);
                        self.stage(to, &o, &mut nout);
                    }
                    (None, Engine::Nat64(nat, _)) => {
                        let mut nat = lock(nat);
                        let o = nat.translate(packet, &mut self.scratch, now);
                        let o = count(c, &mut self.log, packet, o);
                        self.stage(to, &o, &mut nout);
                        // The fragments that arrived before this first
                        // fragment follow it (RFC 6146 section 3.4).
                        while let Some(o) = nat.poll_icmp(&mut self.scratch) {
                            self.stage(to, &o, &mut nout);
                        }
                    }
                    (None, Engine::Siit(_)) => {}
                }
            }
        }
        if nout > 0 {
            send(to, &mut self.gro, &mut self.out[..nout], offset, c);
        }
        (reads, idle)
    }

    /// Puts the packets of `outcome` (in [`Batch::scratch`]) in the batch
    /// for `to`, writing the batch when it is full; `nout` counts the
    /// packets in it.
    fn stage(&mut self, to: &SyncDevice, outcome: &Outcome, nout: &mut usize) {
        for p in outcome.packets(&self.scratch) {
            if *nout == self.out.len() {
                // Room for the segments the kernel may merge into this
                // packet (tun-rs merges only within capacity).
                let room = if self.offload {
                    2 * self.offset + 65535
                } else {
                    self.packet_max
                };
                self.out.push(Vec::with_capacity(room));
            }
            let b = &mut self.out[*nout];
            b.clear();
            b.resize(self.offset, 0);
            b.extend_from_slice(p);
            *nout += 1;
            if *nout == WRITES_PER_BATCH {
                send(to, &mut self.gro, &mut self.out, self.offset, self.c);
                *nout = 0;
            }
        }
    }
}

/// Runs worker `index` on queue `queues[index]` until [`Shared::stop`] is
/// triggered; the batch in hand when it is still goes out.
///
/// The device is non-blocking: the worker reads until the queue is empty
/// (or a batch is full), writes the batch, and waits for the device (or the
/// stop event) only after a read found the queue empty, so that under load
/// it makes no system call besides the reads and the writes.
///
/// Before it waits, it takes what sits in the queues of workers that are
/// waiting too. The kernel queues a flow's packets for the queue that last
/// wrote that flow, but learns it only after the write: the answer to a
/// packet just written (a ping's reply, produced inside that very write)
/// lands in another worker's queue, and would wait for that worker to
/// wake on another core. Taking it here sends it on at once, and teaches
/// the kernel to queue the flow's next answers here. A queue is read by
/// one worker at a time ([`Shared::busy`]), so that a flow's packets keep
/// their order.
pub(crate) fn run(
    index: usize,
    queues: Arc<[Arc<SyncDevice>]>,
    offload: bool,
    mtu: u16,
    shared: Arc<Shared>,
) {
    let offset = if offload { VIRTIO_NET_HDR_LEN } else { 0 };
    let segments = if offload { IDEAL_BATCH_SIZE } else { 1 };
    let packet_max = usize::from(mtu).max(1500) + 64;
    let mut batch = Batch {
        index,
        shared: &shared,
        c: &shared.metrics.workers[index],
        offload,
        offset,
        packet_max,
        original: vec![0u8; VIRTIO_NET_HDR_LEN + 65535],
        bufs: vec![vec![0u8; offset + packet_max]; segments],
        sizes: vec![0usize; segments],
        scratch: vec![0u8; v6xlat::buffer_len(packet_max)],
        out: Vec::new(),
        gro: GROTable::default(),
        log: DropLog::new(shared.log),
        x: shared.translator(),
        read_error_logged: false,
    };
    let mut generation = shared.generation.load(Ordering::Acquire);
    let own = &queues[index];

    while !shared.stop.is_trigger() {
        let g = shared.generation.load(Ordering::Acquire);
        if g != generation {
            generation = g;
            batch.x = shared.translator();
        }
        // Another worker may be taking the packets of this queue.
        while shared.busy[index].swap(true, Ordering::Acquire) {
            std::thread::yield_now();
        }
        let (_, idle) = batch.drain(own, own);
        shared.busy[index].store(false, Ordering::Release);
        if !idle {
            continue;
        }
        let mut took = 0;
        for (j, q) in queues.iter().enumerate() {
            if j != index && !shared.busy[j].swap(true, Ordering::Acquire) {
                took += batch.drain(q, own).0;
                shared.busy[j].store(false, Ordering::Release);
            }
        }
        if took > 0 {
            continue;
        }
        match own.wait_readable_intr(&shared.stop) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                add(&batch.c.read_errors, 1);
                tracing::error!("worker {index}: waiting for the TUN device: {e}");
                break;
            }
        }
    }
    tracing::debug!("worker {index} stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_of_both_families() {
        let mut v4 = [0u8; 20];
        v4[0] = 0x45;
        v4[12..16].copy_from_slice(&[198, 51, 100, 1]);
        v4[16..20].copy_from_slice(&[192, 0, 2, 1]);
        let (s, d) = addresses(&v4).unwrap();
        assert_eq!(
            (s.to_string(), d.to_string()),
            ("198.51.100.1".into(), "192.0.2.1".into())
        );
        assert!(addresses(&v4[..10]).is_none());
        assert!(addresses(&[0x60; 39]).is_none());
        assert!(addresses(&[]).is_none());
    }
}
