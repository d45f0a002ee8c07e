//! Stateful NAT64 (RFC 6146): many IPv6 hosts share the addresses of
//! pool4, as sans-IO state fed with packets and the current time.
//!
//! A [`Nat64`] keeps the binding information base (BIB: which IPv6
//! transport address stands behind which pool4 transport address) and the
//! session table (which remote each binding talks to) for TCP, UDP and
//! ICMP queries, and translates each packet with the RFC 7915 code of the
//! stateless [`Translator`], rewriting the ports (or
//! ICMP identifiers) that the binding changes. It does no I/O and reads
//! no clock: every call takes `now`, the time since an epoch the caller
//! chooses (a [`Duration`]), so that tests run on a virtual clock.
//!
//! What it implements:
//!
//! - BIB and sessions for TCP, UDP and ICMP queries, endpoint-independent
//!   mapping (RFC 6146 section 3.5.1, RFC 4787 REQ-1) and
//!   endpoint-independent or address-dependent filtering
//!   ([`Filtering`]); static BIB entries ([`Nat64::add_static`]).
//! - pool4 ([`Pool4`]) with port allocation after RFC 6056 algorithm 3
//!   ([`PortHash`]), keeping the source port's parity and range, and one
//!   IPv4 address per IPv6 host ("paired", RFC 4787 REQ-2).
//! - The TCP state machine of RFC 6146 section 3.5.2.2 ([`TcpState`]) with
//!   its timers, UDP and ICMP timers ([`Timeouts`]), the storing of an
//!   IPv4 SYN for simultaneous open and its Port Unreachable when no IPv6
//!   SYN follows within TCP_INCOMING_SYN, the probe of an established
//!   session whose TCP_EST ran out.
//! - Hairpinning (RFC 6146 section 3.8), ICMP errors mapped to the session
//!   of the packet inside them.
//! - Fragments (RFC 6146 section 3.4): the first fragment, which carries
//!   the transport header, finds the session; the fragments after it
//!   follow the session's addresses for FRAGMENT_MIN. A fragment that
//!   arrives before its first fragment waits for it, at most FRAGMENT_MIN
//!   and within [`Nat64Config::max_queued_fragments`] and
//!   [`Nat64Config::max_queued_fragment_bytes`] (dropped and counted in
//!   [`Stats`] otherwise), and comes out of [`Nat64::poll_icmp`],
//!   translated, right after its first fragment went through
//!   [`Nat64::translate`], in the order the fragments arrived.
//! - A maximum of sessions, in total and per IPv6 host: a new flow beyond
//!   it is refused with an ICMP error and counted ([`Stats::refused`]),
//!   while established flows go on.
//!
//! # Driving it
//!
//! ```
//! use std::net::Ipv4Addr;
//! use std::time::Duration;
//! use v6xlat::nat64::{Nat64, Nat64Config, Pool4};
//! use v6xlat::{Config, Outcome, mapping::Rfc6052};
//!
//! let prefix = Rfc6052::new("64:ff9b::/96".parse().unwrap());
//! let xlat = Config::new(prefix, Ipv4Addr::new(198, 51, 100, 1), "2001:db8::1".parse().unwrap());
//! let mut pool4 = Pool4::new();
//! pool4.add(None, "198.51.100.1/32".parse().unwrap(), 1024..=65535).unwrap();
//! let mut nat = Nat64::new(xlat, Nat64Config::new(pool4)).unwrap();
//!
//! // A UDP datagram from [2001:db8::5]:5353 to 8.8.8.8:53 (64:ff9b::808:808).
//! let mut pkt = vec![0x60, 0, 0, 0, 0, 12, 17, 64];
//! pkt.extend_from_slice(&"2001:db8::5".parse::<std::net::Ipv6Addr>().unwrap().octets());
//! pkt.extend_from_slice(&"64:ff9b::808:808".parse::<std::net::Ipv6Addr>().unwrap().octets());
//! pkt.extend_from_slice(&[0x14, 0xe9, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]);
//!
//! let mut out = vec![0u8; v6xlat::buffer_len(pkt.len())];
//! let now = Duration::from_secs(10);
//! let outcome = nat.translate(&pkt, &mut out, now);
//! assert!(matches!(outcome, Outcome::Translated { len: 32, count: 1 }));
//! assert_eq!(&out[12..16], &[198, 51, 100, 1]); // from the pool4 address
//! assert_eq!(nat.stats().sessions, [0, 1, 0]); // TCP, UDP, ICMP
//!
//! // Five minutes later the UDP session is gone.
//! nat.expire(now + Duration::from_secs(300));
//! assert_eq!(nat.stats().sessions, [0, 0, 0]);
//! ```
//!
//! A daemon calls [`Nat64::translate`] for every packet and writes what the
//! [`Outcome`] holds, calls [`Nat64::expire`] when [`Nat64::next_expiry`]
//! is due (or once a second), and after each `translate` and each `expire`
//! writes the packets [`Nat64::poll_icmp`] gives until it gives `None`:
//! Port Unreachable for IPv4 SYNs that no IPv6 SYN answered, probes of idle
//! TCP sessions, and the fragments that arrived before their first
//! fragment, once it came. The packets of a `translate` go out before those
//! of the `poll_icmp` calls after it, so that a first fragment leads the
//! fragments that waited for it. Polling costs nothing when nothing waits.
//!
//! # Threads
//!
//! A `Nat64` is `Send` and takes `&mut self`: share it between worker
//! threads behind a `Mutex`. The lock is held for one lookup and one
//! translation, with no allocation on the path of an existing session, so
//! that a few workers scale before the lock does; beyond that, give each
//! worker its own `Nat64` with a disjoint part of pool4 and send IPv6
//! packets to workers by a hash of the source address and IPv4 packets by
//! their destination port's part of pool4.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use crate::checksum::{self, Sum};
use crate::config::{Config, ConfigError};
use crate::icmp;
use crate::ipv4::Ipv4Packet;
use crate::ipv6::{self, Ipv6Packet};
use crate::mapping::Rfc6052;
use crate::outcome::{DropReason, Outcome};
use crate::translator::{Pass, Translator};
use crate::v4_to_v6::{self, proto};
use crate::v6_to_v4;

mod map;
mod pool4;
mod table;
mod tcp;

pub use pool4::{DEFAULT_PORTS, Pool4, Pool4Error, PortHash};
pub use tcp::TcpState;

use map::SessionMap;
use table::{Bib, Table};
use tcp::{Timer, flags};

/// The transport protocols stateful NAT64 keeps state for (RFC 6146
/// section 1.2: TCP, UDP and ICMP queries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Protocol {
    /// TCP.
    Tcp = 0,
    /// UDP.
    Udp = 1,
    /// ICMP Echo (ICMPv4 and ICMPv6), keyed by the identifier.
    Icmp = 2,
}

impl Protocol {
    /// The timer a new session starts with (RFC 6146 section 3.5.2.2
    /// for TCP: transitory), which a UDP or ICMP session also restarts
    /// on every packet.
    fn first_timer(self) -> Timer {
        match self {
            Protocol::Tcp => Timer::TcpTrans,
            Protocol::Udp => Timer::Udp,
            Protocol::Icmp => Timer::Icmp,
        }
    }

    /// The three protocols, in the order of [`Protocol::index`].
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Icmp];

    /// A short stable name, for metric labels and configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }

    /// The position in [`Protocol::ALL`], to index per-protocol arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl core::fmt::Display for Protocol {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Session lifetimes (RFC 6146 section 4); the defaults are the RFC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// UDP_DEFAULT: 5 minutes (at least UDP_MIN, 2 minutes).
    pub udp: Duration,
    /// ICMP_DEFAULT: 60 seconds.
    pub icmp: Duration,
    /// TCP_EST: 2 hours 4 minutes.
    pub tcp_established: Duration,
    /// TCP_TRANS: 4 minutes, for sessions opening (V4 INIT, V6 INIT),
    /// closing or reset.
    pub tcp_transitory: Duration,
    /// TCP_INCOMING_SYN: 6 seconds, how long an IPv4 SYN without a binding
    /// waits for the IPv6 side's SYN.
    pub tcp_incoming_syn: Duration,
    /// FRAGMENT_MIN: 2 seconds, how long the fragments after the first
    /// are recognised as belonging to its session, and how long a fragment
    /// that arrived before its first fragment waits for it.
    pub fragment: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            udp: Duration::from_secs(5 * 60),
            icmp: Duration::from_secs(60),
            tcp_established: Duration::from_secs(2 * 3600 + 4 * 60),
            tcp_transitory: Duration::from_secs(4 * 60),
            tcp_incoming_syn: Duration::from_secs(6),
            fragment: Duration::from_secs(2),
        }
    }
}

