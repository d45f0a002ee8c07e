//! The radvd.conf grammar (radvd 2.20, radvd.conf(5)):
//!
//! ```text
//! file      = { "interface" NAME "{" { item } "}" ";" }
//! item      = NAME value ";"
//!           | "prefix" PREFIX "{" { NAME value ";" } "}" ";"
//!           | "route" PREFIX "{" { NAME value ";" } "}" ";"
//!           | "RDNSS" ADDRESS { ADDRESS } "{" { NAME value ";" } "}" ";"
//!           | "DNSSL" DOMAIN { DOMAIN } "{" { NAME value ";" } "}" ";"
//!           | "nat64prefix" PREFIX "{" { NAME value ";" } "}" ";"
//!           | "clients" "{" { ADDRESS ";" } "}" ";"
//!           | "AdvRASrcAddress" "{" { ADDRESS ";" } "}" ";"
//! ```

use core::net::Ipv6Addr;
use std::time::Duration;

use ipnet::Ipv6Net;
use v6core::Pref64;

use super::lexer::{Kind, Token, tokens};
use super::{
    Config, ConfigError, DnsslConfig, InterfaceConfig, Lifetime, Nat64Config, PrefixConfig,
    RdnssConfig, RouteConfig,
};
use crate::wire::{Pref64Info, Preference};

struct Parser<'a> {
    file: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    warnings: Vec<ConfigError>,
}

type Result<T> = core::result::Result<T, ConfigError>;

impl Parser<'_> {
    fn error(&self, token: &Token, message: &str) -> ConfigError {
        ConfigError::new(self.file, token.line, token.col, &token.text, message)
    }

    fn end_error(&self, message: &str) -> ConfigError {
        match self.tokens.last() {
            Some(t) => ConfigError::new(
                self.file,
                t.line,
                t.col + t.text.len(),
                "end of file",
                message,
            ),
            None => ConfigError::new(self.file, 1, 1, "end of file", message),
        }
    }

    fn next(&mut self, what: &str) -> Result<Token> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| self.end_error(&format!("expected {what}")))?;
        self.pos += 1;
        Ok(t)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<Token> {
        let t = self.next(what)?;
        if t.kind != kind {
            return Err(self.error(&t, &format!("expected {what}")));
        }
        Ok(t)
    }

    fn word(&mut self, what: &str) -> Result<Token> {
        self.expect(Kind::Word, what)
    }

    /// `{ NAME value ; ... } ;` calling `f` with each name and value token.
    fn block(&mut self, mut f: impl FnMut(&Self, &Token, &Token) -> Result<()>) -> Result<()> {
        self.expect(Kind::Open, "'{'")?;
        loop {
            let t = self.next("an option or '}'")?;
            match t.kind {
                Kind::Close => break,
                Kind::Word => {
                    let value = self.next("a value")?;
                    if !matches!(value.kind, Kind::Word | Kind::Str) {
                        return Err(self.error(&value, &format!("expected a value for {}", t.text)));
                    }
                    f(self, &t, &value)?;
                    self.expect(Kind::Semi, "';'")?;
                }
                _ => return Err(self.error(&t, "expected an option name")),
            }
        }
        self.expect(Kind::Semi, "';' after '}'")?;
        Ok(())
    }

    /// `{ ADDRESS ; ... } ;`
    fn address_list(&mut self) -> Result<Vec<Ipv6Addr>> {
        self.expect(Kind::Open, "'{'")?;
        let mut out = Vec::new();
        loop {
            let t = self.next("an address or '}'")?;
            if t.kind == Kind::Close {
                break;
            }
            out.push(self.addr(&t)?);
            self.expect(Kind::Semi, "';'")?;
        }
        self.expect(Kind::Semi, "';' after '}'")?;
        Ok(out)
    }

    fn addr(&self, t: &Token) -> Result<Ipv6Addr> {
        t.text
            .parse()
            .map_err(|_| self.error(t, "not an IPv6 address"))
    }

    fn prefix(&self, t: &Token) -> Result<Ipv6Net> {
        t.text
            .parse()
            .map_err(|_| self.error(t, "not an IPv6 prefix (ADDRESS/LENGTH)"))
    }

    fn flag(&self, t: &Token) -> Result<bool> {
        match t.text.as_str() {
            "on" | "yes" | "1" | "true" => Ok(true),
            "off" | "no" | "0" | "false" => Ok(false),
            _ => Err(self.error(t, "expected on or off")),
        }
    }

    fn number(&self, t: &Token, max: u64) -> Result<u64> {
        let n: u64 = t
            .text
            .parse()
            .map_err(|_| self.error(t, "expected a whole number"))?;
        if n > max {
            return Err(self.error(t, &format!("must be at most {max}")));
        }
        Ok(n)
    }

    fn lifetime(&self, t: &Token) -> Result<Lifetime> {
        if t.text == "infinity" {
            return Ok(Lifetime::INFINITY);
        }
        Ok(Lifetime(self.number(t, u64::from(u32::MAX))? as u32))
    }

    fn seconds(&self, t: &Token) -> Result<Duration> {
        let s: f64 = t
            .text
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0 && *s < 1e9)
            .ok_or_else(|| self.error(t, "expected seconds, such as 10 or 0.5"))?;
        Ok(Duration::from_secs_f64(s))
    }

    fn preference(&self, t: &Token) -> Result<Preference> {
        match t.text.as_str() {
            "low" => Ok(Preference::Low),
            "medium" => Ok(Preference::Medium),
            "high" => Ok(Preference::High),
            _ => Err(self.error(t, "expected low, medium or high")),
        }
    }
}

