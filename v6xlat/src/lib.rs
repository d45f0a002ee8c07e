//! RFC 7915 IP/ICMP translation (SIIT), as pure functions over byte buffers.
//!
//! A [`Translator`] turns an IPv4 packet into IPv6 and back (RFC 7915
//! sections 4 and 5): headers, fragments, TCP/UDP/ICMP checksums, ICMP
//! messages and the packet inside ICMP errors (with RFC 4884 extensions),
//! with the addresses mapped by a [`Mapping`]: an RFC 6052 prefix, the
//! RFC 7757 EAMT, both, or a table filled at run time. It reads an input
//! slice and writes into a buffer the caller owns; it does no I/O, keeps
//! no per-flow state and never allocates per packet.
//!
//! A daemon reads a packet from its TUN device, translates it, and writes
//! back whatever the [`Outcome`] holds: the translated packet (several when
//! the translator fragmented), or an ICMP error for the sender.
//!
//! # Stateful NAT64
//!
//! [`nat64::Nat64`] is the stateful mode of RFC 6146: many IPv6 hosts share
//! one IPv4 address (or a few, "pool4"), each flow getting a port of its
//! own, so that no kernel masquerading is needed. It keeps the binding
//! information base and the session table for TCP, UDP and ICMP queries
//! (with the TCP state machine of RFC 6146 section 3.5.2.2 and its
//! timers), and translates every packet with the same RFC 7915 code as
//! [`Translator`], rewriting the ports. It reads no clock: every call takes
//! `now`, and [`nat64::Nat64::expire`] removes the sessions whose time has
//! come, so tests run on a virtual clock. Memory is bounded by a maximum of
//! sessions, in total and per IPv6 host; a new flow beyond is refused with
//! an ICMP error and counted.
//!
//! ```
//! use std::net::{Ipv4Addr, Ipv6Addr};
//! use v6xlat::{Config, Outcome, Translator, mapping::Rfc6052};
//!
//! let mapping = Rfc6052::new("2001:db8:64::/96".parse().unwrap());
//! let cfg = Config::new(mapping, Ipv4Addr::new(192, 0, 2, 1), "2001:db8::1".parse().unwrap());
//! let xlat = Translator::new(cfg).unwrap();
//!
//! // An ICMPv6 Echo Request from 2001:db8:64::c000:221 (192.0.2.33)
//! // to 2001:db8:64::c633:6402 (198.51.100.2).
//! let src: Ipv6Addr = "2001:db8:64::c000:221".parse().unwrap();
//! let dst: Ipv6Addr = "2001:db8:64::c633:6402".parse().unwrap();
//! let mut ping = vec![0x60, 0, 0, 0, 0, 8, 58, 64];
//! ping.extend_from_slice(&src.octets());
//! ping.extend_from_slice(&dst.octets());
//! ping.extend_from_slice(&[128, 0, 0x43, 0x25, 0, 1, 0, 1]);
//!
//! let mut out = vec![0u8; v6xlat::buffer_len(ping.len())];
//! let outcome = xlat.translate(&ping, &mut out);
//! assert!(matches!(outcome, Outcome::Translated { len: 28, count: 1 }));
//! for packet in outcome.packets(&out) {
//!     // An IPv4 Echo Request to 198.51.100.2, TTL 63: write it to the TUN.
//!     assert_eq!((packet[0], packet[8], packet[20]), (0x45, 63, 8));
//!     assert_eq!(&packet[16..20], &[198, 51, 100, 2]);
//! }
//! ```
#![forbid(unsafe_code)]

mod checksum;
mod config;
mod fragment;
mod icmp;
mod ipv4;
mod ipv6;
pub mod mapping;
pub mod nat64;
pub mod nat64_conf;
mod outcome;
pub mod pool;
pub mod tayga;
mod translator;
mod v4_to_v6;
mod v6_to_v4;

pub use config::{Config, ConfigError, IPV4_MIN_MTU, IPV6_MIN_MTU};
pub use mapping::Mapping;
pub use outcome::{DropReason, Outcome, Packets};
pub use translator::{Translator, buffer_len};