/// Which IPv4 packets may reach an IPv6 host through its BIB entry
/// (RFC 6146 section 3.5.1, RFC 4787 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filtering {
    /// Any remote may send to a bound transport address (RFC 4787
    /// REQ-8's recommendation; Jool's default).
    #[default]
    EndpointIndependent,
    /// Only a remote address the host has sent to.
    AddressDependent,
}

/// The stateful part of the configuration; the RFC 7915 part is the
/// [`Config`] given to [`Nat64::new`].
#[derive(Debug, Clone)]
pub struct Nat64Config {
    /// The IPv4 transport addresses to share.
    pub pool4: Pool4,
    /// Session lifetimes.
    pub timeouts: Timeouts,
    /// Endpoint-independent or address-dependent filtering.
    pub filtering: Filtering,
    /// The most sessions in the table; a new flow beyond is refused.
    /// Default 1,000,000.
    pub max_sessions: usize,
    /// The most sessions of one IPv6 host. Default 65,536.
    pub max_sessions_per_host: usize,
    /// The most IPv4 SYNs kept for simultaneous open (Jool's
    /// `max-stored-pkts`). Default 10; 0 drops them at once.
    pub max_stored_syns: usize,
    /// The most fragments kept waiting for their first fragment (RFC 6146
    /// section 3.4), counted until [`Nat64::poll_icmp`] gives them out.
    /// Default 1,024; 0 drops such fragments at once.
    pub max_queued_fragments: usize,
    /// The most bytes of those fragments. Default 2 MiB.
    pub max_queued_fragment_bytes: usize,
    /// The fields that choose where the pool4 search starts.
    pub port_hash: PortHash,
    /// The secret key of that choice (RFC 6056 section 3.3.3). Give it a
    /// random value at start-up; the default 0 is for tests.
    pub secret: u64,
    /// The most pool4 transport addresses tried for one new BIB entry.
    /// Default 65,536.
    pub max_port_probes: u64,
    /// The source of a translated ICMPv4 error: `true` (the default)
    /// translates its real source, the router that sent it; `false` uses
    /// the session's remote, as Jool's `source-icmpv6-errors-better` off.
    pub source_icmpv6_errors_better: bool,
    /// Whether translated IPv6 packets get Traffic Class 0 instead of the
    /// IPv4 TOS (RFC 7915 section 4.1 allows either). Default `false`.
    pub zeroize_traffic_class: bool,
    /// With the well-known prefix 64:ff9b::/96, RFC 6052 section 3.1 forbids
    /// embedding non-global IPv4 addresses (private, documentation, ...);
    /// `true` allows them, for a lab or an operator who wants the
    /// well-known prefix in front of private IPv4 networks. Default `false`.
    pub allow_non_global: bool,
}

impl Nat64Config {
    /// A configuration with `pool4` and the defaults above.
    pub fn new(pool4: Pool4) -> Self {
        Nat64Config {
            pool4,
            timeouts: Timeouts::default(),
            filtering: Filtering::default(),
            max_sessions: 1_000_000,
            max_sessions_per_host: 65_536,
            max_stored_syns: 10,
            max_queued_fragments: 1024,
            max_queued_fragment_bytes: 2 << 20,
            port_hash: PortHash::default(),
            secret: 0,
            max_port_probes: 65_536,
            source_icmpv6_errors_better: true,
            zeroize_traffic_class: false,
            allow_non_global: false,
        }
    }
}

/// A configuration or a static BIB entry that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Nat64Error {
    /// The RFC 7915 part is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// pool4 is empty.
    #[error("pool4 is empty")]
    EmptyPool4,
    /// A timeout below the minimum RFC 6146 section 4 sets (UDP 2 min,
    /// TCP_EST 2 h 4 min, TCP_TRANS 4 min) or zero.
    #[error("{0} timeout below the RFC 6146 minimum")]
    Timeout(&'static str),
    /// A static BIB entry's IPv4 address is not a pool4 address.
    #[error("{0} is not a pool4 address")]
    NotInPool4(Ipv4Addr),
    /// A static BIB entry whose IPv4 or IPv6 transport address is bound.
    #[error("{0} {1} is already bound")]
    Bound(Protocol, String),
}

/// How many sessions and BIB entries there are, and what was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Sessions, indexed by [`Protocol::index`].
    pub sessions: [usize; 3],
    /// BIB entries (static and dynamic), by protocol.
    pub bib_entries: [usize; 3],
    /// Sessions created since the start, by protocol.
    pub created: [u64; 3],
    /// Sessions that expired, by protocol.
    pub expired: [u64; 3],
    /// IPv4 SYNs waiting for the IPv6 side (simultaneous open).
    pub stored_syns: usize,
    /// New flows refused, indexed like [`Refusal::ALL`].
    pub refused: [u64; 4],
    /// Fragments that arrived before their first fragment and wait for
    /// it, or for [`Nat64::poll_icmp`] once it came.
    pub queued_fragments: usize,
    /// Queued fragments dropped because their first fragment did not come
    /// within FRAGMENT_MIN.
    pub fragments_expired: u64,
    /// Fragments dropped because the queue was at its limit
    /// ([`Nat64Config::max_queued_fragments`] or
    /// [`Nat64Config::max_queued_fragment_bytes`]).
    pub fragments_over_limit: u64,
}

/// Why a new flow was refused (counted in [`Stats::refused`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The session table was full.
    SessionLimit,
    /// The IPv6 host had its maximum of sessions.
    HostLimit,
    /// pool4 had no free transport address.
    PortsExhausted,
    /// An IPv4 SYN found the store of SYNs full.
    StoredSynLimit,
}

impl Refusal {
    /// Every refusal, in the order of [`Stats::refused`].
    pub const ALL: [Refusal; 4] = [
        Refusal::SessionLimit,
        Refusal::HostLimit,
        Refusal::PortsExhausted,
        Refusal::StoredSynLimit,
    ];

    /// A short stable name, for metric labels.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::SessionLimit => "session_limit",
            Refusal::HostLimit => "host_limit",
            Refusal::PortsExhausted => "ports_exhausted",
            Refusal::StoredSynLimit => "stored_syn_limit",
        }
    }

    /// The position in [`Refusal::ALL`] and [`Stats::refused`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// One session, as [`Nat64::sessions`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    /// The protocol.
    pub protocol: Protocol,
    /// The IPv6 host's transport address.
    pub v6: SocketAddrV6,
    /// The pool4 transport address that stands for it.
    pub v4: SocketAddrV4,
    /// The remote IPv4 transport address (for ICMP the port is 0).
    pub remote: SocketAddrV4,
    /// The TCP state; `None` for UDP and ICMP.
    pub tcp_state: Option<TcpState>,
    /// When it expires, on the caller's clock.
    pub expires: Duration,
}

/// One BIB entry, as [`Nat64::bib`] lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BibEntry {
    /// The protocol.
    pub protocol: Protocol,
    /// The IPv6 transport address.
    pub v6: SocketAddrV6,
    /// The pool4 transport address.
    pub v4: SocketAddrV4,
    /// Configured rather than learned.
    pub is_static: bool,
    /// Its sessions.
    pub sessions: u32,
}

/// An IPv4 SYN waiting for the IPv6 side (RFC 6146 section 3.5.2.2).
#[derive(Debug, Clone)]
struct StoredSyn {
    remote: Ipv4Addr,
    rport: u16,
    local: Ipv4Addr,
    lport: u16,
    expires: u64,
    /// The packet to quote in the Port Unreachable: the IPv4 SYN, or the
    /// IPv6 SYN it was translated from when it hairpinned.
    packet: Box<[u8]>,
}

