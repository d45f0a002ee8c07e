//! `v6 extract`: the IPv4 address inside an RFC 6052 IPv4-embedded address.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;

use serde::Serialize;
use v6core::Pref64;

use crate::cli::ExtractArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report {
    /// The RFC 6052 prefix.
    pref64: Pref64,
    /// The IPv4-embedded IPv6 address.
    ipv6: Ipv6Addr,
    /// The IPv4 address found in it.
    ipv4: Ipv4Addr,
}

/// Runs `v6 extract`: prints the IPv4 address.
pub(crate) fn run(args: &ExtractArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let pref64 = input::pref64(&args.pref64)?;
    let ipv6 = input::ipv6(&args.ipv6)?;
    let ipv4 = pref64
        .extract(ipv6)
        .map_err(|e| input::core_error("IPv6 address", &args.ipv6, e))?;
    if out.is_json() {
        out.json(&Report { pref64, ipv6, ipv4 })?;
    } else {
        out.line(ipv4)?;
    }
    Ok(ExitCode::SUCCESS)
}
