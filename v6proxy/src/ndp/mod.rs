//! The NDP proxy: one /64 across two links, in place of ndppd and of
//! hand-written `ip -6 neigh add proxy` scripts.
//!
//! A provider routes one /64 to a host's upstream link; the host's virtual
//! machines sit behind a second link (a bridge, or a router VM). The
//! upstream router sends Neighbor Solicitations (RFC 4861 section 7.2.2) for
//! the machines' addresses on its own link, where nobody owns them. The
//! host answers in their stead with proxy advertisements (RFC 4861 section
//! 7.2.8, as RFC 4389 section 4.1.3.3 describes for a proxy between two
//! links) carrying its own link-layer address, and forwards what then
//! arrives to the internal link.
//!
//! - [`config`]: ndppd.conf (`route-ttl`, `address-ttl`, `proxy`, `rule`
//!   with `static`, `iface` or `auto`).
//! - [`responder`]: the sans-IO [`Responder`]: which solicitations are
//!   answered, asking the internal link first for `iface` and `auto`
//!   rules, the cache of answers with its ttl, keepalive and the host
//!   routes that follow (`autowire`), all fed with `now`.
//!
//! # How the daemon receives solicitations for addresses it does not own
//!
//! A solicitation goes to the target's solicited-node multicast address
//! (RFC 4291 section 2.7.1), ff02::1:ffXX:XXXX with the target's last 24
//! bits. A raw ICMPv6 socket only sees multicast the host has joined, and
//! joining one group per address of a /64 is impossible. `v6proxyd ndp`
//! therefore does what ndppd does: it puts each proxied interface into
//! all-multicast mode (so that the network card passes every multicast
//! frame up) and reads from a packet socket (AF_PACKET, SOCK_DGRAM, IPv6)
//! with a classic BPF filter that keeps only ICMPv6 Neighbor Solicitations
//! and Advertisements that arrived (not left) on that interface. The
//! filter is built from safe socket2 calls; answers leave through an
//! ordinary raw ICMPv6 socket bound to the interface, hop limit 255, which
//! fills in the checksum. The [`Responder`] then checks everything again
//! (hop limit, checksum, RFC 4861 section 7.1 validity) since nothing that
//! arrives is trusted.
//!
//! The daemon's `--kernel` mode instead programs Linux's own proxy
//! (`proxy_ndp` and proxy neighbor entries) for a fixed list of addresses.

pub mod config;
pub mod responder;

pub use config::{Config, Proxy, Rule, RuleKind};
pub use responder::{Drop, HostRoute, Outcome, Output, Responder, Route, Transmit};
