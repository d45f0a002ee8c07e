//! The decisions of the NDP proxy: which Neighbor Solicitations are
//! answered, when the internal side is asked first, what is remembered and
//! for how long, and which host routes follow from it.
//!
//! A sans-IO state machine in the manner of quinn: packets go in through
//! [`Responder::handle_packet`] with the time they arrived, timers through
//! [`Responder::handle_timeout`], and what to do comes out of
//! [`Responder::poll_output`] (messages to send, routes to add or remove)
//! and [`Responder::poll_timeout`] (when to call again).
//!
//! What is validated follows RFC 4861 section 7.1.1 (solicitations) and
//! 7.1.2 (advertisements); the answer is the proxy advertisement of
//! section 7.2.8 as RFC 4389 section 4.1.3.3 uses it: Solicited set when
//! the solicitation had a source (section 7.2.4), Override clear so that
//! the real owner's own advertisement always wins, and the Target
//! Link-Layer Address option holding the proxying interface's address.
//! Answers leave at once, as ndppd's do, rather than after the random
//! delay of up to MAX_ANYCAST_DELAY_TIME that section 7.2.8 suggests: with
//! Override clear, the owner's own advertisement wins anyway.

use core::net::Ipv6Addr;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use ipnet::Ipv6Net;
use v6ra::wire::{NdiscOptionRepr, NeighborFlags, Packet, Repr, checksum};

use super::config::{Config, Proxy, RuleKind};

/// The most targets asked about or remembered at once; solicitations for
/// further targets are dropped until entries expire, so that a stranger
/// soliciting a whole /64 cannot exhaust memory.
pub const MAX_SESSIONS: usize = 4096;

/// The most solicitors waiting for one target's answer.
const MAX_PENDING: usize = 16;

/// The all-nodes multicast address, where answers to duplicate address
/// detection go (RFC 4861 section 7.2.4).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The solicited-node multicast address of `target` (RFC 4291 section
/// 2.7.1), where solicitations for it are sent.
pub fn solicited_node(target: Ipv6Addr) -> Ipv6Addr {
    let o = target.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// A route of the host's routing table, as `auto` rules read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination.
    pub prefix: Ipv6Net,
    /// The interface it leaves by.
    pub iface: String,
    /// The gateway, if it is not on-link.
    pub via: Option<Ipv6Addr>,
}

/// A neighbor-discovery message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The interface to send it on.
    pub iface: String,
    /// The IPv6 destination; the hop limit must be 255 (RFC 4861 section
    /// 7.1).
    pub destination: Ipv6Addr,
    /// The message.
    pub message: Repr,
}

impl Transmit {
    /// The ICMPv6 message with its checksum computed for `source`. A raw
    /// ICMPv6 socket recomputes the checksum anyway (RFC 3542 section 3.1),
    /// so a daemon that lets the kernel choose the source may pass any.
    pub fn to_bytes(&self, source: &Ipv6Addr) -> Vec<u8> {
        // Only the link-layer address options are emitted, which cannot
        // fail; an empty message would be dropped by the kernel's peer.
        self.message
            .to_bytes(source, &self.destination)
            .unwrap_or_default()
    }
}

/// A host route the daemon adds (`Wire`) or removes (`Unwire`) for
/// `autowire` (as ndppd does), so that forwarded packets for a proxied
/// address leave by the internal interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostRoute {
    /// The address, routed as a /128.
    pub target: Ipv6Addr,
    /// The internal interface it was found behind.
    pub iface: String,
    /// The gateway, for `auto` rules with `autovia`.
    pub via: Option<Ipv6Addr>,
}

/// Something for the daemon to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a message.
    Transmit(Transmit),
    /// Add a host route.
    Wire(HostRoute),
    /// Remove a host route added before.
    Unwire(HostRoute),
}

/// What became of a packet that was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A solicitation was answered at once.
    Answered,
    /// A solicitation made the proxy ask the internal side.
    Asked,
    /// A solicitation waits for an answer already asked for.
    Waiting,
    /// A solicitation for a target the internal side did not answer for
    /// recently; not answered.
    Unreachable,
    /// An advertisement from the internal side was awaited and answered
    /// the solicitors.
    Learned,
    /// An advertisement nobody asked for; ignored.
    Ignored,
}

impl Outcome {
    /// A short name, for counters and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Asked => "asked",
            Outcome::Waiting => "waiting",
            Outcome::Unreachable => "unreachable",
            Outcome::Learned => "learned",
            Outcome::Ignored => "ignored",
        }
    }
}

