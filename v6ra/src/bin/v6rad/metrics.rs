//! Counters of what the daemon did, served as Prometheus text
//! (exposition format 0.0.4) over plain HTTP.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The counters, by name and label set.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
}

/// The help text of each counter.
const HELP: [(&str, &str); 5] = [
    (
        "v6rad_advertisements_sent_total",
        "Router advertisements sent, by interface and reason.",
    ),
    (
        "v6rad_solicitations_received_total",
        "Router solicitations received, by interface.",
    ),
    (
        "v6rad_bad_packets_total",
        "Packets dropped as malformed or invalid, by interface and reason.",
    ),
    (
        "v6rad_inconsistent_advertisements_total",
        "Advertisements of other routers that disagree with ours (RFC 4861 section 6.2.7).",
    ),
    (
        "v6rad_send_errors_total",
        "Advertisements the kernel refused to send, by interface.",
    ),
];

impl Metrics {
    /// Adds one to counter `name` with `labels` (pairs of label and value).
    pub(crate) fn inc(&self, name: &'static str, labels: &[(&str, &str)]) {
        let labels = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(",");
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.entry((name, labels)).or_default() += 1;
    }

    /// The counters as Prometheus text.
    pub(crate) fn render(&self) -> String {
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        for (name, help) in HELP {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for ((n, labels), v) in c.iter() {
                if *n == name {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::default();
        m.inc(
            "v6rad_advertisements_sent_total",
            &[("interface", "eth0"), ("reason", "unsolicited")],
        );
        m.inc(
            "v6rad_advertisements_sent_total",
            &[("interface", "eth0"), ("reason", "unsolicited")],
        );
        m.inc(
            "v6rad_bad_packets_total",
            &[("interface", "eth\"0"), ("reason", "x")],
        );
        let text = m.render();
        assert!(text.contains(
            "v6rad_advertisements_sent_total{interface=\"eth0\",reason=\"unsolicited\"} 2\n"
        ));
        assert!(text.contains("v6rad_bad_packets_total{interface=\"eth\\\"0\",reason=\"x\"} 1\n"));
        assert!(text.contains("# TYPE v6rad_solicitations_received_total counter\n"));
    }
}
