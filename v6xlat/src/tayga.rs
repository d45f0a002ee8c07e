//! Tayga's configuration file (`tayga.conf(5)`), read as it is.
//!
//! [`parse`] turns the text into a [`TaygaConf`] or names the first bad
//! line, its number and the offending token; [`TaygaConf::check`] then
//! checks what only the whole file can tell (a `tun-device` and an
//! `ipv4-addr` are required, and so on). Reading the file is the caller's
//! business, so that the parser can be fuzzed and tested on strings.
//!
//! The syntax is Tayga's: one directive per line, its name (any case)
//! and its arguments separated by blanks, `#` starting a comment where a
//! token would start. Every directive of Tayga 0.9 is understood:
//!
//! | directive | meaning |
//! | --- | --- |
//! | `tun-device NAME` | the TUN device |
//! | `ipv4-addr A` | the translator's own IPv4 address (source of its ICMPv4 errors) |
//! | `ipv6-addr A` | the translator's own IPv6 address; without it, `ipv4-addr` inside `prefix` |
//! | `prefix P/LEN` | the RFC 6052 prefix (32, 40, 48, 56, 64 or 96 bits) |
//! | `wkpf-strict yes\|no` | refuse non-global IPv4 addresses in `64:ff9b::/96` (default yes) |
//! | `dynamic-pool NET/LEN` | IPv4 addresses leased to IPv6 hosts |
//! | `data-dir /PATH` | where the leases are kept across restarts |
//! | `map A4[/LEN] A6[/LEN]` | a static mapping of an address or a prefix (RFC 7757) |
//! | `udp-cksum-mode drop\|calc` | IPv4 UDP with a zero checksum: drop it, or compute one |
//! | `offlink-mtu N` | the IPv6 MTU assumed beyond the link (RFC 7915 "lowest-ipv6-mtu") |
//! | `log drop reject icmp self dyn` | what to log |
//! | `strict-frag-hdr X` | deprecated in Tayga; accepted and ignored |

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ipnet::{Ipv4Net, Ipv6Net};
use v6core::Pref64;

use crate::mapping::{Eam, Eamt, EamtError};

/// A configuration read from a tayga.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaygaConf {
    /// `tun-device`.
    pub tun_device: Option<String>,
    /// `ipv4-addr`.
    pub ipv4_addr: Option<Ipv4Addr>,
    /// `ipv6-addr`.
    pub ipv6_addr: Option<Ipv6Addr>,
    /// `prefix`.
    pub prefix: Option<Pref64>,
    /// `wkpf-strict` (default `true`).
    pub wkpf_strict: bool,
    /// `dynamic-pool`.
    pub dynamic_pool: Option<Ipv4Net>,
    /// `data-dir`.
    pub data_dir: Option<PathBuf>,
    /// The `map` lines, in order, as one table.
    pub maps: Eamt,
    /// `udp-cksum-mode calc` (default `drop`, which is `false`).
    pub udp_checksum_calc: bool,
    /// `offlink-mtu`.
    pub offlink_mtu: Option<u16>,
    /// `log`: which events are logged.
    pub log: LogOptions,
}

impl Default for TaygaConf {
    fn default() -> Self {
        TaygaConf {
            tun_device: None,
            ipv4_addr: None,
            ipv6_addr: None,
            prefix: None,
            wkpf_strict: true,
            dynamic_pool: None,
            data_dir: None,
            maps: Eamt::new(),
            udp_checksum_calc: false,
            offlink_mtu: None,
            log: LogOptions::default(),
        }
    }
}

/// The words of Tayga's `log` directive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `drop`: packets dropped without an answer.
    pub drop: bool,
    /// `reject`: packets refused with an ICMP error.
    pub reject: bool,
    /// `icmp`: ICMP errors the translator sends.
    pub icmp: bool,
    /// `self`: packets addressed to the translator itself.
    pub self_: bool,
    /// `dyn`: leases of the dynamic pool made and lapsed.
    pub dynamic: bool,
}