/// Why a packet was dropped.
///
/// Small and `Copy`, so that the daemon can count drops by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Drop {
    /// Not a whole IPv6 header, or a payload length beyond the packet.
    #[error("not a whole IPv6 packet")]
    Truncated,
    /// The IP version is not 6.
    #[error("not IPv6")]
    NotIpv6,
    /// The next header is not ICMPv6 (neighbor discovery carries no
    /// extension headers worth following).
    #[error("not ICMPv6")]
    NotIcmpv6,
    /// The hop limit is not 255 (RFC 4861 sections 7.1.1 and 7.1.2): the
    /// packet came through a router.
    #[error("hop limit not 255")]
    HopLimit,
    /// The ICMPv6 checksum is wrong.
    #[error("bad ICMPv6 checksum")]
    Checksum,
    /// Not a neighbor solicitation or advertisement.
    #[error("not a neighbor solicitation or advertisement")]
    NotNeighbor,
    /// A malformed message or option.
    #[error("malformed: {0}")]
    Malformed(v6ra::Error),
    /// A multicast target, or a DAD solicitation not sent to the target's
    /// solicited-node address or carrying a source link-layer address
    /// (RFC 4861 section 7.1.1), or a multicast advertisement with the
    /// Solicited flag (section 7.1.2).
    #[error("invalid per RFC 4861 section 7.1")]
    Invalid,
    /// A solicitation on an interface that is not proxied.
    #[error("interface not proxied")]
    NotProxied,
    /// No rule covers the target.
    #[error("no rule for the target")]
    NoRule,
    /// An `auto` rule found no route for the target other than back out
    /// the interface it was asked on.
    #[error("no route for the target")]
    NoRoute,
    /// The target is one of the host's own addresses: the kernel answers.
    #[error("target is the host's own address")]
    OwnAddress,
    /// The interface's link-layer address is not known.
    #[error("link-layer address unknown")]
    NoLinkAddress,
    /// [`MAX_SESSIONS`] targets are already being asked about.
    #[error("too many targets pending")]
    TooManySessions,
}

impl Drop {
    /// A short name, for counters and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Drop::Truncated => "truncated",
            Drop::NotIpv6 => "not_ipv6",
            Drop::NotIcmpv6 => "not_icmpv6",
            Drop::HopLimit => "hop_limit",
            Drop::Checksum => "checksum",
            Drop::NotNeighbor => "not_neighbor",
            Drop::Malformed(_) => "malformed",
            Drop::Invalid => "invalid",
            Drop::NotProxied => "not_proxied",
            Drop::NoRule => "no_rule",
            Drop::NoRoute => "no_route",
            Drop::OwnAddress => "own_address",
            Drop::NoLinkAddress => "no_link_address",
            Drop::TooManySessions => "too_many_sessions",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Asked; no answer yet.
    Waiting,
    /// The internal side answered; solicitations are answered.
    Valid,
    /// Valid, and being asked again before it expires (`keepalive`).
    Renewing,
    /// Asked `retries` times without an answer; solicitations are not
    /// answered until the entry expires.
    Invalid,
}

/// Who waits for an answer about a target.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    /// The proxied interface the solicitation came in on.
    proxy: usize,
    /// Its source; unspecified for duplicate address detection.
    solicitor: Ipv6Addr,
}

/// What is known about one target behind one internal interface.
#[derive(Debug, Clone)]
struct Session {
    state: State,
    deadline: Instant,
    retries_left: u32,
    pending: Vec<Pending>,
    /// The proxy whose rule created it: its timers and `autowire`.
    proxy: usize,
    via: Option<Ipv6Addr>,
    wired: bool,
}

/// The NDP proxy's state machine; see the [module](self) documentation.
#[derive(Debug)]
pub struct Responder {
    config: Config,
    link_addrs: HashMap<String, Vec<u8>>,
    local: HashSet<Ipv6Addr>,
    routes: Vec<Route>,
    sessions: BTreeMap<(Ipv6Addr, String), Session>,
    out: VecDeque<Output>,
}

