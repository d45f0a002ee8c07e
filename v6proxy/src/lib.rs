//! Reaching IPv6-only machines from IPv4 and across links.
//!
//! This crate will hold the relay's routing decisions (TLS server name and
//! HTTP `Host` peeking, backend selection restricted to allowed prefixes,
//! PROXY protocol headers) and a sans-IO NDP proxy responder, together with
//! the `v6proxyd` daemon built on them.
#![forbid(unsafe_code)]
