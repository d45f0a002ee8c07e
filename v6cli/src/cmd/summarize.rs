//! `v6 summarize`: the fewest prefixes that cover the given prefixes and
//! ranges (route aggregation, RFC 4632 section 3.2).

use std::io::BufRead;
use std::process::ExitCode;

use ipnet::IpNet;
use v6core::prefix::{aggregate, range_to_prefixes};

use crate::cli::SummarizeArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// Runs `v6 summarize`: prints the covering prefixes, IPv4 first, each in
/// address order.
pub(crate) fn run(args: &SummarizeArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let mut prefixes = Vec::new();
    if args.inputs.is_empty() {
        read_stdin(&mut prefixes)?;
    }
    for token in &args.inputs {
        if token == "-" {
            read_stdin(&mut prefixes)?;
        } else {
            parse_into(token, &mut prefixes)?;
        }
    }
    let summary = aggregate(&prefixes);
    if out.is_json() {
        out.json(&summary)?;
    } else {
        for p in summary {
            out.line(p)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds the prefixes of every line of standard input; blank lines and lines
/// starting with `#` are skipped.
fn read_stdin(prefixes: &mut Vec<IpNet>) -> Result<(), Failure> {
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                Failure::Input(format!("standard input line {}: not UTF-8 text", n + 1))
            }
            _ => Failure::Io(e),
        })?;
        let token = line.trim();
        if token.is_empty() || token.starts_with('#') {
            continue;
        }
        parse_into(token, prefixes).map_err(|e| match e {
            Failure::Input(m) => Failure::Input(format!("standard input line {}: {m}", n + 1)),
            e => e,
        })?;
    }
    Ok(())
}

/// Adds the prefixes of one token: a prefix, an address, or a
/// `first-last` range.
fn parse_into(token: &str, prefixes: &mut Vec<IpNet>) -> Result<(), Failure> {
    match token.split_once('-') {
        Some((start, end)) => {
            let start = input::address(start)?;
            let end = input::address(end)?;
            let range =
                range_to_prefixes(start, end).map_err(|e| input::core_error("range", token, e))?;
            prefixes.extend(range);
        }
        None => prefixes.push(input::prefix(token)?),
    }
    Ok(())
}
