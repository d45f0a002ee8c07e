//! Counters, served in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The server's counters. All are monotonic.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Queries received over UDP.
    pub queries_udp: AtomicU64,
    /// Queries received over TCP.
    pub queries_tcp: AtomicU64,
    /// Replies whose AAAA records were synthesized.
    pub synthesized: AtomicU64,
    /// Upstream questions answered from the cache.
    pub cache_hits: AtomicU64,
    /// Queries answered with a kept reply, without the state machine.
    pub reply_cache_hits: AtomicU64,
    /// Upstream questions the cache could not answer.
    pub cache_misses: AtomicU64,
    /// Upstream questions answered by a `--static` zone.
    pub static_answers: AtomicU64,
    /// Upstream questions no upstream answered (each becomes SERVFAIL).
    pub upstream_failures: AtomicU64,
    /// Upstream UDP answers that were truncated and asked again over TCP.
    pub upstream_tcp_retries: AtomicU64,
    /// Queries from clients outside `--allow`.
    pub refused: AtomicU64,
    /// Queries answered with FORMERR.
    pub formerr: AtomicU64,
    /// Datagrams dropped without a reply (too short, or not a query).
    pub dropped: AtomicU64,
    /// UDP replies sent truncated (TC set).
    pub truncated: AtomicU64,
}

/// Adds one to a counter.
pub fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// The counters in the Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, samples: &[(&str, &AtomicU64)]| {
            let _ = writeln!(out, "# HELP v6dns64_{name} {help}");
            let _ = writeln!(out, "# TYPE v6dns64_{name} counter");
            for (labels, v) in samples {
                let _ = writeln!(out, "v6dns64_{name}{labels} {}", v.load(Ordering::Relaxed));
            }
        };
        counter(
            "queries_total",
            "Queries received.",
            &[
                ("{transport=\"udp\"}", &self.queries_udp),
                ("{transport=\"tcp\"}", &self.queries_tcp),
            ],
        );
        counter(
            "synthesized_total",
            "Replies with synthesized AAAA records.",
            &[("", &self.synthesized)],
        );
        counter(
            "cache_hits_total",
            "Upstream questions answered from the cache.",
            &[("", &self.cache_hits)],
        );
        counter(
            "reply_cache_hits_total",
            "Queries answered with a kept reply.",
            &[("", &self.reply_cache_hits)],
        );
        counter(
            "cache_misses_total",
            "Upstream questions not in the cache.",
            &[("", &self.cache_misses)],
        );
        counter(
            "static_answers_total",
            "Upstream questions answered by a static zone.",
            &[("", &self.static_answers)],
        );
        counter(
            "upstream_failures_total",
            "Upstream questions that no upstream answered.",
            &[("", &self.upstream_failures)],
        );
        counter(
            "upstream_tcp_retries_total",
            "Truncated upstream answers asked again over TCP.",
            &[("", &self.upstream_tcp_retries)],
        );
        counter(
            "refused_total",
            "Queries from clients outside the allowed prefixes.",
            &[("", &self.refused)],
        );
        counter(
            "formerr_total",
            "Malformed queries answered with FORMERR.",
            &[("", &self.formerr)],
        );
        counter(
            "dropped_total",
            "Datagrams dropped without a reply.",
            &[("", &self.dropped)],
        );
        counter(
            "truncated_total",
            "UDP replies sent with TC set.",
            &[("", &self.truncated)],
        );
        out
    }
}
