//! Router advertisements for IPv6-first hosts.
//!
//! This crate will hold the neighbor-discovery wire formats of RFC 4861
//! (Router Advertisement and Solicitation, Neighbor Solicitation and
//! Advertisement) with their options — including Route Information
//! (RFC 4191), RDNSS/DNSSL (RFC 8106), PREF64 (RFC 8781) and Captive Portal
//! (RFC 8910) — and a sans-IO advertiser state machine driven by time and
//! events, as used by the `v6rad` daemon.
#![forbid(unsafe_code)]
