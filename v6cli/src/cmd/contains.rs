//! `v6 contains`: whether a prefix contains an address, as an exit status.

use core::net::IpAddr;
use std::process::ExitCode;

use ipnet::IpNet;
use serde::Serialize;
use v6core::prefix::contains;

use crate::cli::ContainsArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report {
    /// The prefix, without host bits.
    prefix: IpNet,
    /// The address.
    address: IpAddr,
    /// Whether the prefix contains the address.
    contains: bool,
}

/// Runs `v6 contains`: exit status 0 when the address is inside the prefix,
/// 1 when it is not; prints only with `--verbose` or `--json`.
pub(crate) fn run(args: &ContainsArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let prefix = input::prefix(&args.prefix)?.trunc();
    let address = input::address(&args.address)?;
    let inside =
        contains(prefix, address).map_err(|e| input::core_error("address", &args.address, e))?;
    if out.is_json() {
        out.json(&Report {
            prefix,
            address,
            contains: inside,
        })?;
    } else if args.verbose {
        let verb = if inside { "is" } else { "is not" };
        out.line(format_args!("{address} {verb} inside {prefix}"))?;
    }
    Ok(if inside {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
