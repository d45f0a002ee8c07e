//! `v6proxyd`: lets IPv4 clients and other links reach the IPv6-only
//! machines of an IPv6-first host.
//!
//! Subcommands:
//!
//! - `relay`: IPv4 clients reach web services on IPv6-only machines by
//!   server name (TLS SNI or HTTP `Host`), without the host holding their
//!   certificates, in place of an Apache reverse proxy or sniproxy.
//! - `ndp`: one /64 reaches machines behind a second link, answering
//!   Neighbor Solicitations for them, in place of ndppd (or, with
//!   `--kernel`, of `ip -6 neigh add proxy` scripts).
//!
//! Arguments and logging here; each subcommand in its own module. Exit
//! status: 0 after a clean shutdown or a good `--check`, 1 when the
//! configuration file is bad or the daemon cannot start, 2 on a bad
//! argument.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod ndp;
mod relay;

/// Reaching the IPv6-only machines of an IPv6-first host.
#[derive(Debug, Parser)]
#[command(name = "v6proxyd", version)]
struct Args {
    /// Log debugging messages.
    #[arg(short = 'd', long = "debug", global = true)]
    debug: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Relay IPv4 clients to IPv6-only web services by TLS server name or
    /// HTTP Host.
    Relay(relay::RelayArgs),
    /// Answer Neighbor Solicitations for addresses behind another link
    /// (NDP proxy), reading ndppd.conf.
    Ndp(ndp::NdpArgs),
}

fn main() -> ExitCode {
    // clap names a bad argument and exits with 2.
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(if args.debug {
            tracing::Level::DEBUG
        } else {
            tracing::Level::INFO
        })
        .init();
    match args.command {
        Command::Relay(a) => relay::main(a),
        Command::Ndp(a) => ndp::main(a),
    }
}
