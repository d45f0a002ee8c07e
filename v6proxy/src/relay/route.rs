//! Where a name goes: a backend from the static table, or the name's AAAA
//! records, used only inside the allowed backend prefixes.
//!
//! The relay must never become an open proxy. Every backend address, static
//! or resolved, passes [`Policy::check`]: it lies inside a configured
//! backend prefix; it is not loopback, unspecified, link-local, multicast
//! or IPv4-mapped whatever the prefixes say; it is not inside the prefix
//! client addresses are embedded in (that would loop); and it is not one of
//! the host's own addresses unless a backend prefix names exactly that
//! address (a /128).

use core::fmt;
use core::net::{Ipv6Addr, SocketAddrV6};
use core::str::FromStr;
use std::collections::HashMap;

use ipnet::Ipv6Net;

use super::name::HostName;
use super::proxy_protocol::Version;

/// The names a route matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Exactly this name.
    Exact(HostName),
    /// `*.example.org`: any name that ends in `.example.org`, however many
    /// labels precede it (not `example.org` itself). Holds the suffix with
    /// its leading dot.
    Wildcard(String),
}

impl Pattern {
    /// Whether `name` matches.
    pub fn matches(&self, name: &HostName) -> bool {
        match self {
            Pattern::Exact(n) => n == name,
            Pattern::Wildcard(suffix) => name.as_str().ends_with(suffix.as_str()),
        }
    }
}

impl FromStr for Pattern {
    type Err = super::name::NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("*.") {
            Some(rest) => Ok(Pattern::Wildcard(format!(".{}", HostName::from_str(rest)?))),
            None => Ok(Pattern::Exact(s.parse()?)),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Exact(n) => write!(f, "{n}"),
            Pattern::Wildcard(s) => write!(f, "*{s}"),
        }
    }
}

/// A backend of the static table: an address and, optionally, a port
/// (without one, the port the client connected to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Backend {
    /// The backend's IPv6 address.
    pub addr: Ipv6Addr,
    /// The port, or `None` for the port the client connected to.
    pub port: Option<u16>,
}

/// Why a backend written as text is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadBackend;

impl FromStr for Backend {
    type Err = BadBackend;
    /// `[2001:db8::1]:443`, `[2001:db8::1]` or `2001:db8::1`.
    fn from_str(s: &str) -> Result<Self, BadBackend> {
        if let Some(rest) = s.strip_prefix('[') {
            let (addr, rest) = rest.split_once(']').ok_or(BadBackend)?;
            let addr = addr.parse().map_err(|_| BadBackend)?;
            let port = match rest {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .and_then(|p| p.parse::<u16>().ok())
                        .filter(|&p| p != 0)
                        .ok_or(BadBackend)?,
                ),
            };
            Ok(Backend { addr, port })
        } else {
            Ok(Backend {
                addr: s.parse().map_err(|_| BadBackend)?,
                port: None,
            })
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "[{}]:{p}", self.addr),
            None => write!(f, "[{}]", self.addr),
        }
    }
}

/// One line of the static table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The names it matches.
    pub pattern: Pattern,
    /// Where they go.
    pub backend: Backend,
    /// The PROXY protocol header to send first, if any.
    pub proxy: Option<Version>,
}

/// Why a connection is not relayed to a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Denied {
    /// No static route matches and no resolver is configured.
    NoRoute,
    /// The address is loopback, unspecified, link-local, multicast or
    /// IPv4-mapped; holds the name of its special-purpose block.
    SpecialPurpose(&'static str),
    /// The address is outside every backend prefix.
    OutsidePrefixes,
    /// The address is one of the host's own, and no /128 backend prefix
    /// lists it.
    HostItself,
    /// The address is inside the prefix client addresses are embedded in.
    EmbedPrefix,
    /// The name has no AAAA record.
    NoAddress,
    /// The resolver did not answer, or answered with an error.
    ResolveFailed,
}

