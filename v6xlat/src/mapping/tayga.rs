//! Tayga's mapping: static `map` lines, the RFC 6052 prefix and the
//! dynamic pool, in Tayga's order.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use v6core::Pref64;

use super::rfc6052::is_global;
use super::{Eamt, Mapping};
use crate::pool::{DynamicPool, PoolError};

/// The address mapping of a Tayga configuration:
///
/// - IPv6 to IPv4: a static `map` (an RFC 7757 EAM), then the `prefix`
///   (RFC 6052), then an active lease of the `dynamic-pool`;
/// - IPv4 to IPv6: a static `map`, then, for an address of the pool, its
///   lease (an unleased pool address maps to nothing), then the prefix.
///
/// With the well-known prefix and `wkpf-strict` (Tayga's default), only
/// global IPv4 addresses are embedded (RFC 6052 section 3.1).
///
/// A host gets a lease before its first packet is translated, through
/// [`TaygaMap::prepare`]; lookups only find leases.
#[derive(Debug, Clone)]
pub struct TaygaMap {
    eamt: Eamt,
    prefix: Option<Pref64>,
    strict: bool,
    pool: Option<Arc<DynamicPool>>,
}

/// What [`TaygaMap::prepare`] did for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// Nothing was needed: the source already maps, or the packet is not
    /// one that gets a lease. Translate it.
    Ready,
    /// The source was given this pool address (a new lease, or a dormant
    /// one woken up). Translate it.
    Leased(Ipv4Addr),
    /// The source needed a lease and the pool refused: answer with
    /// [`Translator::refuse`](crate::Translator::refuse).
    Refused(PoolError),
}

impl TaygaMap {
    /// The mapping of static `eamt` entries, an optional `prefix` (strict
    /// about the well-known prefix when `wkpf_strict`) and an optional
    /// pool, which the caller shares to feed it the time and save it.
    pub fn new(
        eamt: Eamt,
        prefix: Option<Pref64>,
        wkpf_strict: bool,
        pool: Option<Arc<DynamicPool>>,
    ) -> Self {
        TaygaMap {
            eamt,
            prefix,
            strict: wkpf_strict,
            pool,
        }
    }

    /// The dynamic pool.
    pub fn pool(&self) -> Option<&Arc<DynamicPool>> {
        self.pool.as_ref()
    }

    /// The static entries.
    pub fn eamt(&self) -> &Eamt {
        &self.eamt
    }

    fn allowed(&self, v4: Ipv4Addr, prefix: Pref64) -> bool {
        !(self.strict && prefix.is_well_known()) || is_global(v4)
    }

    /// `addr` mapped without the pool.
    fn stateless_v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        if let Some(v4) = self.eamt.v6_to_v4(addr) {
            return Some(v4);
        }
        let prefix = self.prefix?;
        let v4 = prefix.extract(addr).ok()?;
        self.allowed(v4, prefix).then_some(v4)
    }

    /// Gives the source of the IPv6 packet `packet` a lease when it needs
    /// one: it has no mapping of its own, its destination maps, and the
    /// packet is not an ICMPv6 error (whose source gets an RFC 6791
    /// address instead). Call it before translating each IPv6 packet.
    pub fn prepare(&self, packet: &[u8]) -> Prepared {
        let Some(pool) = &self.pool else {
            return Prepared::Ready;
        };
        if packet.len() < 40 || packet[0] >> 4 != 6 {
            return Prepared::Ready;
        }
        let addr = |at: usize| {
            let mut o = [0u8; 16];
            o.copy_from_slice(&packet[at..at + 16]);
            Ipv6Addr::from(o)
        };
        let (src, dst) = (addr(8), addr(24));
        if self.stateless_v6_to_v4(src).is_some() || pool.lookup_v6(src).is_some() {
            return Prepared::Ready;
        }
        if self.stateless_v6_to_v4(dst).is_none() {
            return Prepared::Ready;
        }
        // ICMPv6 errors (types below 128) right after the header.
        if packet[6] == 58 && packet.get(40).is_some_and(|&ty| ty < 128) {
            return Prepared::Ready;
        }
        match pool.allocate(src) {
            Ok(v4) => Prepared::Leased(v4),
            Err(PoolError::NotAHost(_)) => Prepared::Ready,
            Err(e) => Prepared::Refused(e),
        }
    }
}

