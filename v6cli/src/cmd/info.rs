//! `v6 info` (and `v6 ADDRESS|PREFIX...`): everything sipcalc and ipcalc
//! say about an address or prefix.
//!
//! JSON fields, one object per argument:
//!
//! | field | meaning |
//! | --- | --- |
//! | `input` | the argument as given |
//! | `family` | `4` or `6` |
//! | `expanded`, `compressed` | the address (host bits kept), both forms |
//! | `prefix`, `prefix_len` | the network, without host bits, and its length |
//! | `netmask`, `hostmask` | the mask and its inverse (Cisco wildcard) |
//! | `first`, `last` | the first and last address of the prefix |
//! | `addresses` | how many addresses the prefix holds, a decimal string |
//! | `broadcast` | IPv4 only: the broadcast address, else `null` |
//! | `usable_first`, `usable_last`, `usable` | IPv4 only: the host range and size (RFC 3021 for /31), else `null` |
//! | `type`, `rfc`, `block` | the special-purpose block the prefix lies in |
//! | `globally_reachable` | the registry's answer: `true`, `false` or `null` |
//! | `multicast_scope` | IPv6 multicast only, else `null` |
//! | `ptr` | the PTR name of the address, when the argument is an address (or has host bits) |
//! | `reverse_zones` | the reverse zones that cover the prefix |

use core::net::IpAddr;
use std::process::ExitCode;

use ipnet::IpNet;
use serde::Serialize;
use v6core::class::{MulticastScope, classify_net};
use v6core::prefix::{Count, address_count};
use v6core::reverse::{ptr_name, reverse_zones};

use crate::cli::InfoArgs;
use crate::error::Failure;
use crate::fmt;
use crate::input;
use crate::output::Output;

/// How many reverse zones the text output lists before it only counts them.
const ZONES_SHOWN: usize = 8;

/// Everything about one argument; the JSON output is an array of these.
#[derive(Serialize)]
struct Info<'a> {
    input: &'a str,
    family: u8,
    expanded: String,
    compressed: String,
    prefix: IpNet,
    prefix_len: u8,
    netmask: IpAddr,
    hostmask: IpAddr,
    first: IpAddr,
    last: IpAddr,
    addresses: Count,
    broadcast: Option<IpAddr>,
    usable_first: Option<IpAddr>,
    usable_last: Option<IpAddr>,
    usable: Option<Count>,
    #[serde(rename = "type")]
    kind: &'static str,
    rfc: &'static str,
    block: IpNet,
    globally_reachable: Option<bool>,
    multicast_scope: Option<MulticastScope>,
    ptr: Option<String>,
    reverse_zones: Vec<String>,
}

/// Runs `v6 info`: a table per argument, separated by blank lines, or a
/// JSON array.
pub(crate) fn run(args: &InfoArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let infos = args
        .targets
        .iter()
        .map(|t| describe(t))
        .collect::<Result<Vec<_>, _>>()?;
    if out.is_json() {
        out.json(&infos)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (i, info) in infos.iter().enumerate() {
        if i > 0 {
            out.line("")?;
        }
        out.table(&rows(info))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Describes one argument.
fn describe(token: &str) -> Result<Info<'_>, Failure> {
    let given = input::prefix(token).map_err(|e| not_a_command(token, e))?;
    let net = given.trunc();
    let addr = given.addr();
    let class = classify_net(net);
    let is_address = addr != net.network() || net.prefix_len() == net.max_prefix_len();
    let (broadcast, usable_first, usable_last, usable) = match net {
        IpNet::V4(v4) => {
            let (first, last, count) = match v4.prefix_len() {
                // RFC 3021: both addresses of a /31 are hosts.
                31 | 32 => (v4.network(), v4.broadcast(), address_count(net)),
                _ => {
                    let n = address_count(net).as_u128().unwrap_or(0) - 2;
                    let [first, last] =
                        [u32::from(v4.network()) + 1, u32::from(v4.broadcast()) - 1];
                    (first.into(), last.into(), Count::from(n))
                }
            };
            (
                Some(IpAddr::V4(v4.broadcast())),
                Some(IpAddr::V4(first)),
                Some(IpAddr::V4(last)),
                Some(count),
            )
        }
        IpNet::V6(_) => (None, None, None, None),
    };
    Ok(Info {
        input: token,
        family: if net.max_prefix_len() == 32 { 4 } else { 6 },
        expanded: fmt::expanded(addr).to_string(),
        compressed: fmt::compressed(addr).to_string(),
        prefix: net,
        prefix_len: net.prefix_len(),
        netmask: net.netmask(),
        hostmask: net.hostmask(),
        first: net.network(),
        last: net.broadcast(),
        addresses: address_count(net),
        broadcast,
        usable_first,
        usable_last,
        usable,
        kind: class.name,
        rfc: class.rfc,
        block: class.block,
        globally_reachable: class.globally_reachable,
        multicast_scope: class.multicast_scope,
        ptr: is_address.then(|| ptr_name(addr)),
        reverse_zones: reverse_zones(net),
    })
}

/// A word that is not an address is more likely a mistyped subcommand
/// (`v6 splt`) than a mistyped address; say so.
fn not_a_command(token: &str, e: Failure) -> Failure {
    let is_word = !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
    if is_word {
        Failure::invalid(
            "argument",
            token,
            "neither an address, a prefix nor a subcommand (see 'v6 --help')",
        )
    } else {
        e
    }
}

/// The rows of the text output.
fn rows(info: &Info<'_>) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("expanded", info.expanded.clone()),
        ("compressed", info.compressed.clone()),
        ("prefix", info.prefix.to_string()),
        ("prefix length", info.prefix_len.to_string()),
        ("netmask", info.netmask.to_string()),
    ];
    if let (Some(broadcast), Some(first), Some(last), Some(usable)) = (
        info.broadcast,
        info.usable_first,
        info.usable_last,
        info.usable,
    ) {
        rows.push(("wildcard", info.hostmask.to_string()));
        rows.push(("broadcast", broadcast.to_string()));
        rows.push(("range", format!("{} - {}", info.first, info.last)));
        rows.push(("addresses", info.addresses.to_string()));
        rows.push(("usable range", format!("{first} - {last}")));
        rows.push(("usable", usable.to_string()));
    } else {
        rows.push(("range", format!("{} - {}", info.first, info.last)));
        rows.push(("addresses", info.addresses.to_string()));
    }
    rows.push(("type", info.kind.to_owned()));
    rows.push(("rfc", info.rfc.to_owned()));
    rows.push(("block", info.block.to_string()));
    let reachable = match info.globally_reachable {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    };
    rows.push(("globally reachable", reachable.to_owned()));
    if let Some(scope) = info.multicast_scope {
        rows.push(("multicast scope", scope.to_string()));
    }
    if let Some(ptr) = &info.ptr {
        rows.push(("ptr", ptr.clone()));
    }
    let zones = &info.reverse_zones;
    for (i, zone) in zones.iter().take(ZONES_SHOWN).enumerate() {
        let label = if i == 0 { "reverse zone" } else { "" };
        rows.push((label, zone.clone()));
    }
    if zones.len() > ZONES_SHOWN {
        let more = zones.len() - ZONES_SHOWN;
        rows.push(("", format!("… and {more} more (all with --json)")));
    }
    rows
}
