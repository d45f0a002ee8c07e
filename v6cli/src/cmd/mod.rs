//! The subcommands of `v6`, one module each.
//!
//! Every subcommand is a `run` function that takes its arguments and the
//! [`Output`], writes its result in human or JSON form, and returns the exit
//! status or a [`Failure`].

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::Failure;
use crate::output::Output;

mod completions;
mod contains;
mod embed;
mod eui64;
mod extract;
mod info;
mod mac;
mod man;
mod ptr;
mod ra;
mod random;
mod split;
mod stable_iid;
mod summarize;
mod xlat;

/// Runs the command the user gave and flushes its output.
pub(crate) fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let mut out = Output::new(cli.json);
    let code = match &cli.command {
        Command::Info(args) => info::run(args, &mut out)?,
        Command::Split(args) => split::run(args, &mut out)?,
        Command::Eui64(args) => eui64::run(args, &mut out)?,
        Command::Mac(args) => mac::run(args, &mut out)?,
        Command::StableIid(args) => stable_iid::run(args, &mut out)?,
        Command::Embed(args) => embed::run(args, &mut out)?,
        Command::Extract(args) => extract::run(args, &mut out)?,
        Command::Random(args) => random::run(args, &mut out)?,
        Command::Ptr(args) => ptr::run(args, &mut out)?,
        Command::Summarize(args) => summarize::run(args, &mut out)?,
        Command::Contains(args) => contains::run(args, &mut out)?,
        Command::Ra(args) => ra::run(args, &mut out)?,
        Command::Xlat(args) => xlat::run(args, &mut out)?,
        Command::Completions(args) => completions::run(args, &mut out)?,
        Command::Man(args) => man::run(args, &mut out)?,
    };
    out.finish()?;
    Ok(code)
}