/// Interface settings as read, before defaults that depend on others.
#[derive(Default)]
struct Raw {
    max: Option<(Duration, Token)>,
    min: Option<(Duration, Token)>,
    default_lifetime: Option<(u64, Token)>,
    link_mtu: Option<(u64, Token)>,
    routes: Vec<(RouteConfig, bool)>,
    rdnss: Vec<(RdnssConfig, Option<Token>)>,
    dnssl: Vec<(DnsslConfig, Option<Token>)>,
    nat64: Vec<(Pref64, Option<(u64, Token)>)>,
}

pub(super) fn parse(file: &str, text: &str) -> Result<Config> {
    let mut p = Parser {
        file,
        tokens: tokens(file, text)?,
        pos: 0,
        warnings: Vec::new(),
    };
    let mut config = Config::default();
    while let Some(t) = p.peek().cloned() {
        p.pos += 1;
        if t.kind != Kind::Word || t.text != "interface" {
            return Err(p.error(&t, "expected 'interface'"));
        }
        let name = p.word("an interface name")?;
        if name.text.len() > 15 {
            return Err(p.error(&name, "interface names have at most 15 characters"));
        }
        if config.interfaces.iter().any(|i| i.name == name.text) {
            return Err(p.error(&name, "interface defined twice"));
        }
        config.interfaces.push(interface(&mut p, &t, name)?);
    }
    config.warnings = p.warnings;
    Ok(config)
}

fn interface(p: &mut Parser<'_>, start: &Token, name: Token) -> Result<InterfaceConfig> {
    let mut i = InterfaceConfig {
        name: name.text.clone(),
        send_advert: false,
        ignore_if_missing: true,
        unicast_only: false,
        solicited_unicast: true,
        remove_on_exit: true,
        max_interval: Duration::from_secs(600),
        min_interval: Duration::from_secs(198),
        min_delay_between_ras: Duration::from_secs(3),
        managed: false,
        other_config: false,
        home_agent: false,
        default_preference: Preference::Medium,
        default_lifetime: 1800,
        link_mtu: 0,
        cur_hop_limit: 64,
        reachable_time: 0,
        retrans_timer: 0,
        source_ll_address: true,
        captive_portal: None,
        clients: Vec::new(),
        ra_source: Vec::new(),
        prefixes: Vec::new(),
        routes: Vec::new(),
        rdnss: Vec::new(),
        dnssl: Vec::new(),
        nat64: Vec::new(),
        location: format!("{}:{}", p.file, start.line),
    };
    let mut raw = Raw::default();
    p.expect(Kind::Open, "'{'")?;
    loop {
        let t = p.next("an interface option or '}'")?;
        match (t.kind, t.text.as_str()) {
            (Kind::Close, _) => break,
            (Kind::Word, "prefix") => i.prefixes.push(prefix(p)?),
            (Kind::Word, "route") => raw.routes.push(route(p)?),
            (Kind::Word, "RDNSS") => raw.rdnss.push(rdnss(p)?),
            (Kind::Word, "DNSSL") => raw.dnssl.push(dnssl(p)?),
            (Kind::Word, "nat64prefix") => raw.nat64.push(nat64(p)?),
            (Kind::Word, "clients") => i.clients.extend(p.address_list()?),
            (Kind::Word, "AdvRASrcAddress") => i.ra_source.extend(p.address_list()?),
            (Kind::Word, "abro" | "lowpanco") => {
                return Err(p.error(&t, "6LoWPAN options are not supported"));
            }
            (Kind::Word, _) => {
                let value = p.next("a value")?;
                if !matches!(value.kind, Kind::Word | Kind::Str) {
                    return Err(p.error(&value, &format!("expected a value for {}", t.text)));
                }
                interface_option(p, &mut i, &mut raw, &t, &value)?;
                p.expect(Kind::Semi, "';'")?;
            }
            _ => return Err(p.error(&t, "expected an interface option")),
        }
    }
    p.expect(Kind::Semi, "';' after '}'")?;
    resolve(p, &mut i, raw)?;
    Ok(i)
}

