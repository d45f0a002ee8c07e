//! `v6dns64d`'s settings, from the command line and from a TOML file.
//!
//! The file holds the same settings as the options, by the same names:
//!
//! ```toml
//! listen = ["[::1]:53", "127.0.0.1:53"]
//! upstream = ["[2001:db8::53]:53", "192.0.2.53"]
//! prefix = ["64:ff9b::/96", "2001:db8:64::/96=2001:db8:1::/48"]
//! allow = ["2001:db8::/32"]
//! exclude = ["::ffff:0:0/96"]
//! mapped = ["!10.0.0.0/8", "0.0.0.0/0"]
//! static = ["/etc/v6dns64/lab.zone"]
//! cache-size = 10000
//! metrics = "[::1]:9153"
//! timeout-ms = 1500
//! ```
//!
//! A setting given on the command line replaces the file's. Every error in
//! the file is reported as `file:line: token: reason`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use ipnet::{IpNet, Ipv6Net};
use serde::Deserialize;
use toml::Spanned;

use crate::policy::{self, Mapped, MappedEntry, Policy, PrefixRule};
use v6core::Pref64;

/// The default upstream timeout per attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The default number of cached answers.
pub const DEFAULT_CACHE_SIZE: usize = 10_000;

/// The command line.
#[derive(Debug, Clone, Default, Parser)]
#[command(
    name = "v6dns64d",
    version,
    about = "DNS64 server (RFC 6147): AAAA records for IPv4-only names, synthesized in the NAT64 prefix"
)]
pub struct Args {
    /// A TOML file with the same settings as these options.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to answer on, over UDP and TCP [default: [::1]:53 and 127.0.0.1:53].
    // The text is also clap's help, where brackets must stay as they are.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long, value_name = "ADDR:PORT", num_args = 1.., value_parser = parse_socket)]
    pub listen: Vec<SocketAddr>,
    /// Upstream resolver, tried in order (port 53 unless given).
    #[arg(long, value_name = "ADDR[:PORT]", num_args = 1.., value_parser = parse_socket)]
    pub upstream: Vec<SocketAddr>,
    /// NAT64 prefix (RFC 6052), optionally with the clients it is for:
    /// `64:ff9b::/96` or `2001:db8:64::/96=2001:db8:1::/48,…` [default: 64:ff9b::/96].
    #[arg(long, value_name = "PREF64[=CLIENTS]", num_args = 1.., value_parser = parse_rule)]
    pub prefix: Vec<PrefixRule>,
    /// Clients that get answers [default: loopback and the host's own prefixes].
    #[arg(long, value_name = "PREFIX", num_args = 1.., value_parser = parse_net)]
    pub allow: Vec<IpNet>,
    /// AAAA records in this prefix are ignored [default: ::ffff:0:0/96].
    #[arg(long, value_name = "V6PREFIX", num_args = 1.., value_parser = parse_net6)]
    pub exclude: Vec<Ipv6Net>,
    /// IPv4 addresses that are synthesized, `!` for those that are not,
    /// first match wins, as BIND's `mapped` [default: all].
    #[arg(long, value_name = "[!]V4PREFIX", num_args = 1.., value_parser = parse_mapped, allow_hyphen_values = true)]
    pub mapped: Vec<MappedEntry>,
    /// Zone file answered without any upstream (the answers are synthesized like any other).
    #[arg(long = "static", value_name = "ZONE-FILE", num_args = 1..)]
    pub statics: Vec<PathBuf>,
    /// Most upstream answers kept in the cache.
    #[arg(long, value_name = "N")]
    pub cache_size: Option<usize>,
    /// Address and port to serve Prometheus counters on (HTTP).
    #[arg(long, value_name = "ADDR:PORT", value_parser = parse_socket)]
    pub metrics: Option<SocketAddr>,
    /// Upstream timeout per attempt, in milliseconds [default: 1500].
    #[arg(long, value_name = "MS")]
    pub timeout_ms: Option<u64>,
    /// UDP sockets per listening address, each read by a thread of its
    /// own, and threads for TCP and upstream queries [default: the number
    /// of CPUs].
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Check the configuration and the zone files, then exit.
    #[arg(long)]
    pub check: bool,
    /// Started as root: switch to this user once the sockets are bound.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to answer.
    pub listen: Vec<SocketAddr>,
    /// The upstream resolvers.
    pub upstreams: Vec<SocketAddr>,
    /// Who gets what.
    pub policy: Policy,
    /// Static zone files.
    pub statics: Vec<PathBuf>,
    /// The cache's size in answers.
    pub cache_size: usize,
    /// Where to serve the counters.
    pub metrics: Option<SocketAddr>,
    /// Upstream timeout per attempt.
    pub timeout: Duration,
    /// Tasks per UDP socket.
    pub workers: usize,
}

