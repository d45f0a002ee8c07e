//! radvd.conf: the configuration file of radvd, read so that `v6rad` is a
//! drop-in replacement (the grammar of radvd 2.20, see radvd.conf(5)).
//!
//! [`parse`] turns the text into a [`Config`], one [`InterfaceConfig`] per
//! `interface` section, with every default filled in and the limits of
//! RFC 4861 section 6.2.1, RFC 4191, RFC 8106 and RFC 8781 checked. Each
//! error names the file, line, column and token. [`build`] then combines
//! an interface's section with what the system says about the interface
//! (link-layer address, MTU, addresses) into an
//! [`AdvertiserConfig`](crate::AdvertiserConfig).
//!
//! Where v6rad differs from radvd 2.20:
//!
//! - `AdvCaptivePortalAPI "URI";` in an interface section sends the
//!   RFC 8910 option.
//! - Mobile IPv6 settings (`AdvHomeAgentInfo`, `HomeAgentLifetime`,
//!   `HomeAgentPreference`, `AdvMobRtrSupportFlag`, `AdvIntervalOpt`) are
//!   checked but add no option; `AdvHomeAgentFlag` sets the H flag.
//! - `Base6to4Interface` (6to4) and the 6LoWPAN sections (`abro`,
//!   `lowpanco`) are refused with an error naming them.
//! - Keywords are case-sensitive, as radvd's lexer has them.

use core::fmt;
use core::net::Ipv6Addr;
use std::time::Duration;

use ipnet::Ipv6Net;
use v6core::Pref64;

use crate::wire::Preference;

pub mod build;
mod lexer;
mod parser;

pub use build::{BuildError, LinkInfo};

/// A configuration error: where, the token, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}: '{token}'")]
#[non_exhaustive]
pub struct ConfigError {
    /// The file's name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// The offending token (or the last one read, at the end of the file).
    pub token: String,
    /// What was wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(file: &str, line: usize, col: usize, token: &str, message: &str) -> Self {
        ConfigError {
            file: file.into(),
            line,
            col,
            token: token.into(),
            message: message.into(),
        }
    }
}

/// Seconds that may be `infinity` (0xffffffff) in radvd.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lifetime(pub u32);

impl Lifetime {
    /// `infinity`.
    pub const INFINITY: Lifetime = Lifetime(u32::MAX);
}

impl fmt::Display for Lifetime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Lifetime::INFINITY {
            f.write_str("infinity")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// A whole radvd.conf.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// The `interface` sections, in file order.
    pub interfaces: Vec<InterfaceConfig>,
    /// What radvd accepts with a warning and so does v6rad: values the
    /// RFCs advise against. Reported, not fatal.
    pub warnings: Vec<ConfigError>,
}

/// One `interface NAME { ... };` section, defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// The interface's name.
    pub name: String,
    /// `AdvSendAdvert` (default off).
    pub send_advert: bool,
    /// `IgnoreIfMissing` (default on, as radvd's): wait for a missing
    /// interface instead of failing.
    pub ignore_if_missing: bool,
    /// `UnicastOnly` (default off).
    pub unicast_only: bool,
    /// `AdvRASolicitedUnicast` (default on; RFC 7772).
    pub solicited_unicast: bool,
    /// `RemoveAdvOnExit` (default on).
    pub remove_on_exit: bool,
    /// `MaxRtrAdvInterval`, 4 to 1800 s (default 600).
    pub max_interval: Duration,
    /// `MinRtrAdvInterval`, 3 s to 0.75 × max (default 0.33 × max, or max
    /// when max is below 9 s).
    pub min_interval: Duration,
    /// `MinDelayBetweenRAs` (default 3 s).
    pub min_delay_between_ras: Duration,
    /// `AdvManagedFlag` (M).
    pub managed: bool,
    /// `AdvOtherConfigFlag` (O).
    pub other_config: bool,
    /// `AdvHomeAgentFlag` (H).
    pub home_agent: bool,
    /// `AdvDefaultPreference` (Prf).
    pub default_preference: Preference,
    /// `AdvDefaultLifetime`: 0, or max interval to 9000 s (default 3 × max).
    pub default_lifetime: u16,
    /// `AdvLinkMTU`: 0 (no MTU option) or at least 1280.
    pub link_mtu: u32,
    /// `AdvCurHopLimit` (default 64).
    pub cur_hop_limit: u8,
    /// `AdvReachableTime`, ms, at most 3,600,000.
    pub reachable_time: u32,
    /// `AdvRetransTimer`, ms.
    pub retrans_timer: u32,
    /// `AdvSourceLLAddress` (default on).
    pub source_ll_address: bool,
    /// `AdvCaptivePortalAPI "URI"`: the RFC 8910 option.
    pub captive_portal: Option<String>,
    /// `clients { ADDRESS; ... };`.
    pub clients: Vec<Ipv6Addr>,
    /// `AdvRASrcAddress { ADDRESS; ... };`: the source addresses to use, in
    /// order of preference.
    pub ra_source: Vec<Ipv6Addr>,
    /// `prefix` sections.
    pub prefixes: Vec<PrefixConfig>,
    /// `route` sections.
    pub routes: Vec<RouteConfig>,
    /// `RDNSS` sections.
    pub rdnss: Vec<RdnssConfig>,
    /// `DNSSL` sections.
    pub dnssl: Vec<DnsslConfig>,
    /// `nat64prefix` sections.
    pub nat64: Vec<Nat64Config>,
    /// Where the section starts, for messages: `file:line`.
    pub location: String,
}

