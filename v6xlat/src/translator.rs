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

    /// Refuses `input` for a `reason` the caller decided (its dynamic pool
    /// has no address for the source): an ICMPv6 Destination Unreachable,
    /// code 5 "source address failed ingress/egress policy" (RFC 4443
    /// section 3.1), or for IPv4 an ICMPv4 Destination Unreachable, code 13
    /// "communication administratively prohibited" (RFC 1812 section
    /// 5.2.7.1), from the translator's own address.
    ///
    /// The rules of the translator's own errors apply: nothing answers an
    /// ICMP error or a packet from a multicast or unspecified source, and
    /// nothing is sent when [`Config::send_icmp_errors`] is off; those give
    /// [`Outcome::Dropped`] with `reason`.
    pub fn refuse(&self, input: &[u8], out: &mut [u8], reason: DropReason) -> Outcome {
        match input.first().map(|b| b >> 4) {
            Some(6) => {
                let error =
                    input.len() > 40 && input[6] == 58 && crate::icmp::is_v6_error(input[40]);
                if input.len() < 40 || error {
                    return Outcome::Dropped(reason);
                }
                crate::icmp::error_v6(self, input, 1, 5, [0; 4], reason, out)
            }
            Some(4) => {
                let ihl = usize::from(input[0] & 0x0f) * 4;
                let error = input.len() > ihl
                    && input.get(9) == Some(&1)
                    && crate::icmp::is_v4_error(input[ihl]);
                if input.len() < 20 || error {
                    return Outcome::Dropped(reason);
                }
                crate::icmp::error_v4(self, input, 3, 13, [0; 4], reason, out)
            }
            _ => Outcome::Dropped(reason),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::Rfc6052;

    fn translator() -> Translator<Rfc6052> {
        let m = Rfc6052::new("2001:db8:64::/96".parse().unwrap());
        Translator::new(Config::new(
            m,
            Ipv4Addr::new(192, 0, 2, 1),
            "2001:db8::1".parse().unwrap(),
        ))
        .unwrap()
    }

    fn v6_packet(next: u8, first: u8) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 8, next, 64];
        p.extend_from_slice(&"2001:db8:1::2".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(
            &"2001:db8:64::c000:221"
                .parse::<Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        p.extend_from_slice(&[first, 0, 0, 0, 0, 1, 0, 1]);
        p
    }

    #[test]
    fn refuse_answers_unreachable_except_to_errors() {
        let t = translator();
        let mut out = vec![0u8; buffer_len(48)];
        let ping = v6_packet(58, 128);
        let o = t.refuse(&ping, &mut out, DropReason::PoolExhausted);
        let Outcome::Icmp { len, reason } = o else {
            panic!("{o:?}");
        };
        assert_eq!((len, reason), (48 + 48, DropReason::PoolExhausted));
        assert_eq!((out[40], out[41]), (1, 5));
        assert_eq!(&out[8..24], &t.config().ipv6_addr.octets());
        assert_eq!(&out[24..40], &ping[8..24]);
        assert_eq!(&out[48..len], &ping[..]);

        let error = v6_packet(58, 1);
        assert_eq!(
            t.refuse(&error, &mut out, DropReason::PoolExhausted),
            Outcome::Dropped(DropReason::PoolExhausted)
        );
        assert_eq!(
            t.refuse(&[0x60; 10], &mut out, DropReason::PoolExhausted),
            Outcome::Dropped(DropReason::PoolExhausted)
        );
        let mut v4 = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, 2, 192, 0, 2, 33,
        ];
        v4.extend_from_slice(&[0; 8]);
        let o = t.refuse(&v4, &mut out, DropReason::PoolExhausted);
        assert!(matches!(o, Outcome::Icmp { len: 56, .. }), "{o:?}");
        assert_eq!((out[20], out[21]), (3, 13));
    }

    /// RFC 4443 section 2.4 (e.3) and RFC 1812 section 4.3.2.7: no error
    /// about a packet sent to a group, such as an MLD report with hop
    /// limit 1 that the kernel routes into the TUN device.
    #[test]
    fn no_errors_about_multicast_packets() {
        let t = translator();
        let mut out = vec![0u8; buffer_len(48)];
        let mut mld = v6_packet(58, 143);
        mld[7] = 1; // hop limit 1
        mld[8..24].copy_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        mld[24..40].copy_from_slice(&"ff02::16".parse::<Ipv6Addr>().unwrap().octets());
        assert_eq!(
            t.translate(&mld, &mut out),
            Outcome::Dropped(DropReason::HopLimitExceeded)
        );
        let mut v4 = vec![
            0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, 2, 224, 0, 0, 9,
        ];
        v4.extend_from_slice(&[0; 8]);
        assert_eq!(
            t.refuse(&v4, &mut out, DropReason::PoolExhausted),
            Outcome::Dropped(DropReason::PoolExhausted)
        );
    }
}
