//! ndppd.conf, the configuration file of ndppd 0.2, parsed into what the
//! [`Responder`](super::Responder) needs.
//!
//! ```text
//! route-ttl 30000            # ms between reloads of the routing table (auto rules)
//! address-ttl 30000          # ms between reloads of the interfaces' addresses
//! proxy eth0 {               # answer Neighbor Solicitations arriving on eth0
//!     router yes             # set the Router flag in advertisements (default yes)
//!     timeout 500            # ms to wait for the internal side to answer
//!     ttl 30000              # ms an answer (or a lack of one) is remembered
//!     autowire no            # add a host route to the internal interface
//!     keepalive yes          # ask again before a remembered answer expires
//!     retries 3              # solicitations sent before giving up
//!     promiscuous no         # promiscuous instead of all-multicast mode
//!     rule 2001:db8::/64 {
//!         iface br0          # or `static`, or `auto`
//!         autovia no         # auto rules: route via the gateway found
//!     }
//! }
//! ```
//!
//! Comments start with `#`. A `rule` without a block, or with an empty one,
//! is `static`, as in ndppd. Every error names the file, the line and the
//! token.

use core::net::Ipv6Addr;
use std::path::Path;
use std::time::Duration;

use ipnet::Ipv6Net;

use crate::ConfigError;

/// ndppd's default for `route-ttl`, `address-ttl` and a proxy's `ttl`.
pub const DEFAULT_TTL: Duration = Duration::from_millis(30_000);
/// ndppd's default for a proxy's `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// ndppd's default for a proxy's `retries`.
pub const DEFAULT_RETRIES: u32 = 3;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How often the routing table is read again for `auto` rules.
    pub route_ttl: Duration,
    /// How often the interfaces' own addresses are read again.
    pub address_ttl: Duration,
    /// One entry per `proxy` block, in file order.
    pub proxies: Vec<Proxy>,
}

/// A `proxy <if> { … }` block: the interface whose solicitations are
/// answered and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// The interface solicitations arrive on (the upstream link).
    pub iface: String,
    /// Set the Router flag in advertisements (RFC 4861 section 4.4).
    pub router: bool,
    /// How long to wait for the internal side's advertisement.
    pub timeout: Duration,
    /// How long an answer, or the lack of one, is remembered.
    pub ttl: Duration,
    /// Add a host route to the internal interface for every address found
    /// behind it, and remove it when the entry expires.
    pub autowire: bool,
    /// Ask the internal side again before a remembered answer expires.
    pub keepalive: bool,
    /// Solicitations sent on the internal side before giving up.
    pub retries: u32,
    /// Put the interface into promiscuous rather than all-multicast mode.
    pub promiscuous: bool,
    /// The rules, first match wins.
    pub rules: Vec<Rule>,
}

/// A `rule <prefix> { … }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Targets this rule decides for.
    pub prefix: Ipv6Net,
    /// How it decides.
    pub kind: RuleKind,
    /// For `auto` rules with `autowire`: route via the gateway of the route
    /// found, not straight to the interface.
    pub autovia: bool,
}

/// How a rule decides whether to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// Answer for every address in the prefix at once.
    Static,
    /// Ask on this interface first; answer only if something answers there.
    Iface(String),
    /// Ask on the interface the routing table sends the target to.
    Auto,
}

impl Default for Proxy {
    fn default() -> Self {
        Proxy {
            iface: String::new(),
            router: true,
            timeout: DEFAULT_TIMEOUT,
            ttl: DEFAULT_TTL,
            autowire: false,
            keepalive: true,
            retries: DEFAULT_RETRIES,
            promiscuous: false,
            rules: Vec::new(),
        }
    }
}

/// Reads and parses `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        source: source.clone(),
        line: 0,
        token: source.clone(),
        reason: format!("cannot read: {e}"),
    })?;
    parse(&text, &source)
}

/// A word of the file and the line it is on.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    line: usize,
}