/// The file's shape. Strings keep their position for error messages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    listen: Vec<Spanned<String>>,
    #[serde(default)]
    upstream: Vec<Spanned<String>>,
    #[serde(default)]
    prefix: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    mapped: Vec<Spanned<String>>,
    #[serde(default, rename = "static")]
    statics: Vec<Spanned<String>>,
    cache_size: Option<usize>,
    metrics: Option<Spanned<String>>,
    timeout_ms: Option<u64>,
    workers: Option<usize>,
}

/// A configuration file error: where, what, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: `{token}`: {reason}")]
pub struct FileError {
    /// The file.
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// The text that was wrong.
    pub token: String,
    /// Why.
    pub reason: String,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A mistake in the file.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file cannot be read.
    #[error("{0}: {1}")]
    Read(String, std::io::Error),
    /// Settings that cannot work together.
    #[error("{0}")]
    Invalid(String),
}

impl Args {
    /// The settings: the file's, if `--config` was given, overridden by the
    /// options given on the command line, then the defaults.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let mut a = self.clone();
        if let Some(path) = &self.config {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
            let f = parse_file(&text, path)?;
            merge(&mut a, f);
        }
        if a.upstream.is_empty() && a.statics.is_empty() {
            return Err(ConfigError::Invalid(
                "no --upstream and no --static zone: nothing to answer from".into(),
            ));
        }
        let listen = if a.listen.is_empty() {
            vec![
                "[::1]:53".parse().expect("valid"),
                "127.0.0.1:53".parse().expect("valid"),
            ]
        } else {
            a.listen
        };
        let prefixes = if a.prefix.is_empty() {
            vec![PrefixRule::new(Pref64::WELL_KNOWN)]
        } else {
            a.prefix
        };
        let allow = if a.allow.is_empty() {
            super::interfaces::default_allow()
        } else {
            a.allow
        };
        let exclude = if a.exclude.is_empty() {
            Policy::default_exclude()
        } else {
            a.exclude
        };
        Ok(Config {
            listen,
            upstreams: a.upstream,
            policy: Policy {
                prefixes,
                exclude,
                mapped: Mapped::new(a.mapped),
                allow,
            },
            statics: a.statics,
            cache_size: a.cache_size.unwrap_or(DEFAULT_CACHE_SIZE),
            metrics: a.metrics,
            timeout: a.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
            workers: a
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        })
    }
}

/// The settings of the file, checked; command-line form.
fn parse_file(text: &str, path: &Path) -> Result<Args, FileError> {
    let file = path.display().to_string();
    let at = |span: std::ops::Range<usize>, token: &str, reason: String| FileError {
        file: file.clone(),
        line: text[..span.start.min(text.len())].matches('\n').count() + 1,
        token: token.to_owned(),
        reason,
    };
    let f: File = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let token = text.get(span.clone()).unwrap_or("").trim().to_owned();
        at(span, &token, e.message().trim().to_owned())
    })?;
    fn each<T>(
        items: &[Spanned<String>],
        parse: impl Fn(&str) -> Result<T, String>,
        at: &impl Fn(std::ops::Range<usize>, &str, String) -> FileError,
    ) -> Result<Vec<T>, FileError> {
        items
            .iter()
            .map(|s| parse(s.get_ref()).map_err(|r| at(s.span(), s.get_ref(), r)))
            .collect()
    }
    Ok(Args {
        listen: each(&f.listen, parse_socket, &at)?,
        upstream: each(&f.upstream, parse_socket, &at)?,
        prefix: each(&f.prefix, parse_rule, &at)?,
        allow: each(&f.allow, parse_net, &at)?,
        exclude: each(&f.exclude, parse_net6, &at)?,
        mapped: each(&f.mapped, parse_mapped, &at)?,
        statics: f
            .statics
            .iter()
            .map(|s| {
                let p = PathBuf::from(s.get_ref());
                // Relative zone files are relative to the config file.
                match path.parent() {
                    Some(dir) if p.is_relative() => dir.join(p),
                    _ => p,
                }
            })
            .collect(),
        cache_size: f.cache_size,
        metrics: f
            .metrics
            .map(|s| parse_socket(s.get_ref()).map_err(|r| at(s.span(), s.get_ref(), r)))
            .transpose()?,
        timeout_ms: f.timeout_ms,
        workers: f.workers,
        config: None,
        check: false,
        user: None,
    })
}

