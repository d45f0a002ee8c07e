//! Counters of what the workers did, printed on SIGUSR1 and served as
//! Prometheus text (exposition format 0.0.4) over plain HTTP.
//!
//! Each worker owns one [`Counters`] and adds to it with relaxed atomics,
//! so that workers never write to the same cache line; readers sum them.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use v6xlat::DropReason;
use v6xlat::nat64::{Protocol, Refusal, Stats};
use v6xlat::pool::DynamicPool;

/// One worker's counters.
#[derive(Debug)]
#[repr(align(128))]
pub(crate) struct Counters {
    /// IPv6 packets translated to IPv4.
    pub(crate) v6_to_v4: AtomicU64,
    /// IPv4 packets translated to IPv6.
    pub(crate) v4_to_v6: AtomicU64,
    /// Packets not translated, by [`DropReason::index`] (those answered
    /// with an ICMP error included).
    pub(crate) dropped: Vec<AtomicU64>,
    /// ICMP errors sent, by reason.
    pub(crate) icmp: Vec<AtomicU64>,
    /// Reads from the TUN device that failed.
    pub(crate) read_errors: AtomicU64,
    /// Writes to the TUN device that failed.
    pub(crate) write_errors: AtomicU64,
}

impl Default for Counters {
    fn default() -> Self {
        let zeros = || DropReason::ALL.iter().map(|_| AtomicU64::new(0)).collect();
        Counters {
            v6_to_v4: AtomicU64::new(0),
            v4_to_v6: AtomicU64::new(0),
            dropped: zeros(),
            icmp: zeros(),
            read_errors: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
        }
    }
}

/// Adds `n` to a counter that only its worker writes.
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

/// The counters of every worker, and the pool whose leases are counted.
#[derive(Debug)]
pub(crate) struct Metrics {
    pub(crate) workers: Vec<Counters>,
    pub(crate) pool: Option<Arc<DynamicPool>>,
}

/// The sum of the workers' counters.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) v6_to_v4: u64,
    pub(crate) v4_to_v6: u64,
    pub(crate) dropped: Vec<u64>,
    pub(crate) icmp: Vec<u64>,
    pub(crate) read_errors: u64,
    pub(crate) write_errors: u64,
}

impl Metrics {
    pub(crate) fn new(workers: usize, pool: Option<Arc<DynamicPool>>) -> Self {
        Metrics {
            workers: (0..workers).map(|_| Counters::default()).collect(),
            pool,
        }
    }

    pub(crate) fn totals(&self) -> Totals {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut t = Totals {
            dropped: vec![0; DropReason::ALL.len()],
            icmp: vec![0; DropReason::ALL.len()],
            ..Totals::default()
        };
        for w in &self.workers {
            t.v6_to_v4 += get(&w.v6_to_v4);
            t.v4_to_v6 += get(&w.v4_to_v6);
            t.read_errors += get(&w.read_errors);
            t.write_errors += get(&w.write_errors);
            for (i, r) in DropReason::ALL.iter().enumerate() {
                t.dropped[i] += get(&w.dropped[r.index()]);
                t.icmp[i] += get(&w.icmp[r.index()]);
            }
        }
        t
    }

    /// The counters as Prometheus text.
    pub(crate) fn render(&self) -> String {
        let t = self.totals();
        let mut out = String::new();
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut out,
            "v6xlatd_packets_translated_total",
            "counter",
            "Packets translated, by direction.",
        );
        let _ = writeln!(
            out,
            "v6xlatd_packets_translated_total{{direction=\"6to4\"}} {}\n\
             v6xlatd_packets_translated_total{{direction=\"4to6\"}} {}",
            t.v6_to_v4, t.v4_to_v6
        );
        head(
            &mut out,
            "v6xlatd_packets_dropped_total",
            "counter",
            "Packets not translated, by reason (those answered with an ICMP error included).",
        );
        for (i, r) in DropReason::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "v6xlatd_packets_dropped_total{{reason=\"{r}\"}} {}",
                t.dropped[i]
            );
        }
        head(
            &mut out,
            "v6xlatd_icmp_errors_sent_total",
            "counter",
            "ICMP errors the translator sent, by the reason of the refusal.",
        );
        for (i, r) in DropReason::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "v6xlatd_icmp_errors_sent_total{{reason=\"{r}\"}} {}",
                t.icmp[i]
            );
        }
        head(
            &mut out,
            "v6xlatd_tun_errors_total",
            "counter",
            "Reads and writes of the TUN device that failed.",
        );
        let _ = writeln!(
            out,
            "v6xlatd_tun_errors_total{{op=\"read\"}} {}\nv6xlatd_tun_errors_total{{op=\"write\"}} {}",
            t.read_errors, t.write_errors
        );
        if let Some(pool) = &self.pool {
            let leases = pool.leases().len();
            let active = pool.active();
            head(
                &mut out,
                "v6xlatd_pool_leases",
                "gauge",
                "Leases of the dynamic pool, by state.",
            );
            let _ = writeln!(
                out,
                "v6xlatd_pool_leases{{state=\"active\"}} {active}\n\
                 v6xlatd_pool_leases{{state=\"dormant\"}} {}",
                leases - active
            );
        }
        out
    }

    /// A one-line summary for the log: what was translated, and the
    /// reasons that dropped something.
    pub(crate) fn summary(&self) -> String {
        let t = self.totals();
        let mut s = format!(
            "translated 6to4={} 4to6={}; dropped",
            t.v6_to_v4, t.v4_to_v6
        );
        let mut any = false;
        for (i, r) in DropReason::ALL.iter().enumerate() {
            if t.dropped[i] > 0 {
                let _ = write!(s, " {r}={}", t.dropped[i]);
                any = true;
            }
        }
        if !any {
            s.push_str(" nothing");
        }
        let _ = write!(
            s,
            "; icmp errors sent {}; tun errors read={} write={}",
            t.icmp.iter().sum::<u64>(),
            t.read_errors,
            t.write_errors
        );
        s
    }
}

