//! The configuration file of a stateful NAT64 (RFC 6146): a tayga.conf
//! with the directives of [`Nat64`] added.
//!
//! [`parse`] reads the file: the directives below are its own, every
//! other line is read as [`tayga::parse`] reads it (`tun-device`,
//! `ipv4-addr`, `ipv6-addr`, `prefix`, `wkpf-strict`, `udp-cksum-mode`,
//! `offlink-mtu`, `log`), except `dynamic-pool`, `data-dir` and `map`,
//! which belong to the stateless translator. The first bad line is named
//! with its number and its token; [`Nat64Conf::build`] then makes the
//! [`Nat64`] and names the line of a static BIB entry or a timeout it
//! cannot take.
//!
//! | directive | meaning |
//! | --- | --- |
//! | `pool4 A4[/LEN] [tcp\|udp\|icmp] [FIRST-LAST]` | IPv4 addresses to share, with a range of ports (default 61001-65535, for all three protocols) |
//! | `bib tcp\|udp\|icmp [A6]:PORT A4:PORT` | a static BIB entry: the IPv6 transport address is reachable at the pool4 one |
//! | `max-sessions N` | the most sessions; a new flow beyond is refused (default 1,000,000) |
//! | `max-sessions-per-host N` | the most sessions of one IPv6 host (default 65,536) |
//! | `max-queued-fragments N` | the most fragments kept waiting for their first fragment (RFC 6146 section 3.4; default 1,024) |
//! | `timeout udp\|icmp\|tcp-est\|tcp-trans\|tcp-incoming-syn\|fragment SECONDS` | a session lifetime of RFC 6146 section 4 (default the RFC's) |
//! | `filtering endpoint-independent\|address-dependent` | which remotes may reach a binding (default endpoint-independent) |
//! | `port-hash [src-addr] [src-port] [dst-addr] [dst-port]` | the fields of a new flow that choose where the search for a free pool4 port starts (RFC 6056 section 3.3.3; default [`PortHash::default`]: src-addr dst-addr dst-port) |
//!
//! ```
//! let conf = v6xlat::nat64_conf::parse(
//!     "tun-device nat64\n\
//!      ipv4-addr 192.0.2.1\n\
//!      ipv6-addr 2001:db8::1\n\
//!      prefix 64:ff9b::/96\n\
//!      pool4 192.0.2.1 61001-65535\n\
//!      bib tcp [2001:db8::80]:80 192.0.2.1:80\n",
//! )
//! .unwrap();
//! let nat = conf.build().unwrap();
//! assert_eq!(nat.stats().bib_entries, [1, 0, 0]);
//! ```

use core::fmt;
use core::net::{SocketAddrV4, SocketAddrV6};
use std::time::Duration;

use ipnet::Ipv4Net;

use crate::Config;
use crate::mapping::Rfc6052;
use crate::nat64::{
    DEFAULT_PORTS, Filtering, Nat64, Nat64Config, Nat64Error, Pool4, Pool4Error, PortHash, Protocol,
};
use crate::tayga::{self, ConfError, TaygaConf};

/// A stateful NAT64's configuration file, read.
#[derive(Debug, Clone)]
pub struct Nat64Conf {
    /// The directives shared with tayga.conf.
    pub tayga: TaygaConf,
    /// pool4, the limits, the timeouts and the filtering.
    pub nat64: Nat64Config,
    /// The `bib` lines, in order.
    pub statics: Vec<StaticBib>,
    /// The line of each `timeout` directive, to name it when
    /// [`Nat64Conf::build`] finds it too short.
    timeout_lines: Vec<(&'static str, usize, String)>,
}

/// A `bib` line: a static BIB entry (RFC 6146 section 3.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticBib {
    /// The protocol.
    pub protocol: Protocol,
    /// The IPv6 transport address.
    pub v6: SocketAddrV6,
    /// The pool4 transport address it is reachable at.
    pub v4: SocketAddrV4,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// A bad configuration: what, on which line (from 1), at which token.
/// Errors about the whole file have no line and no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nat64ConfError {
    /// The line, from 1.
    pub line: Option<usize>,
    /// The offending token, cut to 100 characters.
    pub token: Option<String>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for Nat64ConfError {
    /// `LINE: WHAT: "TOKEN"`, to be prefixed with the file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(token) = &self.token {
            write!(f, ": \"{}\"", token.escape_debug())?;
        }
        Ok(())
    }
}

