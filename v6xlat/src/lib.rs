//! RFC 7915 IP/ICMP translation for NAT64 and SIIT.
//!
//! This crate will hold the translator as pure functions from an input
//! packet to a caller-owned output buffer — IPv6 to IPv4 and back, ICMP
//! errors with their inner packets, fragments — with the address mappings
//! of RFC 6052, RFC 7757 and a dynamic pool, and the `v6xlatd` daemon.
#![forbid(unsafe_code)]