impl Denied {
    /// Every kind, in a fixed order (for counters).
    pub const ALL: [Denied; 7] = [
        Denied::NoRoute,
        Denied::SpecialPurpose(""),
        Denied::OutsidePrefixes,
        Denied::HostItself,
        Denied::EmbedPrefix,
        Denied::NoAddress,
        Denied::ResolveFailed,
    ];

    /// The kind's position in [`Denied::ALL`].
    pub fn index(self) -> usize {
        match self {
            Denied::NoRoute => 0,
            Denied::SpecialPurpose(_) => 1,
            Denied::OutsidePrefixes => 2,
            Denied::HostItself => 3,
            Denied::EmbedPrefix => 4,
            Denied::NoAddress => 5,
            Denied::ResolveFailed => 6,
        }
    }

    /// A short snake_case name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Denied::NoRoute => "no_route",
            Denied::SpecialPurpose(_) => "special_purpose",
            Denied::OutsidePrefixes => "outside_prefixes",
            Denied::HostItself => "host_itself",
            Denied::EmbedPrefix => "embed_prefix",
            Denied::NoAddress => "no_address",
            Denied::ResolveFailed => "resolve_failed",
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::NoRoute => f.write_str("no route for the name"),
            Denied::SpecialPurpose(b) => write!(f, "a special-purpose address ({b})"),
            Denied::OutsidePrefixes => f.write_str("outside the backend prefixes"),
            Denied::HostItself => f.write_str("an address of the host itself"),
            Denied::EmbedPrefix => f.write_str("inside the source-embedding prefix"),
            Denied::NoAddress => f.write_str("the name has no AAAA record"),
            Denied::ResolveFailed => f.write_str("the name could not be resolved"),
        }
    }
}

/// Which backend addresses may be used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// The backend prefixes.
    pub prefixes: Vec<Ipv6Net>,
    /// The host's own addresses.
    pub host: Vec<Ipv6Addr>,
    /// The prefix client addresses are embedded in, if any.
    pub embed: Option<Ipv6Net>,
}

impl Policy {
    /// Whether the relay may connect to `addr`.
    pub fn check(&self, addr: Ipv6Addr) -> Result<(), Denied> {
        if addr.is_loopback()
            || addr.is_unspecified()
            || addr.is_unicast_link_local()
            || addr.is_multicast()
            || addr.to_ipv4_mapped().is_some()
        {
            let class = v6core::class::classify(addr.into());
            return Err(Denied::SpecialPurpose(class.name));
        }
        if self.embed.is_some_and(|p| p.contains(&addr)) {
            return Err(Denied::EmbedPrefix);
        }
        if !self.prefixes.iter().any(|p| p.contains(&addr)) {
            return Err(Denied::OutsidePrefixes);
        }
        let listed = self
            .prefixes
            .iter()
            .any(|p| p.prefix_len() == 128 && p.addr() == addr);
        if self.host.contains(&addr) && !listed {
            return Err(Denied::HostItself);
        }
        Ok(())
    }
}

/// Where to connect, and what to send first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The backend.
    pub addr: SocketAddrV6,
    /// The PROXY protocol header to send first, if any.
    pub proxy: Option<Version>,
}

/// What to do with a connection for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Connect to this backend.
    Connect(Target),
    /// Look up the name's AAAA records, then call [`Router::pick`] with
    /// them, this port and this PROXY setting.
    Resolve {
        /// The port to connect to.
        port: u16,
        /// The PROXY protocol header to send first, if any.
        proxy: Option<Version>,
    },
    /// Refuse the connection.
    Refuse(Denied),
}

/// The routing table: static routes, then (optionally) DNS, under a
/// [`Policy`].
#[derive(Debug, Clone)]
pub struct Router {
    exact: HashMap<HostName, Route>,
    /// Longest suffix first, so that the most specific wildcard wins.
    wildcards: Vec<Route>,
    policy: Policy,
    resolve: bool,
    default_proxy: Option<Version>,
}