impl std::error::Error for Nat64ConfError {}

impl From<ConfError> for Nat64ConfError {
    fn from(e: ConfError) -> Self {
        Nat64ConfError {
            line: e.line,
            token: e.token,
            message: e.kind.to_string(),
        }
    }
}

fn at(line: usize, token: &str, message: impl Into<String>) -> Nat64ConfError {
    Nat64ConfError {
        line: Some(line),
        token: Some(token.chars().take(100).collect()),
        message: message.into(),
    }
}

/// The directives of this module.
const OWN: [&str; 8] = [
    "pool4",
    "bib",
    "max-sessions",
    "max-sessions-per-host",
    "max-queued-fragments",
    "timeout",
    "filtering",
    "port-hash",
];

/// The tayga.conf directives a stateful NAT64 has no use for.
const STATELESS_ONLY: [&str; 3] = ["dynamic-pool", "data-dir", "map"];

/// The tokens of a line, as Tayga splits them: blanks between, `#`
/// starting a comment where a token would start.
fn tokens(line: &str) -> Vec<&str> {
    line.split([' ', '\t', '\r', '\x0b', '\x0c'])
        .filter(|t| !t.is_empty())
        .take_while(|t| !t.starts_with('#'))
        .collect()
}

fn protocol(s: &str) -> Option<Protocol> {
    Protocol::ALL
        .into_iter()
        .find(|p| s.eq_ignore_ascii_case(p.as_str()))
}

fn port_range(s: &str) -> Option<(u16, u16)> {
    match s.split_once('-') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => {
            let p = s.parse().ok()?;
            Some((p, p))
        }
    }
}

fn net4(s: &str) -> Option<Ipv4Net> {
    match s.split_once('/') {
        Some(_) => s.parse().ok(),
        None => Ipv4Net::new(s.parse().ok()?, 32).ok(),
    }
}