fn tokenize(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let code = line.split('#').next().unwrap_or("");
        let mut start = None;
        for (at, c) in code.char_indices() {
            if c == '{' || c == '}' || c == ';' || c.is_whitespace() {
                if let Some(s) = start.take() {
                    out.push(Token {
                        text: &code[s..at],
                        line: line_no,
                    });
                }
                if c == '{' || c == '}' {
                    out.push(Token {
                        text: &code[at..at + 1],
                        line: line_no,
                    });
                }
            } else if start.is_none() {
                start = Some(at);
            }
        }
        if let Some(s) = start {
            out.push(Token {
                text: &code[s..],
                line: line_no,
            });
        }
    }
    out
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    at: usize,
    source: &'a str,
    last_line: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, token: Token<'_>, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            source: self.source.to_string(),
            line: token.line,
            token: token.text.to_string(),
            reason: reason.into(),
        }
    }

    fn next(&mut self) -> Option<Token<'a>> {
        let t = self.tokens.get(self.at).copied();
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.at).copied()
    }

    /// The next token, or an error at the end of the file after `after`.
    fn expect(&mut self, after: Token<'_>, what: &str) -> Result<Token<'a>, ConfigError> {
        self.next().ok_or_else(|| ConfigError {
            source: self.source.to_string(),
            line: self.last_line.max(after.line),
            token: after.text.to_string(),
            reason: format!("{what} expected after it, found the end of the file"),
        })
    }

    fn open(&mut self, after: Token<'_>) -> Result<(), ConfigError> {
        let t = self.expect(after, "`{`")?;
        if t.text != "{" {
            return Err(self.error(t, "`{` expected"));
        }
        Ok(())
    }

    fn millis(&mut self, key: Token<'_>) -> Result<Duration, ConfigError> {
        let t = self.expect(key, "a number of milliseconds")?;
        t.text
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| self.error(t, "a number of milliseconds expected"))
    }

    fn boolean(&mut self, key: Token<'_>) -> Result<bool, ConfigError> {
        let t = self.expect(key, "yes or no")?;
        match t.text {
            "yes" | "true" | "on" | "1" => Ok(true),
            "no" | "false" | "off" | "0" => Ok(false),
            _ => Err(self.error(t, "yes or no expected")),
        }
    }

    fn iface(&mut self, key: Token<'_>) -> Result<String, ConfigError> {
        let t = self.expect(key, "an interface name")?;
        if t.text == "{" || t.text == "}" {
            return Err(self.error(key, "an interface name expected after it"));
        }
        if t.text.len() > 15 || t.text.contains('/') {
            return Err(self.error(t, "an interface name expected"));
        }
        Ok(t.text.to_string())
    }

    fn config(&mut self) -> Result<Config, ConfigError> {
        let mut config = Config {
            route_ttl: DEFAULT_TTL,
            address_ttl: DEFAULT_TTL,
            proxies: Vec::new(),
        };
        while let Some(t) = self.next() {
            match t.text {
                "route-ttl" => config.route_ttl = self.millis(t)?,
                "address-ttl" => config.address_ttl = self.millis(t)?,
                "proxy" => {
                    let proxy = self.proxy(t)?;
                    if config.proxies.iter().any(|p| p.iface == proxy.iface) {
                        return Err(self.error(t, format!("a second proxy for {}", proxy.iface)));
                    }
                    config.proxies.push(proxy);
                }
                _ => return Err(self.error(t, "unknown directive")),
            }
        }
        if config.proxies.is_empty() {
            return Err(ConfigError {
                source: self.source.to_string(),
                line: self.last_line.max(1),
                token: String::new(),
                reason: "no proxy block".into(),
            });
        }
        Ok(config)
    }

    fn proxy(&mut self, key: Token<'_>) -> Result<Proxy, ConfigError> {
        let mut proxy = Proxy {
            iface: self.iface(key)?,
            ..Proxy::default()
        };
        self.open(key)?;
        loop {
            let t = self.expect(key, "`}`")?;
            match t.text {
                "}" => break,
                "router" => proxy.router = self.boolean(t)?,
                "timeout" => proxy.timeout = self.millis(t)?,
                "ttl" => proxy.ttl = self.millis(t)?,
                "autowire" => proxy.autowire = self.boolean(t)?,
                "keepalive" => proxy.keepalive = self.boolean(t)?,
                "promiscuous" => proxy.promiscuous = self.boolean(t)?,
                "retries" => {
                    let n = self.expect(t, "a number")?;
                    proxy.retries = n
                        .text
                        .parse::<u32>()
                        .ok()
                        .filter(|&r| r <= 100)
                        .ok_or_else(|| self.error(n, "a number from 0 to 100 expected"))?;
                }
                "rule" => proxy.rules.push(self.rule(t)?),
                _ => return Err(self.error(t, "unknown proxy directive")),
            }
        }
        Ok(proxy)
    }

    fn rule(&mut self, key: Token<'_>) -> Result<Rule, ConfigError> {
        let p = self.expect(key, "a prefix")?;
        let prefix = p
            .text
            .parse::<Ipv6Net>()
            .or_else(|_| p.text.parse::<Ipv6Addr>().map(Ipv6Net::from))
            .map_err(|_| self.error(p, "an IPv6 prefix expected"))?;
        let mut rule = Rule {
            prefix: prefix.trunc(),
            kind: RuleKind::Static,
            autovia: false,
        };
        if self.peek().is_none_or(|t| t.text != "{") {
            return Ok(rule);
        }
        self.open(p)?;
        let mut kind: Option<RuleKind> = None;
        loop {
            let t = self.expect(key, "`}`")?;
            let new = match t.text {
                "}" => break,
                "static" => RuleKind::Static,
                "auto" => RuleKind::Auto,
                "iface" => RuleKind::Iface(self.iface(t)?),
                "autovia" => {
                    rule.autovia = self.boolean(t)?;
                    continue;
                }
                _ => return Err(self.error(t, "unknown rule directive")),
            };
            if kind.replace(new).is_some() {
                return Err(self.error(t, "a rule is one of static, iface and auto"));
            }
        }
        rule.kind = kind.unwrap_or(RuleKind::Static);
        Ok(rule)
    }
}

