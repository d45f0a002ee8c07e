//! `v6 random`: random addresses inside a prefix.

use std::process::ExitCode;

use v6core::random::random_addrs;

use crate::cli::RandomArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The most addresses one run draws: the sample is held in memory (about
/// 50 bytes an address) to keep the addresses distinct.
const MAX_COUNT: usize = 1 << 20;

/// Runs `v6 random`: prints `-n` distinct addresses drawn uniformly from the
/// prefix, one per line (a JSON array of strings with `--json`).
pub(crate) fn run(args: &RandomArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let prefix = input::prefix(&args.prefix)?;
    if args.count > MAX_COUNT {
        return Err(Failure::invalid(
            "count",
            &args.count.to_string(),
            format_args!("at most {MAX_COUNT} addresses at a time"),
        ));
    }
    let addrs = random_addrs(prefix, args.count, &mut rand::rng())
        .map_err(|e| input::core_error("count", &args.count.to_string(), e))?;
    if out.is_json() {
        out.json(&addrs)?;
    } else {
        for a in addrs {
            out.line(a)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
