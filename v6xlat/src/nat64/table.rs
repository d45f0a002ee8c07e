//! The binding information base and the session table (RFC 6146
//! sections 3.1 and 3.2), laid out to be small: a BIB entry and a session
//! are slots in two vectors, found through hash maps of small keys, and
//! every session sits in the list of its timer, oldest first, so that
//! expiry looks only at the sessions that are due.

use core::hash::{Hash, Hasher};
use core::net::{Ipv4Addr, Ipv6Addr};
use std::collections::HashMap as StdMap;

use super::Protocol;
use super::tcp::{TIMERS, TcpState, Timer};

/// The maps of the table: keys that arrive from the network, hashed with a
/// per-process random key (HashDoS), by a hash much faster than SipHash
/// on keys of a few words.
type HashMap<K, V> = StdMap<K, V, ahash::RandomState>;

/// A BIB entry's IPv6 transport address: the address, then protocol and
/// port, hashed as two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key6 {
    addr: Ipv6Addr,
    proto: Protocol,
    port: u16,
}

impl Hash for Key6 {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u128(self.addr.to_bits());
        h.write_u32(u32::from(self.proto as u8) << 16 | u32::from(self.port));
    }
}

/// A BIB entry's IPv4 transport address, hashed as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key4 {
    addr: [u8; 4],
    proto: Protocol,
    port: u16,
}

impl Key4 {
    fn new(proto: Protocol, addr: Ipv4Addr, port: u16) -> Self {
        Key4 {
            addr: addr.octets(),
            proto,
            port,
        }
    }
}

impl Hash for Key4 {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let addr = u64::from(u32::from_be_bytes(self.addr));
        h.write_u64(u64::from(self.proto as u8) << 48 | addr << 16 | u64::from(self.port));
    }
}

/// No slot: the end of a list, or a free slot's marker.
pub(crate) const NIL: u32 = u32::MAX;

/// A BIB entry: an IPv6 transport address bound to an IPv4 one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bib {
    pub(crate) v6: Ipv6Addr,
    pub(crate) v4: Ipv4Addr,
    pub(crate) port6: u16,
    pub(crate) port4: u16,
    pub(crate) proto: Protocol,
    /// Configured, not learned: kept when its last session goes.
    pub(crate) is_static: bool,
    /// Sessions that use the entry; a dynamic entry goes with the last.
    pub(crate) sessions: u32,
}

/// A session: a BIB entry and the remote IPv4 transport address it talks
/// to. The remote's IPv6 address is its RFC 6052 form and is not stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session {
    /// The BIB slot, or [`NIL`] for a free slot.
    pub(crate) bib: u32,
    pub(crate) remote: Ipv4Addr,
    pub(crate) rport: u16,
    pub(crate) state: TcpState,
    pub(crate) timer: Timer,
    /// Milliseconds since the caller's epoch.
    pub(crate) expires: u64,
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// The key of a session: its BIB slot and the remote transport address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SessionKey {
    bib: u32,
    remote: [u8; 4],
    rport: u16,
}

impl Hash for SessionKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        let remote = u64::from(u32::from_be_bytes(self.remote));
        h.write_u64(u64::from(self.bib) << 32 | remote);
        h.write_u16(self.rport);
    }
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

/// BIB and sessions.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) bibs: Vec<Bib>,
    free_bibs: Vec<u32>,
    bib6: HashMap<Key6, u32>,
    bib4: HashMap<Key4, u32>,
    pub(crate) sessions: Vec<Session>,
    free_session: u32,
    index: HashMap<SessionKey, u32>,
    lists: [List; TIMERS],
    /// Sessions per IPv6 host, and the pool4 address of its first.
    hosts: HashMap<Ipv6Addr, (u32, Ipv4Addr)>,
    /// Sessions per (BIB slot, remote address), for address-dependent
    /// filtering; empty when filtering is endpoint-independent.
    remotes: HashMap<(u32, [u8; 4]), u32>,
    track_remotes: bool,
    pub(crate) count: [usize; 3],
    pub(crate) bib_count: [usize; 3],
}

