//! The address mapping the RFC 7915 code runs with while it translates one
//! packet of a session: the session's two addresses, and the RFC 6052
//! prefix for everything else (RFC 6146 sections 3.5 and 3.7).

use core::net::{Ipv4Addr, Ipv6Addr};

use v6core::Pref64;

use crate::mapping::{Mapping, is_global};

/// The prefix (pool6), the pool4 addresses, and the session of the packet
/// being translated.
#[derive(Debug, Clone)]
pub(crate) struct SessionMap {
    pub(crate) prefix: Pref64,
    /// RFC 6052 section 3.1: with the well-known prefix, only global IPv4
    /// addresses are embedded.
    pub(crate) strict: bool,
    pub(crate) pool: Vec<Ipv4Addr>,
    /// The IPv6 host and the pool4 address of the current packet's BIB
    /// entry, if it has one.
    pub(crate) bound: Option<(Ipv6Addr, Ipv4Addr)>,
}

impl SessionMap {
    fn allowed(&self, v4: Ipv4Addr) -> bool {
        !(self.strict && self.prefix.is_well_known()) || is_global(v4)
    }

    /// The IPv4 address embedded in `v6`, if `v6` is in pool6 and may be
    /// translated.
    pub(crate) fn extract(&self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let v4 = self.prefix.extract(v6).ok()?;
        self.allowed(v4).then_some(v4)
    }

    /// `v4` in pool6.
    pub(crate) fn embed(&self, v4: Ipv4Addr) -> Option<Ipv6Addr> {
        self.allowed(v4).then(|| self.prefix.embed(v4))
    }

    /// Whether `v4` is a pool4 address.
    pub(crate) fn in_pool(&self, v4: Ipv4Addr) -> bool {
        self.pool.contains(&v4)
    }
}

impl Mapping for SessionMap {
    /// An address in pool6 stands for the IPv4 address it embeds; any
    /// other is the session's IPv6 host, or the source of an ICMPv6 error
    /// about the session, and becomes the BIB entry's pool4 address.
    fn v6_to_v4(&self, addr: Ipv6Addr) -> Option<Ipv4Addr> {
        if self.prefix.contains(addr) {
            self.extract(addr)
        } else {
            self.bound.map(|(_, v4)| v4)
        }
    }

    /// The session's pool4 address is its IPv6 host; any other address is
    /// a remote, embedded in pool6.
    fn v4_to_v6(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        match self.bound {
            Some((v6, v4)) if v4 == addr => Some(v6),
            _ => self.embed(addr),
        }
    }

    /// RFC 6146 section 3.8: a packet to a pool4 address comes back.
    fn is_hairpin(&self, _dst6: Ipv6Addr, dst4: Ipv4Addr) -> bool {
        self.in_pool(dst4)
    }

    /// The far end of a hairpinned packet is the pool4 transport address
    /// of its sender, in pool6 (RFC 6146 section 3.8).
    fn v4_to_v6_hairpin(&self, addr: Ipv4Addr) -> Option<Ipv6Addr> {
        self.embed(addr)
    }
}