impl Responder {
    /// A responder for `config`, knowing no link-layer addresses yet.
    pub fn new(config: Config) -> Self {
        Responder {
            config,
            link_addrs: HashMap::new(),
            local: HashSet::new(),
            routes: Vec::new(),
            sessions: BTreeMap::new(),
            out: VecDeque::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every interface the responder may receive on or send from: the
    /// proxied ones, the internal ones of `iface` rules, and those that
    /// routes overlapping an `auto` rule's prefix leave by (as the routing
    /// table was last [set](Self::set_routes)).
    pub fn interfaces(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for p in &self.config.proxies {
            let rule_ifaces = p.rules.iter().flat_map(|r| match &r.kind {
                RuleKind::Iface(i) => vec![i],
                RuleKind::Auto => self
                    .routes
                    .iter()
                    .filter(|route| {
                        route.prefix.contains(&r.prefix) || r.prefix.contains(&route.prefix)
                    })
                    .map(|route| &route.iface)
                    .collect(),
                RuleKind::Static => vec![],
            });
            for name in core::iter::once(&p.iface).chain(rule_ifaces) {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names
    }

    /// Whether some rule is `auto`, so that the routing table is needed.
    pub fn needs_routes(&self) -> bool {
        self.config
            .proxies
            .iter()
            .flat_map(|p| &p.rules)
            .any(|r| r.kind == RuleKind::Auto)
    }

    /// Sets the link-layer address of interface `iface`, which goes into
    /// the options of what is sent there.
    pub fn set_link_addr(&mut self, iface: &str, addr: Vec<u8>) {
        self.link_addrs.insert(iface.to_string(), addr);
    }

    /// Sets the host's own addresses, which are never proxied.
    pub fn set_local_addresses(&mut self, addresses: impl IntoIterator<Item = Ipv6Addr>) {
        self.local = addresses.into_iter().collect();
    }

    /// Sets the routing table that `auto` rules look targets up in.
    pub fn set_routes(&mut self, routes: Vec<Route>) {
        self.routes = routes;
    }

    /// Changes the configuration (SIGHUP): everything learned is forgotten
    /// and every host route added is removed, as the rules may differ.
    pub fn reload(&mut self, config: Config) {
        self.shutdown();
        self.config = config;
    }

    /// Forgets everything and asks for every host route added to be
    /// removed, as at exit.
    pub fn shutdown(&mut self) {
        for ((target, iface), s) in core::mem::take(&mut self.sessions) {
            if s.wired {
                self.out.push_back(Output::Unwire(HostRoute {
                    target,
                    iface,
                    via: s.via,
                }));
            }
        }
    }

    /// The number of targets asked about or remembered.
    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// The next thing to do, if any.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sessions.values().map(|s| s.deadline).min()
    }

    /// Handles an IPv6 packet (from its fixed header on) that arrived on
    /// `iface` at `now`: a Neighbor Solicitation on a proxied interface
    /// (received as RFC 4861 section 7.2.3 describes, answered as section
    /// 7.2.8 allows) or a Neighbor Advertisement on an internal one
    /// (section 7.2.5) answering what was asked there.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        iface: &str,
        packet: &[u8],
    ) -> Result<Outcome, Drop> {
        let ip = Ipv6Header::parse(packet)?;
        if ip.next_header != checksum::NEXT_HEADER_ICMPV6 {
            return Err(Drop::NotIcmpv6);
        }
        let icmp = ip.payload;
        let view = Packet::new_checked(icmp).map_err(|e| match e {
            v6ra::Error::MessageType(_) => Drop::NotNeighbor,
            e => Drop::Malformed(e),
        })?;
        if ip.hop_limit != 255 {
            return Err(Drop::HopLimit);
        }
        if !view.verify_checksum(&ip.source, &ip.destination) {
            return Err(Drop::Checksum);
        }
        match Repr::parse(&view).map_err(Drop::Malformed)? {
            Repr::NeighborSolicit { target, options } => {
                // RFC 4861 section 7.1.1.
                if target.is_multicast() {
                    return Err(Drop::Invalid);
                }
                if ip.source.is_unspecified()
                    && (ip.destination != solicited_node(target)
                        || options
                            .iter()
                            .any(|o| matches!(o, NdiscOptionRepr::SourceLinkLayerAddr(_))))
                {
                    return Err(Drop::Invalid);
                }
                self.solicit(now, iface, ip.source, target)
            }
            Repr::NeighborAdvert { flags, target, .. } => {
                // RFC 4861 section 7.1.2.
                if target.is_multicast() || (ip.destination.is_multicast() && flags.solicited) {
                    return Err(Drop::Invalid);
                }
                Ok(self.advert(now, iface, target))
            }
            _ => Err(Drop::NotNeighbor),
        }
    }

    fn solicit(
        &mut self,
        now: Instant,
        iface: &str,
        solicitor: Ipv6Addr,
        target: Ipv6Addr,
    ) -> Result<Outcome, Drop> {
        let proxy = self
            .config
            .proxies
            .iter()
            .position(|p| p.iface == iface)
            .ok_or(Drop::NotProxied)?;
        if self.local.contains(&target) {
            return Err(Drop::OwnAddress);
        }
        let p = &self.config.proxies[proxy];
        let rule = p
            .rules
            .iter()
            .find(|r| r.prefix.contains(&target))
            .ok_or(Drop::NoRule)?;
        let pending = Pending { proxy, solicitor };
        match &rule.kind {
            RuleKind::Static => {
                self.answer(&pending, target)?;
                Ok(Outcome::Answered)
            }
            RuleKind::Iface(internal) if internal == iface => Err(Drop::NoRule),
            RuleKind::Iface(internal) => {
                let internal = internal.clone();
                self.ask(now, pending, target, internal, None)
            }
            RuleKind::Auto => {
                let route = self
                    .routes
                    .iter()
                    .filter(|r| r.prefix.contains(&target))
                    .max_by_key(|r| r.prefix.prefix_len())
                    .filter(|r| r.iface != iface)
                    .ok_or(Drop::NoRoute)?;
                let via = if rule.autovia { route.via } else { None };
                let internal = route.iface.clone();
                self.ask(now, pending, target, internal, via)
            }
        }
    }

    /// Answers from the cache, or asks `internal` about `target`.
    fn ask(
        &mut self,
        now: Instant,
        pending: Pending,
        target: Ipv6Addr,
        internal: String,
        via: Option<Ipv6Addr>,
    ) -> Result<Outcome, Drop> {
        let key = (target, internal);
        if let Some(s) = self.sessions.get_mut(&key) {
            return match s.state {
                State::Valid | State::Renewing => {
                    self.answer(&pending, target)?;
                    Ok(Outcome::Answered)
                }
                State::Waiting => {
                    if s.pending.len() < MAX_PENDING && !s.pending.contains(&pending) {
                        s.pending.push(pending);
                    }
                    Ok(Outcome::Waiting)
                }
                State::Invalid => Ok(Outcome::Unreachable),
            };
        }
        if self.sessions.len() >= MAX_SESSIONS {
            return Err(Drop::TooManySessions);
        }
        if !self.link_addrs.contains_key(&key.1) {
            return Err(Drop::NoLinkAddress);
        }
        let p = &self.config.proxies[pending.proxy];
        let session = Session {
            state: State::Waiting,
            deadline: now + p.timeout,
            retries_left: p.retries,
            proxy: pending.proxy,
            pending: vec![pending],
            via,
            wired: false,
        };
        self.send_solicit(target, &key.1);
        self.sessions.insert(key, session);
        Ok(Outcome::Asked)
    }

    fn advert(&mut self, now: Instant, iface: &str, target: Ipv6Addr) -> Outcome {
        let Some(s) = self.sessions.get_mut(&(target, iface.to_string())) else {
            return Outcome::Ignored;
        };
        let p = &self.config.proxies[s.proxy];
        s.state = State::Valid;
        s.deadline = now + p.ttl;
        s.retries_left = p.retries;
        let pending = core::mem::take(&mut s.pending);
        let wire = p.autowire && !s.wired;
        s.wired |= wire;
        let via = s.via;
        if wire {
            self.out.push_back(Output::Wire(HostRoute {
                target,
                iface: iface.to_string(),
                via,
            }));
        }
        for waiting in &pending {
            // A link-layer address that went away cannot be answered with;
            // the next solicitation will be once it is back.
            let _ = self.answer(waiting, target);
        }
        Outcome::Learned
    }

    /// Handles every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<(Ipv6Addr, String)> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            let Some(s) = self.sessions.get_mut(&key) else {
                continue;
            };
            let p = &self.config.proxies[s.proxy];
            let (timeout, ttl, retries, keepalive) = (p.timeout, p.ttl, p.retries, p.keepalive);
            match s.state {
                State::Waiting | State::Renewing if s.retries_left > 0 => {
                    s.retries_left -= 1;
                    s.deadline = now + timeout;
                    self.send_solicit(key.0, &key.1);
                }
                State::Waiting => {
                    // Remembered as absent for `ttl` (ndppd's deadtime).
                    s.state = State::Invalid;
                    s.deadline = now + ttl.max(Duration::from_millis(1));
                    s.pending.clear();
                }
                State::Valid if keepalive => {
                    s.state = State::Renewing;
                    s.retries_left = retries;
                    s.deadline = now + timeout;
                    self.send_solicit(key.0, &key.1);
                }
                State::Valid | State::Renewing | State::Invalid => self.remove(&key),
            }
        }
    }

    fn remove(&mut self, key: &(Ipv6Addr, String)) {
        if let Some(s) = self.sessions.remove(key) {
            if s.wired {
                self.out.push_back(Output::Unwire(HostRoute {
                    target: key.0,
                    iface: key.1.clone(),
                    via: s.via,
                }));
            }
        }
    }

    /// Queues a solicitation for `target` on `iface` (RFC 4861 section
    /// 7.2.2): to its solicited-node address, with our link-layer address.
    fn send_solicit(&mut self, target: Ipv6Addr, iface: &str) {
        let options = self
            .link_addrs
            .get(iface)
            .map(|mac| vec![NdiscOptionRepr::SourceLinkLayerAddr(mac.clone())])
            .unwrap_or_default();
        self.out.push_back(Output::Transmit(Transmit {
            iface: iface.to_string(),
            destination: solicited_node(target),
            message: Repr::NeighborSolicit { target, options },
        }));
    }

    /// Queues the proxy advertisement for `target` to `pending` (RFC 4861
    /// sections 7.2.4 and 7.2.8).
    fn answer(&mut self, pending: &Pending, target: Ipv6Addr) -> Result<(), Drop> {
        let p: &Proxy = &self.config.proxies[pending.proxy];
        let mac = self.link_addrs.get(&p.iface).ok_or(Drop::NoLinkAddress)?;
        let dad = pending.solicitor.is_unspecified();
        self.out.push_back(Output::Transmit(Transmit {
            iface: p.iface.clone(),
            destination: if dad { ALL_NODES } else { pending.solicitor },
            message: Repr::NeighborAdvert {
                flags: NeighborFlags {
                    router: p.router,
                    solicited: !dad,
                    override_: false,
                },
                target,
                options: vec![NdiscOptionRepr::TargetLinkLayerAddr(mac.clone())],
            },
        }));
        Ok(())
    }
}