fn merge(a: &mut Args, f: Args) {
    fn pick<T>(cli: &mut Vec<T>, file: Vec<T>) {
        if cli.is_empty() {
            *cli = file;
        }
    }
    pick(&mut a.listen, f.listen);
    pick(&mut a.upstream, f.upstream);
    pick(&mut a.prefix, f.prefix);
    pick(&mut a.allow, f.allow);
    pick(&mut a.exclude, f.exclude);
    pick(&mut a.mapped, f.mapped);
    pick(&mut a.statics, f.statics);
    a.cache_size = a.cache_size.or(f.cache_size);
    a.metrics = a.metrics.or(f.metrics);
    a.timeout_ms = a.timeout_ms.or(f.timeout_ms);
    a.workers = a.workers.or(f.workers);
}

/// `addr:port`, `[v6]:port`, or an address alone (port 53).
pub fn parse_socket(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| "expected ADDR, ADDR:PORT or [V6ADDR]:PORT".to_owned())
}

fn parse_rule(s: &str) -> Result<PrefixRule, String> {
    s.parse().map_err(|e: crate::Error| e.to_string())
}

fn parse_net(s: &str) -> Result<IpNet, String> {
    policy::parse_net(s).map_err(|e| e.to_string())
}

fn parse_net6(s: &str) -> Result<Ipv6Net, String> {
    policy::parse_net6(s).map_err(|e| e.to_string())
}

fn parse_mapped(s: &str) -> Result<MappedEntry, String> {
    s.parse().map_err(|e: crate::Error| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<Args, FileError> {
        parse_file(text, Path::new("/etc/v6dns64d.toml"))
    }

    #[test]
    fn a_full_file_parses() {
        let a = file(
            "listen = [\"[::1]:5353\"]\nupstream = [\"192.0.2.53\"]\nprefix = [\"2001:db8:64::/96=2001:db8:1::/48\"]\nmapped = [\"!10.0.0.0/8\"]\nstatic = [\"lab.zone\"]\ncache-size = 5\n",
        )
        .unwrap();
        assert_eq!(a.upstream, ["192.0.2.53:53".parse().unwrap()]);
        assert_eq!(a.statics, [PathBuf::from("/etc/lab.zone")]);
        assert_eq!(a.cache_size, Some(5));
        let c = Args { config: None, ..a }.resolve().unwrap();
        assert_eq!(c.policy.prefixes[0].clients.len(), 1);
    }

    #[test]
    fn errors_name_file_line_and_token() {
        let e = file("upstream = [\"192.0.2.53\"]\n\nprefix = [\"64:ff9b::/95\"]\n").unwrap_err();
        assert_eq!((e.line, e.token.as_str()), (3, "64:ff9b::/95"));
        assert!(
            e.to_string()
                .starts_with("/etc/v6dns64d.toml:3: `64:ff9b::/95`"),
            "{e}"
        );
        let e = file("upstream = [\"192.0.2.53\"]\nlisten = [\"nowhere\"]\n").unwrap_err();
        assert_eq!((e.line, e.token.as_str()), (2, "nowhere"));
        let e = file("\nbogus = 1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.token.contains("bogus"), "{e}");
        let e = file("mapped = [\"2001:db8::/32\"]\n").unwrap_err();
        assert_eq!(e.line, 1);
    }
}
