//! The relay's configuration: a file of one directive per line, or the same
//! directives as command-line flags.
//!
//! ```text
//! # v6proxyd relay configuration
//! listen 0.0.0.0:443
//! listen 0.0.0.0:80
//! backend-prefix 2001:db8:1::/64
//! route www.example.org [2001:db8:1::10]:443
//! route *.example.org [2001:db8:1::11] proxy-protocol v2
//! resolver [2001:db8:1::53]:53
//! proxy-protocol none          # v1, v2 or none: the default of every route
//! embed-source 2001:db8:1:64::/96
//! first-bytes-timeout 5s
//! connect-timeout 5s
//! idle-timeout 10m
//! drain-timeout 30s
//! max-connections 10000
//! max-hello 16384
//! max-head 8192
//! metrics [::1]:9145
//! splice on
//! ```
//!
//! `#` starts a comment. A route without a port goes to the port the client
//! connected to. A bad line is reported as `file:line: "token": reason`
//! before anything starts.

use core::net::{IpAddr, Ipv6Addr, SocketAddr};
use core::time::Duration;

use ipnet::Ipv6Net;
use v6core::Pref64;

use super::peek::Limits;
use super::proxy_protocol::Version;
use super::route::{Backend, Pattern, Policy, Route, Router};
use crate::ConfigError;

/// The timeouts of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long a client has to send the bytes that name its server.
    pub first_bytes: Duration,
    /// How long connecting to the backend (and resolving its name) may take.
    pub connect: Duration,
    /// How long a relayed connection may carry nothing either way.
    pub idle: Duration,
    /// After the shutdown signal, how long open connections may drain.
    pub drain: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            first_bytes: Duration::from_secs(5),
            connect: Duration::from_secs(5),
            idle: Duration::from_secs(600),
            drain: Duration::from_secs(30),
        }
    }
}

/// A route and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLine {
    /// The route, with the default PROXY setting applied.
    pub route: Route,
    /// Where it was written: file or flag, line, and the backend token.
    pub origin: ConfigError,
}

/// A checked relay configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The addresses to accept clients on.
    pub listen: Vec<SocketAddr>,
    /// The prefixes backends must lie in.
    pub backend_prefixes: Vec<Ipv6Net>,
    /// The static routes, in order.
    pub routes: Vec<RouteLine>,
    /// The DNS server to ask for AAAA records of names without a route.
    pub resolver: Option<SocketAddr>,
    /// The PROXY protocol version routes send unless they say otherwise.
    pub proxy_protocol: Option<Version>,
    /// The prefix to embed IPv4 client addresses in, as source addresses.
    pub embed_source: Option<Pref64>,
    /// The timeouts.
    pub timeouts: Timeouts,
    /// The most connections open at once.
    pub max_connections: usize,
    /// How much the first bytes may hold.
    pub limits: Limits,
    /// Where to serve Prometheus text counters.
    pub metrics: Option<SocketAddr>,
    /// Whether bulk transfers are relayed with splice(2) (on Linux).
    pub splice: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: Vec::new(),
            backend_prefixes: Vec::new(),
            routes: Vec::new(),
            resolver: None,
            proxy_protocol: None,
            embed_source: None,
            timeouts: Timeouts::default(),
            max_connections: 10_000,
            limits: Limits::default(),
            metrics: None,
            splice: true,
        }
    }
}

/// Builds a [`Config`] from lines of a file and flags, in order.
#[derive(Debug, Default)]
pub struct Builder {
    config: Config,
    /// Per route: its PROXY setting if it has one (`Some(None)` is `none`).
    route_proxy: Vec<Option<Option<Version>>>,
    /// Where the first line came from, for errors about what is missing.
    first_source: Option<String>,
}

impl Builder {
    /// Reads every line of `text`, a file named `source`.
    pub fn file(&mut self, text: &str, source: &str) -> Result<(), ConfigError> {
        for (i, line) in text.lines().enumerate() {
            self.line(line, source, i + 1)?;
        }
        Ok(())
    }