/// What was wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfErrorKind {
    /// A directive that Tayga does not have.
    #[error("unknown directive")]
    UnknownDirective,
    /// A directive given twice.
    #[error("duplicate directive")]
    Duplicate,
    /// Fewer arguments than the directive takes.
    #[error("missing argument (expected {expected})")]
    MissingArgument {
        /// What was expected.
        expected: &'static str,
    },
    /// More arguments than the directive takes.
    #[error("unexpected argument")]
    ExtraArgument,
    /// An argument that is not what the directive takes.
    #[error("expected {expected}")]
    Invalid {
        /// What was expected.
        expected: &'static str,
    },
    /// A prefix that RFC 6052 does not allow.
    #[error("{0}")]
    Prefix(v6core::Error),
    /// A `map` line that cannot be an entry, or conflicts with another.
    #[error("{0}")]
    Map(EamtError),
    /// A directive that the whole file needs is missing.
    #[error("missing {0} directive")]
    Missing(&'static str),
    /// Two directives that cannot go together.
    #[error("{0}")]
    Conflict(&'static str),
}

/// A bad configuration: what, on which line (from 1), at which token.
/// Errors about the whole file have no line and no token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfError {
    /// The line, from 1.
    pub line: Option<usize>,
    /// The offending token, cut to 100 characters.
    pub token: Option<String>,
    /// What was wrong.
    pub kind: ConfErrorKind,
}