/// A packet [`Nat64::expire`] or [`Nat64::translate`] queued for
/// [`Nat64::poll_icmp`].
#[derive(Debug, Clone)]
enum Due {
    /// Port Unreachable for a stored IPv4 SYN.
    Unreachable(StoredSyn),
    /// A TCP probe to the IPv6 host of a session whose TCP_EST ran out.
    Probe {
        host: Ipv6Addr,
        hport: u16,
        remote: Ipv4Addr,
        rport: u16,
    },
    /// A fragment that arrived before its first fragment, to translate for
    /// the session the first fragment found.
    Fragment {
        packet: Box<[u8]>,
        bound: Bound,
        now: u64,
    },
}

/// A fragment waiting for its first fragment (RFC 6146 section 3.4).
#[derive(Debug, Clone)]
struct Waiting {
    key: FragKey,
    packet: Box<[u8]>,
    expires: u64,
}

/// Where the fragments after the first go (RFC 6146 section 3.4): the
/// session's addresses, remembered from the first fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum FragKey {
    V6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        ident: u32,
    },
    V4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        proto: u8,
        ident: u16,
    },
}

/// The most fragment trains remembered at once.
const MAX_FRAGMENT_TRAINS: usize = 4096;

/// What the flow lookup decided about a packet.
#[derive(Debug, Clone, Copy)]
struct Bound {
    /// The IPv6 host and its pool4 address.
    v6: Ipv6Addr,
    v4: Ipv4Addr,
    /// The port or identifier to write, and where.
    rewrite: Option<Rewrite>,
    /// The session's remote (for the source of translated ICMP errors).
    remote: Ipv4Addr,
}

/// A port or ICMP identifier the translated packet must carry.
#[derive(Debug, Clone, Copy)]
enum Rewrite {
    /// The transport header's source (6→4) or destination (4→6) port.
    Port(u16),
    /// The ICMP Echo identifier.
    EchoId(u16),
    /// In the packet inside an ICMP error: its destination port (6→4) or
    /// source port (4→6), or its Echo identifier.
    InnerPort(u16),
    /// The Echo identifier inside an ICMP error.
    InnerEchoId(u16),
}

impl Rewrite {
    /// The rewrite of a packet of `proto` (not an ICMP error) to `port`:
    /// its port, or its Echo identifier.
    fn first(proto: Protocol, port: u16) -> Rewrite {
        match proto {
            Protocol::Icmp => Rewrite::EchoId(port),
            Protocol::Tcp | Protocol::Udp => Rewrite::Port(port),
        }
    }

    /// The rewrite of the packet of `proto` inside an ICMP error to `port`.
    fn inner(proto: Protocol, port: u16) -> Rewrite {
        match proto {
            Protocol::Icmp => Rewrite::InnerEchoId(port),
            Protocol::Tcp | Protocol::Udp => Rewrite::InnerPort(port),
        }
    }
}

/// A stateful NAT64 (RFC 6146). See the [module documentation](self).
#[derive(Debug)]
pub struct Nat64 {
    xlat: Translator<SessionMap>,
    cfg: Nat64Config,
    table: Table,
    stored: Vec<StoredSyn>,
    due: VecDeque<Due>,
    fragments: HashMap<FragKey, (Bound, u64)>,
    /// Fragments waiting for their first fragment, in arrival order.
    waiting: Vec<Waiting>,
    /// The fragments in `waiting` and in `due`, and their bytes.
    queued: usize,
    queued_bytes: usize,
    fragments_expired: u64,
    fragments_over_limit: u64,
    created: [u64; 3],
    expired: [u64; 3],
    refused: [u64; 4],
    /// RFC 6056 algorithm 3's `next_ephemeral`.
    next_ephemeral: u64,
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

impl Nat64 {
    /// A NAT64 that translates with `xlat` (its mapping gives pool6, the
    /// RFC 6052 prefix; its addresses are the sources of the translator's
    /// own ICMP errors) and shares `cfg.pool4`.
    pub fn new(xlat: Config<Rfc6052>, cfg: Nat64Config) -> Result<Self, Nat64Error> {
        if cfg.pool4.is_empty() {
            return Err(Nat64Error::EmptyPool4);
        }
        let t = &cfg.timeouts;
        for (name, value, min) in [
            ("udp", t.udp, Duration::from_secs(120)),
            ("tcp-est", t.tcp_established, Duration::from_secs(7440)),
            ("tcp-trans", t.tcp_transitory, Duration::from_secs(240)),
            ("icmp", t.icmp, Duration::from_millis(1)),
            (
                "tcp-incoming-syn",
                t.tcp_incoming_syn,
                Duration::from_millis(1),
            ),
            ("fragment", t.fragment, Duration::from_millis(1)),
        ] {
            if value < min {
                return Err(Nat64Error::Timeout(name));
            }
        }
        let mut pool: Vec<Ipv4Addr> = Vec::new();
        for p in Protocol::ALL {
            for a in cfg.pool4.addrs(p) {
                if !pool.contains(&a) {
                    pool.push(a);
                }
            }
        }
        let map = SessionMap {
            prefix: xlat.mapping.prefix(),
            strict: !cfg.allow_non_global,
            pool,
            bound: None,
        };
        let c = Config {
            mapping: map,
            ipv4_addr: xlat.ipv4_addr,
            ipv6_addr: xlat.ipv6_addr,
            lowest_ipv6_mtu: xlat.lowest_ipv6_mtu,
            ipv6_mtu: xlat.ipv6_mtu,
            ipv4_mtu: xlat.ipv4_mtu,
            rfc6791_v4: xlat.rfc6791_v4,
            rfc6791_v6: xlat.rfc6791_v6,
            amend_udp_checksum_zero: xlat.amend_udp_checksum_zero,
            decrement_hop_limit: xlat.decrement_hop_limit,
            icmp_hop_limit: xlat.icmp_hop_limit,
            send_icmp_errors: xlat.send_icmp_errors,
        };
        let table = Table::new(cfg.filtering == Filtering::AddressDependent);
        Ok(Nat64 {
            xlat: Translator::new(c)?,
            cfg,
            table,
            stored: Vec::new(),
            due: VecDeque::new(),
            fragments: HashMap::new(),
            waiting: Vec::new(),
            queued: 0,
            queued_bytes: 0,
            fragments_expired: 0,
            fragments_over_limit: 0,
            created: [0; 3],
            expired: [0; 3],
            refused: [0; 4],
            next_ephemeral: 0,
        })
    }

    /// The stateful configuration.
    pub fn config(&self) -> &Nat64Config {
        &self.cfg
    }

    /// Adds a static BIB entry: `v6` is always reachable from the IPv4
    /// side at `v4` (RFC 6146 section 3.5.1, Jool's `bib add`). `v4` must
    /// be a pool4 address; its port need not be in pool4's ranges. For
    /// ICMP the ports are Echo identifiers.
    pub fn add_static(
        &mut self,
        protocol: Protocol,
        v6: SocketAddrV6,
        v4: SocketAddrV4,
    ) -> Result<(), Nat64Error> {
        if !self.xlat.cfg.mapping.in_pool(*v4.ip()) {
            return Err(Nat64Error::NotInPool4(*v4.ip()));
        }
        if self
            .table
            .bib_by_v4(protocol, *v4.ip(), v4.port())
            .is_some()
        {
            return Err(Nat64Error::Bound(protocol, v4.to_string()));
        }
        if self
            .table
            .bib_by_v6(protocol, *v6.ip(), v6.port())
            .is_some()
        {
            return Err(Nat64Error::Bound(protocol, v6.to_string()));
        }
        self.table.add_bib(Bib {
            v6: *v6.ip(),
            v4: *v4.ip(),
            port6: v6.port(),
            port4: v4.port(),
            proto: protocol,
            is_static: true,
            sessions: 0,
        });
        Ok(())
    }

    /// Removes the static BIB entry bound to `v4`, with its sessions.
    /// Returns whether there was one.
    pub fn remove_static(&mut self, protocol: Protocol, v4: SocketAddrV4) -> bool {
        let Some(slot) = self.table.bib_by_v4(protocol, *v4.ip(), v4.port()) else {
            return false;
        };
        if !self.table.bibs[slot as usize].is_static {
            return false;
        }
        self.table.bibs[slot as usize].is_static = false;
        let sessions: Vec<u32> = self
            .table
            .session_slots()
            .filter(|&s| self.table.sessions[s as usize].bib == slot)
            .collect();
        if sessions.is_empty() {
            self.table.remove_bib(slot);
        }
        for s in sessions {
            self.table.remove_session(s);
        }
        true
    }

