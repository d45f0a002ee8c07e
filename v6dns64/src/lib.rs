//! DNS64 for IPv6-first hosts.
//!
//! This crate will hold RFC 6147 answer synthesis as pure functions over
//! hickory-proto messages — AAAA records synthesized from A records with an
//! RFC 6052 prefix, exclusions, the TTL rules of section 5.1.7 and reverse
//! mapping of section 5.3.1 — and the `v6dns64d` server built on it.
#![forbid(unsafe_code)]
