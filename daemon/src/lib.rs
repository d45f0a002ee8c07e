//! What every v6kit daemon shares, so that `v6xlatd`, `v6rad`, `v6dns64d`
//! and `v6proxyd` behave alike for the operator: the Prometheus text
//! endpoint behind `--metrics`, readiness notification to systemd,
//! giving up root for the user of `--user`, and an interface's index,
//! link-layer address and neighbor-discovery socket.
//!
//! The decisions of each daemon live in its library crate; this crate only
//! holds the service plumbing around them.
#![forbid(unsafe_code)]

pub mod link;
pub mod metrics;
pub mod notify;
pub mod privilege;