impl fmt::Display for ConfError {
    /// `LINE: KIND: "TOKEN"`, to be prefixed with the file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        }
        write!(f, "{}", self.kind)?;
        if let Some(token) = &self.token {
            write!(f, ": \"{}\"", token.escape_debug())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfError {}

fn at(line: usize, token: &str, kind: ConfErrorKind) -> ConfError {
    ConfError {
        line: Some(line),
        token: Some(token.chars().take(100).collect()),
        kind,
    }
}

fn whole(kind: ConfErrorKind) -> ConfError {
    ConfError {
        line: None,
        token: None,
        kind,
    }
}

/// The lengths Tayga accepts for `prefix` (RFC 6052 section 2.2).
const PREFIX_LENGTHS: &str = "an IPv6 prefix of length 32, 40, 48, 56, 64 or 96";

/// Reads a tayga.conf. Stops at the first bad line.
pub fn parse(text: &str) -> Result<TaygaConf, ConfError> {
    let mut c = TaygaConf::default();
    let mut seen_wkpf = false;
    let mut seen_udp = false;
    let mut seen_log = false;
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let mut tokens = raw
            .split([' ', '\t', '\r', '\x0b', '\x0c'])
            .filter(|t| !t.is_empty());
        let mut args: Vec<&str> = Vec::new();
        for t in tokens.by_ref() {
            if t.starts_with('#') {
                break;
            }
            args.push(t);
        }
        let Some((&name, args)) = args.split_first() else {
            continue;
        };
        let directive = name.to_ascii_lowercase();
        // The arguments a directive takes: exactly `n`, named `what`.
        let take = |n: usize, what: &'static str| -> Result<(), ConfError> {
            if args.len() < n {
                let last = args.last().copied().unwrap_or(name);
                return Err(at(
                    ln,
                    last,
                    ConfErrorKind::MissingArgument { expected: what },
                ));
            }
            if let Some(extra) = args.get(n) {
                return Err(at(ln, extra, ConfErrorKind::ExtraArgument));
            }
            Ok(())
        };
        let once = |set: bool| {
            if set {
                Err(at(ln, name, ConfErrorKind::Duplicate))
            } else {
                Ok(())
            }
        };
        let invalid = |tok: &str, expected| at(ln, tok, ConfErrorKind::Invalid { expected });
        match directive.as_str() {
            "tun-device" => {
                take(1, "a device name")?;
                once(c.tun_device.is_some())?;
                let n = args[0];
                // IFNAMSIZ is 16 with the terminating NUL.
                if n.len() > 15 || n.contains(['/', ':']) || n == "." || n == ".." {
                    return Err(invalid(n, "an interface name of at most 15 bytes"));
                }
                c.tun_device = Some(n.to_owned());
            }
            "ipv4-addr" => {
                take(1, "an IPv4 address")?;
                once(c.ipv4_addr.is_some())?;
                let a: Ipv4Addr = args[0]
                    .parse()
                    .map_err(|_| invalid(args[0], "an IPv4 address"))?;
                if a.is_unspecified() || a.is_broadcast() || a.is_multicast() || a.is_loopback() {
                    return Err(invalid(args[0], "a unicast IPv4 address"));
                }
                c.ipv4_addr = Some(a);
            }
            "ipv6-addr" => {
                take(1, "an IPv6 address")?;
                once(c.ipv6_addr.is_some())?;
                let a: Ipv6Addr = args[0]
                    .parse()
                    .map_err(|_| invalid(args[0], "an IPv6 address"))?;
                if a.is_unspecified() || a.is_multicast() || a.is_loopback() {
                    return Err(invalid(args[0], "a unicast IPv6 address"));
                }
                c.ipv6_addr = Some(a);
            }
            "prefix" => {
                take(1, PREFIX_LENGTHS)?;
                once(c.prefix.is_some())?;
                let net: Ipv6Net = args[0]
                    .parse()
                    .map_err(|_| invalid(args[0], PREFIX_LENGTHS))?;
                let p = Pref64::new(net).map_err(|e| at(ln, args[0], ConfErrorKind::Prefix(e)))?;
                c.prefix = Some(p);
            }
            "wkpf-strict" => {
                take(1, "yes or no")?;
                once(seen_wkpf)?;
                seen_wkpf = true;
                c.wkpf_strict = match args[0].to_ascii_lowercase().as_str() {
                    "true" | "on" | "yes" | "1" => true,
                    "false" | "off" | "no" | "0" => false,
                    _ => return Err(invalid(args[0], "yes or no")),
                };
            }
            "udp-cksum-mode" => {
                take(1, "drop or calc")?;
                once(seen_udp)?;
                seen_udp = true;
                let v = args[0].to_ascii_lowercase();
                c.udp_checksum_calc = if v.starts_with("dr") {
                    false
                } else if v.starts_with("calc") {
                    true
                } else {
                    // Tayga's "forward" passes zero checksums into IPv6,
                    // which RFC 8200 section 8.1 forbids for ordinary hosts.
                    return Err(invalid(args[0], "drop or calc (forward is not supported)"));
                };
            }
            "dynamic-pool" => {
                take(1, "an IPv4 prefix")?;
                once(c.dynamic_pool.is_some())?;
                let net: Ipv4Net = args[0]
                    .parse()
                    .map_err(|_| invalid(args[0], "an IPv4 prefix"))?;
                if net.prefix_len() > 31 {
                    return Err(invalid(args[0], "an IPv4 prefix of /31 or shorter"));
                }
                if net.network().is_unspecified()
                    || net.network().is_loopback()
                    || net.network().is_multicast()
                    || net.network().octets()[0] >= 240
                {
                    return Err(invalid(args[0], "a unicast IPv4 prefix"));
                }
                c.dynamic_pool = Some(net.trunc());
            }
            "data-dir" => {
                take(1, "an absolute path")?;
                once(c.data_dir.is_some())?;
                if !args[0].starts_with('/') {
                    return Err(invalid(args[0], "an absolute path"));
                }
                c.data_dir = Some(PathBuf::from(args[0]));
            }
            "map" => {
                take(2, "an IPv4 address or prefix and an IPv6 address or prefix")?;
                let v4 = parse_net4(args[0])
                    .ok_or_else(|| invalid(args[0], "an IPv4 address or prefix"))?;
                let v6 = parse_net6(args[1])
                    .ok_or_else(|| invalid(args[1], "an IPv6 address or prefix"))?;
                if 32 - u32::from(v4.prefix_len()) != 128 - u32::from(v6.prefix_len()) {
                    return Err(invalid(
                        args[1],
                        "a prefix of the same size as the IPv4 one",
                    ));
                }
                let eam = Eam::new(v4, v6).map_err(|e| at(ln, args[0], ConfErrorKind::Map(e)))?;
                if c.maps.lookup_v4(v4.network()).is_some() || v4_overlaps(&c.maps, v4) {
                    return Err(at(
                        ln,
                        args[0],
                        ConfErrorKind::Map(EamtError::Duplicate(v4.into())),
                    ));
                }
                if c.maps.lookup_v6(v6.network()).is_some() || v6_overlaps(&c.maps, v6) {
                    return Err(at(
                        ln,
                        args[1],
                        ConfErrorKind::Map(EamtError::Duplicate(v6.into())),
                    ));
                }
                c.maps
                    .insert(eam)
                    .map_err(|e| at(ln, args[0], ConfErrorKind::Map(e)))?;
            }
            "strict-frag-hdr" => take(1, "yes or no")?,
            "offlink-mtu" => {
                take(1, "an MTU from 1280 to 65535")?;
                once(c.offlink_mtu.is_some())?;
                let mtu: u16 = args[0]
                    .parse()
                    .ok()
                    .filter(|&m| m >= crate::IPV6_MIN_MTU)
                    .ok_or_else(|| invalid(args[0], "an MTU from 1280 to 65535"))?;
                c.offlink_mtu = Some(mtu);
            }
            "log" => {
                once(seen_log)?;
                seen_log = true;
                for &a in args {
                    match a.to_ascii_lowercase().as_str() {
                        "drop" => c.log.drop = true,
                        "reject" => c.log.reject = true,
                        "icmp" => c.log.icmp = true,
                        "self" => c.log.self_ = true,
                        "dyn" => c.log.dynamic = true,
                        _ => return Err(invalid(a, "drop, reject, icmp, self or dyn")),
                    }
                }
            }
            _ => return Err(at(ln, name, ConfErrorKind::UnknownDirective)),
        }
    }
    Ok(c)
}

