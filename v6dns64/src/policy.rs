//! What a DNS64 server synthesizes, for whom: prefixes, exclusions and the
//! IPv4 addresses that may be mapped.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use v6core::Pref64;

use crate::Error;

/// One prefix served by the DNS64 and the clients it is served to, like
/// BIND's `dns64 <prefix> { clients { … }; }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRule {
    /// The RFC 6052 prefix synthesized addresses are made in.
    pub pref64: Pref64,
    /// The client addresses this prefix is served to; empty means every
    /// client.
    pub clients: Vec<IpNet>,
}

impl PrefixRule {
    /// A prefix served to every client.
    pub fn new(pref64: Pref64) -> Self {
        PrefixRule {
            pref64,
            clients: Vec::new(),
        }
    }

    /// Whether `client` is served this prefix.
    pub fn serves(&self, client: IpAddr) -> bool {
        self.clients.is_empty() || self.clients.iter().any(|n| n.contains(&client))
    }
}

/// `PREF64[=CLIENT,CLIENT…]`, e.g. `64:ff9b::/96` or
/// `2001:db8:64::/96=2001:db8:1::/48,192.0.2.0/24`.
impl FromStr for PrefixRule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (pref, clients) = match s.split_once('=') {
            Some((p, c)) => (p, Some(c)),
            None => (s, None),
        };
        let pref64 = parse_pref64(pref)?;
        let clients = match clients {
            None => Vec::new(),
            Some(c) => c.split(',').map(parse_net).collect::<Result<Vec<_>, _>>()?,
        };
        Ok(PrefixRule { pref64, clients })
    }
}

/// One entry of the [`Mapped`] list: an IPv4 prefix, or its negation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedEntry {
    /// `true` for `!prefix`: addresses in it are not mapped.
    pub negated: bool,
    /// The IPv4 prefix.
    pub prefix: Ipv4Net,
}

/// `PREFIX` or `!PREFIX`, IPv4.
impl FromStr for MappedEntry {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (negated, rest) = match s.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, s),
        };
        match parse_net(rest)? {
            IpNet::V4(prefix) => Ok(MappedEntry { negated, prefix }),
            IpNet::V6(_) => Err(Error::Family {
                token: s.to_owned(),
                expected: "IPv4",
            }),
        }
    }
}

/// The IPv4 addresses that are synthesized into AAAA records, as BIND's
/// `mapped` list: entries are tried in order and the first that contains
/// the address decides (`!` means "not mapped"). An address no entry
/// contains is mapped when every entry is negated (or there are none), and
/// not mapped otherwise — so `!10.0.0.0/8` alone maps everything else.
///
/// RFC 6147 section 5.1.4 leaves which A records are synthesized to local
/// policy; RFC 6052 section 3.1 forbids embedding non-global addresses in
/// the well-known prefix, which `!10.0.0.0/8 !172.16.0.0/12 …` expresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    entries: Vec<MappedEntry>,
}

impl Mapped {
    /// A list of entries, tried in order.
    pub fn new(entries: Vec<MappedEntry>) -> Self {
        Mapped { entries }
    }

    /// Whether the A record `v4` is synthesized into a AAAA record.
    pub fn maps(&self, v4: Ipv4Addr) -> bool {
        for e in &self.entries {
            if e.prefix.contains(&v4) {
                return !e.negated;
            }
        }
        self.entries.iter().all(|e| e.negated)
    }
}

/// The whole DNS64 policy of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The prefixes served, each to its clients; the first rule that serves
    /// a client is used. A client no rule serves gets plain recursion.
    pub prefixes: Vec<PrefixRule>,
    /// AAAA records in these prefixes are ignored (RFC 6147 section 5.1.4):
    /// an answer holding only such records is synthesized as if it were
    /// empty. The default is `::ffff:0:0/96`, the IPv4-mapped addresses.
    pub exclude: Vec<Ipv6Net>,
    /// The A records that are synthesized.
    pub mapped: Mapped,
    /// The clients that get answers at all; everyone else is REFUSED. An
    /// empty list refuses everyone.
    pub allow: Vec<IpNet>,
}

impl Policy {
    /// The default exclusion: IPv4-mapped addresses (RFC 6147 section 5.1.4).
    pub fn default_exclude() -> Vec<Ipv6Net> {
        vec![Ipv6Net::new(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96).expect("valid")]
    }

