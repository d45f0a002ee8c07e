//! `v6 stable-iid`: an RFC 7217 stable, opaque interface identifier.

use core::net::Ipv6Addr;
use std::process::ExitCode;

use ipnet::Ipv6Net;
use serde::Serialize;
use v6core::Eui64;
use v6core::stable_iid::StableIidInput;

use crate::cli::StableIidArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The shortest secret key RFC 7217 section 5 allows: 128 bits.
const MIN_SECRET: usize = 16;

/// The JSON output; the secret is left out.
#[derive(Serialize)]
struct Report<'a> {
    /// The prefix, without host bits.
    prefix: Ipv6Net,
    /// The interface name.
    interface: &'a str,
    /// The network identifier, empty when none was given.
    network_id: &'a str,
    /// The DAD counter.
    dad_counter: u8,
    /// The interface identifier: four hexadecimal groups.
    interface_id: Eui64,
    /// The address.
    address: Ipv6Addr,
}

/// Runs `v6 stable-iid`: prints the address.
pub(crate) fn run(args: &StableIidArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let prefix = input::ipv6_prefix(&args.prefix)?;
    let secret = input::secret(&args.secret);
    if secret.len() < MIN_SECRET {
        return Err(Failure::Input(format!(
            "invalid secret: {} bytes, but RFC 7217 asks for at least {MIN_SECRET} (128 bits)",
            secret.len()
        )));
    }
    let stable = StableIidInput {
        prefix,
        interface: &args.interface,
        network_id: args.network_id.as_bytes(),
        dad_counter: args.dad_counter,
        secret_key: &secret,
    };
    let interface_id = stable
        .iid()
        .map_err(|e| input::core_error("prefix", &args.prefix, e))?;
    let address = interface_id
        .address(prefix)
        .map_err(|e| input::core_error("prefix", &args.prefix, e))?;
    if out.is_json() {
        out.json(&Report {
            prefix: prefix.trunc(),
            interface: &args.interface,
            network_id: &args.network_id,
            dad_counter: args.dad_counter,
            interface_id,
            address,
        })?;
    } else {
        out.line(address)?;
    }
    Ok(ExitCode::SUCCESS)
}
