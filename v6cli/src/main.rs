//! `v6`: IPv6 and IPv4 prefix calculations on the command line, in the
//! manner of sipcalc and ipv6calc.
//!
//! Exit status: 0 on success, 1 when `v6 contains` answers no (or output
//! could not be written), 2 on bad input or a usage error. A closed output
//! pipe ends the run quietly.

use std::io::Write;
use std::process::ExitCode;

mod cli;
mod cmd;
mod error;
mod fmt;
mod input;
mod output;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cmd::run(cli) {
        Ok(code) => code,
        Err(failure) => {
            if let Some(message) = failure.message() {
                let _ = writeln!(std::io::stderr(), "v6: {message}");
            }
            failure.exit_code()
        }
    }
}