fn interface_option(
    p: &Parser<'_>,
    i: &mut InterfaceConfig,
    raw: &mut Raw,
    name: &Token,
    v: &Token,
) -> Result<()> {
    match name.text.as_str() {
        "AdvSendAdvert" => i.send_advert = p.flag(v)?,
        "IgnoreIfMissing" => i.ignore_if_missing = p.flag(v)?,
        "UnicastOnly" => i.unicast_only = p.flag(v)?,
        "AdvRASolicitedUnicast" => i.solicited_unicast = p.flag(v)?,
        "RemoveAdvOnExit" => i.remove_on_exit = p.flag(v)?,
        "AdvManagedFlag" => i.managed = p.flag(v)?,
        "AdvOtherConfigFlag" => i.other_config = p.flag(v)?,
        "AdvHomeAgentFlag" => i.home_agent = p.flag(v)?,
        "AdvSourceLLAddress" => i.source_ll_address = p.flag(v)?,
        "AdvDefaultPreference" => i.default_preference = p.preference(v)?,
        "MaxRtrAdvInterval" => raw.max = Some((p.seconds(v)?, v.clone())),
        "MinRtrAdvInterval" => raw.min = Some((p.seconds(v)?, v.clone())),
        "MinDelayBetweenRAs" => i.min_delay_between_ras = p.seconds(v)?,
        "AdvDefaultLifetime" => raw.default_lifetime = Some((p.number(v, 9000)?, v.clone())),
        "AdvLinkMTU" => raw.link_mtu = Some((p.number(v, u64::from(u32::MAX))?, v.clone())),
        "AdvCurHopLimit" => i.cur_hop_limit = p.number(v, 255)? as u8,
        // RFC 4861 section 6.2.1: MUST be no greater than 3,600,000 ms.
        "AdvReachableTime" => i.reachable_time = p.number(v, 3_600_000)? as u32,
        "AdvRetransTimer" => i.retrans_timer = p.number(v, u64::from(u32::MAX))? as u32,
        "AdvCaptivePortalAPI" => {
            if v.kind != Kind::Str {
                return Err(p.error(v, "expected a quoted URI"));
            }
            i.captive_portal = Some(v.text.clone());
        }
        // Mobile IPv6 and 6LoWPAN settings radvd accepts: read and checked,
        // but they add no option to the advertisement.
        "AdvHomeAgentInfo" | "AdvMobRtrSupportFlag" | "AdvIntervalOpt" => {
            p.flag(v)?;
        }
        "HomeAgentLifetime" => {
            p.number(v, 65520)?;
        }
        "HomeAgentPreference" => {
            p.number(v, 65535)?;
        }
        _ => return Err(p.error(name, "unknown interface option")),
    }
    Ok(())
}