    /// Reads one line: `source` names the file (or the flag) and `line`
    /// its number (0 for a flag).
    pub fn line(&mut self, text: &str, source: &str, line: usize) -> Result<(), ConfigError> {
        self.first_source.get_or_insert_with(|| source.to_owned());
        let text = text.split('#').next().unwrap_or("");
        let mut words = text.split_whitespace();
        let Some(directive) = words.next() else {
            return Ok(());
        };
        let args: Vec<&str> = words.collect();
        let err = |token: &str, reason: &str| ConfigError {
            source: source.to_owned(),
            line,
            token: token.to_owned(),
            reason: reason.to_owned(),
        };
        // The directive's single argument.
        let one = || match args.as_slice() {
            [a] => Ok(*a),
            [] => Err(err(directive, "needs a value")),
            [_, extra, ..] => Err(err(extra, "unexpected")),
        };
        let c = &mut self.config;
        match directive {
            "listen" => {
                let a = one()?;
                c.listen
                    .push(a.parse().map_err(|_| err(a, "not an address:port"))?);
            }
            "backend-prefix" => {
                let a = one()?;
                let p: Ipv6Net = a.parse().map_err(|_| err(a, "not an IPv6 prefix"))?;
                if p.addr() != p.network() {
                    return Err(err(a, "has bits set after the prefix length"));
                }
                c.backend_prefixes.push(p);
            }
            "route" => {
                let (name, backend, proxy) = match args.as_slice() {
                    [n, b] => (*n, *b, None),
                    [n, b, "proxy-protocol", v] => (*n, *b, Some(*v)),
                    [_, _, extra, ..] => return Err(err(extra, "expected proxy-protocol")),
                    [n] => return Err(err(n, "needs a backend")),
                    [] => return Err(err(directive, "needs a name and a backend")),
                };
                let pattern: Pattern = name.parse().map_err(|_| err(name, "not a host name"))?;
                let parsed: Backend = backend
                    .parse()
                    .map_err(|_| err(backend, "not [IPv6]:port, [IPv6] or IPv6"))?;
                let proxy = proxy.map(|v| proxy_setting(v).map_err(|r| err(v, r)));
                self.route_proxy.push(proxy.transpose()?);
                c.routes.push(RouteLine {
                    route: Route {
                        pattern,
                        backend: parsed,
                        proxy: None,
                    },
                    origin: err(backend, ""),
                });
            }
            "resolver" => {
                let a = one()?;
                let addr = match a.parse::<IpAddr>() {
                    Ok(ip) => SocketAddr::new(ip, 53),
                    Err(_) => a.parse().map_err(|_| err(a, "not an address[:port]"))?,
                };
                c.resolver = Some(addr);
            }
            "proxy-protocol" => {
                let a = one()?;
                c.proxy_protocol = proxy_setting(a).map_err(|r| err(a, r))?;
            }
            "embed-source" => {
                let a = one()?;
                let p: Ipv6Net = a.parse().map_err(|_| err(a, "not an IPv6 prefix"))?;
                let p = Pref64::new(p)
                    .map_err(|_| err(a, "not an RFC 6052 prefix (/96 recommended)"))?;
                c.embed_source = Some(p);
            }
            "first-bytes-timeout" | "connect-timeout" | "idle-timeout" | "drain-timeout" => {
                let a = one()?;
                let d =
                    duration(a).ok_or_else(|| err(a, "not a duration (such as 5s, 500ms, 10m)"))?;
                let t = &mut c.timeouts;
                *match directive {
                    "first-bytes-timeout" => &mut t.first_bytes,
                    "connect-timeout" => &mut t.connect,
                    "idle-timeout" => &mut t.idle,
                    _ => &mut t.drain,
                } = d;
            }
            "max-connections" | "max-hello" | "max-head" => {
                let a = one()?;
                let n: usize = a
                    .parse()
                    .ok()
                    .filter(|&n| n > 0 && n <= 1 << 24)
                    .ok_or_else(|| err(a, "not a number from 1 to 16777216"))?;
                match directive {
                    "max-connections" => c.max_connections = n,
                    "max-hello" => c.limits.max_hello = n,
                    _ => c.limits.max_head = n.max(16),
                }
            }
            "metrics" => {
                let a = one()?;
                c.metrics = Some(a.parse().map_err(|_| err(a, "not an address:port"))?);
            }
            "splice" => {
                let a = one()?;
                c.splice = match a {
                    "on" | "yes" | "true" => true,
                    "off" | "no" | "false" => false,
                    _ => return Err(err(a, "expected on or off")),
                };
            }
            _ => return Err(err(directive, "unknown directive")),
        }
        Ok(())
    }

