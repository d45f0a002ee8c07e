//! `v6 eui64`: the SLAAC address of a MAC address in a prefix.

use core::net::Ipv6Addr;
use std::process::ExitCode;

use ipnet::Ipv6Net;
use serde::Serialize;
use v6core::{Eui64, Mac};

use crate::cli::Eui64Args;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report {
    /// The prefix, without host bits.
    prefix: Ipv6Net,
    /// The MAC address, colon-separated.
    mac: Mac,
    /// The modified EUI-64 interface identifier: `5054:ff:fed6:c2a9`.
    interface_id: Eui64,
    /// The SLAAC address.
    address: Ipv6Addr,
}

/// Runs `v6 eui64`: prints the address.
pub(crate) fn run(args: &Eui64Args, out: &mut Output) -> Result<ExitCode, Failure> {
    let prefix = input::ipv6_prefix(&args.prefix)?;
    let mac = input::mac(&args.mac)?;
    let interface_id = Eui64::from_mac(mac);
    let address = interface_id
        .address(prefix)
        .map_err(|e| input::core_error("prefix", &args.prefix, e))?;
    if out.is_json() {
        out.json(&Report {
            prefix: prefix.trunc(),
            mac,
            interface_id,
            address,
        })?;
    } else {
        out.line(address)?;
    }
    Ok(ExitCode::SUCCESS)
}