    /// Counts of sessions, BIB entries and refusals.
    pub fn stats(&self) -> Stats {
        Stats {
            sessions: self.table.count,
            bib_entries: self.table.bib_count,
            created: self.created,
            expired: self.expired,
            stored_syns: self.stored.len(),
            refused: self.refused,
            queued_fragments: self.queued,
            fragments_expired: self.fragments_expired,
            fragments_over_limit: self.fragments_over_limit,
        }
    }

    /// Every session (for a listing; not for the packet path).
    pub fn sessions(&self) -> impl Iterator<Item = SessionInfo> + '_ {
        self.table.session_slots().map(|slot| {
            let s = self.table.sessions[slot as usize];
            let b = self.table.bibs[s.bib as usize];
            SessionInfo {
                protocol: b.proto,
                v6: SocketAddrV6::new(b.v6, b.port6, 0, 0),
                v4: SocketAddrV4::new(b.v4, b.port4),
                remote: SocketAddrV4::new(s.remote, s.rport),
                tcp_state: (b.proto == Protocol::Tcp).then_some(s.state),
                expires: Duration::from_millis(s.expires),
            }
        })
    }

    /// Every BIB entry.
    pub fn bib(&self) -> impl Iterator<Item = BibEntry> + '_ {
        self.table.bib_slots().map(|slot| {
            let b = self.table.bibs[slot as usize];
            BibEntry {
                protocol: b.proto,
                v6: SocketAddrV6::new(b.v6, b.port6, 0, 0),
                v4: SocketAddrV4::new(b.v4, b.port4),
                is_static: b.is_static,
                sessions: b.sessions,
            }
        })
    }

    /// When [`Nat64::expire`] next has something to do, on the caller's
    /// clock; `None` when nothing is waiting.
    pub fn next_expiry(&self) -> Option<Duration> {
        let syn = self.stored.iter().map(|s| s.expires).min();
        let frag = self.fragments.values().map(|(_, e)| *e).min();
        let waiting = self.waiting.iter().map(|w| w.expires).min();
        [self.table.next_expiry(), syn, frag, waiting]
            .into_iter()
            .flatten()
            .min()
            .map(Duration::from_millis)
    }

    /// Removes the sessions whose lifetime ran out by `now` (RFC 6146
    /// section 3.5) and the BIB entries left without sessions, and queues
    /// for [`Nat64::poll_icmp`] a Port Unreachable for each stored IPv4 SYN
    /// that no IPv6 SYN answered in time, and a probe for each established
    /// TCP session whose TCP_EST ran out, which moves to TRANS (RFC 6146
    /// section 3.5.2.2). Returns how many sessions it removed.
    pub fn expire(&mut self, now: Duration) -> usize {
        let now = ms(now);
        let mut removed = 0;
        for timer in [Timer::Udp, Timer::Icmp, Timer::TcpEst, Timer::TcpTrans] {
            while let Some(slot) = self.table.due(timer, now) {
                let s = self.table.sessions[slot as usize];
                if timer == Timer::TcpEst && s.state == TcpState::Established {
                    // A live connection answers the probe and comes back
                    // to ESTABLISHED; a dead one goes after TCP_TRANS.
                    self.table.sessions[slot as usize].state = TcpState::Trans;
                    let expires = now + self.timeout(Timer::TcpTrans);
                    self.table.refresh(slot, Timer::TcpTrans, expires);
                    let b = self.table.bibs[s.bib as usize];
                    self.due.push_back(Due::Probe {
                        host: b.v6,
                        hport: b.port6,
                        remote: s.remote,
                        rport: s.rport,
                    });
                    continue;
                }
                let proto = self.table.remove_session(slot);
                self.expired[proto.index()] += 1;
                removed += 1;
            }
        }
        let mut i = 0;
        while i < self.stored.len() {
            if self.stored[i].expires <= now {
                let s = self.stored.swap_remove(i);
                self.due.push_back(Due::Unreachable(s));
            } else {
                i += 1;
            }
        }
        self.fragments.retain(|_, (_, e)| *e > now);
        self.drop_waiting(now);
        removed
    }

    /// Drops the fragments whose first fragment did not come by `now`.
    fn drop_waiting(&mut self, now: u64) {
        let mut i = 0;
        while i < self.waiting.len() {
            if self.waiting[i].expires <= now {
                let w = self.waiting.remove(i);
                self.unqueue(w.packet.len());
                self.fragments_expired += 1;
            } else {
                i += 1;
            }
        }
    }

    fn unqueue(&mut self, bytes: usize) {
        self.queued -= 1;
        self.queued_bytes -= bytes;
    }

    /// Keeps a fragment that arrived before its first fragment until
    /// [`Nat64::expire`] drops it or its first fragment releases it to
    /// [`Nat64::poll_icmp`]. RFC 6146 section 3.4: a NAT64 "MUST handle
    /// fragments arriving out of order", while it limits "the amount of
    /// resources devoted to the storage of fragmented packets" and, as long
    /// as it has resources, allows "the fragments to arrive over a time
    /// interval" whose default is at least FRAGMENT_MIN (section 4: 2 s).
    fn queue_fragment(&mut self, key: FragKey, input: &[u8], now: u64) -> Outcome {
        let fits = |nat: &Self| {
            nat.queued < nat.cfg.max_queued_fragments
                && nat.queued_bytes + input.len() <= nat.cfg.max_queued_fragment_bytes
        };
        if !fits(self) {
            self.drop_waiting(now);
            if !fits(self) {
                self.fragments_over_limit += 1;
                return Outcome::Dropped(DropReason::FragmentQueueFull);
            }
        }
        self.queued += 1;
        self.queued_bytes += input.len();
        self.waiting.push(Waiting {
            key,
            packet: input.into(),
            expires: now + ms(self.cfg.timeouts.fragment),
        });
        Outcome::Dropped(DropReason::FragmentQueued)
    }

    /// The first fragment of `key` found its session: the fragments that
    /// came before it follow it out through [`Nat64::poll_icmp`], in the
    /// order they arrived.
    fn release_fragments(&mut self, key: FragKey, bound: Bound, now: u64) {
        let mut i = 0;
        while i < self.waiting.len() {
            if self.waiting[i].key == key {
                let w = self.waiting.remove(i);
                let bound = Bound {
                    rewrite: None,
                    ..bound
                };
                self.due.push_back(Due::Fragment {
                    packet: w.packet,
                    bound,
                    now,
                });
            } else {
                i += 1;
            }
        }
    }

    /// Writes the next packet that [`Nat64::expire`] or
    /// [`Nat64::translate`] queued into `out` (at least
    /// [`buffer_len`](crate::buffer_len) of the largest packet), or `None`
    /// when there is none left:
    ///
    /// - for an IPv4 SYN that no IPv6 SYN answered, a Port Unreachable to
    ///   its sender ([`Outcome::Icmp`] with [`DropReason::NoBinding`], or
    ///   [`Outcome::Dropped`] when errors are switched off);
    /// - for an established TCP session idle for TCP_EST, the probe of RFC
    ///   6146 section 3.5.2.2 to its IPv6 host ([`Outcome::Translated`]): a
    ///   segment from the remote with ACK set and sequence and
    ///   acknowledgment numbers zero, which a live connection answers;
    /// - for a fragment that arrived before its first fragment, once the
    ///   first fragment found its session (RFC 6146 section 3.4), the
    ///   fragment translated for that session, as [`Nat64::translate`]
    ///   would have, in the order the fragments arrived.
    ///
    /// Either way the daemon writes the packets of the outcome. Call it
    /// after each `translate` as well as after each `expire`.
    pub fn poll_icmp(&mut self, out: &mut [u8]) -> Option<Outcome> {
        let outcome = match self.due.pop_front()? {
            Due::Unreachable(s) => {
                let reason = DropReason::NoBinding;
                if s.packet.first().is_some_and(|b| b >> 4 == 6) {
                    // The SYN hairpinned: Port Unreachable to the IPv6 host.
                    icmp::error_v6(&self.xlat, &s.packet, 1, 4, [0; 4], reason, out)
                } else {
                    icmp::error_v4(&self.xlat, &s.packet, 3, 3, [0; 4], reason, out)
                }
            }
            Due::Probe {
                host,
                hport,
                remote,
                rport,
            } => self.probe(host, hport, remote, rport, out),
            Due::Fragment { packet, bound, now } => {
                self.unqueue(packet.len());
                if packet[0] >> 4 == 6 {
                    self.emit_v6(&packet, out, now, bound)
                } else {
                    self.emit_v4(&packet, out, bound, None)
                }
            }
        };
        Some(outcome)
    }

    /// The TCP probe of RFC 6146 section 3.5.2.2, from `remote`:`rport`
    /// (in pool6) to `host`:`hport`.
    fn probe(
        &self,
        host: Ipv6Addr,
        hport: u16,
        remote: Ipv4Addr,
        rport: u16,
        out: &mut [u8],
    ) -> Outcome {
        let Some(src) = self.xlat.cfg.mapping.embed(remote) else {
            return Outcome::Dropped(DropReason::SourceUnmapped);
        };
        let Some(p) = out.get_mut(..60) else {
            return Outcome::Dropped(DropReason::OutputTooSmall);
        };
        p.fill(0);
        p[0] = 0x60;
        p[4..8].copy_from_slice(&[0, 20, proto::TCP, self.xlat.cfg.icmp_hop_limit]);
        p[8..24].copy_from_slice(&src.octets());
        p[24..40].copy_from_slice(&host.octets());
        p[40..42].copy_from_slice(&rport.to_be_bytes());
        p[42..44].copy_from_slice(&hport.to_be_bytes());
        // Data offset 5 words, ACK; sequence, acknowledgment and window 0.
        p[52] = 0x50;
        p[53] = 0x10;
        let csum = checksum::v6_pseudo(src, host, 20, proto::TCP)
            .add(Sum::of(&p[40..60]))
            .checksum();
        p[56..58].copy_from_slice(&csum.to_be_bytes());
        Outcome::Translated { len: 60, count: 1 }
    }

    /// Translates one packet, IPv6 to IPv4 or IPv4 to IPv6 as its first
    /// nibble says, into `out` (see [`buffer_len`](crate::buffer_len)),
    /// creating or refreshing its session at time `now`.
    ///
    /// The result is read as for
    /// [`Translator::translate`](crate::Translator::translate): translated
    /// packets (a hairpinned one comes back as IPv6), an ICMP error for the
    /// sender (a refused flow, a packet too big...), or a drop with its
    /// reason.
    pub fn translate(&mut self, input: &[u8], out: &mut [u8], now: Duration) -> Outcome {
        let now = ms(now);
        match input.first().map(|b| b >> 4) {
            Some(6) => self.six_to_four(input, out, now),
            Some(4) => self.four_to_six(input, out, now, None),
            _ => Outcome::Dropped(DropReason::UnknownVersion),
        }
    }

    fn timeout(&self, timer: Timer) -> u64 {
        let t = &self.cfg.timeouts;
        ms(match timer {
            Timer::Udp => t.udp,
            Timer::Icmp => t.icmp,
            Timer::TcpEst => t.tcp_established,
            Timer::TcpTrans => t.tcp_transitory,
        })
    }

    /// The RFC 7915 translation alone, for packets the stateful code
    /// leaves to it (malformed ones, an expired hop limit).
    fn stateless(&mut self, input: &[u8], out: &mut [u8]) -> Outcome {
        self.xlat.cfg.mapping.bound = None;
        self.xlat.translate(input, out)
    }

    /// An ICMP error of the translator's own about `input`, refusing it.
    fn refuse_v6(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        reason: DropReason,
        refusal: Option<Refusal>,
    ) -> Outcome {
        if let Some(r) = refusal {
            self.refused[r as usize] += 1;
        }
        // RFC 4443 section 3.1 code 1: communication administratively
        // prohibited.
        icmp::error_v6(&self.xlat, input, 1, 1, [0; 4], reason, out)
    }

    fn refuse_v4(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        code: u8,
        reason: DropReason,
        refusal: Option<Refusal>,
    ) -> Outcome {
        if let Some(r) = refusal {
            self.refused[r as usize] += 1;
        }
        icmp::error_v4(&self.xlat, input, 3, code, [0; 4], reason, out)
    }

    /// IPv6 to IPv4 (RFC 6146 sections 3.4 to 3.7), and back to IPv6 when
    /// the destination is a pool4 address (section 3.8).
    fn six_to_four(&mut self, input: &[u8], out: &mut [u8], now: u64) -> Outcome {
        let Ok(ip) = Ipv6Packet::new_checked(input) else {
            return self.stateless(input, out);
        };
        let Ok(layers) = ip.layers(true) else {
            return self.stateless(input, out);
        };
        if self.xlat.cfg.decrement_hop_limit && ip.hop_limit() <= 1 {
            return self.stateless(input, out);
        }
        let Some(dst4) = self.xlat.cfg.mapping.extract(ip.dst()) else {
            return self.stateless(input, out);
        };
        let (src6, dst6) = (ip.src(), ip.dst());
        let pkt = ip.packet();
        let l4 = &pkt[layers.l4_offset..];
        let first = layers.frag.is_none_or(|f| f.offset == 0);
        let frag_key = layers.frag.filter(|f| !f.is_atomic()).map(|f| FragKey::V6 {
            src: src6,
            dst: dst6,
            ident: f.ident,
        });
        let bound = match self.fragment_session(input, now, frag_key, first, true, |nat| {
            nat.flow_v6(input, out, layers.protocol, l4, src6, dst4, now)
        }) {
            Ok(b) => b,
            Err(o) => return o,
        };
        self.emit_v6(input, out, now, bound)
    }

    /// Translates the IPv6 packet `input` of the session `bound`, and
    /// takes it back through the session table when it hairpins.
    fn emit_v6(&mut self, input: &[u8], out: &mut [u8], now: u64, bound: Bound) -> Outcome {
        self.xlat.cfg.mapping.bound = Some((bound.v6, bound.v4));
        let mut hairpin = false;
        let outcome = v6_to_v4::translate_with(&self.xlat, input, out, |o, _| {
            hairpin = true;
            o
        });
        let Outcome::Translated { len, .. } = outcome else {
            return outcome;
        };
        if let Some(r) = bound.rewrite {
            rewrite_v4(&mut out[..len], r);
        }
        if !hairpin {
            return outcome;
        }
        // RFC 6146 section 3.8: the IPv4 packet goes back through the
        // session table as if it had arrived from the IPv4 side.
        let Outcome::Translated { len, count: 1 } = outcome else {
            return Outcome::Dropped(DropReason::PacketTooBig);
        };
        let n = out.len();
        out.copy_within(..len, n - len);
        let (head, tail) = out.split_at_mut(n - len);
        match self.four_to_six(tail, head, now, Some(input)) {
            o @ Outcome::Translated { .. } => o,
            Outcome::Icmp { reason, .. } | Outcome::Dropped(reason) => Outcome::Dropped(reason),
        }
    }

    /// The session of a packet, either direction, fragments included. An
    /// unfragmented packet or a first fragment finds it by `flow`; a first
    /// fragment also leaves it for the rest of its packet (`frag_key`) and
    /// releases those of them that came before it. A later fragment takes
    /// it from its first, or, when that has not come yet, waits for it if
    /// `may_wait` ([`Nat64::queue_fragment`]) and is dropped otherwise.
    /// `Err` holds what to do with `input` instead. Inlined: it is on each
    /// direction's per-packet path.
    #[inline(always)]
    fn fragment_session(
        &mut self,
        input: &[u8],
        now: u64,
        frag_key: Option<FragKey>,
        first: bool,
        may_wait: bool,
        flow: impl FnOnce(&mut Self) -> Result<Bound, Outcome>,
    ) -> Result<Bound, Outcome> {
        if !first {
            return match frag_key.map(|k| (k, self.fragments.get(&k))) {
                Some((_, Some(&(b, _)))) => Ok(Bound { rewrite: None, ..b }),
                Some((k, None)) if may_wait => Err(self.queue_fragment(k, input, now)),
                _ => Err(Outcome::Dropped(DropReason::NoSession)),
            };
        }
        let bound = flow(self)?;
        if let Some(k) = frag_key {
            self.remember_fragment(k, bound, now);
            if !self.waiting.is_empty() {
                self.release_fragments(k, bound, now);
            }
        }
        Ok(bound)
    }

    fn remember_fragment(&mut self, key: FragKey, bound: Bound, now: u64) {
        if self.fragments.len() >= MAX_FRAGMENT_TRAINS && !self.fragments.contains_key(&key) {
            self.fragments.retain(|_, (_, e)| *e > now);
            if self.fragments.len() >= MAX_FRAGMENT_TRAINS {
                return;
            }
        }
        let expires = now + ms(self.cfg.timeouts.fragment);
        self.fragments.insert(key, (bound, expires));
    }

    /// Finds or creates the session of an IPv6 packet's first fragment
    /// (RFC 6146 sections 3.5.1 to 3.5.3), or says what to answer instead.
    #[allow(clippy::too_many_arguments)]
    fn flow_v6(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        protocol: u8,
        l4: &[u8],
        src6: Ipv6Addr,
        dst4: Ipv4Addr,
        now: u64,
    ) -> Result<Bound, Outcome> {
        let (proto, sport, dport, tcp_flags, create) = match protocol {
            proto::TCP => port_head(Protocol::Tcp, l4)?,
            proto::UDP => port_head(Protocol::Udp, l4)?,
            proto::ICMPV6 => {
                let h = l4.get(..8).ok_or(Outcome::Dropped(DropReason::Truncated))?;
                match h[0] {
                    icmp::v6::ECHO_REQUEST => (Protocol::Icmp, be16(h, 4), 0, 0, true),
                    icmp::v6::ECHO_REPLY => (Protocol::Icmp, be16(h, 4), 0, 0, false),
                    ty if icmp::is_v6_error(ty) => return self.error_flow_v6(&l4[8..]),
                    _ => return Err(Outcome::Dropped(DropReason::IcmpUntranslatable)),
                }
            }
            _ => return Err(Outcome::Dropped(DropReason::ProtocolUnsupported)),
        };
        let bib = self.table.bib_by_v6(proto, src6, sport);
        if let Some(slot) = bib.and_then(|b| self.table.session(b, dst4, dport)) {
            // An existing session: refresh it (RFC 6146 section 3.5.1.1).
            let s = self.table.sessions[slot as usize];
            let (state, timer) = if proto == Protocol::Tcp {
                let (state, t) = tcp::on_segment(s.state, true, tcp_flags);
                if state == TcpState::Established && s.state == TcpState::V4Init {
                    self.unstore(dst4, dport, s.bib);
                }
                (state, t)
            } else {
                (s.state, Some(proto.first_timer()))
            };
            self.table.sessions[slot as usize].state = state;
            if let Some(t) = timer {
                let expires = now + self.timeout(t);
                self.table.refresh(slot, t, expires);
            }
            let b = self.table.bibs[s.bib as usize];
            return Ok(Bound {
                v6: src6,
                v4: b.v4,
                rewrite: Some(Rewrite::first(proto, b.port4)),
                remote: dst4,
            });
        }
        if !create {
            return Err(Outcome::Dropped(DropReason::NoSession));
        }
        if self.table.len() >= self.cfg.max_sessions {
            let r = DropReason::SessionLimit;
            return Err(self.refuse_v6(input, out, r, Some(Refusal::SessionLimit)));
        }
        if self.table.host_sessions(src6) as usize >= self.cfg.max_sessions_per_host {
            let r = DropReason::HostSessionLimit;
            return Err(self.refuse_v6(input, out, r, Some(Refusal::HostLimit)));
        }
        let bib = match bib {
            Some(b) => b,
            None => {
                // A stored IPv4 SYN from this remote says which pool4
                // transport address the connection must have.
                let stored = (proto == Protocol::Tcp)
                    .then(|| {
                        self.stored.iter().position(|s| {
                            s.remote == dst4
                                && s.rport == dport
                                && self.table.bib_by_v4(proto, s.local, s.lport).is_none()
                        })
                    })
                    .flatten();
                let chosen = match stored {
                    Some(i) => Some((self.stored[i].local, self.stored[i].lport)),
                    None => {
                        let table = &self.table;
                        self.cfg.pool4.allocate(
                            proto,
                            src6,
                            sport,
                            dst4,
                            dport,
                            self.cfg.port_hash,
                            self.cfg.secret,
                            self.cfg.max_port_probes,
                            table.host_addr(src6),
                            &mut self.next_ephemeral,
                            |a, p| table.bib_by_v4(proto, a, p).is_some(),
                        )
                    }
                };
                let Some((v4, port4)) = chosen else {
                    let r = DropReason::PortsExhausted;
                    return Err(self.refuse_v6(input, out, r, Some(Refusal::PortsExhausted)));
                };
                self.table.add_bib(Bib {
                    v6: src6,
                    v4,
                    port6: sport,
                    port4,
                    proto,
                    is_static: false,
                    sessions: 0,
                })
            }
        };
        let b = self.table.bibs[bib as usize];
        let (state, timer) = if proto == Protocol::Tcp {
            if self.unstore(dst4, dport, bib) {
                // Simultaneous open: V4 INIT, then the IPv6 SYN.
                (TcpState::Established, Timer::TcpEst)
            } else {
                (TcpState::V6Init, Timer::TcpTrans)
            }
        } else {
            (TcpState::Closed, proto.first_timer())
        };
        let expires = now + self.timeout(timer);
        self.table
            .add_session(bib, dst4, dport, state, timer, expires);
        self.created[proto.index()] += 1;
        Ok(Bound {
            v6: src6,
            v4: b.v4,
            rewrite: Some(Rewrite::first(proto, b.port4)),
            remote: dst4,
        })
    }

    /// Drops the IPv4 SYN stored from `remote`:`rport` to the pool4
    /// transport address of `bib`, if any; says whether there was one.
    fn unstore(&mut self, remote: Ipv4Addr, rport: u16, bib: u32) -> bool {
        let b = self.table.bibs[bib as usize];
        let found = self.stored.iter().position(|s| {
            s.remote == remote && s.rport == rport && s.local == b.v4 && s.lport == b.port4
        });
        if let Some(i) = found {
            self.stored.swap_remove(i);
        }
        found.is_some()
    }

    /// The session of the packet inside an ICMPv6 error (RFC 6146
    /// section 3.5.4 applied to errors, as in section 3.6): the packet
    /// went from a remote to an IPv6 host.
    fn error_flow_v6(&mut self, inner: &[u8]) -> Result<Bound, Outcome> {
        let none = Outcome::Dropped(DropReason::NoSession);
        let bad = Outcome::Dropped(DropReason::IcmpInnerPacket);
        let ip = Ipv6Packet::new_lax(inner).map_err(|_| bad)?;
        let layers = ip.layers(false).map_err(|_| bad)?;
        if layers.frag.is_some_and(|f| f.offset != 0) {
            return Err(none);
        }
        let remote = self.xlat.cfg.mapping.extract(ip.src()).ok_or(bad)?;
        let host = ip.dst();
        let l4 = &ip.packet()[layers.l4_offset..];
        let (proto, hport, rport) = inner_head(layers.protocol, l4, true)?;
        let bib = self.table.bib_by_v6(proto, host, hport).ok_or(none)?;
        self.table.session(bib, remote, rport).ok_or(none)?;
        let b = self.table.bibs[bib as usize];
        Ok(Bound {
            v6: host,
            v4: b.v4,
            rewrite: Some(Rewrite::inner(proto, b.port4)),
            remote,
        })
    }

    /// IPv4 to IPv6 (RFC 6146 sections 3.4 to 3.7). `hairpin` holds the
    /// original IPv6 packet when `input` is its translation on the way
    /// back (section 3.8).
    fn four_to_six(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        now: u64,
        hairpin: Option<&[u8]>,
    ) -> Outcome {
        let Ok(ip) = Ipv4Packet::new_checked(input) else {
            return self.stateless(input, out);
        };
        if !ip.checksum_ok() {
            return Outcome::Dropped(DropReason::Ipv4Checksum);
        }
        let pass = if hairpin.is_some() {
            Pass::Hairpin
        } else {
            Pass::First
        };
        if pass == Pass::First && self.xlat.cfg.decrement_hop_limit && ip.ttl() <= 1 {
            return self.stateless(input, out);
        }
        if !self.xlat.cfg.mapping.in_pool(ip.dst()) {
            return Outcome::Dropped(DropReason::DestinationUnmapped);
        }
        let first = ip.frag_offset() == 0;
        let frag_key = ip.is_fragment().then(|| FragKey::V4 {
            src: ip.src(),
            dst: ip.dst(),
            proto: ip.protocol(),
            ident: ip.ident(),
        });
        // A hairpinned fragment is not kept: the IPv6 one is.
        let may_wait = hairpin.is_none();
        let bound = match self.fragment_session(input, now, frag_key, first, may_wait, |nat| {
            nat.flow_v4(&ip, input, out, now, hairpin)
        }) {
            Ok(b) => b,
            Err(o) => return o,
        };
        self.emit_v4(input, out, bound, hairpin)
    }

    /// Translates the IPv4 packet `input` (checked) of the session
    /// `bound`; `hairpin` as for `four_to_six`.
    fn emit_v4(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        bound: Bound,
        hairpin: Option<&[u8]>,
    ) -> Outcome {
        let pass = if hairpin.is_some() {
            Pass::Hairpin
        } else {
            Pass::First
        };
        self.xlat.cfg.mapping.bound = Some((bound.v6, bound.v4));
        let outcome = v4_to_v6::translate(&self.xlat, input, out, pass);
        let Outcome::Translated { len, .. } = outcome else {
            return outcome;
        };
        let ihl = usize::from(input[0] & 0x0f) * 4;
        let is_error = input[9] == proto::ICMP
            && ihl < usize::from(be16(input, 2))
            && input.get(ihl).is_some_and(|&t| icmp::is_v4_error(t));
        if let Some(r) = bound.rewrite {
            rewrite_v6(&mut out[..len], r);
        }
        if is_error && !self.cfg.source_icmpv6_errors_better && pass == Pass::First {
            if let Some(src) = self.xlat.cfg.mapping.embed(bound.remote) {
                out[8..24].copy_from_slice(&src.octets());
                fix_icmpv6_checksum(&mut out[..len]);
            }
        }
        if self.cfg.zeroize_traffic_class {
            let mut at = 0;
            while at + 40 <= len {
                out[at] &= 0xf0;
                out[at + 1] &= 0x0f;
                at += 40 + usize::from(be16(&out[at..], 4));
            }
        }
        outcome
    }

    /// Finds or creates the session of an IPv4 packet's first fragment.
    fn flow_v4(
        &mut self,
        ip: &Ipv4Packet<'_>,
        input: &[u8],
        out: &mut [u8],
        now: u64,
        hairpin: Option<&[u8]>,
    ) -> Result<Bound, Outcome> {
        let l4 = ip.payload();
        let (src4, dst4) = (ip.src(), ip.dst());
        let (proto, rport, lport, tcp_flags, create) = match ip.protocol() {
            proto::TCP => port_head(Protocol::Tcp, l4)?,
            proto::UDP => port_head(Protocol::Udp, l4)?,
            proto::ICMP => {
                let h = l4.get(..8).ok_or(Outcome::Dropped(DropReason::Truncated))?;
                match h[0] {
                    icmp::v4::ECHO_REQUEST => (Protocol::Icmp, 0, be16(h, 4), 0, true),
                    icmp::v4::ECHO_REPLY => (Protocol::Icmp, 0, be16(h, 4), 0, false),
                    ty if icmp::is_v4_error(ty) => return self.error_flow_v4(&l4[8..]),
                    _ => return Err(Outcome::Dropped(DropReason::IcmpUntranslatable)),
                }
            }
            _ => return Err(Outcome::Dropped(DropReason::ProtocolUnsupported)),
        };
        let first_pass = hairpin.is_none();
        let Some(bib) = self.table.bib_by_v4(proto, dst4, lport) else {
            let reason = DropReason::NoBinding;
            return Err(match proto {
                Protocol::Tcp if create => {
                    self.store_syn(input, hairpin, src4, rport, dst4, lport, now)
                }
                // RFC 6146 section 3.5.1.1 (as Jool): Port Unreachable.
                Protocol::Udp if first_pass => self.refuse_v4(input, out, 3, reason, None),
                _ => Outcome::Dropped(reason),
            });
        };
        let b = self.table.bibs[bib as usize];
        if let Some(slot) = self.table.session(bib, src4, rport) {
            let s = self.table.sessions[slot as usize];
            let timer = match proto {
                Protocol::Tcp => {
                    let (state, t) = tcp::on_segment(s.state, false, tcp_flags);
                    self.table.sessions[slot as usize].state = state;
                    t
                }
                Protocol::Udp | Protocol::Icmp => Some(proto.first_timer()),
            };
            if let Some(t) = timer {
                let expires = now + self.timeout(t);
                self.table.refresh(slot, t, expires);
            }
            return Ok(Bound {
                v6: b.v6,
                v4: dst4,
                rewrite: Some(Rewrite::first(proto, b.port6)),
                remote: src4,
            });
        }
        if !create {
            return Err(Outcome::Dropped(DropReason::NoSession));
        }
        let mut prohibited = |nat: &mut Self, reason, refusal: Option<Refusal>| {
            if first_pass {
                nat.refuse_v4(input, out, 13, reason, refusal)
            } else {
                if let Some(r) = refusal {
                    nat.refused[r as usize] += 1;
                }
                Outcome::Dropped(reason)
            }
        };
        if self.cfg.filtering == Filtering::AddressDependent && !self.table.talks_to(bib, src4) {
            return Err(prohibited(self, DropReason::Filtered, None));
        }
        if self.table.len() >= self.cfg.max_sessions {
            let r = Some(Refusal::SessionLimit);
            return Err(prohibited(self, DropReason::SessionLimit, r));
        }
        if self.table.host_sessions(b.v6) as usize >= self.cfg.max_sessions_per_host {
            let r = Some(Refusal::HostLimit);
            return Err(prohibited(self, DropReason::HostSessionLimit, r));
        }
        let state = match proto {
            Protocol::Tcp => TcpState::V4Init,
            Protocol::Udp | Protocol::Icmp => TcpState::Closed,
        };
        let timer = proto.first_timer();
        let expires = now + self.timeout(timer);
        self.table
            .add_session(bib, src4, rport, state, timer, expires);
        self.created[proto.index()] += 1;
        Ok(Bound {
            v6: b.v6,
            v4: dst4,
            rewrite: Some(Rewrite::first(proto, b.port6)),
            remote: src4,
        })
    }

    /// Keeps an IPv4 SYN that found no binding for TCP_INCOMING_SYN
    /// (RFC 6146 section 3.5.2.2), in case the IPv6 side opens the same
    /// connection; [`Nat64::expire`] answers it otherwise.
    #[allow(clippy::too_many_arguments)]
    fn store_syn(
        &mut self,
        input: &[u8],
        hairpin: Option<&[u8]>,
        remote: Ipv4Addr,
        rport: u16,
        local: Ipv4Addr,
        lport: u16,
        now: u64,
    ) -> Outcome {
        let same = |s: &StoredSyn| {
            s.remote == remote && s.rport == rport && s.local == local && s.lport == lport
        };
        if self.stored.iter().any(same) {
            return Outcome::Dropped(DropReason::SynStored);
        }
        if self.stored.len() >= self.cfg.max_stored_syns {
            self.refused[Refusal::StoredSynLimit as usize] += 1;
            return Outcome::Dropped(DropReason::NoBinding);
        }
        let packet = hairpin.unwrap_or(input);
        self.stored.push(StoredSyn {
            remote,
            rport,
            local,
            lport,
            expires: now + ms(self.cfg.timeouts.tcp_incoming_syn),
            packet: packet.into(),
        });
        Outcome::Dropped(DropReason::SynStored)
    }

    /// The session of the packet inside an ICMPv4 error: the packet went
    /// from a pool4 transport address to a remote.
    fn error_flow_v4(&mut self, inner: &[u8]) -> Result<Bound, Outcome> {
        let none = Outcome::Dropped(DropReason::NoSession);
        let bad = Outcome::Dropped(DropReason::IcmpInnerPacket);
        let ip = Ipv4Packet::new_lax(inner).map_err(|_| bad)?;
        if ip.frag_offset() != 0 {
            return Err(none);
        }
        let l4 = ip.payload();
        let (proto, lport, rport) = inner_head(ip.protocol(), l4, false)?;
        let bib = self.table.bib_by_v4(proto, ip.src(), lport).ok_or(none)?;
        self.table.session(bib, ip.dst(), rport).ok_or(none)?;
        let b = self.table.bibs[bib as usize];
        Ok(Bound {
            v6: b.v6,
            v4: ip.src(),
            rewrite: Some(Rewrite::inner(proto, b.port6)),
            remote: ip.dst(),
        })
    }
}

