//! The relay: IPv4 clients reach web services on IPv6-only machines through
//! the host, by server name, without the host holding any certificate.
//!
//! A connection goes through these steps, each a pure function here:
//!
//! 1. [`mod@peek`]: the first bytes give the server name — the TLS ClientHello's
//!    `server_name` (RFC 8446 §4.1.2, RFC 6066 §3) or the HTTP/1.x `Host`
//!    header field (RFC 9112 §3.2) — or a reason to refuse.
//! 2. [`route`]: the name gives a backend, from a static table or from the
//!    name's AAAA records, used only inside the allowed backend prefixes.
//! 3. [`proxy_protocol`]: optionally, a PROXY protocol v1 or v2 header tells
//!    the backend the real client; or [`source`] gives the IPv6 address,
//!    embedding the client's IPv4 address (RFC 6052), to connect from.
//!
//! [`config`] reads the daemon's configuration file and flags. The sockets
//! live in [`server`] (feature `daemon`).

pub mod config;
mod http;
pub mod name;
pub mod peek;
pub mod proxy_protocol;
pub mod route;
#[cfg(feature = "daemon")]
pub mod server;
pub mod source;
mod tls;

pub use name::HostName;
pub use peek::{Limits, Peek, Protocol, Refusal, peek};