/// One `prefix PREFIX { ... };` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixConfig {
    /// The prefix; `::/64` stands for each /64 of the interface.
    pub prefix: Ipv6Net,
    /// `AdvOnLink` (default on).
    pub on_link: bool,
    /// `AdvAutonomous` (default on).
    pub autonomous: bool,
    /// `AdvRouterAddr` (default off).
    pub router_addr: bool,
    /// `AdvValidLifetime` (default 86400).
    pub valid_lifetime: Lifetime,
    /// `AdvPreferredLifetime` (default 14400), at most the valid lifetime.
    pub preferred_lifetime: Lifetime,
    /// `DecrementLifetimes` (default off).
    pub decrement_lifetimes: bool,
    /// `DeprecatePrefix` (default off).
    pub deprecate_prefix: bool,
    /// `Base6Interface`: take the prefix from this interface's addresses.
    pub base6_interface: Option<String>,
}

impl PrefixConfig {
    /// Whether this is `::/64`, the interface's own prefixes.
    pub fn is_interface_prefixes(&self) -> bool {
        self.prefix.addr().is_unspecified() && self.prefix.prefix_len() == 64
    }
}

/// One `route PREFIX { ... };` section (RFC 4191).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// The route.
    pub prefix: Ipv6Net,
    /// `AdvRoutePreference` (default medium).
    pub preference: Preference,
    /// `AdvRouteLifetime` (default 3 × max interval).
    pub lifetime: Lifetime,
    /// `RemoveRoute` (default on): lifetime 0 in the final advertisement.
    pub remove_route: bool,
}

/// One `RDNSS ADDRESS... { ... };` section (RFC 8106).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdnssConfig {
    /// The servers.
    pub servers: Vec<Ipv6Addr>,
    /// `AdvRDNSSLifetime` (default max interval, as radvd).
    pub lifetime: Lifetime,
    /// `FlushRDNSS` (default on): lifetime 0 in the final advertisement.
    pub flush: bool,
}

/// One `DNSSL DOMAIN... { ... };` section (RFC 8106).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsslConfig {
    /// The search domains.
    pub domains: Vec<String>,
    /// `AdvDNSSLLifetime` (default max interval, as radvd).
    pub lifetime: Lifetime,
    /// `FlushDNSSL` (default on).
    pub flush: bool,
}

/// One `nat64prefix PREFIX { ... };` section (RFC 8781).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nat64Config {
    /// The NAT64 prefix.
    pub prefix: Pref64,
    /// `AdvValidLifetime` in seconds, at most 65528 (default 3 × max
    /// interval, capped there).
    pub lifetime: u16,
}

/// Parses the text of a radvd.conf; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
    parser::parse(file, text)
}

/// Reads and parses the radvd.conf at `path`.
pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(&name, 0, 0, &name, &format!("cannot read: {e}")))?;
    parse(&name, &text)
}