impl Router {
    /// A router over `routes`. With `resolve`, names without a static route
    /// are resolved; `default_proxy` is the PROXY setting for them.
    ///
    /// Fails with the index of the first route whose backend the policy
    /// refuses, and why. For two routes with the same pattern, the first
    /// wins.
    pub fn new(
        routes: Vec<Route>,
        policy: Policy,
        resolve: bool,
        default_proxy: Option<Version>,
    ) -> Result<Router, (usize, Denied)> {
        let mut exact = HashMap::new();
        let mut wildcards = Vec::new();
        for (i, r) in routes.into_iter().enumerate() {
            policy.check(r.backend.addr).map_err(|d| (i, d))?;
            match &r.pattern {
                Pattern::Exact(n) => {
                    exact.entry(n.clone()).or_insert(r);
                }
                Pattern::Wildcard(_) => wildcards.push(r),
            }
        }
        // A stable sort keeps the first of equal suffixes first.
        wildcards.sort_by_key(|r| match &r.pattern {
            Pattern::Wildcard(s) => core::cmp::Reverse(s.len()),
            Pattern::Exact(_) => core::cmp::Reverse(0),
        });
        Ok(Router {
            exact,
            wildcards,
            policy,
            resolve,
            default_proxy,
        })
    }

    /// The policy backends are checked against.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What to do with a connection for `name` that arrived on `port`:
    /// an exact route, else the most specific wildcard, else DNS if
    /// enabled.
    ///
    /// ```
    /// use v6proxy::relay::route::{Decision, Policy, Route, Router};
    /// let policy = Policy { prefixes: vec!["2001:db8:1::/64".parse().unwrap()], ..Policy::default() };
    /// let route = Route { pattern: "*.example.org".parse().unwrap(),
    ///                     backend: "[2001:db8:1::10]".parse().unwrap(), proxy: None };
    /// let router = Router::new(vec![route], policy, false, None).unwrap();
    /// match router.route(&"www.example.org".parse().unwrap(), 443) {
    ///     Decision::Connect(t) => assert_eq!(t.addr.to_string(), "[2001:db8:1::10]:443"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn route(&self, name: &HostName, port: u16) -> Decision {
        let found = self
            .exact
            .get(name)
            .or_else(|| self.wildcards.iter().find(|r| r.pattern.matches(name)));
        match found {
            Some(r) => Decision::Connect(Target {
                addr: SocketAddrV6::new(r.backend.addr, r.backend.port.unwrap_or(port), 0, 0),
                proxy: r.proxy,
            }),
            None if self.resolve => Decision::Resolve {
                port,
                proxy: self.default_proxy,
            },
            None => Decision::Refuse(Denied::NoRoute),
        }
    }

    /// The target among a name's AAAA records `answers`: the first the
    /// policy allows. Refused with the first answer's reason when none is
    /// allowed, and with [`Denied::NoAddress`] when there are none.
    pub fn pick(
        &self,
        answers: &[Ipv6Addr],
        port: u16,
        proxy: Option<Version>,
    ) -> Result<Target, Denied> {
        let mut first = None;
        for &a in answers {
            match self.policy.check(a) {
                Ok(()) => {
                    return Ok(Target {
                        addr: SocketAddrV6::new(a, port, 0, 0),
                        proxy,
                    });
                }
                Err(d) => {
                    first.get_or_insert(d);
                }
            }
        }
        Err(first.unwrap_or(Denied::NoAddress))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            prefixes: vec![
                "2001:db8:1::/64".parse().unwrap(),
                "2001:db8:ff::1/128".parse().unwrap(),
            ],
            host: vec![
                "2001:db8:1::1".parse().unwrap(),
                "2001:db8:ff::1".parse().unwrap(),
            ],
            embed: Some("2001:db8:1:0:64::/96".parse().unwrap()),
        }
    }

    #[test]
    fn policy_refuses_what_is_not_a_backend() {
        let p = policy();
        let c = |s: &str| p.check(s.parse().unwrap());
        assert_eq!(c("2001:db8:1::10"), Ok(()));
        assert_eq!(c("2001:db8:2::10"), Err(Denied::OutsidePrefixes));
        assert!(matches!(c("::1"), Err(Denied::SpecialPurpose(_))));
        assert!(matches!(c("fe80::1"), Err(Denied::SpecialPurpose(_))));
        assert!(matches!(
            c("::ffff:192.0.2.1"),
            Err(Denied::SpecialPurpose(_))
        ));
        assert!(matches!(c("ff02::1"), Err(Denied::SpecialPurpose(_))));
        assert_eq!(c("2001:db8:1::1"), Err(Denied::HostItself));
        assert_eq!(c("2001:db8:ff::1"), Ok(()), "listed as a /128");
        assert_eq!(c("2001:db8:1:0:64::c000:201"), Err(Denied::EmbedPrefix));
        let open = Policy {
            prefixes: vec!["::/0".parse().unwrap()],
            ..Policy::default()
        };
        assert!(matches!(
            open.check("::1".parse().unwrap()),
            Err(Denied::SpecialPurpose(_))
        ));
    }

    #[test]
    fn exact_beats_wildcard_and_longer_wildcard_wins() {
        let r = |p: &str, b: &str| Route {
            pattern: p.parse().unwrap(),
            backend: b.parse().unwrap(),
            proxy: None,
        };
        let router = Router::new(
            vec![
                r("*.example.org", "[2001:db8:1::a]:8443"),
                r("*.dev.example.org", "2001:db8:1::b"),
                r("www.dev.example.org", "2001:db8:1::c"),
            ],
            policy(),
            false,
            None,
        )
        .unwrap();
        let to = |n: &str| match router.route(&n.parse().unwrap(), 443) {
            Decision::Connect(t) => t.addr.to_string(),
            Decision::Refuse(d) => d.to_string(),
            d => format!("{d:?}"),
        };
        assert_eq!(to("a.example.org"), "[2001:db8:1::a]:8443");
        assert_eq!(to("x.y.dev.example.org"), "[2001:db8:1::b]:443");
        assert_eq!(to("WWW.dev.example.org"), "[2001:db8:1::c]:443");
        assert_eq!(to("example.org"), "no route for the name");
    }

    #[test]
    fn static_routes_obey_the_policy_and_resolved_answers_are_filtered() {
        let bad = Route {
            pattern: "a.example".parse().unwrap(),
            backend: "[::1]:80".parse().unwrap(),
            proxy: None,
        };
        assert!(matches!(
            Router::new(vec![bad], policy(), true, None),
            Err((0, Denied::SpecialPurpose(_)))
        ));
        let router = Router::new(vec![], policy(), true, Some(Version::V2)).unwrap();
        assert_eq!(
            router.route(&"a.example".parse().unwrap(), 80),
            Decision::Resolve {
                port: 80,
                proxy: Some(Version::V2)
            }
        );
        let outside: Ipv6Addr = "2001:db8:9::1".parse().unwrap();
        let inside: Ipv6Addr = "2001:db8:1::9".parse().unwrap();
        assert_eq!(
            router.pick(&[outside], 80, None),
            Err(Denied::OutsidePrefixes)
        );
        assert_eq!(router.pick(&[], 80, None), Err(Denied::NoAddress));
        assert_eq!(
            router.pick(&[outside, inside], 80, None).unwrap().addr,
            SocketAddrV6::new(inside, 80, 0, 0)
        );
    }

    #[test]
    fn backends_parse() {
        assert!("[2001:db8::1]:0".parse::<Backend>().is_err());
        assert!("2001:db8::1:80".parse::<Backend>().is_ok(), "an address");
        assert!("[2001:db8::1]80".parse::<Backend>().is_err());
        assert!("192.0.2.1:80".parse::<Backend>().is_err());
    }
}