fn resolve(p: &mut Parser<'_>, i: &mut InterfaceConfig, raw: Raw) -> Result<()> {
    if let Some((max, t)) = &raw.max {
        // RFC 4861 section 6.2.1: no less than 4 s and no greater than 1800 s.
        if *max < Duration::from_secs(4) || *max > Duration::from_secs(1800) {
            return Err(p.error(t, "MaxRtrAdvInterval must be between 4 and 1800 seconds"));
        }
        i.max_interval = *max;
    }
    let max = i.max_interval;
    i.min_interval = match &raw.min {
        Some((min, t)) => {
            // RFC 4861 section 6.2.1: no less than 3 s, no greater than
            // 0.75 × MaxRtrAdvInterval.
            if *min < Duration::from_secs(3) || *min > max.mul_f64(0.75) {
                return Err(p.error(
                    t,
                    "MinRtrAdvInterval must be at least 3 seconds and at most 0.75 * MaxRtrAdvInterval",
                ));
            }
            *min
        }
        None if max >= Duration::from_secs(9) => max.mul_f64(0.33),
        None => max.mul_f64(0.75),
    };
    let max_s = max.as_secs().max(1);
    i.default_lifetime = match raw.default_lifetime {
        // RFC 4861 section 6.2.1: 0, or between MaxRtrAdvInterval and 9000 s.
        Some((n, t)) if n != 0 && n < max_s => {
            return Err(p.error(
                &t,
                "AdvDefaultLifetime must be 0 or at least MaxRtrAdvInterval",
            ));
        }
        Some((n, _)) => n as u16,
        None => (3 * max_s).min(9000) as u16,
    };
    if let Some((mtu, t)) = raw.link_mtu {
        // RFC 8200 section 5: the IPv6 minimum link MTU is 1280.
        if mtu != 0 && mtu < 1280 {
            return Err(p.error(&t, "AdvLinkMTU must be 0 or at least 1280"));
        }
        i.link_mtu = mtu as u32;
    }
    let max32 = max_s as u32;
    for (mut r, defaulted) in raw.routes {
        if defaulted {
            r.lifetime = Lifetime(3 * max32);
        }
        i.routes.push(r);
    }
    // RFC 8106 section 5.1: a lifetime shorter than MaxRtrAdvInterval
    // lets the servers expire between advertisements. radvd accepts it
    // with a warning, and so does v6rad.
    let mut short = |t: &Token, lifetime: Lifetime, what: &str| {
        if lifetime.0 != 0 && lifetime.0 < max32 {
            let w = p.error(
                t,
                &format!("{what} should be 0 or at least MaxRtrAdvInterval"),
            );
            p.warnings.push(w);
        }
    };
    for (mut r, given) in raw.rdnss {
        match given {
            Some(t) => short(&t, r.lifetime, "AdvRDNSSLifetime"),
            None => r.lifetime = Lifetime(max32),
        }
        i.rdnss.push(r);
    }
    for (mut d, given) in raw.dnssl {
        match given {
            Some(t) => short(&t, d.lifetime, "AdvDNSSLLifetime"),
            None => d.lifetime = Lifetime(max32),
        }
        i.dnssl.push(d);
    }
    for (prefix, lifetime) in raw.nat64 {
        let lifetime = match lifetime {
            Some((n, t)) => {
                if n > u64::from(Pref64Info::MAX_LIFETIME) {
                    return Err(p.error(&t, "a PREF64 lifetime is at most 65528 seconds"));
                }
                n as u16
            }
            None => (3 * max32).min(u32::from(Pref64Info::MAX_LIFETIME)) as u16,
        };
        i.nat64.push(Nat64Config { prefix, lifetime });
    }
    Ok(())
}

fn prefix(p: &mut Parser<'_>) -> Result<PrefixConfig> {
    let t = p.word("a prefix")?;
    let prefix = p.prefix(&t)?;
    let mut c = PrefixConfig {
        prefix,
        on_link: true,
        autonomous: true,
        router_addr: false,
        valid_lifetime: Lifetime(86400),
        preferred_lifetime: Lifetime(14400),
        decrement_lifetimes: false,
        deprecate_prefix: false,
        base6_interface: None,
    };
    let mut preferred_token = None;
    p.block(|p, name, v| {
        match name.text.as_str() {
            "AdvOnLink" => c.on_link = p.flag(v)?,
            "AdvAutonomous" => c.autonomous = p.flag(v)?,
            "AdvRouterAddr" => c.router_addr = p.flag(v)?,
            "AdvValidLifetime" => c.valid_lifetime = p.lifetime(v)?,
            "AdvPreferredLifetime" => {
                c.preferred_lifetime = p.lifetime(v)?;
                preferred_token = Some(v.clone());
            }
            "DecrementLifetimes" => c.decrement_lifetimes = p.flag(v)?,
            "DeprecatePrefix" => c.deprecate_prefix = p.flag(v)?,
            "Base6Interface" => c.base6_interface = Some(v.text.clone()),
            "Base6to4Interface" => {
                return Err(p.error(name, "6to4 prefixes are not supported"));
            }
            _ => return Err(p.error(name, "unknown prefix option")),
        }
        Ok(())
    })?;
    // RFC 4862 section 5.5.3 c): a preferred lifetime greater than the
    // valid lifetime makes the option be ignored.
    if c.preferred_lifetime.0 > c.valid_lifetime.0 {
        let at = preferred_token.unwrap_or(t);
        return Err(p.error(
            &at,
            "AdvPreferredLifetime must not be greater than AdvValidLifetime",
        ));
    }
    Ok(c)
}

