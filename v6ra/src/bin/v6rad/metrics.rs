//! Counters of what the daemon did, served as Prometheus text
//! (exposition format 0.0.4) over plain HTTP.

/// The counters, by name and label set.
pub(crate) type Metrics = v6kit_daemon::metrics::Counters;

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

/// The daemon's counters, none counted yet.
pub(crate) fn new() -> Metrics {
    Metrics::new(&HELP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = new();
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
