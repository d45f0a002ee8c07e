//! IPv6 address math for IPv6-first hosts, with no I/O.
//!
//! `v6core` is the foundation of v6kit: pure functions and validated types
//! that every other crate builds on.
//!
//! - [`prefix`]: splitting, aggregating and walking prefixes (IPv6 and IPv4).
//! - [`class`]: classification against the IANA special-purpose registries.
//! - [`eui64`]: MAC addresses and modified EUI-64 interface identifiers.
//! - [`stable_iid`]: RFC 7217 stable, semantically opaque interface identifiers.
//! - [`pref64`]: RFC 6052 IPv4-embedded IPv6 addresses.
//! - [`reverse`]: `ip6.arpa` and `in-addr.arpa` names.
//! - [`random`]: random addresses inside a prefix, with the RNG passed in.
//!
//! Every fallible function returns [`Error`], which names the input and what
//! was wrong with it.
#![forbid(unsafe_code)]

pub mod class;
mod error;
pub mod eui64;
pub mod pref64;
pub mod prefix;
pub mod random;
pub mod reverse;
pub mod stable_iid;

pub use error::Error;
pub use eui64::{Eui64, Mac};
pub use pref64::Pref64;
