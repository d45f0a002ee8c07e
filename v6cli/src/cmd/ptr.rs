//! `v6 ptr`: reverse-DNS names of addresses and prefixes, and back.

use std::process::ExitCode;

use ipnet::IpNet;
use serde::Serialize;
use v6core::reverse::{parse_ptr_name, ptr_name, reverse_zones};

use crate::cli::PtrArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output for an address or prefix.
#[derive(Serialize)]
struct Names {
    /// The prefix, without host bits; an address is a /128 or /32.
    prefix: IpNet,
    /// The PTR name of an address, or the reverse zones that together
    /// cover a prefix, with trailing dots.
    names: Vec<String>,
}

/// The JSON output for a reverse-DNS name.
#[derive(Serialize)]
struct Name<'a> {
    /// The name as given.
    name: &'a str,
    /// The address (as a /128 or /32) or prefix it denotes.
    prefix: IpNet,
}

/// Runs `v6 ptr`: an address gives its PTR name, a prefix its reverse
/// zones (one per line), and a name under `ip6.arpa` or `in-addr.arpa` the
/// address or prefix it stands for.
pub(crate) fn run(args: &PtrArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let token = args.target.trim();
    let lower = token.to_ascii_lowercase();
    if lower.ends_with(".arpa") || lower.ends_with(".arpa.") {
        let prefix =
            parse_ptr_name(token).map_err(|e| input::core_error("reverse-DNS name", token, e))?;
        if out.is_json() {
            out.json(&Name {
                name: token,
                prefix,
            })?;
        } else if prefix.prefix_len() == prefix.max_prefix_len() {
            out.line(prefix.addr())?;
        } else {
            out.line(prefix)?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    let prefix = input::prefix(token)?;
    let names = if token.contains('/') {
        reverse_zones(prefix)
    } else {
        vec![ptr_name(prefix.addr())]
    };
    if out.is_json() {
        out.json(&Names {
            prefix: prefix.trunc(),
            names,
        })?;
    } else {
        for name in names {
            out.line(name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