/// The flow of the packet quoted in an ICMP error, from its transport
/// header `l4` (IP protocol `protocol`): the protocol, the port of our
/// side (the IPv6 host's, or the pool4 address's), the remote's port (0
/// for an ICMP Echo, whose identifier is our side's). An IPv6 packet (`ipv6`) went to the
/// IPv6 host, so our side is its destination; an IPv4 one went from the
/// pool4 address, so ours is its source. An error inside an error is bad
/// (RFC 7915 sections 4.3 and 5.3); another protocol has no session.
fn inner_head(protocol: u8, l4: &[u8], ipv6: bool) -> Result<(Protocol, u16, u16), Outcome> {
    let bad = Outcome::Dropped(DropReason::IcmpInnerPacket);
    let (icmp_protocol, is_error): (u8, fn(u8) -> bool) = if ipv6 {
        (proto::ICMPV6, icmp::is_v6_error)
    } else {
        (proto::ICMP, icmp::is_v4_error)
    };
    match protocol {
        proto::TCP | proto::UDP => {
            let h = l4.get(..4).ok_or(bad)?;
            let p = if protocol == proto::TCP {
                Protocol::Tcp
            } else {
                Protocol::Udp
            };
            let (src, dst) = (be16(h, 0), be16(h, 2));
            let (ours, remote) = if ipv6 { (dst, src) } else { (src, dst) };
            Ok((p, ours, remote))
        }
        p if p == icmp_protocol => {
            let h = l4.get(..6).ok_or(bad)?;
            if is_error(h[0]) {
                return Err(bad);
            }
            Ok((Protocol::Icmp, be16(h, 4), 0))
        }
        _ => Err(Outcome::Dropped(DropReason::NoSession)),
    }
}

