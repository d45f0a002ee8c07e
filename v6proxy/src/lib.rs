//! Reaching IPv6-only machines from IPv4 and across links.
//!
//! [`relay`] lets IPv4 clients reach web services on IPv6-only machines
//! through the host's single IPv4 address, without terminating TLS: it peeks
//! at the TLS server name or the HTTP `Host` header, picks an IPv6 backend
//! inside the allowed prefixes and relays the bytes unchanged. The decisions
//! are pure functions ([`relay::peek()`], [`relay::route`],
//! [`relay::proxy_protocol`], [`relay::config`]); the tokio server that
//! drives them is [`relay::server`], behind the default `daemon` feature,
//! and `v6proxyd relay` runs it.
//!
//! [`ndp`] makes one /64 reach machines behind a second link: an NDP proxy
//! that answers Neighbor Solicitations for them (RFC 4861 section 7.2.8,
//! RFC 4389), a drop-in for ndppd; `v6proxyd ndp` runs it.
#![forbid(unsafe_code)]

mod error;
pub mod ndp;
pub mod relay;

pub use error::{ConfigError, Error};
