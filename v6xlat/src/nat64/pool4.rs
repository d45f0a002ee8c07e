//! pool4: the IPv4 transport addresses a stateful NAT64 hands out
//! (RFC 6146 section 3.5.1.1), and how a new BIB entry picks one
//! (RFC 6056 section 3.3.3, "algorithm 3").

use core::hash::{Hash, Hasher};
use core::net::{Ipv4Addr, Ipv6Addr};
use core::ops::RangeInclusive;
use std::hash::DefaultHasher;

use ipnet::Ipv4Net;

use super::Protocol;

/// The ports Jool gives a pool4 entry when none are named, the IANA
/// dynamic range without the ports Linux uses for its own connections.
pub const DEFAULT_PORTS: RangeInclusive<u16> = 61001..=65535;

/// One address with a range of ports (or ICMP identifiers) for one protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    addr: Ipv4Addr,
    first: u16,
    last: u16,
}

impl Entry {
    fn len(&self) -> u32 {
        u32::from(self.last - self.first) + 1
    }
}

/// The IPv4 transport addresses of a stateful NAT64, per protocol: a set
/// of addresses, each with a range of TCP ports, UDP ports and ICMP
/// identifiers (RFC 6146 section 3.5.1.1, Jool's "pool4").
///
/// ```
/// use v6xlat::nat64::{Pool4, Protocol};
///
/// let mut pool = Pool4::new();
/// // 192.0.2.2, ports 1-3000, for TCP, UDP and ICMP.
/// pool.add(None, "192.0.2.2/32".parse().unwrap(), 1..=3000).unwrap();
/// assert!(pool.contains_addr("192.0.2.2".parse().unwrap()));
/// assert_eq!(pool.capacity(Protocol::Udp), 3000);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pool4 {
    entries: [Vec<Entry>; 3],
    sizes: [u64; 3],
}

/// A pool4 entry that cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pool4Error {
    /// The port range is empty (first above last).
    #[error("empty port range {0}-{1}")]
    EmptyRange(u16, u16),
    /// Port 0 is not a TCP or UDP port.
    #[error("port 0 is not a usable TCP or UDP port")]
    PortZero,
    /// The entry overlaps one already in the pool.
    #[error("{0} ports {1}-{2} overlap an existing pool4 entry")]
    Overlap(Ipv4Addr, u16, u16),
    /// More than 65,536 addresses in one entry.
    #[error("{0} has more addresses than pool4 accepts in one entry (65536)")]
    TooLarge(Ipv4Net),
}

impl Pool4 {
    /// An empty pool.
    pub fn new() -> Self {
        Pool4::default()
    }

    /// Adds every address of `addrs` with `ports` for `protocol`, or for
    /// TCP, UDP and ICMP when `protocol` is `None` (Jool's `pool4 add`).
    /// For ICMP the range is one of Echo identifiers.
    pub fn add(
        &mut self,
        protocol: Option<Protocol>,
        addrs: Ipv4Net,
        ports: RangeInclusive<u16>,
    ) -> Result<(), Pool4Error> {
        let (first, last) = (*ports.start(), *ports.end());
        if first > last {
            return Err(Pool4Error::EmptyRange(first, last));
        }
        if addrs.prefix_len() < 16 {
            return Err(Pool4Error::TooLarge(addrs));
        }
        let protocols: &[Protocol] = match protocol {
            Some(ref p) => core::slice::from_ref(p),
            None => &Protocol::ALL,
        };
        for &p in protocols {
            if first == 0 && p != Protocol::Icmp {
                return Err(Pool4Error::PortZero);
            }
            for addr in every_addr(addrs) {
                let clash = self.entries[p.index()]
                    .iter()
                    .any(|e| e.addr == addr && e.first <= last && first <= e.last);
                if clash {
                    return Err(Pool4Error::Overlap(addr, first, last));
                }
            }
        }
        for &p in protocols {
            for addr in every_addr(addrs) {
                let e = Entry { addr, first, last };
                self.sizes[p.index()] += u64::from(e.len());
                self.entries[p.index()].push(e);
            }
        }
        Ok(())
    }

    /// Whether `addr` is one of the pool's addresses, for any protocol.
    pub fn contains_addr(&self, addr: Ipv4Addr) -> bool {
        self.entries.iter().flatten().any(|e| e.addr == addr)
    }