/// The fixed IPv6 header (RFC 8200 section 3), as far as it matters here.
struct Ipv6Header<'a> {
    hop_limit: u8,
    next_header: u8,
    source: Ipv6Addr,
    destination: Ipv6Addr,
    payload: &'a [u8],
}

impl<'a> Ipv6Header<'a> {
    fn parse(packet: &'a [u8]) -> Result<Self, Drop> {
        if packet.len() < 40 {
            return Err(Drop::Truncated);
        }
        if packet[0] >> 4 != 6 {
            return Err(Drop::NotIpv6);
        }
        let len = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
        let payload = packet.get(40..40 + len).ok_or(Drop::Truncated)?;
        let addr = |at: usize| {
            let mut o = [0u8; 16];
            o.copy_from_slice(&packet[at..at + 16]);
            Ipv6Addr::from(o)
        };
        Ok(Ipv6Header {
            next_header: packet[6],
            hop_limit: packet[7],
            source: addr(8),
            destination: addr(24),
            payload,
        })
    }
}

/// An IPv6 packet carrying `transmit` from `source` with hop limit 255, as
/// it appears on the wire: for tests and for tools that inject packets.
pub fn ipv6_packet(source: Ipv6Addr, transmit: &Transmit) -> Vec<u8> {
    let icmp = transmit.to_bytes(&source);
    let mut p = Vec::with_capacity(40 + icmp.len());
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&(icmp.len() as u16).to_be_bytes());
    p.push(checksum::NEXT_HEADER_ICMPV6);
    p.push(255);
    p.extend_from_slice(&source.octets());
    p.extend_from_slice(&transmit.destination.octets());
    p.extend_from_slice(&icmp);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndp::config::parse;

    const UP_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const IN_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn responder(conf: &str) -> Responder {
        let mut r = Responder::new(parse(conf, "test").unwrap());
        r.set_link_addr("up", UP_MAC.to_vec());
        r.set_link_addr("in", IN_MAC.to_vec());
        r
    }

    /// A solicitation for `target` from `src`, as it arrives.
    fn ns(src: &str, target: &str) -> Vec<u8> {
        let target = a(target);
        let src = a(src);
        let options = if src.is_unspecified() {
            vec![]
        } else {
            vec![NdiscOptionRepr::SourceLinkLayerAddr(vec![2, 0, 0, 0, 0, 9])]
        };
        ipv6_packet(
            src,
            &Transmit {
                iface: "up".into(),
                destination: solicited_node(target),
                message: Repr::NeighborSolicit { target, options },
            },
        )
    }

    /// A solicited advertisement for `target`, from the internal machine.
    fn na(target: &str) -> Vec<u8> {
        let target = a(target);
        ipv6_packet(
            target,
            &Transmit {
                iface: "in".into(),
                destination: a("fe80::1"),
                message: Repr::NeighborAdvert {
                    flags: NeighborFlags {
                        router: false,
                        solicited: true,
                        override_: true,
                    },
                    target,
                    options: vec![NdiscOptionRepr::TargetLinkLayerAddr(vec![2, 0, 0, 0, 0, 3])],
                },
            },
        )
    }

    fn outputs(r: &mut Responder) -> Vec<Output> {
        core::iter::from_fn(|| r.poll_output()).collect()
    }

    fn advert_to(dst: &str, target: &str, router: bool, solicited: bool) -> Output {
        Output::Transmit(Transmit {
            iface: "up".into(),
            destination: a(dst),
            message: Repr::NeighborAdvert {
                flags: NeighborFlags {
                    router,
                    solicited,
                    override_: false,
                },
                target: a(target),
                options: vec![NdiscOptionRepr::TargetLinkLayerAddr(UP_MAC.to_vec())],
            },
        })
    }

    fn solicit_on_in(target: &str) -> Output {
        Output::Transmit(Transmit {
            iface: "in".into(),
            destination: solicited_node(a(target)),
            message: Repr::NeighborSolicit {
                target: a(target),
                options: vec![NdiscOptionRepr::SourceLinkLayerAddr(IN_MAC.to_vec())],
            },
        })
    }

    const IFACE: &str = "proxy up {\n router no\n timeout 500\n ttl 10000\n retries 1\n autowire yes\n rule 2001:db8::/64 { iface in }\n}\n";

    #[test]
    fn solicited_node_address_of_rfc_4291() {
        assert_eq!(
            solicited_node(a("2001:db8::1:2:3:4567:89ab")),
            a("ff02::1:ff67:89ab")
        );
    }

    #[test]
    fn static_rule_answers_at_once_with_a_proxy_advertisement() {
        let mut r = responder("proxy up {\n rule 2001:db8::/64 { static }\n}\n");
        let now = Instant::now();
        assert_eq!(
            r.handle_packet(now, "up", &ns("2001:db8::1", "2001:db8::100")),
            Ok(Outcome::Answered)
        );
        assert_eq!(
            outputs(&mut r),
            [advert_to("2001:db8::1", "2001:db8::100", true, true)]
        );
        // Duplicate address detection: to all nodes, not solicited.
        assert_eq!(
            r.handle_packet(now, "up", &ns("::", "2001:db8::100")),
            Ok(Outcome::Answered)
        );
        assert_eq!(
            outputs(&mut r),
            [advert_to("ff02::1", "2001:db8::100", true, false)]
        );
        // Outside every rule, on another interface, or the host's own.
        assert_eq!(
            r.handle_packet(now, "up", &ns("2001:db8::1", "2001:db8:1::100")),
            Err(Drop::NoRule)
        );
        assert_eq!(
            r.handle_packet(now, "in", &ns("2001:db8::1", "2001:db8::100")),
            Err(Drop::NotProxied)
        );
        r.set_local_addresses([a("2001:db8::2")]);
        assert_eq!(
            r.handle_packet(now, "up", &ns("2001:db8::1", "2001:db8::2")),
            Err(Drop::OwnAddress)
        );
        assert_eq!(r.poll_timeout(), None);
    }

    #[test]
    fn the_advertisement_bytes_parse_back() {
        let mut r = responder("proxy up {\n router no\n rule 2001:db8::/64\n}\n");
        r.handle_packet(Instant::now(), "up", &ns("2001:db8::1", "2001:db8::100"))
            .unwrap();
        let Some(Output::Transmit(t)) = r.poll_output() else {
            panic!("no answer");
        };
        let src = a("2001:db8::2");
        let bytes = t.to_bytes(&src);
        let view = Packet::new_checked(&bytes[..]).unwrap();
        assert!(view.verify_checksum(&src, &a("2001:db8::1")));
        assert_eq!(bytes[4], 0x40, "S set, R and O clear");
        assert_eq!(&bytes[8..24], &a("2001:db8::100").octets());
        assert_eq!(&bytes[24..32], &[2, 1, 2, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn iface_rule_asks_the_internal_link_and_answers_once_it_does() {
        let mut r = responder(IFACE);
        let t0 = Instant::now();
        let target = "2001:db8::100";
        assert_eq!(
            r.handle_packet(t0, "up", &ns("2001:db8::1", target)),
            Ok(Outcome::Asked)
        );
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        // The router asks again while we wait: not asked twice.
        assert_eq!(
            r.handle_packet(t0, "up", &ns("2001:db8::1", target)),
            Ok(Outcome::Waiting)
        );
        assert_eq!(outputs(&mut r), []);
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(r.handle_packet(t1, "in", &na(target)), Ok(Outcome::Learned));
        assert_eq!(
            outputs(&mut r),
            [
                Output::Wire(HostRoute {
                    target: a(target),
                    iface: "in".into(),
                    via: None
                }),
                advert_to("2001:db8::1", target, false, true)
            ]
        );
        // Cached: answered at once, nothing asked.
        let t2 = t1 + Duration::from_secs(5);
        assert_eq!(
            r.handle_packet(t2, "up", &ns("2001:db8::1", target)),
            Ok(Outcome::Answered)
        );
        assert_eq!(
            outputs(&mut r),
            [advert_to("2001:db8::1", target, false, true)]
        );
        // At the end of the ttl, keepalive asks again, and an answer keeps
        // the entry and its route.
        let t3 = t1 + Duration::from_secs(10);
        assert_eq!(r.poll_timeout(), Some(t3));
        r.handle_timeout(t3);
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        assert_eq!(r.handle_packet(t3, "in", &na(target)), Ok(Outcome::Learned));
        assert_eq!(outputs(&mut r), []);
        // Then the machine goes away: asked once more (retries 1), then
        // the route goes.
        let t4 = t3 + Duration::from_secs(10);
        r.handle_timeout(t4);
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        let t5 = t4 + Duration::from_millis(500);
        r.handle_timeout(t5);
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        r.handle_timeout(t5 + Duration::from_millis(500));
        assert_eq!(
            outputs(&mut r),
            [Output::Unwire(HostRoute {
                target: a(target),
                iface: "in".into(),
                via: None
            })]
        );
        assert_eq!(r.sessions(), 0);
    }

    #[test]
    fn iface_rule_does_not_answer_for_absent_addresses() {
        let mut r = responder(IFACE);
        let t0 = Instant::now();
        let target = "2001:db8::200";
        r.handle_packet(t0, "up", &ns("2001:db8::1", target))
            .unwrap();
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        r.handle_timeout(t0 + Duration::from_millis(499));
        assert_eq!(outputs(&mut r), []);
        let t1 = t0 + Duration::from_millis(500);
        r.handle_timeout(t1);
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
        let t2 = t1 + Duration::from_millis(500);
        r.handle_timeout(t2);
        assert_eq!(outputs(&mut r), []);
        assert_eq!(
            r.handle_packet(t2, "up", &ns("2001:db8::1", target)),
            Ok(Outcome::Unreachable)
        );
        // An advertisement nobody asked for changes nothing.
        assert_eq!(
            r.handle_packet(t2, "in", &na("2001:db8::300")),
            Ok(Outcome::Ignored)
        );
        // Forgotten after the ttl; the next solicitation asks again.
        r.handle_timeout(t2 + Duration::from_secs(10));
        assert_eq!(r.sessions(), 0);
        assert_eq!(
            r.handle_packet(
                t2 + Duration::from_secs(10),
                "up",
                &ns("2001:db8::1", target)
            ),
            Ok(Outcome::Asked)
        );
        assert_eq!(outputs(&mut r), [solicit_on_in(target)]);
    }

    #[test]
    fn auto_rule_asks_where_the_routing_table_points() {
        let mut r = responder(
            "proxy up {\n autowire yes\n rule 2001:db8::/48 {\n auto\n autovia yes\n }\n}\n",
        );
        let t0 = Instant::now();
        assert_eq!(
            r.handle_packet(t0, "up", &ns("2001:db8::1", "2001:db8:0:1::5")),
            Err(Drop::NoRoute)
        );
        r.set_routes(vec![
            Route {
                prefix: "2001:db8::/48".parse().unwrap(),
                iface: "up".into(),
                via: None,
            },
            Route {
                prefix: "2001:db8:0:1::/64".parse().unwrap(),
                iface: "in".into(),
                via: Some(a("fe80::5")),
            },
        ]);
        assert_eq!(r.interfaces(), ["up", "in"]);
        // The /48 points back out: no.
        assert_eq!(
            r.handle_packet(t0, "up", &ns("2001:db8::1", "2001:db8:0:2::5")),
            Err(Drop::NoRoute)
        );
        assert_eq!(
            r.handle_packet(t0, "up", &ns("2001:db8::1", "2001:db8:0:1::5")),
            Ok(Outcome::Asked)
        );
        assert_eq!(outputs(&mut r), [solicit_on_in("2001:db8:0:1::5")]);
        r.handle_packet(t0, "in", &na("2001:db8:0:1::5")).unwrap();
        let out = outputs(&mut r);
        assert_eq!(
            out[0],
            Output::Wire(HostRoute {
                target: a("2001:db8:0:1::5"),
                iface: "in".into(),
                via: Some(a("fe80::5"))
            })
        );
        // Reload removes what was wired.
        r.reload(parse(IFACE, "test").unwrap());
        assert!(matches!(r.poll_output(), Some(Output::Unwire(_))));
        assert_eq!(r.sessions(), 0);
    }

    #[test]
    fn bad_packets_are_dropped_by_reason() {
        let mut r = responder(IFACE);
        let now = Instant::now();
        let good = ns("2001:db8::1", "2001:db8::100");
        let mut hop = good.clone();
        hop[7] = 64;
        assert_eq!(r.handle_packet(now, "up", &hop), Err(Drop::HopLimit));
        let mut sum = good.clone();
        sum[42] ^= 1;
        assert_eq!(r.handle_packet(now, "up", &sum), Err(Drop::Checksum));
        assert_eq!(
            r.handle_packet(now, "up", &good[..39]),
            Err(Drop::Truncated)
        );
        assert_eq!(
            r.handle_packet(now, "up", &good[..60]),
            Err(Drop::Truncated)
        );
        let mut v4 = good.clone();
        v4[0] = 0x45;
        assert_eq!(r.handle_packet(now, "up", &v4), Err(Drop::NotIpv6));
        let mut ext = good.clone();
        ext[6] = 0;
        assert_eq!(r.handle_packet(now, "up", &ext), Err(Drop::NotIcmpv6));
        let mut echo = good.clone();
        echo[40] = 128;
        assert_eq!(r.handle_packet(now, "up", &echo), Err(Drop::NotNeighbor));
        // A DAD solicitation must go to the solicited-node address.
        let mut dad = ns("::", "2001:db8::100");
        dad[24..40].copy_from_slice(&ALL_NODES.octets());
        let icmp_sum = checksum::icmpv6(&a("::"), &ALL_NODES, &{
            let mut m = dad[40..].to_vec();
            m[2] = 0;
            m[3] = 0;
            m
        });
        dad[42..44].copy_from_slice(&icmp_sum.to_be_bytes());
        assert_eq!(r.handle_packet(now, "up", &dad), Err(Drop::Invalid));
        assert_eq!(outputs(&mut r), []);
    }

    proptest::proptest! {
        /// Nothing that arrives panics, and whatever is sent in answer is
        /// a neighbor-discovery message that parses back.
        #[test]
        fn any_packet_is_answered_or_dropped(
            raw in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            target in proptest::num::u128::ANY,
            internal in proptest::bool::ANY,
        ) {
            let mut r = responder(IFACE);
            let now = Instant::now();
            let iface = if internal { "in" } else { "up" };
            let _ = r.handle_packet(now, iface, &raw);
            // A well-formed header and checksum around arbitrary options.
            let mut ns = ns("2001:db8::1", &Ipv6Addr::from(0x2001_0db8_u128 << 96 | target >> 64).to_string());
            ns.extend_from_slice(&body);
            let len = (ns.len() - 40) as u16;
            ns[4..6].copy_from_slice(&len.to_be_bytes());
            ns[42..44].fill(0);
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(&ns[8..24]).unwrap());
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&ns[24..40]).unwrap());
            let sum = checksum::icmpv6(&src, &dst, &ns[40..]);
            ns[42..44].copy_from_slice(&sum.to_be_bytes());
            let _ = r.handle_packet(now, iface, &ns);
            r.handle_timeout(now + Duration::from_secs(60));
            while let Some(out) = r.poll_output() {
                if let Output::Transmit(t) = out {
                    let bytes = t.to_bytes(&src);
                    let view = Packet::new_checked(&bytes[..]).unwrap();
                    proptest::prop_assert!(Repr::parse(&view).is_ok());
                }
            }
        }
    }

    #[test]
    fn sessions_are_capped() {
        let mut r = responder(IFACE);
        let now = Instant::now();
        for i in 0..MAX_SESSIONS as u128 {
            let target = Ipv6Addr::from(0x2001_0db8_u128 << 96 | (i + 1));
            assert_eq!(
                r.handle_packet(now, "up", &ns("2001:db8::1", &target.to_string())),
                Ok(Outcome::Asked)
            );
        }
        assert_eq!(
            r.handle_packet(now, "up", &ns("2001:db8::1", "2001:db8::ffff:ffff")),
            Err(Drop::TooManySessions)
        );
    }
}
