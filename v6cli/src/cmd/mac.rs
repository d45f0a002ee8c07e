//! `v6 mac`: the MAC address an EUI-64 address was made from.

use core::net::Ipv6Addr;
use std::process::ExitCode;

use serde::Serialize;
use v6core::{Eui64, Mac};

use crate::cli::MacArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report {
    /// The address as given, compressed.
    address: Ipv6Addr,
    /// Its interface identifier: `5054:ff:fed6:c2a9`.
    interface_id: Eui64,
    /// The MAC address, colon-separated.
    mac: Mac,
}

/// Runs `v6 mac`: prints the MAC address, or fails when the interface
/// identifier is not a modified EUI-64.
pub(crate) fn run(args: &MacArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let address = input::ipv6(&args.address)?;
    let interface_id = Eui64::from_addr(address);
    let mac = interface_id
        .to_mac()
        .map_err(|e| input::core_error("EUI-64 address", &args.address, e))?;
    if out.is_json() {
        out.json(&Report {
            address,
            interface_id,
            mac,
        })?;
    } else {
        out.line(mac)?;
    }
    Ok(ExitCode::SUCCESS)
}