impl Table {
    pub(crate) fn new(track_remotes: bool) -> Self {
        Table {
            bibs: Vec::new(),
            free_bibs: Vec::new(),
            bib6: HashMap::default(),
            bib4: HashMap::default(),
            sessions: Vec::new(),
            free_session: NIL,
            index: HashMap::default(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; TIMERS],
            hosts: HashMap::default(),
            remotes: HashMap::default(),
            track_remotes,
            count: [0; 3],
            bib_count: [0; 3],
        }
    }

    /// The BIB slot of an IPv6 transport address.
    pub(crate) fn bib_by_v6(&self, proto: Protocol, addr: Ipv6Addr, port: u16) -> Option<u32> {
        self.bib6.get(&Key6 { addr, proto, port }).copied()
    }

    /// The BIB slot of an IPv4 transport address.
    pub(crate) fn bib_by_v4(&self, proto: Protocol, addr: Ipv4Addr, port: u16) -> Option<u32> {
        self.bib4.get(&Key4::new(proto, addr, port)).copied()
    }

    /// Adds a BIB entry; the caller made sure neither side is bound.
    pub(crate) fn add_bib(&mut self, bib: Bib) -> u32 {
        let slot = match self.free_bibs.pop() {
            Some(s) => {
                self.bibs[s as usize] = bib;
                s
            }
            None => {
                self.bibs.push(bib);
                (self.bibs.len() - 1) as u32
            }
        };
        let k6 = Key6 {
            addr: bib.v6,
            proto: bib.proto,
            port: bib.port6,
        };
        self.bib6.insert(k6, slot);
        self.bib4
            .insert(Key4::new(bib.proto, bib.v4, bib.port4), slot);
        self.bib_count[bib.proto.index()] += 1;
        slot
    }

    /// Removes the BIB entry in `slot`, which must have no sessions.
    pub(crate) fn remove_bib(&mut self, slot: u32) {
        let b = self.bibs[slot as usize];
        debug_assert_eq!(b.sessions, 0);
        self.bib6.remove(&Key6 {
            addr: b.v6,
            proto: b.proto,
            port: b.port6,
        });
        self.bib4.remove(&Key4::new(b.proto, b.v4, b.port4));
        self.bib_count[b.proto.index()] -= 1;
        self.free_bibs.push(slot);
    }

    /// The session of `bib` with `remote`:`rport`.
    pub(crate) fn session(&self, bib: u32, remote: Ipv4Addr, rport: u16) -> Option<u32> {
        let key = SessionKey {
            bib,
            remote: remote.octets(),
            rport,
        };
        self.index.get(&key).copied()
    }

    /// Whether `bib` has a session with the remote address `remote`.
    pub(crate) fn talks_to(&self, bib: u32, remote: Ipv4Addr) -> bool {
        self.remotes.contains_key(&(bib, remote.octets()))
    }

    /// Sessions of the IPv6 host `host`.
    pub(crate) fn host_sessions(&self, host: Ipv6Addr) -> u32 {
        self.hosts.get(&host).map_or(0, |h| h.0)
    }

    /// The pool4 address the IPv6 host `host` uses, while it has sessions.
    pub(crate) fn host_addr(&self, host: Ipv6Addr) -> Option<Ipv4Addr> {
        self.hosts.get(&host).map(|h| h.1)
    }