fn route(p: &mut Parser<'_>) -> Result<(RouteConfig, bool)> {
    let t = p.word("a prefix")?;
    let prefix = p.prefix(&t)?;
    let mut r = RouteConfig {
        prefix,
        preference: Preference::Medium,
        lifetime: Lifetime(0),
        remove_route: true,
    };
    let mut defaulted = true;
    p.block(|p, name, v| {
        match name.text.as_str() {
            "AdvRoutePreference" => r.preference = p.preference(v)?,
            "AdvRouteLifetime" => {
                r.lifetime = p.lifetime(v)?;
                defaulted = false;
            }
            "RemoveRoute" => r.remove_route = p.flag(v)?,
            _ => return Err(p.error(name, "unknown route option")),
        }
        Ok(())
    })?;
    Ok((r, defaulted))
}

fn rdnss(p: &mut Parser<'_>) -> Result<(RdnssConfig, Option<Token>)> {
    let mut servers = Vec::new();
    while p.peek().is_some_and(|t| t.kind == Kind::Word) {
        let t = p.word("an address")?;
        servers.push(p.addr(&t)?);
    }
    if servers.is_empty() {
        let t = p.next("an address")?;
        return Err(p.error(&t, "RDNSS needs at least one address"));
    }
    let mut r = RdnssConfig {
        servers,
        lifetime: Lifetime(0),
        flush: true,
    };
    let mut given = None;
    p.block(|p, name, v| {
        match name.text.as_str() {
            "AdvRDNSSLifetime" => {
                r.lifetime = p.lifetime(v)?;
                given = Some(v.clone());
            }
            "FlushRDNSS" => r.flush = p.flag(v)?,
            // Options of old drafts that radvd still reads.
            "AdvRDNSSPreference" => {
                p.number(v, 15)?;
            }
            "AdvRDNSSOpen" => {
                p.flag(v)?;
            }
            _ => return Err(p.error(name, "unknown RDNSS option")),
        }
        Ok(())
    })?;
    Ok((r, given))
}

fn dnssl(p: &mut Parser<'_>) -> Result<(DnsslConfig, Option<Token>)> {
    let mut domains = Vec::new();
    while p.peek().is_some_and(|t| t.kind == Kind::Word) {
        let t = p.word("a domain")?;
        let ok = t.text.split('.').filter(|l| !l.is_empty()).all(|l| {
            l.len() <= 63
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        }) && t.text.len() <= 253
            && !t.text.starts_with('.');
        if !ok {
            return Err(p.error(&t, "not a domain name"));
        }
        domains.push(t.text.trim_end_matches('.').to_owned());
    }
    if domains.is_empty() {
        let t = p.next("a domain")?;
        return Err(p.error(&t, "DNSSL needs at least one domain"));
    }
    let mut d = DnsslConfig {
        domains,
        lifetime: Lifetime(0),
        flush: true,
    };
    let mut given = None;
    p.block(|p, name, v| {
        match name.text.as_str() {
            "AdvDNSSLLifetime" => {
                d.lifetime = p.lifetime(v)?;
                given = Some(v.clone());
            }
            "FlushDNSSL" => d.flush = p.flag(v)?,
            _ => return Err(p.error(name, "unknown DNSSL option")),
        }
        Ok(())
    })?;
    Ok((d, given))
}

