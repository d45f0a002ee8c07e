//! `v6 completions`: a shell completion script, generated from the command
//! line definitions.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{self, CompletionsArgs};
use crate::error::Failure;
use crate::output::Output;

/// The JSON output.
#[derive(Serialize)]
struct Report<'a> {
    /// The shell's name.
    shell: String,
    /// The completion script.
    script: &'a str,
}

/// Runs `v6 completions`: prints the script for the shell.
pub(crate) fn run(args: &CompletionsArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    // clap_complete panics when its writer fails, so the script is made in
    // memory and written (and a closed pipe handled) here.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli::command(), "v6", &mut script);
    if out.is_json() {
        out.json(&Report {
            shell: args.shell.to_string(),
            script: &String::from_utf8_lossy(&script),
        })?;
    } else {
        out.writer().write_all(&script)?;
    }
    Ok(ExitCode::SUCCESS)
}
