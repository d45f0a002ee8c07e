//! The relay's counters, served as Prometheus text (exposition format 0.0.4)
//! over plain HTTP.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// Answers every HTTP request on `listener` with the text `render` gives.
///
/// The same endpoint as v6rad's and v6xlatd's, written against a render
/// function so that it can move to a crate the daemons share.
pub async fn serve<F>(listener: TcpListener, render: Arc<F>)
where
    F: Fn() -> String + Send + Sync + 'static,
{
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let render = render.clone();
        tokio::spawn(async move {
            // The request itself does not matter; read what has arrived.
            let mut buf = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
            let body = render();
            let response = format!(
                "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