    /// The addresses of the pool for `protocol`.
    pub fn addrs(&self, protocol: Protocol) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.entries[protocol.index()].iter().map(|e| e.addr)
    }

    /// Whether `addr`:`port` belongs to the pool for `protocol`.
    pub fn contains(&self, protocol: Protocol, addr: Ipv4Addr, port: u16) -> bool {
        self.entries[protocol.index()]
            .iter()
            .any(|e| e.addr == addr && (e.first..=e.last).contains(&port))
    }

    /// How many transport addresses the pool has for `protocol`.
    pub fn capacity(&self, protocol: Protocol) -> u64 {
        self.sizes[protocol.index()]
    }

    /// Whether the pool has no address at all.
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(Vec::is_empty)
    }

    /// The ports of entry `e` in `class`: below 1024 (`Some(true)`), from
    /// 1024 (`Some(false)`) or all (`None`); `None` when there are none.
    fn part(e: &Entry, class: Option<bool>) -> Option<(u16, u16)> {
        let (first, last) = match class {
            None => (e.first, e.last),
            Some(true) => (e.first, e.last.min(1023)),
            Some(false) => (e.first.max(1024), e.last),
        };
        (first <= last).then_some((first, last))
    }

    /// The entries of `protocol` with the address `addr`, or all.
    fn with_addr(
        &self,
        protocol: Protocol,
        addr: Option<Ipv4Addr>,
    ) -> impl Iterator<Item = &Entry> {
        self.entries[protocol.index()]
            .iter()
            .filter(move |e| addr.is_none_or(|a| e.addr == a))
    }

    /// How many transport addresses of `protocol` with the address `addr`
    /// (or any) are in `class`.
    fn class_len(&self, protocol: Protocol, addr: Option<Ipv4Addr>, class: Option<bool>) -> u64 {
        self.with_addr(protocol, addr)
            .filter_map(|e| Self::part(e, class))
            .map(|(f, l)| u64::from(l - f) + 1)
            .sum()
    }

    /// The `i`-th transport address of `protocol` with the address `addr`
    /// (or any) in `class`, counting through the entries in the order they
    /// were added.
    fn nth(
        &self,
        protocol: Protocol,
        addr: Option<Ipv4Addr>,
        class: Option<bool>,
        mut i: u64,
    ) -> (Ipv4Addr, u16) {
        for e in self.with_addr(protocol, addr) {
            let Some((first, last)) = Self::part(e, class) else {
                continue;
            };
            let n = u64::from(last - first) + 1;
            if i < n {
                return (e.addr, first + i as u16);
            }
            i -= n;
        }
        unreachable!("index beyond the pool's capacity")
    }

    /// Chooses a free transport address for a new BIB entry of
    /// `protocol` from `src`:`sport` (first packet to `dst`:`dport`).
    ///
    /// RFC 6056 section 3.3.3 (algorithm 3): the search starts at an offset
    /// given by a keyed hash of the packet's fields that `hash` selects and
    /// of `secret`, so that different hosts spread over the pool and an
    /// outsider cannot predict the port, and walks the pool from there.
    /// Within the walk, RFC 6146 section 3.5.1.1 and RFC 4787 sections
    /// 4.2.1 and 4.2.2 ask to keep the port's range (below 1024 or not) and
    /// parity: the first free address that keeps both wins, else the first
    /// free one. `in_use` says whether an address is taken. At most `limit`
    /// addresses are tried.
    ///
    /// With `paired`, the address the IPv6 host already has, the search
    /// looks at that address first (RFC 4787 REQ-2, "paired" pooling, which
    /// RFC 6146 section 3.5.1.1 asks for): a host keeps one IPv4 address.
    ///
    /// `next` is algorithm 3's `next_ephemeral`, a counter kept by the
    /// caller and advanced with every address tried: the next search for
    /// the same hash starts after the addresses this one took, instead of
    /// stepping over all of them again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn allocate(
        &self,
        protocol: Protocol,
        src: Ipv6Addr,
        sport: u16,
        dst: Ipv4Addr,
        dport: u16,
        hash: PortHash,
        secret: u64,
        limit: u64,
        paired: Option<Ipv4Addr>,
        next: &mut u64,
        in_use: impl Fn(Ipv4Addr, u16) -> bool,
    ) -> Option<(Ipv4Addr, u16)> {
        if self.capacity(protocol) == 0 {
            return None;
        }
        let mut h = DefaultHasher::new();
        secret.hash(&mut h);
        protocol.index().hash(&mut h);
        if hash.src_addr {
            src.hash(&mut h);
        }
        if hash.src_port {
            sport.hash(&mut h);
        }
        if hash.dst_addr {
            dst.hash(&mut h);
        }
        if hash.dst_port {
            dport.hash(&mut h);
        }
        let offset = h.finish();
        // The paired address first; within it, first the ports that keep
        // the range and parity (RFC 4787 sections 4.2.1 and 4.2.2), then any.
        let class = (protocol != Protocol::Icmp).then_some(sport < 1024);
        let addrs = if paired.is_some() {
            &[paired, None][..]
        } else {
            &[None][..]
        };
        let mut tries = limit;
        for &addr in addrs {
            for class in [class, None] {
                let n = self.class_len(protocol, addr, class);
                if n == 0 {
                    continue;
                }
                for _ in 0..n.min(tries) {
                    let i = offset.wrapping_add(*next) % n;
                    let (a, port) = self.nth(protocol, addr, class, i);
                    *next = next.wrapping_add(1);
                    tries -= 1;
                    let parity = class.is_none() || port % 2 == sport % 2;
                    if parity && !in_use(a, port) {
                        return Some((a, port));
                    }
                }
                if class.is_none() {
                    break;
                }
            }
        }
        None
    }
}