fn nat64(p: &mut Parser<'_>) -> Result<(Pref64, Option<(u64, Token)>)> {
    let t = p.word("a prefix")?;
    let net = p.prefix(&t)?;
    let prefix = Pref64::new(net).map_err(|e| p.error(&t, &e.to_string()))?;
    let mut lifetime = None;
    p.block(|p, name, v| {
        match name.text.as_str() {
            "AdvValidLifetime" => lifetime = Some((p.number(v, u64::from(u32::MAX))?, v.clone())),
            _ => return Err(p.error(name, "unknown nat64prefix option")),
        }
        Ok(())
    })?;
    Ok((prefix, lifetime))
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    const CLASSIC: &str = "
# The router of an IPv6-first host.
interface eth0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 10;
    prefix 2001:db8:1::/64 {
        AdvOnLink on;
        AdvAutonomous on;
        AdvRouterAddr on;
    };
    RDNSS 2001:db8:1::1 {
    };
    route 64:ff9b::/96 {
    };
    nat64prefix 64:ff9b::/96 {
    };
};
";

    #[test]
    fn classic_configuration_with_defaults() {
        let c = parse("radvd.conf", CLASSIC).unwrap();
        assert_eq!(c.interfaces.len(), 1);
        let i = &c.interfaces[0];
        assert_eq!(i.name, "eth0");
        assert!(i.send_advert && i.solicited_unicast && i.remove_on_exit);
        assert!(i.ignore_if_missing, "radvd's default");
        assert!(c.warnings.is_empty());
        assert_eq!(i.min_interval, Duration::from_secs(3));
        assert_eq!(i.max_interval, Duration::from_secs(10));
        assert_eq!(i.default_lifetime, 30);
        assert_eq!(i.cur_hop_limit, 64);
        let p = &i.prefixes[0];
        assert_eq!(p.prefix, "2001:db8:1::/64".parse().unwrap());
        assert!(p.on_link && p.autonomous && p.router_addr);
        assert_eq!((p.valid_lifetime.0, p.preferred_lifetime.0), (86400, 14400));
        assert_eq!(i.routes[0].lifetime, Lifetime(30));
        assert_eq!(i.rdnss[0].lifetime, Lifetime(10));
        assert_eq!(i.nat64[0].lifetime, 30);
        assert_eq!(i.nat64[0].prefix.to_string(), "64:ff9b::/96");
    }

    #[test]
    fn every_option_and_infinity() {
        let text = r#"interface br-lan.10 {
            AdvSendAdvert on; IgnoreIfMissing on; UnicastOnly off;
            AdvRASolicitedUnicast off; RemoveAdvOnExit off;
            MaxRtrAdvInterval 30; MinRtrAdvInterval 10; MinDelayBetweenRAs 0.5;
            AdvManagedFlag on; AdvOtherConfigFlag on; AdvHomeAgentFlag off;
            AdvDefaultPreference high; AdvDefaultLifetime 0; AdvLinkMTU 1400;
            AdvCurHopLimit 32; AdvReachableTime 30000; AdvRetransTimer 1000;
            AdvSourceLLAddress off; AdvCaptivePortalAPI "https://cp.example/api";
            clients { fe80::1; fe80::2; };
            AdvRASrcAddress { fe80::1; };
            prefix ::/64 { AdvValidLifetime infinity; AdvPreferredLifetime infinity;
                DecrementLifetimes on; DeprecatePrefix on; };
            route 2001:db8::/48 { AdvRoutePreference low; AdvRouteLifetime infinity; RemoveRoute off; };
            RDNSS 2001:db8::53 2001:db8::54 { AdvRDNSSLifetime 60; FlushRDNSS off; };
            DNSSL example.org. lab.example { AdvDNSSLLifetime 60; };
            nat64prefix 2001:db8:64::/64 { AdvValidLifetime 600; };
        };"#;
        let c = parse("x.conf", text).unwrap();
        let i = &c.interfaces[0];
        assert_eq!(i.name, "br-lan.10");
        assert!(i.ignore_if_missing && !i.solicited_unicast && !i.remove_on_exit);
        assert_eq!(i.min_delay_between_ras, Duration::from_millis(500));
        assert_eq!(i.default_lifetime, 0);
        assert_eq!(i.link_mtu, 1400);
        assert_eq!(i.captive_portal.as_deref(), Some("https://cp.example/api"));
        assert_eq!(i.clients.len(), 2);
        assert!(i.prefixes[0].is_interface_prefixes());
        assert_eq!(i.prefixes[0].valid_lifetime, Lifetime::INFINITY);
        assert_eq!(i.routes[0].lifetime, Lifetime::INFINITY);
        assert_eq!(i.rdnss[0].servers.len(), 2);
        assert_eq!(i.dnssl[0].domains, ["example.org", "lab.example"]);
        assert_eq!(i.nat64[0].lifetime, 600);
    }

    fn error(text: &str) -> String {
        parse("radvd.conf", text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_file_line_column_and_token() {
        assert_eq!(
            error("interface eth0 {\n    AdvSendAdvert maybe;\n};"),
            "radvd.conf:2:19: expected on or off: 'maybe'"
        );
        assert_eq!(
            error("interface eth0 {\n    AdvSendAdvrt on;\n};"),
            "radvd.conf:2:5: unknown interface option: 'AdvSendAdvrt'"
        );
        assert_eq!(
            error("interface eth0 {\n  MaxRtrAdvInterval 2000;\n};"),
            "radvd.conf:2:21: MaxRtrAdvInterval must be between 4 and 1800 seconds: '2000'"
        );
        assert_eq!(
            error("interface eth0 {\n MaxRtrAdvInterval 10;\n MinRtrAdvInterval 9;\n};"),
            "radvd.conf:3:20: MinRtrAdvInterval must be at least 3 seconds and at most 0.75 * MaxRtrAdvInterval: '9'"
        );
        assert_eq!(
            error(
                "interface eth0 {\n prefix 2001:db8::/64 {\n  AdvValidLifetime 100;\n  AdvPreferredLifetime 200;\n };\n};"
            ),
            "radvd.conf:4:24: AdvPreferredLifetime must not be greater than AdvValidLifetime: '200'"
        );
        assert_eq!(
            error("interface eth0 {\n  AdvDefaultLifetime 5;\n};"),
            "radvd.conf:2:22: AdvDefaultLifetime must be 0 or at least MaxRtrAdvInterval: '5'"
        );
        assert_eq!(
            error("interface eth0 {\n  route 2001:db8::/129 {};\n};"),
            "radvd.conf:2:9: not an IPv6 prefix (ADDRESS/LENGTH): '2001:db8::/129'"
        );
        assert_eq!(
            error("interface eth0 {\n  nat64prefix 64:ff9b::/80 {};\n};")
                .split(": '")
                .last()
                .unwrap(),
            "64:ff9b::/80'"
        );
        assert_eq!(
            error("interface eth0 {\n  AdvSendAdvert on\n};"),
            "radvd.conf:3:1: expected ';': '}'"
        );
        assert_eq!(
            error("interface eth0 {\n  AdvSendAdvert on;\n"),
            "radvd.conf:2:20: expected an interface option or '}': 'end of file'"
        );
        assert_eq!(
            error("interface eth0 { };\ninterface eth0 { };"),
            "radvd.conf:2:11: interface defined twice: 'eth0'"
        );
        assert_eq!(
            error("interface eth0 {\n  abro fe80::1 { };\n};"),
            "radvd.conf:2:3: 6LoWPAN options are not supported: 'abro'"
        );
        assert_eq!(
            error("interfaces eth0 { };"),
            "radvd.conf:1:1: expected 'interface': 'interfaces'"
        );
    }

    #[test]
    fn short_dns_lifetimes_are_warnings() {
        let c = parse(
            "radvd.conf",
            "interface eth0 {\n MaxRtrAdvInterval 10;\n RDNSS 2001:db8::1 { AdvRDNSSLifetime 5; };\n};",
        )
        .unwrap();
        assert_eq!(c.interfaces[0].rdnss[0].lifetime, Lifetime(5));
        let w: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            w,
            ["radvd.conf:3:39: AdvRDNSSLifetime should be 0 or at least MaxRtrAdvInterval: '5'"]
        );
    }

    #[test]
    fn small_max_interval_defaults() {
        let c = parse("f", "interface e { MaxRtrAdvInterval 4; };").unwrap();
        assert_eq!(c.interfaces[0].min_interval, Duration::from_secs(3));
        assert_eq!(c.interfaces[0].default_lifetime, 12);
    }
}
