//! `v6 embed`: an IPv4 address embedded in an RFC 6052 prefix.

use core::net::{Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;

use serde::Serialize;
use v6core::Pref64;

use crate::cli::EmbedArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report {
    /// The RFC 6052 prefix.
    pref64: Pref64,
    /// The IPv4 address.
    ipv4: Ipv4Addr,
    /// The IPv4-embedded IPv6 address.
    ipv6: Ipv6Addr,
}

/// Runs `v6 embed`: prints the IPv6 address.
pub(crate) fn run(args: &EmbedArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let pref64 = input::pref64(&args.pref64)?;
    let ipv4 = input::ipv4(&args.ipv4)?;
    let ipv6 = pref64.embed(ipv4);
    if out.is_json() {
        out.json(&Report { pref64, ipv4, ipv6 })?;
    } else {
        out.line(ipv6)?;
    }
    Ok(ExitCode::SUCCESS)
}