/// Every address of `net`, network and broadcast included: pool4 takes
/// them all, as Jool does.
fn every_addr(net: Ipv4Net) -> impl Iterator<Item = Ipv4Addr> {
    (net.network().to_bits()..=net.broadcast().to_bits()).map(Ipv4Addr::from_bits)
}

/// Which fields of a new flow's first packet choose where the pool4
/// search starts (RFC 6056 section 3.3.3's F(); Jool's `f-args`). The
/// default is Jool's: source address, destination address and port, so
/// that one host's flows to one server share no port while different
/// hosts spread over the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortHash {
    /// The IPv6 source address.
    pub src_addr: bool,
    /// The IPv6 source port (or ICMP identifier).
    pub src_port: bool,
    /// The IPv4 destination address.
    pub dst_addr: bool,
    /// The destination port.
    pub dst_port: bool,
}

impl Default for PortHash {
    fn default() -> Self {
        PortHash {
            src_addr: true,
            src_port: false,
            dst_addr: true,
            dst_port: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn pool() -> Pool4 {
        let mut p = Pool4::new();
        p.add(None, "192.0.2.2/32".parse().unwrap(), 1..=3000)
            .unwrap();
        p
    }

    #[test]
    fn add_rejects_bad_entries() {
        let mut p = pool();
        let a: Ipv4Net = "192.0.2.2/32".parse().unwrap();
        assert_eq!(
            p.add(None, a, 3000..=3001),
            Err(Pool4Error::Overlap(
                "192.0.2.2".parse().unwrap(),
                3000,
                3001
            ))
        );
        assert_eq!(
            p.add(None, a, RangeInclusive::new(10, 9)),
            Err(Pool4Error::EmptyRange(10, 9))
        );
        assert_eq!(
            p.add(Some(Protocol::Udp), a, 0..=9),
            Err(Pool4Error::PortZero)
        );
        p.add(Some(Protocol::Tcp), a, 3001..=4000).unwrap();
        assert_eq!(p.capacity(Protocol::Tcp), 4000);
        assert_eq!(p.capacity(Protocol::Udp), 3000);
        assert!(p.contains(Protocol::Tcp, a.addr(), 3500));
        assert!(!p.contains(Protocol::Udp, a.addr(), 3500));
        let mut q = Pool4::new();
        q.add(Some(Protocol::Icmp), a, 0..=10).unwrap();
        assert_eq!(q.capacity(Protocol::Icmp), 11);
    }

    #[test]
    fn allocation_keeps_parity_and_range_and_is_deterministic() {
        let p = pool();
        let src: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let dst: Ipv4Addr = "198.51.100.7".parse().unwrap();
        let h = PortHash::default();
        let allocate = |sport| {
            p.allocate(
                Protocol::Udp,
                src,
                sport,
                dst,
                80,
                h,
                7,
                u64::MAX,
                None,
                &mut 0,
                |_, _| false,
            )
        };
        for sport in [1u16, 2, 1023, 1024, 40000, 40001] {
            let (a, port) = allocate(sport).unwrap();
            assert_eq!(a, "192.0.2.2".parse::<Ipv4Addr>().unwrap());
            assert_eq!(port % 2, sport % 2);
            assert_eq!(port < 1024, sport < 1024);
            assert_eq!(allocate(sport), Some((a, port)));
        }
    }

    #[test]
    fn hosts_spread_and_a_full_pool_gives_nothing() {
        let mut p = Pool4::new();
        p.add(
            Some(Protocol::Udp),
            "192.0.2.2/32".parse().unwrap(),
            5000..=5009,
        )
        .unwrap();
        let dst: Ipv4Addr = "198.51.100.7".parse().unwrap();
        let h = PortHash::default();
        // A UDP flow to port 53 of `dst`, with the ports `in_use` taken.
        let allocate = |src, sport, in_use: &dyn Fn(Ipv4Addr, u16) -> bool| {
            p.allocate(
                Protocol::Udp,
                src,
                sport,
                dst,
                53,
                h,
                1,
                u64::MAX,
                None,
                &mut 0,
                in_use,
            )
        };
        let starts: HashSet<u16> = (1..50u16)
            .map(|i| {
                let src = Ipv6Addr::from_bits(0x2001_0db8 << 96 | u128::from(i));
                allocate(src, 5000, &|_, _| false).unwrap().1
            })
            .collect();
        assert!(starts.len() >= 4, "{starts:?}");
        // Only odd ports are free: an even source port gets one anyway.
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let (_, port) = allocate(src, 2000, &|_, port| port % 2 == 0).unwrap();
        assert_eq!(port % 2, 1);
        assert_eq!(allocate(src, 2000, &|_, _| true), None);
    }

    /// RFC 6056 algorithm 3: with the counter, flows that hash alike take
    /// successive ports, each search trying one or two, however many are
    /// taken.
    #[test]
    fn the_counter_moves_searches_on() {
        let p = pool();
        let src: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let dst: Ipv4Addr = "198.51.100.7".parse().unwrap();
        let h = PortHash::default();
        let taken = std::cell::RefCell::new(HashSet::new());
        let mut next = 0;
        for i in 0..900u64 {
            let before = next;
            let (_, port) = p
                .allocate(
                    Protocol::Tcp,
                    src,
                    40000,
                    dst,
                    80,
                    h,
                    7,
                    u64::MAX,
                    None,
                    &mut next,
                    |_, port| taken.borrow().contains(&port),
                )
                .unwrap();
            assert!(taken.borrow_mut().insert(port));
            assert!(
                next - before <= 2,
                "search {i} tried {} ports",
                next - before
            );
        }
    }

    /// RFC 4787 REQ-2: a host that has an address keeps it while it has
    /// free ports.
    #[test]
    fn a_host_keeps_its_address() {
        let mut p = Pool4::new();
        p.add(None, "192.0.2.0/29".parse().unwrap(), 1024..=1100)
            .unwrap();
        let src: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let h = PortHash::default();
        let paired: Ipv4Addr = "192.0.2.3".parse().unwrap();
        for d in 0..50u8 {
            let dst = Ipv4Addr::new(198, 51, 100, d);
            let (a, _) = p
                .allocate(
                    Protocol::Udp,
                    src,
                    5000,
                    dst,
                    53,
                    h,
                    1,
                    u64::MAX,
                    Some(paired),
                    &mut 0,
                    |_, _| false,
                )
                .unwrap();
            assert_eq!(a, paired);
        }
        // When its address is full, another one.
        let (a, _) = p
            .allocate(
                Protocol::Udp,
                src,
                5000,
                "198.51.100.1".parse().unwrap(),
                53,
                h,
                1,
                u64::MAX,
                Some(paired),
                &mut 0,
                |a, _| a == paired,
            )
            .unwrap();
        assert_ne!(a, paired);
    }
}
