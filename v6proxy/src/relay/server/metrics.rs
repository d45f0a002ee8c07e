//! The relay's counters, served as Prometheus text (exposition format 0.0.4)
//! over plain HTTP.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Outcome;
use crate::relay::peek::Refusal;
use crate::relay::route::Denied;

/// The counters. All are monotonic but `active`.
#[derive(Debug)]
pub struct Metrics {
    /// Connections ended, by [`Outcome::index`].
    pub outcomes: Vec<AtomicU64>,
    /// Connections refused for their first bytes, by [`Refusal::index`].
    pub refused: Vec<AtomicU64>,
    /// Connections denied a backend, by [`Denied::index`].
    pub denied: Vec<AtomicU64>,
    /// Bytes relayed from clients to backends.
    pub bytes_up: AtomicU64,
    /// Bytes relayed from backends to clients.
    pub bytes_down: AtomicU64,
    /// Connections open now.
    pub active: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let zeros = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect();
        Metrics {
            outcomes: zeros(Outcome::NAMES.len()),
            refused: zeros(Refusal::ALL.len()),
            denied: zeros(Denied::ALL.len()),
            bytes_up: AtomicU64::new(0),
            bytes_down: AtomicU64::new(0),
            active: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts a connection that ended with `outcome`, and its bytes.
    pub fn record(&self, outcome: Outcome, up: u64, down: u64) {
        self.outcomes[outcome.index()].fetch_add(1, Ordering::Relaxed);
        match outcome {
            Outcome::Refused(r) => {
                self.refused[r.index()].fetch_add(1, Ordering::Relaxed);
            }
            Outcome::Denied(d) => {
                self.denied[d.index()].fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        self.bytes_up.fetch_add(up, Ordering::Relaxed);
        self.bytes_down.fetch_add(down, Ordering::Relaxed);
    }

    /// The counters as Prometheus text.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(
            &mut out,
            "v6proxyd_relay_connections_total",
            "counter",
            "Connections ended, by outcome.",
        );
        for (i, name) in Outcome::NAMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "v6proxyd_relay_connections_total{{outcome=\"{name}\"}} {}",
                get(&self.outcomes[i])
            );
        }
        head(
            &mut out,
            "v6proxyd_relay_refused_total",
            "counter",
            "Connections whose first bytes named no server, by reason.",
        );
        for r in Refusal::ALL {
            let _ = writeln!(
                out,
                "v6proxyd_relay_refused_total{{reason=\"{r}\"}} {}",
                get(&self.refused[r.index()])
            );
        }
        head(
            &mut out,
            "v6proxyd_relay_denied_total",
            "counter",
            "Connections denied a backend, by reason.",
        );
        for d in Denied::ALL {
            let _ = writeln!(
                out,
                "v6proxyd_relay_denied_total{{reason=\"{}\"}} {}",
                d.as_str(),
                get(&self.denied[d.index()])
            );
        }
        head(
            &mut out,
            "v6proxyd_relay_bytes_total",
            "counter",
            "Bytes relayed, by direction.",
        );
        let _ = writeln!(
            out,
            "v6proxyd_relay_bytes_total{{direction=\"up\"}} {}\nv6proxyd_relay_bytes_total{{direction=\"down\"}} {}",
            get(&self.bytes_up),
            get(&self.bytes_down)
        );
        head(
            &mut out,
            "v6proxyd_relay_active_connections",
            "gauge",
            "Connections open now.",
        );
        let _ = writeln!(
            out,
            "v6proxyd_relay_active_connections {}",
            get(&self.active)
        );
        out
    }
}
