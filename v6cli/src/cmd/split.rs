//! `v6 split`: the subnets of a prefix, streamed one per line.
//!
//! This is the one subcommand whose output can be huge (a /48 holds 65,536
//! /64s; a /60 a million /80s), so it never collects: subnets come from a
//! lazy iterator, each is formatted on the stack by [`crate::fmt`], and
//! everything goes through the one large stdout buffer.

use std::io::Write;
use std::process::ExitCode;

use ipnet::IpNet;
use serde::Serialize;
use v6core::prefix::subnets;

use crate::cli::SplitArgs;
use crate::error::Failure;
use crate::fmt;
use crate::input;
use crate::output::{JsonArray, Output};

/// One subnet in the JSON output.
#[derive(Serialize)]
struct Subnet {
    /// The subnet, compressed: `2001:db8:100::/64`.
    prefix: IpNet,
    /// Its first address, compressed.
    first: core::net::IpAddr,
    /// Its last address, compressed.
    last: core::net::IpAddr,
}

/// Runs `v6 split`.
pub(crate) fn run(args: &SplitArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let prefix = input::prefix(&args.prefix)?;
    let len = input::prefix_len(&args.len)?;
    let list =
        subnets(prefix, len).map_err(|e| input::core_error("subnet length", &args.len, e))?;

    let count = list.remaining();
    if !args.all && count.as_u128().is_none_or(|n| n > args.limit) {
        return Err(Failure::Input(format!(
            "{} split into /{len} gives {count} subnets, more than the limit of {}; use --limit N or --all",
            prefix.trunc(),
            args.limit
        )));
    }

    let json = out.is_json();
    let w = out.writer();
    if json {
        let mut array = JsonArray::start(w)?;
        for net in list {
            array.push(&Subnet {
                prefix: net,
                first: net.network(),
                last: net.broadcast(),
            })?;
        }
        array.finish()?;
    } else if args.range {
        for net in list {
            w.write_all(fmt::expanded(net.network()).as_bytes())?;
            w.write_all(b" - ")?;
            w.write_all(fmt::expanded(net.broadcast()).as_bytes())?;
            w.write_all(b"\n")?;
        }
    } else {
        let suffix = format!("/{len}\n");
        for net in list {
            w.write_all(fmt::compressed(net.network()).as_bytes())?;
            w.write_all(suffix.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
