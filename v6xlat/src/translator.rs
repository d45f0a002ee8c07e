//! The translator: configuration checked once, then one call per packet.

use core::net::{Ipv4Addr, Ipv6Addr};
use core::sync::atomic::{AtomicU32, Ordering};

use crate::config::{Config, ConfigError};
use crate::mapping::Mapping;
use crate::outcome::{DropReason, Outcome};
use crate::{v4_to_v6, v6_to_v4};

/// Whether a packet is translated for the first time, or translated back
/// to IPv6 after it hairpinned (RFC 7757 section 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// The packet arrived from a link.
    First,
    /// The packet came from the IPv6 side and goes back to it.
    Hairpin,
}

/// A stateless IP/ICMP translator (RFC 7915).
///
/// [`Translator::translate`] takes `&self` and keeps no per-flow state, so
/// one translator can serve several threads. The only shared state is the
/// counter that numbers the IPv4 Identification of unfragmented packets.
#[derive(Debug)]
pub struct Translator<M> {
    pub(crate) cfg: Config<M>,
    next_ident: AtomicU32,
}

impl<M: Mapping> Translator<M> {
    /// A translator for `cfg`, once [`Config::validate`] accepts it.
    pub fn new(cfg: Config<M>) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Translator {
            cfg,
            next_ident: AtomicU32::new(0),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config<M> {
        &self.cfg
    }

    /// The mapping, for a caller that updates it between packets (a
    /// [`DynamicMap`](crate::mapping::DynamicMap) being filled).
    pub fn mapping_mut(&mut self) -> &mut M {
        &mut self.cfg.mapping
    }

    /// Translates one packet, IPv4 to IPv6 or IPv6 to IPv4 as its first
    /// nibble says, into `out`.
    ///
    /// `input` starts at the IP header (as read from a TUN device without
    /// packet information); bytes after the length its header gives are
    /// ignored. See [`Outcome`] for where the result is; [`buffer_len`]
    /// gives an `out` size that is always enough.
    pub fn translate(&self, input: &[u8], out: &mut [u8]) -> Outcome {
        match input.first().map(|b| b >> 4) {
            Some(4) => v4_to_v6::translate(self, input, out, Pass::First),
            Some(6) => v6_to_v4::translate(self, input, out),
            _ => Outcome::Dropped(DropReason::UnknownVersion),
        }
    }

    /// The Identification of the next unfragmented IPv4 packet that
    /// leaves without DF (RFC 7915 section 5.1).
    pub(crate) fn next_ident(&self) -> u16 {
        self.next_ident.fetch_add(1, Ordering::Relaxed) as u16
    }

    /// An IPv4 source for a translated ICMPv6 error whose source has no
    /// mapping (RFC 6791 section 4), chosen in the pool by `seed`.
    pub(crate) fn rfc6791_v4(&self, seed: u32) -> Ipv4Addr {
        match self.cfg.rfc6791_v4 {
            Some(pool) => {
                let host_bits = 32 - u32::from(pool.prefix_len());
                let host = if host_bits == 0 {
                    0
                } else {
                    seed & (u32::MAX >> (32 - host_bits))
                };
                Ipv4Addr::from_bits(pool.network().to_bits() | host)
            }
            None => self.cfg.ipv4_addr,
        }
    }

    /// The IPv6 equivalent of [`Translator::rfc6791_v4`].
    pub(crate) fn rfc6791_v6(&self, seed: u32) -> Ipv6Addr {
        match self.cfg.rfc6791_v6 {
            Some(pool) => {
                let host_bits = 128 - u32::from(pool.prefix_len());
                let host = if host_bits == 0 {
                    0
                } else {
                    u128::from(seed) & (u128::MAX >> (128 - host_bits))
                };
                Ipv6Addr::from_bits(pool.network().to_bits() | host)
            }
            None => self.cfg.ipv6_addr,
        }
    }
}

/// An `out` length that is enough for the translation of any `input_len`
/// bytes, fragments and hairpinning included.
pub const fn buffer_len(input_len: usize) -> usize {
    let grown = if input_len > 1280 { input_len } else { 1280 };
    // Every IPv6 fragment adds at most 48 bytes and carries at least 1232.
    2 * (grown + 48 * (input_len / 1232 + 2))
}