fn parse_net4(s: &str) -> Option<Ipv4Net> {
    match s.split_once('/') {
        Some(_) => s.parse().ok(),
        None => Ipv4Net::new(s.parse().ok()?, 32).ok(),
    }
}

fn parse_net6(s: &str) -> Option<Ipv6Net> {
    match s.split_once('/') {
        Some(_) => s.parse().ok(),
        None => Ipv6Net::new(s.parse().ok()?, 128).ok(),
    }
}

fn v4_overlaps(t: &Eamt, n: Ipv4Net) -> bool {
    t.entries()
        .iter()
        .any(|e| e.v4().contains(&n.network()) || n.contains(&e.v4().network()))
}

fn v6_overlaps(t: &Eamt, n: Ipv6Net) -> bool {
    t.entries()
        .iter()
        .any(|e| e.v6().contains(&n.network()) || n.contains(&e.v6().network()))
}

impl TaygaConf {
    /// Checks what needs the whole file, as Tayga does before it starts:
    /// a `tun-device`, an `ipv4-addr`, a `prefix` or `map` to translate
    /// with, an IPv6 address (given, or `ipv4-addr` embedded in a prefix
    /// that allows it), and an `ipv6-addr` inside the prefix only where it
    /// embeds `ipv4-addr`.
    pub fn check(&self) -> Result<(), ConfError> {
        if self.tun_device.is_none() {
            return Err(whole(ConfErrorKind::Missing("tun-device")));
        }
        let Some(v4) = self.ipv4_addr else {
            return Err(whole(ConfErrorKind::Missing("ipv4-addr")));
        };
        if self.prefix.is_none() && self.maps.is_empty() {
            return Err(whole(ConfErrorKind::Missing("prefix or map")));
        }
        self.own_ipv6()?;
        if let (Some(p), Some(v6)) = (self.prefix, self.ipv6_addr) {
            if p.contains(v6) && p.extract(v6).ok() != Some(v4) {
                return Err(whole(ConfErrorKind::Conflict(
                    "ipv6-addr lies in the prefix but does not embed ipv4-addr",
                )));
            }
        }
        Ok(())
    }

