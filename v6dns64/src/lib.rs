//! DNS64 for IPv6-first hosts (RFC 6147).
//!
//! An IPv6-only machine reaches IPv4-only servers through a NAT64 when its
//! resolver answers AAAA queries for IPv4-only names with addresses
//! synthesized inside the NAT64 prefix. This crate makes those decisions as
//! pure functions over hickory-proto messages, with no I/O:
//!
//! - [`Dns64`] is the resolution state machine: a query goes in, and out
//!   comes a reply or a question to ask upstream ([`Action`]), whose answer
//!   goes back in ([`Pending::answer`]);
//! - [`synth`] synthesizes AAAA records from A records (section 5.1.7);
//! - [`reverse`] maps PTR queries for synthesized addresses (section 5.3.1);
//! - [`policy`] says which prefix each client gets, which AAAA records are
//!   ignored and which A records are synthesized, like BIND's `dns64`
//!   options;
//! - [`zone`] answers from a zone file, as an upstream that needs no network;
//! - [`wire`] fits a reply to UDP and sets TC when it does not fit.
//!
//! With the `server` feature (on by default) the [`server`] module runs it
//! all over UDP and TCP with tokio; the `v6dns64d` binary is that server.
#![forbid(unsafe_code)]

mod error;
pub mod policy;
pub mod resolve;
pub mod reverse;
pub mod synth;
pub mod wire;
pub mod zone;

#[cfg(feature = "server")]
pub mod server;

pub use error::Error;
pub use policy::{Mapped, MappedEntry, Policy, PrefixRule};
pub use resolve::{Action, Dns64, EDNS_PAYLOAD, Pending};
pub use zone::Zone;