    /// `pref64` for every client in `allow`, the default exclusion, every
    /// A record mapped.
    pub fn new(pref64: Pref64, allow: Vec<IpNet>) -> Self {
        Policy {
            prefixes: vec![PrefixRule::new(pref64)],
            exclude: Self::default_exclude(),
            mapped: Mapped::default(),
            allow,
        }
    }

    /// Whether `client` may use this server at all.
    pub fn allows(&self, client: IpAddr) -> bool {
        let client = canonical(client);
        self.allow.iter().any(|n| n.contains(&client))
    }

    /// The index in [`Policy::prefixes`] of the rule that serves `client`.
    pub fn rule_for(&self, client: IpAddr) -> Option<usize> {
        let client = canonical(client);
        self.prefixes.iter().position(|r| r.serves(client))
    }

    /// Whether a AAAA record holding `addr` is ignored (section 5.1.4).
    pub fn is_excluded(&self, addr: Ipv6Addr) -> bool {
        self.exclude.iter().any(|n| n.contains(&addr))
    }
}

/// An IPv4 client seen through a dual-stack socket (`::ffff:a.b.c.d`) is
/// its IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// A prefix, or a single address as a full-length prefix.
pub fn parse_net(s: &str) -> Result<IpNet, Error> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Ok(n);
    }
    s.parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| Error::Prefix {
            token: s.to_owned(),
            reason: "expected an address or address/length".to_owned(),
        })
}

/// An IPv6 prefix.
pub fn parse_net6(s: &str) -> Result<Ipv6Net, Error> {
    match parse_net(s)? {
        IpNet::V6(n) => Ok(n),
        IpNet::V4(_) => Err(Error::Family {
            token: s.to_owned(),
            expected: "IPv6",
        }),
    }
}

/// An RFC 6052 prefix.
pub fn parse_pref64(s: &str) -> Result<Pref64, Error> {
    let n = parse_net6(s)?;
    Pref64::new(n).map_err(|source| Error::Pref64 {
        token: s.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_lists_follow_bind() {
        let m = |s: &[&str]| Mapped::new(s.iter().map(|e| e.parse().unwrap()).collect());
        let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert!(Mapped::default().maps(a("10.1.1.1")));
        let no_private = m(&["!10.0.0.0/8"]);
        assert!(!no_private.maps(a("10.1.1.1")));
        assert!(no_private.maps(a("192.0.2.1")));
        let only = m(&["192.0.2.0/24"]);
        assert!(only.maps(a("192.0.2.1")));
        assert!(!only.maps(a("198.51.100.1")));
        let first_wins = m(&["!192.0.2.128/25", "192.0.2.0/24"]);
        assert!(!first_wins.maps(a("192.0.2.200")));
        assert!(first_wins.maps(a("192.0.2.1")));
        assert!("!2001:db8::/32".parse::<MappedEntry>().is_err());
    }

    #[test]
    fn prefix_rules_pick_by_client() {
        let r: PrefixRule = "2001:db8:64::/96=2001:db8:1::/48,192.0.2.0/24"
            .parse()
            .unwrap();
        assert!(r.serves("2001:db8:1::5".parse().unwrap()));
        assert!(r.serves("192.0.2.9".parse().unwrap()));
        assert!(!r.serves("2001:db8:2::5".parse().unwrap()));
        assert!("2001:db8::/33".parse::<PrefixRule>().is_err());
        assert!("64:ff9b::/96=nonsense".parse::<PrefixRule>().is_err());
        let mut p = Policy::new(Pref64::WELL_KNOWN, vec!["::1/128".parse().unwrap()]);
        p.prefixes.insert(0, r);
        assert_eq!(p.rule_for("2001:db8:1::1".parse().unwrap()), Some(0));
        assert_eq!(p.rule_for("2001:db8:9::1".parse().unwrap()), Some(1));
        assert!(p.allows("::1".parse().unwrap()));
        assert!(!p.allows("::2".parse().unwrap()));
    }

    #[test]
    fn mapped_v4_clients_are_v4() {
        let p = Policy::new(Pref64::WELL_KNOWN, vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(p.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(p.is_excluded("::ffff:1.2.3.4".parse().unwrap()));
        assert!(!p.is_excluded("2001:db8::1".parse().unwrap()));
    }
}
