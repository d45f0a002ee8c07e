//! `v6 man`: man pages, generated from the command line definitions.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{self, ManArgs};
use crate::error::Failure;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report<'a> {
    /// The page's name: `v6` or `v6-split`.
    name: &'a str,
    /// The page in roff.
    roff: &'a str,
}

/// Runs `v6 man`: prints v6(1), or v6-SUBCOMMAND(1), in roff.
pub(crate) fn run(args: &ManArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let v6 = cli::command();
    let page = match &args.subcommand {
        None => v6,
        Some(name) => {
            let sub = v6
                .find_subcommand(name)
                .ok_or_else(|| Failure::invalid("subcommand", name, "v6 has no such subcommand"))?;
            let page = format!("v6-{}", sub.get_name());
            sub.clone()
                .display_name(page)
                .version(env!("CARGO_PKG_VERSION"))
                .bin_name(format!("v6 {}", sub.get_name()))
        }
    };
    let name = page
        .get_display_name()
        .unwrap_or(page.get_name())
        .to_owned();
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    if out.is_json() {
        out.json(&Report {
            name: &name,
            roff: &String::from_utf8_lossy(&roff),
        })?;
    } else {
        out.writer().write_all(&roff)?;
    }
    Ok(ExitCode::SUCCESS)
}
