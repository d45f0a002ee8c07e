//! Router advertisements for IPv6-first hosts.
//!
//! - [`wire`]: the neighbor-discovery wire formats of RFC 4861 (Router
//!   Advertisement and Solicitation, Neighbor Solicitation and
//!   Advertisement) with their options, including Route Information
//!   (RFC 4191), RDNSS/DNSSL (RFC 8106), PREF64 (RFC 8781) and Captive
//!   Portal (RFC 8910), as views and reprs in the manner of smoltcp.
//! - [`advertiser`]: a sans-IO state machine that decides when an
//!   interface sends which advertisement (RFC 4861 section 6.2).
//! - [`config`]: radvd.conf, parsed into what the advertiser needs.
//! - [`consistency`]: other routers' advertisements checked against ours
//!   (RFC 4861 section 6.2.7).
//! - [`dump`]: an advertisement written back as radvd.conf text, as
//!   radvdump prints it.
//!
//! The `v6rad` daemon drives these over raw ICMPv6 sockets.
#![forbid(unsafe_code)]

pub mod advertiser;
pub mod config;
pub mod consistency;
pub mod dump;
pub mod wire;

pub use advertiser::{Advertiser, AdvertiserConfig, Transmit};
pub use wire::{Error, NdiscOptionRepr, Packet, Repr, RouterAdvert};