/// Reads a stateful NAT64's configuration. Stops at the first bad line.
pub fn parse(text: &str) -> Result<Nat64Conf, Nat64ConfError> {
    let mut pool4 = Pool4::new();
    let mut statics = Vec::new();
    let mut timeout_lines = Vec::new();
    let mut seen: Vec<&'static str> = Vec::new();
    let (mut max_sessions, mut per_host, mut filtering) = (None, None, None);
    let mut max_fragments = None;
    let mut port_hash = PortHash::default();
    let mut timeouts = crate::nat64::Timeouts::default();
    // The file as tayga::parse is to see it: this module's lines blanked,
    // so that line numbers stay right.
    let mut rest = String::with_capacity(text.len());
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let t = tokens(raw);
        let Some((&name, args)) = t.split_first() else {
            rest.push_str(raw);
            rest.push('\n');
            continue;
        };
        let directive = name.to_ascii_lowercase();
        if STATELESS_ONLY.contains(&directive.as_str()) {
            return Err(at(
                ln,
                name,
                "not a stateful NAT64 directive (pool4 and bib take its place)",
            ));
        }
        let Some(&own) = OWN.iter().find(|d| **d == directive) else {
            rest.push_str(raw);
            rest.push('\n');
            continue;
        };
        rest.push('\n');
        let take = |n: usize, what: &str| -> Result<(), Nat64ConfError> {
            if args.len() < n {
                let last = args.last().copied().unwrap_or(name);
                return Err(at(ln, last, format!("missing argument (expected {what})")));
            }
            if let Some(extra) = args.get(n) {
                return Err(at(ln, extra, "unexpected argument"));
            }
            Ok(())
        };
        let mut once = |d: &'static str| {
            if seen.contains(&d) {
                Err(at(ln, name, "duplicate directive"))
            } else {
                seen.push(d);
                Ok(())
            }
        };
        let count = |s: &str| -> Result<usize, Nat64ConfError> {
            s.parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| at(ln, s, "expected a positive number"))
        };
        match own {
            "pool4" => {
                let Some((&addr, more)) = args.split_first() else {
                    return Err(at(ln, name, "missing argument (expected an IPv4 address)"));
                };
                let net =
                    net4(addr).ok_or_else(|| at(ln, addr, "expected an IPv4 address or prefix"))?;
                let (mut proto, mut ports) = (None, None);
                for &a in more {
                    if let (None, Some(p)) = (proto, protocol(a)) {
                        proto = Some(p);
                    } else if let (None, Some(r)) = (ports, port_range(a)) {
                        ports = Some(r);
                    } else {
                        return Err(at(ln, a, "expected tcp, udp or icmp, or a port range"));
                    }
                }
                let (first, last) = ports.unwrap_or((*DEFAULT_PORTS.start(), *DEFAULT_PORTS.end()));
                let token = more.last().copied().unwrap_or(addr);
                pool4.add(proto, net, first..=last).map_err(|e| match e {
                    Pool4Error::TooLarge(_) => at(ln, addr, e.to_string()),
                    _ => at(ln, token, e.to_string()),
                })?;
            }
            "bib" => {
                take(3, "a protocol, an IPv6 and an IPv4 transport address")?;
                let p = protocol(args[0])
                    .ok_or_else(|| at(ln, args[0], "expected tcp, udp or icmp"))?;
                let v6: SocketAddrV6 = args[1].parse().map_err(|_| {
                    at(ln, args[1], "expected an IPv6 transport address, [A6]:PORT")
                })?;
                let v4: SocketAddrV4 = args[2]
                    .parse()
                    .map_err(|_| at(ln, args[2], "expected an IPv4 transport address, A4:PORT"))?;
                statics.push(StaticBib {
                    protocol: p,
                    v6,
                    v4,
                    line: ln,
                });
            }
            "max-sessions" => {
                take(1, "a number")?;
                once("max-sessions")?;
                max_sessions = Some(count(args[0])?);
            }
            "max-sessions-per-host" => {
                take(1, "a number")?;
                once("max-sessions-per-host")?;
                per_host = Some(count(args[0])?);
            }
            "max-queued-fragments" => {
                take(1, "a number")?;
                once("max-queued-fragments")?;
                max_fragments = Some(count(args[0])?);
            }
            "timeout" => {
                take(2, "a timer and a number of seconds")?;
                let secs: f64 = args[1]
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| at(ln, args[1], "expected a number of seconds"))?;
                let d = Duration::from_secs_f64(secs);
                let (key, slot): (&'static str, &mut Duration) = match args[0]
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "udp" => ("udp", &mut timeouts.udp),
                    "icmp" => ("icmp", &mut timeouts.icmp),
                    "tcp-est" => ("tcp-est", &mut timeouts.tcp_established),
                    "tcp-trans" => ("tcp-trans", &mut timeouts.tcp_transitory),
                    "tcp-incoming-syn" => ("tcp-incoming-syn", &mut timeouts.tcp_incoming_syn),
                    "fragment" => ("fragment", &mut timeouts.fragment),
                    _ => {
                        return Err(at(
                            ln,
                            args[0],
                            "expected udp, icmp, tcp-est, tcp-trans, tcp-incoming-syn or fragment",
                        ));
                    }
                };
                if timeout_lines.iter().any(|(k, _, _)| *k == key) {
                    return Err(at(ln, args[0], "duplicate timeout"));
                }
                *slot = d;
                timeout_lines.push((key, ln, args[1].to_owned()));
            }
            "filtering" => {
                take(1, "endpoint-independent or address-dependent")?;
                once("filtering")?;
                filtering = Some(match args[0].to_ascii_lowercase().as_str() {
                    "endpoint-independent" => Filtering::EndpointIndependent,
                    "address-dependent" => Filtering::AddressDependent,
                    _ => {
                        return Err(at(
                            ln,
                            args[0],
                            "expected endpoint-independent or address-dependent",
                        ));
                    }
                });
            }
            "port-hash" => {
                once("port-hash")?;
                port_hash = PortHash {
                    src_addr: false,
                    src_port: false,
                    dst_addr: false,
                    dst_port: false,
                };
                for &a in args {
                    let field = match a.to_ascii_lowercase().as_str() {
                        "src-addr" => &mut port_hash.src_addr,
                        "src-port" => &mut port_hash.src_port,
                        "dst-addr" => &mut port_hash.dst_addr,
                        "dst-port" => &mut port_hash.dst_port,
                        _ => {
                            return Err(at(
                                ln,
                                a,
                                "expected src-addr, src-port, dst-addr or dst-port",
                            ));
                        }
                    };
                    *field = true;
                }
            }
            _ => unreachable!("every directive of OWN is matched"),
        }
    }
    let tayga = tayga::parse(&rest)?;
    let mut nat64 = Nat64Config::new(pool4);
    nat64.timeouts = timeouts;
    if let Some(n) = max_sessions {
        nat64.max_sessions = n;
    }
    if let Some(n) = per_host {
        nat64.max_sessions_per_host = n;
    }
    if let Some(n) = max_fragments {
        nat64.max_queued_fragments = n;
    }
    if let Some(f) = filtering {
        nat64.filtering = f;
    }
    nat64.allow_non_global = !tayga.wkpf_strict;
    nat64.port_hash = port_hash;
    Ok(Nat64Conf {
        tayga,
        nat64,
        statics,
        timeout_lines,
    })
}