    /// The translator's own IPv6 address: `ipv6-addr`, or `ipv4-addr`
    /// embedded in `prefix` when the prefix allows that address (Tayga's
    /// rule).
    pub fn own_ipv6(&self) -> Result<Ipv6Addr, ConfError> {
        if let Some(a) = self.ipv6_addr {
            return Ok(a);
        }
        let v4 = self
            .ipv4_addr
            .ok_or_else(|| whole(ConfErrorKind::Missing("ipv4-addr")))?;
        match self.prefix {
            Some(p)
                if !(self.wkpf_strict && p.is_well_known() && !crate::mapping::is_global(v4)) =>
            {
                Ok(p.embed(v4))
            }
            Some(_) => Err(whole(ConfErrorKind::Conflict(
                "ipv6-addr is required: ipv4-addr is not global and the prefix is 64:ff9b::/96",
            ))),
            None => Err(whole(ConfErrorKind::Missing("ipv6-addr"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tayga's own example configuration, as Debian ships it.
    const EXAMPLE: &str = "\
#
# Sample configuration file for TAYGA 0.9.2
#
tun-device nat64

ipv4-addr 192.168.255.1
ipv6-addr 2001:db8:1::2   # own address

prefix 64:ff9b::/96
# prefix 2001:db8:1:ffff::/96

dynamic-pool 192.168.255.0/24

data-dir /var/db/tayga

map 192.168.5.42 2001:db8:1:4444::1
map 192.168.5.43 2001:db8:1:4444::2
map 192.168.255.0/28 2001:db8:1:5555::/124
";

    #[test]
    fn reads_taygas_example() {
        let c = parse(EXAMPLE).unwrap();
        c.check().unwrap();
        assert_eq!(c.tun_device.as_deref(), Some("nat64"));
        assert_eq!(c.ipv4_addr, Some(Ipv4Addr::new(192, 168, 255, 1)));
        assert_eq!(
            c.own_ipv6().unwrap(),
            "2001:db8:1::2".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(c.prefix, Some(Pref64::WELL_KNOWN));
        assert_eq!(c.dynamic_pool, Some("192.168.255.0/24".parse().unwrap()));
        assert_eq!(c.data_dir, Some(PathBuf::from("/var/db/tayga")));
        assert_eq!(c.maps.entries().len(), 3);
        assert!(c.wkpf_strict);
    }

    fn err(text: &str) -> String {
        match parse(text).and_then(|c| c.check().map(|()| c)) {
            Ok(c) => panic!("accepted {text:?}: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_line_and_token() {
        let table = [
            (
                "tun-device nat64\nfrobnicate 1\n",
                "2: unknown directive: \"frobnicate\"",
            ),
            (
                "ipv4-addr 192.0.2.300\n",
                "1: expected an IPv4 address: \"192.0.2.300\"",
            ),
            ("\n\nprefix 64:ff9b::/95\n", "3: "),
            (
                "tun-device a\ntun-device b\n",
                "2: duplicate directive: \"tun-device\"",
            ),
            ("map 192.0.2.1\n", "1: missing argument"),
            (
                "map 192.0.2.1 2001:db8::1 extra\n",
                "1: unexpected argument: \"extra\"",
            ),
            (
                "map 192.0.2.0/24 2001:db8::/64\n",
                "1: expected a prefix of the same size",
            ),
            (
                "map 192.0.2.1 2001:db8::1\nmap 192.0.2.1 2001:db8::2\n",
                "2: 192.0.2.1/32 is already mapped: \"192.0.2.1\"",
            ),
            (
                "map 192.0.2.0/24 2001:db8::/120\nmap 192.0.2.7 2001:db8:1::7\n",
                "2: 192.0.2.7/32 is already mapped",
            ),
            (
                "dynamic-pool 192.0.2.1/32\n",
                "1: expected an IPv4 prefix of /31 or shorter",
            ),
            (
                "data-dir var/db\n",
                "1: expected an absolute path: \"var/db\"",
            ),
            ("wkpf-strict maybe\n", "1: expected yes or no: \"maybe\""),
            ("udp-cksum-mode fwd\n", "forward is not supported"),
            ("offlink-mtu 1000\n", "1: expected an MTU"),
            (
                "log drop loud\n",
                "1: expected drop, reject, icmp, self or dyn: \"loud\"",
            ),
            (
                "tun-device this-name-is-too-long\n",
                "1: expected an interface name",
            ),
            (
                "ipv4-addr 192.0.2.1\nprefix 64:ff9b::/96\n",
                "missing tun-device directive",
            ),
            (
                "tun-device t\nprefix 64:ff9b::/96\n",
                "missing ipv4-addr directive",
            ),
            (
                "tun-device t\nipv4-addr 192.0.2.1\n",
                "missing prefix or map directive",
            ),
            (
                "tun-device t\nipv4-addr 192.0.2.1\nprefix 64:ff9b::/96\n",
                "ipv6-addr is required",
            ),
        ];
        for (text, want) in table {
            let got = err(text);
            assert!(
                got.starts_with(want) || got.contains(want),
                "{text:?}: {got}"
            );
        }
    }

    #[test]
    fn own_ipv6_embeds_ipv4_in_a_network_specific_prefix() {
        let c = parse(
            "TUN-DEVICE nat64\r\nipv4-addr 192.0.2.1\nprefix 2001:db8:64::/96 # the NSP\nlog dyn DROP\n\
             wkpf-strict off\nudp-cksum-mode calc\nstrict-frag-hdr 1\nofflink-mtu 1400\n",
        )
        .unwrap();
        c.check().unwrap();
        assert_eq!(
            c.own_ipv6().unwrap(),
            "2001:db8:64::c000:201".parse::<Ipv6Addr>().unwrap()
        );
        assert!(c.log.dynamic && c.log.drop && !c.log.icmp);
        assert!(!c.wkpf_strict && c.udp_checksum_calc);
        assert_eq!(c.offlink_mtu, Some(1400));
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let c =
            parse("# only a comment\n   \n\t# indented\nmap 192.0.2.1 2001:db8::1#not-a-comment\n");
        // '#' only starts a comment at the start of a token.
        assert!(c.is_err());
        let c = parse("map 192.0.2.1 2001:db8::1 #comment\n").unwrap();
        assert_eq!(c.maps.entries().len(), 1);
    }
}