/// Parses the text of an ndppd.conf read from `source` (a file name, used
/// in errors).
pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
    let tokens = tokenize(text);
    let last_line = text.lines().count();
    let mut parser = Parser {
        tokens,
        at: 0,
        source,
        last_line,
    };
    parser.config()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "\
# The reverse-proxy VM of the guide.
route-ttl 20000
address-ttl 10000
proxy eth0 {
    router no
    timeout 250
    ttl 5000
    autowire yes
    rule 2001:db8::/64 {
        iface br0
    }
    rule 2001:db8:0:0:1::/80 { static }
    rule 2001:db8:1::/48 {
        auto
        autovia yes
    }
    rule 2001:db8:2::1
}
";

    #[test]
    fn parses_every_directive() {
        let c = parse(GUIDE, "ndppd.conf").unwrap();
        assert_eq!(c.route_ttl, Duration::from_millis(20000));
        assert_eq!(c.address_ttl, Duration::from_millis(10000));
        let p = &c.proxies[0];
        assert_eq!(p.iface, "eth0");
        assert!(!p.router);
        assert!(p.autowire);
        assert!(p.keepalive);
        assert_eq!(p.timeout, Duration::from_millis(250));
        assert_eq!(p.ttl, Duration::from_millis(5000));
        assert_eq!(
            p.rules,
            [
                Rule {
                    prefix: "2001:db8::/64".parse().unwrap(),
                    kind: RuleKind::Iface("br0".into()),
                    autovia: false
                },
                Rule {
                    prefix: "2001:db8:0:0:1::/80".parse().unwrap(),
                    kind: RuleKind::Static,
                    autovia: false
                },
                Rule {
                    prefix: "2001:db8:1::/48".parse().unwrap(),
                    kind: RuleKind::Auto,
                    autovia: true
                },
                Rule {
                    prefix: "2001:db8:2::1/128".parse().unwrap(),
                    kind: RuleKind::Static,
                    autovia: false
                },
            ]
        );
    }

    #[test]
    fn defaults_are_ndppds() {
        let c = parse("proxy eth0 {\n rule 2001:db8::/64 {\n }\n}\n", "f").unwrap();
        assert_eq!(c.route_ttl, DEFAULT_TTL);
        let p = &c.proxies[0];
        assert!(p.router && !p.autowire && !p.promiscuous);
        assert_eq!(
            (p.timeout, p.ttl, p.retries),
            (DEFAULT_TIMEOUT, DEFAULT_TTL, 3)
        );
        assert_eq!(p.rules[0].kind, RuleKind::Static);
    }

    #[test]
    fn errors_name_file_line_and_token() {
        let cases: &[(&str, usize, &str)] = &[
            ("proxy eth0 {\n  router maybe\n}\n", 2, "maybe"),
            (
                "proxy eth0 {\n  rule 2001:db8::/129 { static }\n}\n",
                2,
                "2001:db8::/129",
            ),
            (
                "proxy eth0 {\n  rule 2001:db8::/64 { iface }\n}\n",
                2,
                "iface",
            ),
            (
                "proxy eth0 {\n  rule 2001:db8::/64 {\n iface\n }\n}\n",
                3,
                "iface",
            ),
            ("proxy eth0 {\n\n  colour blue\n}\n", 3, "colour"),
            ("route-ttl soon\n", 1, "soon"),
            (
                "proxy eth0 {\n rule ::/0 {\n static\n auto\n }\n}\n",
                4,
                "auto",
            ),
            ("proxy eth0 {\n", 1, "proxy"),
            ("proxy eth0 { }\nproxy eth0 { }\n", 2, "proxy"),
            ("timeout 5\n", 1, "timeout"),
            ("proxy eth0 router\n", 1, "router"),
        ];
        for (text, line, token) in cases {
            let e = parse(text, "/etc/ndppd.conf").unwrap_err();
            assert_eq!((e.line, e.token.as_str()), (*line, *token), "{text:?}: {e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("/etc/ndppd.conf:{line}: "))
            );
        }
        assert_eq!(
            parse("# nothing\n", "f").unwrap_err().reason,
            "no proxy block"
        );
    }
}