/// The stateful NAT64's sessions, BIB entries and refusals as Prometheus
/// text.
pub(crate) fn render_nat64(s: &Stats) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, label: &str, values: &[(&str, u64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (l, v) in values {
            let _ = writeln!(out, "{name}{{{label}=\"{l}\"}} {v}");
        }
    };
    let by_protocol = |v: [u64; 3]| Protocol::ALL.map(|p| (p.as_str(), v[p.index()]));
    let widen = |v: [usize; 3]| v.map(|n| n as u64);
    family(
        "v6xlatd_nat64_sessions",
        "gauge",
        "Stateful NAT64 sessions, by protocol.",
        "protocol",
        &by_protocol(widen(s.sessions)),
    );
    family(
        "v6xlatd_nat64_bib_entries",
        "gauge",
        "Stateful NAT64 BIB entries (static and dynamic), by protocol.",
        "protocol",
        &by_protocol(widen(s.bib_entries)),
    );
    family(
        "v6xlatd_nat64_sessions_created_total",
        "counter",
        "Stateful NAT64 sessions created, by protocol.",
        "protocol",
        &by_protocol(s.created),
    );
    family(
        "v6xlatd_nat64_sessions_expired_total",
        "counter",
        "Stateful NAT64 sessions that timed out, by protocol.",
        "protocol",
        &by_protocol(s.expired),
    );
    family(
        "v6xlatd_nat64_refused_total",
        "counter",
        "New flows the stateful NAT64 refused, by reason.",
        "reason",
        &Refusal::ALL.map(|r| (r.as_str(), s.refused[r.index()])),
    );
    family(
        "v6xlatd_nat64_fragments_dropped_total",
        "counter",
        "Fragments dropped from the queue of those waiting for their first fragment.",
        "reason",
        &[
            ("expired", s.fragments_expired),
            ("queue_full", s.fragments_over_limit),
        ],
    );
    let _ = writeln!(
        out,
        "# HELP v6xlatd_nat64_stored_syns IPv4 SYNs waiting for the IPv6 side.\n\
         # TYPE v6xlatd_nat64_stored_syns gauge\nv6xlatd_nat64_stored_syns {}",
        s.stored_syns
    );
    let _ = writeln!(
        out,
        "# HELP v6xlatd_nat64_queued_fragments Fragments waiting for their first fragment.\n\
         # TYPE v6xlatd_nat64_queued_fragments gauge\nv6xlatd_nat64_queued_fragments {}",
        s.queued_fragments
    );
    out
}

/// The stateful NAT64's sessions and refusals in one line, for the log.
pub(crate) fn summary_nat64(s: &Stats) -> String {
    let mut out = String::from("sessions");
    for p in Protocol::ALL {
        let _ = write!(out, " {p}={}", s.sessions[p.index()]);
    }
    out.push_str("; refused");
    for r in Refusal::ALL {
        let _ = write!(out, " {}={}", r.as_str(), s.refused[r.index()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_sum_of_the_workers() {
        let m = Metrics::new(2, None);
        add(&m.workers[0].v6_to_v4, 3);
        add(&m.workers[1].v6_to_v4, 4);
        add(&m.workers[1].dropped[DropReason::Truncated.index()], 2);
        add(&m.workers[0].icmp[DropReason::HopLimitExceeded.index()], 1);
        let text = m.render();
        assert!(text.contains("v6xlatd_packets_translated_total{direction=\"6to4\"} 7\n"));
        assert!(text.contains("v6xlatd_packets_dropped_total{reason=\"truncated\"} 2\n"));
        assert!(text.contains("v6xlatd_icmp_errors_sent_total{reason=\"hop_limit_exceeded\"} 1\n"));
        assert!(text.contains("# TYPE v6xlatd_tun_errors_total counter\n"));
        assert!(m.summary().contains("truncated=2"));
    }

    #[test]
    fn renders_the_sessions_and_refusals() {
        let s = Stats {
            sessions: [1, 2, 3],
            refused: [4, 0, 0, 0],
            fragments_expired: 5,
            queued_fragments: 6,
            ..Stats::default()
        };
        let text = render_nat64(&s);
        assert!(text.contains("v6xlatd_nat64_sessions{protocol=\"udp\"} 2\n"));
        assert!(text.contains("v6xlatd_nat64_refused_total{reason=\"session_limit\"} 4\n"));
        assert!(text.contains("# TYPE v6xlatd_nat64_sessions_expired_total counter\n"));
        assert!(text.contains("v6xlatd_nat64_fragments_dropped_total{reason=\"expired\"} 5\n"));
        assert!(text.contains("v6xlatd_nat64_queued_fragments 6\n"));
        assert_eq!(
            summary_nat64(&s),
            "sessions tcp=1 udp=2 icmp=3; refused session_limit=4 host_limit=0 ports_exhausted=0 stored_syn_limit=0"
        );
    }
}
