//! Tayga's dynamic pool: IPv4 addresses handed to IPv6 hosts as they start
//! flows, remembered across restarts and reclaimed after inactivity.
//!
//! [`DynamicPool`] decides which address a host gets and when a lease
//! lapses; it does no I/O and reads no clock. The caller feeds it the time
//! ([`DynamicPool::set_now`], seconds since the Unix epoch, as Tayga stores
//! them), stores [`DynamicPool::leases`] in `data-dir` with
//! [`format_leases`] and reads them back with [`parse_leases`].
//!
//! The life of a lease follows Tayga's `dynamic.c`:
//!
//! - A host without a lease gets the free address its IPv6 address hashes
//!   to, or the next free one after it, so that a host tends to get the same
//!   address even without a data directory.
//! - A lease that has not been used for [`DynamicPool::min_lease`] seconds
//!   becomes *dormant*: the address no longer reaches the host, but it stays
//!   set aside for it, and the host gets it back when it returns.
//! - When no address is free, the dormant lease unused for longest is given
//!   to the new host. A dormant lease unused for [`DynamicPool::max_lease`]
//!   seconds is forgotten.
//!
//! Lookups take a read lock and never allocate; only a new lease takes the
//! write lock. Use is recorded with relaxed atomics, so that several
//! threads translating at once do not serialise on the pool.

use core::net::{Ipv4Addr, Ipv6Addr};
use core::sync::atomic::{AtomicU64, Ordering};
use std::collections::{HashMap, HashSet};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ipnet::Ipv4Net;

/// Tayga's default for [`DynamicPool::min_lease`]: "just over two hours".
pub const DEFAULT_MIN_LEASE: u64 = 7200 + 4 * 60;
/// Tayga's default for [`DynamicPool::max_lease`]: fourteen days.
pub const DEFAULT_MAX_LEASE: u64 = 14 * 86400;

/// The name of the lease file in Tayga's `data-dir`.
pub const LEASE_FILE: &str = "dynamic.map";

/// Why the pool could not give a host an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Every address is leased to an active host.
    #[error("the dynamic pool is exhausted")]
    Exhausted,
    /// The IPv6 address cannot be a host (unspecified, loopback, multicast,
    /// link-local or IPv4-mapped), as Tayga's `validate_ip6_addr` says.
    #[error("{0} cannot have a dynamic address")]
    NotAHost(Ipv6Addr),
}

/// One lease: which IPv6 host holds which pool address, and when it was
/// last used (seconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The pool address.
    pub v4: Ipv4Addr,
    /// The IPv6 host.
    pub v6: Ipv6Addr,
    /// When a packet last used the lease.
    pub last_use: u64,
}

/// What [`DynamicPool::restore`] did with saved leases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// Leases taken back, active or dormant.
    pub loaded: usize,
    /// Leases ignored: outside the pool, on a reserved address, for an
    /// address that cannot be a host, or in conflict with an earlier one.
    pub ignored: usize,
}

/// What [`DynamicPool::expire`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expired {
    /// Leases that became dormant: their addresses no longer reach the host.
    pub dormant: Vec<Lease>,
    /// Dormant leases forgotten after [`DynamicPool::max_lease`].
    pub forgotten: Vec<Lease>,
}

/// A lease in the table.
#[derive(Debug)]
struct Entry {
    v4: Ipv4Addr,
    last_use: AtomicU64,
    active: bool,
}

#[derive(Debug, Default)]
struct Table {
    by_v6: HashMap<Ipv6Addr, Entry>,
    by_v4: HashMap<Ipv4Addr, Ipv6Addr>,
    reserved: HashSet<Ipv4Addr>,
    /// Set when a lease was made, moved or forgotten since the last
    /// [`DynamicPool::take_changed`].
    changed: bool,
}

/// The dynamic pool of a NAT64 translator (Tayga's `dynamic-pool`).
#[derive(Debug)]
pub struct DynamicPool {
    net: Ipv4Net,
    min_lease: u64,
    max_lease: u64,
    now: AtomicU64,
    table: RwLock<Table>,
}

impl DynamicPool {
    /// An empty pool over `net`, with Tayga's lease times.
    ///
    /// Every address of `net` can be leased except, for prefixes shorter
    /// than /31, its network and broadcast addresses, and those later
    /// passed to [`DynamicPool::reserve`].
    pub fn new(net: Ipv4Net) -> Self {
        DynamicPool {
            net: net.trunc(),
            min_lease: DEFAULT_MIN_LEASE,
            max_lease: DEFAULT_MAX_LEASE,
            now: AtomicU64::new(0),
            table: RwLock::new(Table::default()),
        }
    }