/// The flow fields of a TCP or UDP header `l4` (`proto`), in the order
/// the flow lookups take them: the protocol, source and destination
/// ports, the TCP flags (0 for UDP) and whether the packet may create a
/// session (a TCP SYN, any UDP datagram: RFC 6146 section 3.5).
fn port_head(proto: Protocol, l4: &[u8]) -> Result<(Protocol, u16, u16, u8, bool), Outcome> {
    let truncated = Outcome::Dropped(DropReason::Truncated);
    if proto == Protocol::Tcp {
        let h = l4.get(..20).ok_or(truncated)?;
        let f = h[13];
        Ok((proto, be16(h, 0), be16(h, 2), f, f & flags::SYN != 0))
    } else {
        let h = l4.get(..8).ok_or(truncated)?;
        Ok((proto, be16(h, 0), be16(h, 2), 0, true))
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Replaces the 16-bit word at `at` of `b` with `new`, and updates the
/// checksum at `csum` to match (RFC 1624), if both are inside `b`. A zero
/// UDP checksum (none) is left alone when `udp`.
fn put_word(b: &mut [u8], at: usize, new: u16, csum: Option<usize>, udp: bool) {
    if at + 2 > b.len() {
        return;
    }
    let old = be16(b, at);
    b[at..at + 2].copy_from_slice(&new.to_be_bytes());
    let Some(c) = csum.filter(|&c| c + 2 <= b.len()) else {
        return;
    };
    let sum = be16(b, c);
    if udp && sum == 0 {
        return;
    }
    let mut sum = checksum::update(sum, Sum::word(old), Sum::word(new));
    if udp && sum == 0 {
        sum = 0xffff;
    }
    b[c..c + 2].copy_from_slice(&sum.to_be_bytes());
}

/// Writes the binding's port into the first IPv4 packet of `out` (as the
/// RFC 7915 code wrote it: a 20-byte header).
fn rewrite_v4(out: &mut [u8], r: Rewrite) {
    if out.len() < 20 || be16(out, 6) & 0x1fff != 0 {
        return;
    }
    let total = usize::from(be16(out, 2)).min(out.len());
    let p = &mut out[..total];
    let protocol = p[9];
    match r {
        Rewrite::Port(port) => write_port(&mut p[20..], protocol, 0, port),
        Rewrite::EchoId(id) => put_word(&mut p[20..], 4, id, Some(2), false),
        Rewrite::InnerPort(_) | Rewrite::InnerEchoId(_) => {
            // An ICMPv4 error: the quoted IPv4 packet starts at 28.
            if p.len() < 48 {
                return;
            }
            let inner_protocol = p[37];
            let at = 28 + usize::from(p[28] & 0x0f) * 4;
            if at <= p.len() {
                match r {
                    Rewrite::InnerPort(port) => write_port(&mut p[at..], inner_protocol, 2, port),
                    Rewrite::InnerEchoId(id) => put_word(&mut p[at..], 4, id, Some(2), false),
                    _ => {}
                }
            }
            p[22..24].copy_from_slice(&[0, 0]);
            let c = Sum::of(&p[20..]).checksum();
            p[22..24].copy_from_slice(&c.to_be_bytes());
        }
    }
}

/// Writes `port` at `at` (0: source, 2: destination) of the TCP or UDP
/// header at the start of `l4`, with its checksum.
fn write_port(l4: &mut [u8], protocol: u8, at: usize, port: u16) {
    match protocol {
        proto::TCP => put_word(l4, at, port, Some(16), false),
        proto::UDP => put_word(l4, at, port, Some(6), true),
        _ => {}
    }
}

/// Writes the binding's port into the first IPv6 packet of `out`.
fn rewrite_v6(out: &mut [u8], r: Rewrite) {
    if out.len() < 40 {
        return;
    }
    let total = (40 + usize::from(be16(out, 4))).min(out.len());
    let p = &mut out[..total];
    let (mut protocol, mut at) = (p[6], 40);
    if protocol == ipv6::next_header::FRAGMENT {
        if p.len() < 48 || be16(p, 42) & 0xfff8 != 0 {
            return;
        }
        protocol = p[40];
        at = 48;
    }
    match r {
        Rewrite::Port(port) => write_port(&mut p[at..], protocol, 2, port),
        Rewrite::EchoId(id) => put_word(&mut p[at..], 4, id, Some(2), false),
        Rewrite::InnerPort(_) | Rewrite::InnerEchoId(_) => {
            if p.len() < 88 {
                return;
            }
            let (mut inner_protocol, mut at) = (p[54], 88);
            if inner_protocol == ipv6::next_header::FRAGMENT {
                if p.len() < 96 {
                    return;
                }
                inner_protocol = p[88];
                at = 96;
            }
            match r {
                Rewrite::InnerPort(port) => write_port(&mut p[at..], inner_protocol, 0, port),
                Rewrite::InnerEchoId(id) => put_word(&mut p[at..], 4, id, Some(2), false),
                _ => {}
            }
            fix_icmpv6_checksum(p);
        }
    }
}

/// Computes the ICMPv6 checksum of the IPv6 packet `p` (no extension
/// headers) again.
fn fix_icmpv6_checksum(p: &mut [u8]) {
    let src = Ipv6Addr::from(<[u8; 16]>::try_from(&p[8..24]).unwrap_or([0; 16]));
    let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&p[24..40]).unwrap_or([0; 16]));
    p[42..44].copy_from_slice(&[0, 0]);
    let len = (p.len() - 40) as u32;
    let c = checksum::v6_pseudo(src, dst, len, proto::ICMPV6)
        .add(Sum::of(&p[40..]))
        .checksum();
    p[42..44].copy_from_slice(&c.to_be_bytes());
}
