//! `v6rad`: the router-advertisement daemon, a drop-in replacement for
//! radvd that reads radvd.conf.
//!
//! Arguments and logging here; the daemon's loop in [`daemon`], one raw
//! ICMPv6 socket per interface in [`socket`], what the system says about
//! an interface in [`link`], the Prometheus counters in [`metrics`].
//!
//! Exit status: 0 after a clean shutdown or a good `--check`, 1 when the
//! configuration is bad or the daemon cannot start, 2 on a bad argument.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

mod daemon;
mod link;
mod metrics;
mod socket;
mod sys;

/// Router advertisements for IPv6-first hosts: reads radvd.conf and
/// advertises prefixes, routes, DNS servers and the NAT64 prefix.
#[derive(Debug, Parser)]
#[command(name = "v6rad", version)]
struct Args {
    /// The configuration file, in radvd.conf syntax.
    #[arg(
        short = 'C',
        long = "config",
        value_name = "FILE",
        default_value = "/etc/radvd.conf"
    )]
    config: PathBuf,

    /// Check the configuration file and exit: 0 if it is good, 1 if not.
    #[arg(short = 'c', long = "check", visible_alias = "configtest")]
    check: bool,

    /// Stay in the foreground (v6rad always does; accepted for radvd's
    /// command lines).
    #[arg(short = 'n', long = "nodaemon")]
    nodaemon: bool,

    /// Write the process id to this file, and remove it on exit.
    #[arg(short = 'p', long = "pidfile", value_name = "FILE")]
    pidfile: Option<PathBuf>,

    /// Log more: 0 (the default) logs errors and start/stop, 1 and above
    /// every advertisement and solicitation.
    #[arg(short = 'd', long = "debug", value_name = "LEVEL", default_value_t = 0)]
    debug: u8,

    /// radvd's log method; v6rad always logs to standard error.
    #[arg(short = 'm', long = "logmethod", value_name = "METHOD")]
    logmethod: Option<String>,

    /// radvd's log file; v6rad always logs to standard error.
    #[arg(short = 'l', long = "logfile", value_name = "FILE")]
    logfile: Option<PathBuf>,

    /// radvd's syslog facility; v6rad always logs to standard error.
    #[arg(short = 'f', long = "facility", value_name = "NUM")]
    facility: Option<String>,

    /// Started as root: switch to this user once the configuration is
    /// read, keeping only CAP_NET_RAW for the raw ICMPv6 sockets.
    #[arg(
        short = 'u',
        long = "username",
        visible_alias = "user",
        value_name = "USER"
    )]
    username: Option<String>,

    /// radvd's single-process mode; v6rad is always one process.
    #[arg(short = 's', long = "singleprocess")]
    singleprocess: bool,

    /// Serve Prometheus text counters at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Accepted so that radvd's command lines work unchanged.
    let _ = (
        args.nodaemon,
        args.singleprocess,
        &args.logmethod,
        &args.facility,
    );
    if let Some(file) = &args.logfile {
        eprintln!("v6rad: logging to standard error, not {}", file.display());
    }
    let config = match v6ra::config::load(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("v6rad: {e}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &config.warnings {
        eprintln!("v6rad: warning: {warning}");
    }
    if args.check {
        println!("{}: configuration is good", args.config.display());
        return ExitCode::SUCCESS;
    }
    let user =
        match v6kit_daemon::privilege::Account::from_arg("v6rad", args.username.as_deref(), None) {
            Ok(user) => user,
            Err(code) => return code,
        };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("v6rad: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = daemon::Options {
        config_path: args.config,
        pidfile: args.pidfile,
        verbose: args.debug > 0,
        metrics: args.metrics,
        user,
    };
    match runtime.block_on(daemon::run(config, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v6rad: {e}");
            ExitCode::FAILURE
        }
    }
}