    /// Sets how long a lease stays active without use, and how long a
    /// dormant lease is remembered (both in seconds; `max` is raised to
    /// `min` if it is lower).
    pub fn with_lease_times(mut self, min: u64, max: u64) -> Self {
        self.min_lease = min;
        self.max_lease = max.max(min);
        self
    }

    /// The pool's prefix.
    pub fn net(&self) -> Ipv4Net {
        self.net
    }

    /// Seconds without use after which a lease becomes dormant.
    pub fn min_lease(&self) -> u64 {
        self.min_lease
    }

    /// Seconds without use after which a dormant lease is forgotten.
    pub fn max_lease(&self) -> u64 {
        self.max_lease
    }

    /// Sets the current time, in seconds since the Unix epoch. Lookups
    /// record this time as the last use of the lease they find.
    pub fn set_now(&self, now: u64) {
        self.now.store(now, Ordering::Relaxed);
    }

    /// The time last given to [`DynamicPool::set_now`].
    pub fn now(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn read(&self) -> RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the addresses that are never leased (the translator's own
    /// address, the IPv4 side of static `map` lines), replacing the earlier
    /// set. A lease on a newly reserved address is dropped; the dropped
    /// leases are returned.
    pub fn reserve(&self, addrs: impl IntoIterator<Item = Ipv4Addr>) -> Vec<Lease> {
        let mut t = self.write();
        t.reserved = addrs.into_iter().collect();
        let taken: Vec<Ipv4Addr> = t
            .by_v4
            .keys()
            .copied()
            .filter(|a| t.reserved.contains(a))
            .collect();
        let mut dropped = Vec::new();
        for v4 in taken {
            if let Some(v6) = t.by_v4.remove(&v4) {
                if let Some(e) = t.by_v6.remove(&v6) {
                    dropped.push(lease(v6, &e));
                }
            }
        }
        if !dropped.is_empty() {
            t.changed = true;
        }
        dropped
    }

    /// Whether `v4` lies in the pool's prefix.
    pub fn contains(&self, v4: Ipv4Addr) -> bool {
        self.net.contains(&v4)
    }

    /// The address actively leased to `v6`, recording the use.
    pub fn lookup_v6(&self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let t = self.read();
        let e = t.by_v6.get(&v6).filter(|e| e.active)?;
        self.touch(e);
        Some(e.v4)
    }

    /// The host that actively holds `v4`, recording the use.
    pub fn lookup_v4(&self, v4: Ipv4Addr) -> Option<Ipv6Addr> {
        if !self.contains(v4) {
            return None;
        }
        let t = self.read();
        let v6 = *t.by_v4.get(&v4)?;
        let e = t.by_v6.get(&v6).filter(|e| e.active)?;
        self.touch(e);
        Some(v6)
    }

    fn touch(&self, e: &Entry) {
        let now = self.now();
        // Only write when the second changed: the cache line stays shared
        // between threads for the rest of the second.
        if e.last_use.load(Ordering::Relaxed) < now {
            e.last_use.store(now, Ordering::Relaxed);
        }
    }

    /// Gives `v6` an address: its active lease, its dormant one, a free
    /// address (starting where its IPv6 address hashes to), or the oldest
    /// dormant lease of another host, in this order.
    pub fn allocate(&self, v6: Ipv6Addr) -> Result<Ipv4Addr, PoolError> {
        if !is_host(v6) {
            return Err(PoolError::NotAHost(v6));
        }
        let now = self.now();
        let mut guard = self.write();
        let t = &mut *guard;
        if let Some(e) = t.by_v6.get_mut(&v6) {
            if !e.active {
                e.active = true;
                t.changed = true;
            }
            e.last_use.store(now, Ordering::Relaxed);
            return Ok(e.v4);
        }
        let v4 = match self.free_address(t, v6) {
            Some(v4) => v4,
            None => {
                // The dormant lease unused for longest.
                let (old6, _) = t
                    .by_v6
                    .iter()
                    .filter(|(_, e)| !e.active)
                    .map(|(k, e)| (*k, e.last_use.load(Ordering::Relaxed)))
                    .min_by_key(|&(k, used)| (used, k))
                    .ok_or(PoolError::Exhausted)?;
                let old = t.by_v6.remove(&old6).ok_or(PoolError::Exhausted)?;
                t.by_v4.remove(&old.v4);
                old.v4
            }
        };
        t.by_v6.insert(
            v6,
            Entry {
                v4,
                last_use: AtomicU64::new(now),
                active: true,
            },
        );
        t.by_v4.insert(v4, v6);
        t.changed = true;
        Ok(v4)
    }

    /// The first free address at or after the one `v6` hashes to.
    fn free_address(&self, t: &Table, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let host_bits = 32 - u32::from(self.net.prefix_len());
        let size: u64 = 1 << host_bits;
        let base = self.net.network().to_bits();
        let start = u64::from(hash(v6)) % size;
        (0..size)
            .map(|i| Ipv4Addr::from_bits(base + ((start + i) % size) as u32))
            .find(|a| {
                let edge =
                    host_bits > 1 && (*a == self.net.network() || *a == self.net.broadcast());
                !edge && !t.reserved.contains(a) && !t.by_v4.contains_key(a)
            })
    }

    /// Moves leases unused for [`DynamicPool::min_lease`] to dormant and
    /// forgets dormant ones unused for [`DynamicPool::max_lease`], as of
    /// the current time. Call it every few seconds.
    pub fn expire(&self) -> Expired {
        let now = self.now();
        let mut out = Expired::default();
        let mut t = self.write();
        let mut forget = Vec::new();
        for (v6, e) in t.by_v6.iter_mut() {
            let used = e.last_use.load(Ordering::Relaxed);
            if e.active && used.saturating_add(self.min_lease) < now {
                e.active = false;
                out.dormant.push(lease(*v6, e));
            }
            if !e.active && used.saturating_add(self.max_lease) < now {
                forget.push(*v6);
            }
        }
        for v6 in forget {
            if let Some(e) = t.by_v6.remove(&v6) {
                t.by_v4.remove(&e.v4);
                out.forgotten.push(lease(v6, &e));
            }
        }
        if !out.dormant.is_empty() || !out.forgotten.is_empty() {
            t.changed = true;
        }
        out
    }

    /// Takes back saved leases (from [`parse_leases`]) into an empty or
    /// partly filled pool, as of the current time: a lease used within
    /// [`DynamicPool::min_lease`] is active again, an older one dormant, one
    /// older than [`DynamicPool::max_lease`] is dropped. Leases dated in the
    /// future (the clock went back) come back dormant.
    pub fn restore(&self, leases: impl IntoIterator<Item = Lease>) -> Restored {
        let now = self.now();
        let mut r = Restored::default();
        let mut t = self.write();
        for l in leases {
            let edge = self.net.prefix_len() < 31
                && (l.v4 == self.net.network() || l.v4 == self.net.broadcast());
            if !self.contains(l.v4)
                || edge
                || t.reserved.contains(&l.v4)
                || !is_host(l.v6)
                || t.by_v4.contains_key(&l.v4)
                || t.by_v6.contains_key(&l.v6)
                || l.last_use.saturating_add(self.max_lease) < now
            {
                r.ignored += 1;
                continue;
            }
            let (last_use, active) = if l.last_use > now {
                (now.saturating_sub(self.min_lease), false)
            } else {
                (l.last_use, l.last_use.saturating_add(self.min_lease) >= now)
            };
            t.by_v6.insert(
                l.v6,
                Entry {
                    v4: l.v4,
                    last_use: AtomicU64::new(last_use),
                    active,
                },
            );
            t.by_v4.insert(l.v4, l.v6);
            r.loaded += 1;
        }
        r
    }

    /// Every lease, active and dormant, ordered by pool address.
    pub fn leases(&self) -> Vec<Lease> {
        let t = self.read();
        let mut v: Vec<Lease> = t.by_v6.iter().map(|(v6, e)| lease(*v6, e)).collect();
        v.sort_by_key(|l| l.v4);
        v
    }

    /// The number of active leases.
    pub fn active(&self) -> usize {
        self.read().by_v6.values().filter(|e| e.active).count()
    }

    /// Whether a lease was made, went dormant or was forgotten since the
    /// last call: the caller saves the leases then.
    pub fn take_changed(&self) -> bool {
        core::mem::take(&mut self.write().changed)
    }
}

fn lease(v6: Ipv6Addr, e: &Entry) -> Lease {
    Lease {
        v4: e.v4,
        v6,
        last_use: e.last_use.load(Ordering::Relaxed),
    }
}

/// Whether `a` can be an IPv6 host that gets a pool address (Tayga's
/// `validate_ip6_addr`).
fn is_host(a: Ipv6Addr) -> bool {
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_multicast()
        || a.is_unicast_link_local()
        || a.to_ipv4_mapped().is_some())
}

/// Tayga's hash of an IPv6 address onto the pool: the sum of its four
/// 32-bit words (folding happens modulo the pool size).
fn hash(a: Ipv6Addr) -> u32 {
    let o = a.octets();
    o.chunks_exact(4)
        .map(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
        .fold(0u32, u32::wrapping_add)
}

/// A line of a lease file that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: malformed lease \"{text}\"")]
pub struct LeaseLineError {
    /// The line number, from 1.
    pub line: usize,
    /// The line.
    pub text: String,
}

/// Reads Tayga's `dynamic.map`: one lease per line, `ipv4 ipv6 last-use`,
/// `#` comments. Malformed lines are returned beside the good leases, as
/// Tayga ignores them with a message.
pub fn parse_leases(text: &str) -> (Vec<Lease>, Vec<LeaseLineError>) {
    let mut leases = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut tokens = line.split_whitespace();
        let Some(first) = tokens.next().filter(|t| !t.starts_with('#')) else {
            continue;
        };
        let parsed = (|| {
            let v4 = first.parse().ok()?;
            let v6 = tokens.next()?.parse().ok()?;
            let last_use: u64 = tokens.next()?.parse().ok()?;
            (tokens.next().is_none() && last_use > 0).then_some(Lease { v4, v6, last_use })
        })();
        match parsed {
            Some(l) => leases.push(l),
            None => errors.push(LeaseLineError {
                line: i + 1,
                text: line.chars().take(200).collect(),
            }),
        }
    }
    (leases, errors)
}

/// Writes leases in Tayga's `dynamic.map` format.
pub fn format_leases(leases: &[Lease]) -> String {
    let mut out = String::from(
        "###\n### dynamic map database (Tayga's format)\n###\n\
         ### You can edit this (carefully!) as long as you stop the translator first\n###\n\n",
    );
    for l in leases {
        out.push_str(&format!("{}\t{}\t{}\n", l.v4, l.v6, l.last_use));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(i: u16) -> Ipv6Addr {
        Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, i)
    }

    fn pool(net: &str) -> DynamicPool {
        let p = DynamicPool::new(net.parse().unwrap()).with_lease_times(100, 1000);
        p.set_now(1_000_000);
        p
    }

    #[test]
    fn a_host_keeps_its_address_and_the_address_leads_back() {
        let p = pool("198.51.100.0/24");
        let a = p.allocate(host(1)).unwrap();
        assert!(p.contains(a));
        assert_ne!(a, Ipv4Addr::new(198, 51, 100, 0));
        assert_ne!(a, Ipv4Addr::new(198, 51, 100, 255));
        assert_eq!(p.allocate(host(1)), Ok(a));
        assert_eq!(p.lookup_v6(host(1)), Some(a));
        assert_eq!(p.lookup_v4(a), Some(host(1)));
        let b = p.allocate(host(2)).unwrap();
        assert_ne!(a, b);
        assert!(p.take_changed());
        assert!(!p.take_changed());
        assert_eq!(p.lookup_v6(host(3)), None);
    }

    #[test]
    fn the_hash_picks_the_same_address_in_a_fresh_pool() {
        let a = pool("198.51.100.0/24").allocate(host(7)).unwrap();
        assert_eq!(pool("198.51.100.0/24").allocate(host(7)), Ok(a));
    }

    #[test]
    fn reserved_and_edge_addresses_are_never_leased() {
        // A /30: 4 addresses, network and broadcast excluded, one reserved.
        let p = pool("198.51.100.0/30");
        p.reserve([Ipv4Addr::new(198, 51, 100, 1)]);
        assert_eq!(p.allocate(host(1)), Ok(Ipv4Addr::new(198, 51, 100, 2)));
        assert_eq!(p.allocate(host(2)), Err(PoolError::Exhausted));
        assert_eq!(
            p.allocate("fe80::1".parse().unwrap()),
            Err(PoolError::NotAHost("fe80::1".parse().unwrap()))
        );
    }

    #[test]
    fn reserving_a_leased_address_drops_the_lease() {
        let p = pool("198.51.100.0/30");
        let a = p.allocate(host(1)).unwrap();
        let dropped = p.reserve([a]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(p.lookup_v6(host(1)), None);
        assert_ne!(p.allocate(host(1)), Ok(a));
    }

    #[test]
    fn leases_go_dormant_come_back_and_are_forgotten_on_a_virtual_clock() {
        let p = pool("198.51.100.0/30"); // two usable addresses
        let t0 = p.now();
        let a = p.allocate(host(1)).unwrap();
        let b = p.allocate(host(2)).unwrap();
        // Host 2 keeps talking; host 1 goes quiet.
        p.set_now(t0 + 90);
        assert_eq!(p.lookup_v4(b), Some(host(2)));
        p.set_now(t0 + 101);
        let e = p.expire();
        assert_eq!(e.dormant.len(), 1);
        assert_eq!(e.dormant[0].v6, host(1));
        assert_eq!(p.lookup_v4(a), None, "a dormant address reaches no one");
        assert_eq!(p.lookup_v6(host(1)), None);
        assert_eq!(p.active(), 1);
        // Host 1 returns and gets its address back.
        assert_eq!(p.allocate(host(1)), Ok(a));
        // Both go quiet; a third host takes the older dormant lease.
        p.set_now(t0 + 300);
        p.expire();
        assert_eq!(p.active(), 0);
        p.set_now(t0 + 301);
        assert!(p.lookup_v6(host(2)).is_none());
        let c = p.allocate(host(3)).unwrap();
        assert_eq!(c, b, "host 2's lease was older");
        assert_eq!(p.allocate(host(4)), Ok(a));
        assert_eq!(p.allocate(host(5)), Err(PoolError::Exhausted));
        // Long after, everything is forgotten.
        p.set_now(t0 + 5000);
        let e = p.expire();
        assert_eq!(e.dormant.len(), 2);
        assert_eq!(e.forgotten.len(), 2);
        assert!(p.leases().is_empty());
    }

    #[test]
    fn leases_survive_a_restart_through_the_file() {
        let p = pool("198.51.100.0/24");
        let a = p.allocate(host(1)).unwrap();
        let b = p.allocate(host(2)).unwrap();
        let text = format_leases(&p.leases());
        let (leases, errors) = parse_leases(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(leases, p.leases());

        let q = pool("198.51.100.0/24");
        q.set_now(p.now() + 50);
        assert_eq!(
            q.restore(leases.clone()),
            Restored {
                loaded: 2,
                ignored: 0
            }
        );
        assert_eq!(q.lookup_v6(host(1)), Some(a));
        assert_eq!(q.lookup_v4(b), Some(host(2)));
        // The same leases again conflict with themselves.
        assert_eq!(q.restore(leases.clone()).ignored, 2);

        // Restored late, they are dormant but still set aside.
        let r = pool("198.51.100.0/24");
        r.set_now(p.now() + 500);
        assert_eq!(r.restore(leases.clone()).loaded, 2);
        assert_eq!(r.lookup_v6(host(1)), None);
        assert_eq!(r.allocate(host(1)), Ok(a));
        // Restored too late, they are gone; outside the pool, ignored.
        let s = pool("198.51.100.0/24");
        s.set_now(p.now() + 5000);
        assert_eq!(s.restore(leases.clone()).ignored, 2);
        let other = pool("203.0.113.0/24");
        assert_eq!(other.restore(leases).ignored, 2);
    }

    #[test]
    fn future_dated_leases_come_back_dormant() {
        let p = pool("198.51.100.0/24");
        let l = Lease {
            v4: Ipv4Addr::new(198, 51, 100, 9),
            v6: host(1),
            last_use: p.now() + 10_000,
        };
        assert_eq!(p.restore([l]).loaded, 1);
        assert_eq!(p.lookup_v6(host(1)), None);
        assert_eq!(p.allocate(host(1)), Ok(l.v4));
    }

    #[test]
    fn lease_file_tolerates_comments_and_reports_bad_lines() {
        let text = "# comment\n\n198.51.100.3 2001:db8::3 1700000000\n\
                    198.51.100.4 2001:db8::4\nbogus line here\n198.51.100.5 2001:db8::5 0\n";
        let (leases, errors) = parse_leases(text);
        assert_eq!(leases.len(), 1);
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [4, 5, 6]);
    }
}