    /// The configuration, once it has a listener, a backend prefix and a
    /// way to find backends (a route or a resolver).
    pub fn finish(mut self) -> Result<Config, ConfigError> {
        let source = self.first_source.unwrap_or_else(|| "configuration".into());
        let missing = |token: &str, reason: &str| ConfigError {
            source: source.clone(),
            line: 0,
            token: token.to_owned(),
            reason: reason.to_owned(),
        };
        let c = &mut self.config;
        if c.listen.is_empty() {
            return Err(missing("listen", "no address to listen on"));
        }
        if c.backend_prefixes.is_empty() {
            return Err(missing("backend-prefix", "no backend prefix"));
        }
        if c.routes.is_empty() && c.resolver.is_none() {
            return Err(missing("route", "neither a route nor a resolver"));
        }
        for (r, p) in c.routes.iter_mut().zip(&self.route_proxy) {
            r.route.proxy = p.unwrap_or(c.proxy_protocol);
        }
        Ok(self.config)
    }
}

/// `v1`, `v2` or `none`.
fn proxy_setting(s: &str) -> Result<Option<Version>, &'static str> {
    match s {
        "none" | "off" => Ok(None),
        v => v.parse().map(Some).map_err(|()| "expected v1, v2 or none"),
    }
}

/// `5s`, `500ms`, `10m`, `1h`, or a number of seconds.
fn duration(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let ms = match unit {
        "ms" => n,
        "" | "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

impl Config {
    /// Parses a whole file.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        let mut b = Builder::default();
        b.file(text, source)?;
        b.finish()
    }

    /// The router for this configuration on a host with addresses `host`.
    /// A static route the policy refuses is reported at its line.
    pub fn router(&self, host: Vec<Ipv6Addr>) -> Result<Router, ConfigError> {
        let policy = Policy {
            prefixes: self.backend_prefixes.clone(),
            host,
            embed: self.embed_source.map(Ipv6Net::from),
        };
        let routes = self.routes.iter().map(|r| r.route.clone()).collect();
        Router::new(routes, policy, self.resolver.is_some(), self.proxy_protocol).map_err(
            |(i, denied)| {
                let mut e = self.routes[i].origin.clone();
                e.reason = format!("backend refused: {denied}");
                e
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
# a comment
listen 0.0.0.0:443
listen 0.0.0.0:80   # and another
backend-prefix 2001:db8:1::/64
route www.example.org [2001:db8:1::10]:443
route *.example.org 2001:db8:1::11 proxy-protocol none
proxy-protocol v2
resolver 2001:db8:1::53
embed-source 2001:db8:1:64::/96
first-bytes-timeout 1500ms
idle-timeout 10m
max-connections 100
splice off
";

    #[test]
    fn reads_a_whole_file() {
        let c = Config::parse(GOOD, "relay.conf").unwrap();
        assert_eq!(c.listen.len(), 2);
        assert_eq!(c.routes[0].route.proxy, Some(Version::V2), "the default");
        assert_eq!(c.routes[1].route.proxy, None, "its own setting");
        assert_eq!(c.resolver, Some("[2001:db8:1::53]:53".parse().unwrap()));
        assert_eq!(c.timeouts.first_bytes, Duration::from_millis(1500));
        assert_eq!(c.timeouts.idle, Duration::from_secs(600));
        assert_eq!(c.max_connections, 100);
        assert!(!c.splice);
        assert!(c.router(vec![]).is_ok());
    }

    #[test]
    fn errors_name_the_file_line_and_token() {
        let bad = |text: &str| Config::parse(text, "relay.conf").unwrap_err().to_string();
        assert_eq!(
            bad("listen 0.0.0.0:443\nbackend-prefix 2001:db8::/64\nroute a.example [::1:80\n"),
            "relay.conf:3: \"[::1:80\": not [IPv6]:port, [IPv6] or IPv6"
        );
        assert_eq!(bad("lisen 1"), "relay.conf:1: \"lisen\": unknown directive");
        assert_eq!(
            bad("listen 0.0.0.0:443 x"),
            "relay.conf:1: \"x\": unexpected"
        );
        assert_eq!(bad("idle-timeout 5 s"), "relay.conf:1: \"s\": unexpected");
        assert_eq!(
            bad("embed-source 2001:db8::/80"),
            "relay.conf:1: \"2001:db8::/80\": not an RFC 6052 prefix (/96 recommended)"
        );
        assert_eq!(
            bad("listen [::]:80\n"),
            "relay.conf: \"backend-prefix\": no backend prefix"
        );
        let c = Config::parse(
            "listen [::]:80\nbackend-prefix 2001:db8::/64\n\nroute a.example [2001:db8:9::1]:80\n",
            "relay.conf",
        )
        .unwrap();
        assert_eq!(
            c.router(vec![]).unwrap_err().to_string(),
            "relay.conf:4: \"[2001:db8:9::1]:80\": backend refused: outside the backend prefixes"
        );
    }
}