    /// All sessions.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Adds a session of `bib` that expires at `expires` on `timer`.
    pub(crate) fn add_session(
        &mut self,
        bib: u32,
        remote: Ipv4Addr,
        rport: u16,
        state: TcpState,
        timer: Timer,
        expires: u64,
    ) -> u32 {
        let s = Session {
            bib,
            remote,
            rport,
            state,
            timer,
            expires,
            prev: NIL,
            next: NIL,
        };
        let slot = if self.free_session != NIL {
            let slot = self.free_session;
            self.free_session = self.sessions[slot as usize].next;
            self.sessions[slot as usize] = s;
            slot
        } else {
            self.sessions.push(s);
            (self.sessions.len() - 1) as u32
        };
        self.link(slot);
        let key = SessionKey {
            bib,
            remote: remote.octets(),
            rport,
        };
        self.index.insert(key, slot);
        let b = &mut self.bibs[bib as usize];
        b.sessions += 1;
        let (host, proto, v4) = (b.v6, b.proto, b.v4);
        self.hosts.entry(host).or_insert((0, v4)).0 += 1;
        if self.track_remotes {
            *self.remotes.entry((bib, remote.octets())).or_insert(0) += 1;
        }
        self.count[proto.index()] += 1;
        slot
    }

    /// Removes the session in `slot`, and its BIB entry if that was the
    /// last session of a dynamic one. Returns the session's protocol.
    pub(crate) fn remove_session(&mut self, slot: u32) -> Protocol {
        self.unlink(slot);
        let s = self.sessions[slot as usize];
        self.index.remove(&SessionKey {
            bib: s.bib,
            remote: s.remote.octets(),
            rport: s.rport,
        });
        if self.track_remotes {
            let key = (s.bib, s.remote.octets());
            if let Some(n) = self.remotes.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.remotes.remove(&key);
                }
            }
        }
        let b = &mut self.bibs[s.bib as usize];
        b.sessions -= 1;
        let (host, proto, gone) = (b.v6, b.proto, b.sessions == 0 && !b.is_static);
        if let Some(h) = self.hosts.get_mut(&host) {
            h.0 -= 1;
            if h.0 == 0 {
                self.hosts.remove(&host);
            }
        }
        self.count[proto.index()] -= 1;
        if gone {
            self.remove_bib(s.bib);
        }
        let free = &mut self.sessions[slot as usize];
        free.bib = NIL;
        free.next = self.free_session;
        self.free_session = slot;
        proto
    }

    /// Moves the session in `slot` to the end of `timer`'s list, due at
    /// `expires`.
    pub(crate) fn refresh(&mut self, slot: u32, timer: Timer, expires: u64) {
        self.unlink(slot);
        let s = &mut self.sessions[slot as usize];
        s.timer = timer;
        s.expires = expires;
        self.link(slot);
    }

    /// The first session of `timer`'s list if it is due at `now`.
    pub(crate) fn due(&self, timer: Timer, now: u64) -> Option<u32> {
        let head = self.lists[timer as usize].head;
        (head != NIL && self.sessions[head as usize].expires <= now).then_some(head)
    }

    /// When the first session of any list expires.
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.lists
            .iter()
            .filter(|l| l.head != NIL)
            .map(|l| self.sessions[l.head as usize].expires)
            .min()
    }

    fn link(&mut self, slot: u32) {
        let t = self.sessions[slot as usize].timer as usize;
        let tail = self.lists[t].tail;
        self.sessions[slot as usize].prev = tail;
        self.sessions[slot as usize].next = NIL;
        if tail == NIL {
            self.lists[t].head = slot;
        } else {
            self.sessions[tail as usize].next = slot;
        }
        self.lists[t].tail = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let s = self.sessions[slot as usize];
        let t = s.timer as usize;
        if s.prev == NIL {
            self.lists[t].head = s.next;
        } else {
            self.sessions[s.prev as usize].next = s.next;
        }
        if s.next == NIL {
            self.lists[t].tail = s.prev;
        } else {
            self.sessions[s.next as usize].prev = s.prev;
        }
    }

    /// The live sessions' slots.
    pub(crate) fn session_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.index.values().copied()
    }

    /// The live BIB entries' slots.
    pub(crate) fn bib_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.bib4.values().copied()
    }
}
