//! RFC 7915 IP/ICMP translation (SIIT), as pure functions over byte buffers.
//!
//! A [`Translator`] turns an IPv4 packet into IPv6 and back (RFC 7915
//! sections 4 and 5): headers, fragments, TCP/UDP/ICMP checksums, ICMP
//! messages and the packet inside ICMP errors, with the addresses mapped by
//! a [`Mapping`]: an RFC 6052 prefix, the RFC 7757 EAMT, both, or a table
//! filled at run time. It reads an input slice and writes into a buffer the
//! caller owns; it does no I/O and never allocates per packet.
//!
//! ```
//! use std::net::{Ipv4Addr, Ipv6Addr};
//! use v6core::Pref64;
//! use v6xlat::{Config, Outcome, Translator, mapping::Rfc6052};
//!
//! let mapping = Rfc6052::new(Pref64::WELL_KNOWN);
//! let cfg = Config::new(mapping, Ipv4Addr::new(192, 0, 2, 1), "2001:db8::1".parse().unwrap());
//! let xlat = Translator::new(cfg).unwrap();
//!
//! // An IPv6 ping from 2001:db8::5 to 64:ff9b::8.8.8.8.
//! let mut ping = vec![0x60, 0, 0, 0, 0, 8, 58, 64];
//! ping.extend_from_slice(&"2001:db8::5".parse::<Ipv6Addr>().unwrap().octets());
//! ping.extend_from_slice(&"64:ff9b::808:808".parse::<Ipv6Addr>().unwrap().octets());
//! ping.extend_from_slice(&[128, 0, 0x43, 0x25, 0, 1, 0, 1]);
//!
//! let mut out = [0u8; 1500];
//! // 2001:db8::5 has no IPv4 address under this mapping.
//! assert!(matches!(xlat.translate(&ping, &mut out), Outcome::Dropped(_)));
//! ```
#![forbid(unsafe_code)]

mod checksum;
mod config;
mod fragment;
mod icmp;
mod ipv4;
mod ipv6;
pub mod mapping;
mod outcome;
mod translator;
mod v4_to_v6;
mod v6_to_v4;

pub use config::{Config, ConfigError, IPV4_MIN_MTU, IPV6_MIN_MTU};
pub use mapping::Mapping;
pub use outcome::{DropReason, Outcome, Packets};
pub use translator::{Translator, buffer_len};