impl Nat64Conf {
    /// Checks what needs the whole file: the tayga.conf directives a
    /// translator needs (`tun-device`, `ipv4-addr`, an IPv6 address) and
    /// a `prefix`, and at least one `pool4` line.
    pub fn check(&self) -> Result<(), Nat64ConfError> {
        self.tayga.check()?;
        if self.tayga.prefix.is_none() {
            return Err(Nat64ConfError {
                line: None,
                token: None,
                message: "missing prefix directive".into(),
            });
        }
        if self.nat64.pool4.is_empty() {
            return Err(Nat64ConfError {
                line: None,
                token: None,
                message: "missing pool4 directive".into(),
            });
        }
        Ok(())
    }

    /// The stateful NAT64 the file describes, with its static BIB entries;
    /// an error names the line that cannot be. `secret` keys the choice of
    /// pool4 ports (RFC 6056 section 3.3.3): give it a random value.
    pub fn build_with_secret(&self, secret: u64) -> Result<Nat64, Nat64ConfError> {
        self.check()?;
        let whole = |message: String| Nat64ConfError {
            line: None,
            token: None,
            message,
        };
        let prefix = self
            .tayga
            .prefix
            .ok_or_else(|| whole("missing prefix directive".into()))?;
        let v4 = self
            .tayga
            .ipv4_addr
            .ok_or_else(|| whole("missing ipv4-addr directive".into()))?;
        let v6 = self.tayga.own_ipv6()?;
        let mut xlat = Config::new(Rfc6052::new(prefix), v4, v6);
        if let Some(mtu) = self.tayga.offlink_mtu {
            xlat.lowest_ipv6_mtu = mtu;
        }
        xlat.amend_udp_checksum_zero = self.tayga.udp_checksum_calc;
        let mut cfg = self.nat64.clone();
        cfg.secret = secret;
        let mut nat = Nat64::new(xlat, cfg).map_err(|e| match e {
            Nat64Error::Timeout(name) => match self.timeout_lines.iter().find(|(k, ..)| *k == name)
            {
                Some((_, line, token)) => at(*line, token, e.to_string()),
                None => whole(e.to_string()),
            },
            e => whole(e.to_string()),
        })?;
        for s in &self.statics {
            nat.add_static(s.protocol, s.v6, s.v4).map_err(|e| {
                let token = match e {
                    Nat64Error::Bound(_, ref t) => t.clone(),
                    _ => s.v4.to_string(),
                };
                at(s.line, &token, e.to_string())
            })?;
        }
        Ok(nat)
    }