impl Mapping for TaygaMap {
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        self.stateless_v6_to_v4(addr)
            .or_else(|| self.pool.as_ref()?.lookup_v6(addr))
    }

    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        if let Some(v6) = self.eamt.v4_to_v6(addr) {
            return Some(v6);
        }
        if let Some(pool) = self.pool.as_ref().filter(|p| p.contains(addr)) {
            return pool.lookup_v4(addr);
        }
        let prefix = self.prefix?;
        self.allowed(addr, prefix).then(|| prefix.embed(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping(src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 8, 58, 64];
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(&[128, 0, 0, 0, 0, 1, 0, 1]);
        p
    }

    fn map() -> TaygaMap {
        let mut eamt = Eamt::new();
        eamt.add(
            "198.51.100.10/32".parse().unwrap(),
            "2001:db8:1::10/128".parse().unwrap(),
        )
        .unwrap();
        let pool = DynamicPool::new("198.51.100.0/30".parse().unwrap());
        pool.set_now(1000);
        TaygaMap::new(eamt, Some(Pref64::WELL_KNOWN), true, Some(Arc::new(pool)))
    }

    #[test]
    fn tayga_order_static_then_prefix_then_pool() {
        let m = map();
        let host: Ipv6Addr = "2001:db8:1::2".parse().unwrap();
        let server: Ipv6Addr = "64:ff9b::808:808".parse().unwrap();
        let stat = Ipv4Addr::new(198, 51, 100, 10);
        assert_eq!(m.v6_to_v4("2001:db8:1::10".parse().unwrap()), Some(stat));
        assert_eq!(m.v4_to_v6(stat), Some("2001:db8:1::10".parse().unwrap()));
        assert_eq!(m.v6_to_v4(server), Some(Ipv4Addr::new(8, 8, 8, 8)));
        // Non-global addresses stay out of the well-known prefix.
        assert_eq!(m.v4_to_v6(Ipv4Addr::new(192, 0, 2, 1)), None);
        assert_eq!(m.v6_to_v4(host), None);

        let Prepared::Leased(v4) = m.prepare(&ping(host, server)) else {
            panic!("no lease");
        };
        assert_eq!(m.v6_to_v4(host), Some(v4));
        assert_eq!(m.v4_to_v6(v4), Some(host));
        assert_eq!(m.prepare(&ping(host, server)), Prepared::Ready);
        // An unleased pool address maps to nothing, not into the prefix.
        let other = Ipv4Addr::new(198, 51, 100, 1 + (v4.octets()[3] % 2));
        assert_eq!(m.v4_to_v6(other), None);
    }

    #[test]
    fn prepare_leases_only_when_the_packet_can_be_translated() {
        let m = map();
        let host: Ipv6Addr = "2001:db8:1::2".parse().unwrap();
        // The destination does not map: no lease.
        let nowhere: Ipv6Addr = "2001:db8:99::1".parse().unwrap();
        assert_eq!(m.prepare(&ping(host, nowhere)), Prepared::Ready);
        // An ICMPv6 error: no lease.
        let mut err = ping(host, "64:ff9b::808:808".parse().unwrap());
        err[40] = 1;
        assert_eq!(m.prepare(&err), Prepared::Ready);
        // IPv4 and short packets are not its business.
        assert_eq!(m.prepare(&[0x45; 20]), Prepared::Ready);
        assert_eq!(m.prepare(&[0x60; 10]), Prepared::Ready);
        assert_eq!(m.pool().unwrap().leases().len(), 0);
    }

    #[test]
    fn exhaustion_is_refused() {
        let m = map();
        let server: Ipv6Addr = "64:ff9b::808:808".parse().unwrap();
        let mut results = Vec::new();
        for i in 1..=3u16 {
            let host = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 1, i);
            results.push(m.prepare(&ping(host, server)));
        }
        assert!(matches!(results[0], Prepared::Leased(_)));
        assert!(matches!(results[1], Prepared::Leased(_)));
        assert_eq!(results[2], Prepared::Refused(PoolError::Exhausted));
    }

    #[test]
    fn lenient_well_known_prefix_embeds_everything() {
        let m = TaygaMap::new(Eamt::new(), Some(Pref64::WELL_KNOWN), false, None);
        let v4 = Ipv4Addr::new(192, 0, 2, 1);
        assert_eq!(m.v4_to_v6(v4), Some("64:ff9b::c000:201".parse().unwrap()));
        assert_eq!(m.prepare(&[0x60; 60]), Prepared::Ready);
    }
}