    /// [`Nat64Conf::build_with_secret`] with the secret 0, for tests and
    /// `--check`.
    pub fn build(&self) -> Result<Nat64, Nat64ConfError> {
        self.build_with_secret(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "tun-device nat64\nipv4-addr 192.0.2.1\nipv6-addr 2001:db8::1\nprefix 64:ff9b::/96\n";

    fn err(text: &str) -> String {
        match parse(text).and_then(|c| c.build()) {
            Ok(c) => panic!("accepted {text:?}: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn reads_every_directive() {
        let c = parse(&format!(
            "{BASE}pool4 192.0.2.1 # shared\npool4 192.0.2.2 tcp 2000-2999\n\
             bib udp [2001:db8::53]:53 192.0.2.1:53\nmax-sessions 100\n\
             max-sessions-per-host 10\nmax-queued-fragments 64\n\
             timeout icmp 2\ntimeout udp 150\n\
             filtering address-dependent\nport-hash src-addr dst-port\n"
        ))
        .unwrap();
        let h = c.nat64.port_hash;
        assert!(h.src_addr && !h.src_port && !h.dst_addr && h.dst_port);
        assert_eq!(parse(BASE).unwrap().nat64.port_hash, PortHash::default());
        assert_eq!(c.nat64.pool4.capacity(Protocol::Tcp), 4535 + 1000);
        assert_eq!(c.nat64.pool4.capacity(Protocol::Udp), 4535);
        assert_eq!(c.nat64.max_sessions, 100);
        assert_eq!(c.nat64.max_sessions_per_host, 10);
        assert_eq!(c.nat64.max_queued_fragments, 64);
        assert_eq!(c.nat64.timeouts.icmp, Duration::from_secs(2));
        assert_eq!(c.nat64.timeouts.udp, Duration::from_secs(150));
        assert_eq!(c.nat64.filtering, Filtering::AddressDependent);
        assert_eq!(c.statics.len(), 1);
        assert_eq!(c.statics[0].line, 7);
        let nat = c.build().unwrap();
        assert_eq!(nat.stats().bib_entries, [0, 1, 0]);
    }

    #[test]
    fn bad_lines_are_named() {
        let cases = [
            (
                "pool4 192.0.2.300",
                "5: expected an IPv4 address or prefix: \"192.0.2.300\"",
            ),
            (
                "pool4 192.0.2.1 sctp",
                "5: expected tcp, udp or icmp, or a port range: \"sctp\"",
            ),
            (
                "pool4 192.0.2.1 0-10",
                "5: port 0 is not a usable TCP or UDP port: \"0-10\"",
            ),
            (
                "bib tcp 2001:db8::1 192.0.2.1:80",
                "5: expected an IPv6 transport address, [A6]:PORT: \"2001:db8::1\"",
            ),
            (
                "bib tcp [2001:db8::1]:80",
                "5: missing argument (expected a protocol, an IPv6 and an IPv4 transport address): \"[2001:db8::1]:80\"",
            ),
            ("max-sessions 0", "5: expected a positive number: \"0\""),
            (
                "max-queued-fragments many",
                "5: expected a positive number: \"many\"",
            ),
            (
                "timeout tcp 10",
                "5: expected udp, icmp, tcp-est, tcp-trans, tcp-incoming-syn or fragment: \"tcp\"",
            ),
            (
                "filtering open",
                "5: expected endpoint-independent or address-dependent: \"open\"",
            ),
            (
                "port-hash src-mac",
                "5: expected src-addr, src-port, dst-addr or dst-port: \"src-mac\"",
            ),
            (
                "map 192.0.2.9 2001:db8::9",
                "5: not a stateful NAT64 directive (pool4 and bib take its place): \"map\"",
            ),
            ("frobnicate 1", "5: unknown directive: \"frobnicate\""),
        ];
        for (line, want) in cases {
            assert_eq!(err(&format!("{BASE}{line}\n")), want, "{line}");
        }
    }

    #[test]
    fn build_errors_name_the_line() {
        let pool = "pool4 192.0.2.1\n";
        assert_eq!(
            err(&format!("{BASE}{pool}timeout udp 60\n")),
            "6: udp timeout below the RFC 6146 minimum: \"60\""
        );
        assert_eq!(
            err(&format!(
                "{BASE}{pool}bib tcp [2001:db8::1]:80 192.0.2.7:80\n"
            )),
            "6: 192.0.2.7 is not a pool4 address: \"192.0.2.7:80\""
        );
        assert_eq!(
            err(&format!(
                "{BASE}{pool}bib tcp [2001:db8::1]:80 192.0.2.1:80\nbib tcp [2001:db8::2]:80 192.0.2.1:80\n"
            )),
            "7: tcp 192.0.2.1:80 is already bound: \"192.0.2.1:80\""
        );
        assert_eq!(err(BASE), "missing pool4 directive");
    }

    #[test]
    fn pool4_overlap_is_refused() {
        let e = err(&format!(
            "{BASE}pool4 192.0.2.1 100-200\npool4 192.0.2.0/30 150-160\n"
        ));
        assert!(e.starts_with("6: "), "{e}");
        assert!(e.ends_with(": \"150-160\""), "{e}");
    }
}
