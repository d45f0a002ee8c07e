//! `v6xlatd`: the NAT64/SIIT translator of an IPv6-first host on a TUN
//! device, a drop-in replacement for Tayga that reads tayga.conf.
//!
//! Arguments and logging here; the workers in [`worker`], the control loop
//! in [`daemon`], the device in [`tun`], the counters in [`metrics`], the
//! leases in [`leases`], and the way from a configuration to a translator
//! in [`settings`]; systemd's readiness protocol and the switch of user
//! come from [`v6kit_daemon`]. What a
//! packet becomes, which host gets which pool address and what a
//! tayga.conf means are decided in the `v6xlat` library.
//!
//! Exit status: 0 after a clean shutdown or a good `--check`, 1 when the
//! configuration file is bad or the daemon cannot start, 2 on a bad
//! argument.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

mod daemon;
mod leases;
mod metrics;
mod settings;
mod tun;
mod worker;

/// NAT64/SIIT for IPv6-first hosts: translates between IPv6 and IPv4 on a
/// TUN device, configured by a tayga.conf or by the flags below.
#[derive(Debug, Parser)]
#[command(name = "v6xlatd", version)]
struct Args {
    /// The configuration file, in tayga.conf syntax (default
    /// /etc/tayga.conf unless the configuration is given by flags).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Check the configuration and exit: 0 if it is good, 1 if not.
    #[arg(long)]
    check: bool,

    /// `siit`: Tayga's stateless translation (tayga.conf); `nat64`:
    /// stateful NAT64 (RFC 6146), many IPv6 hosts sharing the `pool4`
    /// addresses of the configuration file.
    #[arg(long, value_enum, default_value = "siit")]
    mode: Mode,

    /// Create the persistent TUN device of the configuration and exit.
    #[arg(long, conflicts_with = "rmtun")]
    mktun: bool,

    /// Remove the persistent TUN device of the configuration and exit.
    #[arg(long)]
    rmtun: bool,

    /// Log debugging messages (every lease, every dropped packet, rate-limited).
    #[arg(short = 'd', long = "debug")]
    debug: bool,

    /// Stay in the foreground (v6xlatd always does; accepted for Tayga's
    /// command lines).
    #[arg(short = 'n', long = "nodetach")]
    nodetach: bool,

    /// Write the process id to this file, and remove it on exit.
    #[arg(short = 'p', long = "pidfile", value_name = "FILE")]
    pidfile: Option<PathBuf>,

    /// Started as root: switch to this user once the TUN device is open
    /// (the data-dir must be writable by it; a missing one is created).
    #[arg(short = 'u', long = "user", value_name = "USER")]
    user: Option<String>,

    /// With --user: switch to this group instead of the user's own.
    #[arg(short = 'g', long = "group", value_name = "GROUP", requires = "user")]
    group: Option<String>,

    /// Tayga's chroot directory; v6xlatd does not chroot.
    #[arg(short = 'r', long = "chroot", value_name = "DIR")]
    chroot: Option<PathBuf>,

    /// Serve Prometheus text counters at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,

    /// Worker threads, one per TUN queue (default: one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    workers: Option<u16>,

    /// Do not use TCP/UDP segmentation offload on the TUN device.
    #[arg(long)]
    no_offload: bool,

    /// `tun-device`: the TUN device (configuration without a file).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Configuration without a file"
    )]
    tun_device: Option<String>,

    /// `ipv4-addr`: the translator's own IPv4 address.
    #[arg(
        long,
        value_name = "ADDR",
        help_heading = "Configuration without a file"
    )]
    ipv4_addr: Option<String>,

    /// `ipv6-addr`: the translator's own IPv6 address.
    #[arg(
        long,
        value_name = "ADDR",
        help_heading = "Configuration without a file"
    )]
    ipv6_addr: Option<String>,

    /// `prefix`: the RFC 6052 prefix, such as 64:ff9b::/96.
    #[arg(
        long,
        value_name = "PREFIX",
        help_heading = "Configuration without a file"
    )]
    prefix: Option<String>,

    /// `dynamic-pool`: IPv4 addresses leased to IPv6 hosts.
    #[arg(
        long,
        value_name = "NET",
        help_heading = "Configuration without a file"
    )]
    dynamic_pool: Option<String>,

    /// `data-dir`: where the leases are kept across restarts.
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Configuration without a file"
    )]
    data_dir: Option<String>,

    /// `map`: a static mapping, IPV4[/LEN]=IPV6[/LEN]; repeatable.
    #[arg(
        long,
        value_name = "V4=V6",
        help_heading = "Configuration without a file"
    )]
    map: Vec<String>,
}

/// What the daemon translates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Stateless, as Tayga.
    Siit,
    /// Stateful NAT64 (RFC 6146).
    Nat64,
}

/// A configuration read for one mode or the other.
enum Loaded {
    Siit(v6xlat::tayga::TaygaConf),
    Nat64(Box<v6xlat::nat64_conf::Nat64Conf>),
}

impl Args {
    /// The configuration lines the flags stand for, each with its flag.
    fn directive_flags(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        let singles = [
            ("--tun-device", "tun-device", &self.tun_device),
            ("--ipv4-addr", "ipv4-addr", &self.ipv4_addr),
            ("--ipv6-addr", "ipv6-addr", &self.ipv6_addr),
            ("--prefix", "prefix", &self.prefix),
            ("--dynamic-pool", "dynamic-pool", &self.dynamic_pool),
            ("--data-dir", "data-dir", &self.data_dir),
        ];
        for (flag, directive, value) in singles {
            if let Some(v) = value {
                lines.push((flag, format!("{directive} {v}")));
            }
        }
        for m in &self.map {
            let (v4, v6) = m.split_once('=').unwrap_or((m, ""));
            lines.push(("--map", format!("map {v4} {v6}")));
        }
        lines
    }
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
    let _ = args.nodetach;
    if let Some(dir) = &args.chroot {
        tracing::warn!("not changing root to {}", dir.display());
    }

    let flags = args.directive_flags();
    if args.mode == Mode::Nat64 && !flags.is_empty() {
        eprintln!(
            "v6xlatd: {} cannot be combined with --mode nat64 (which reads --config)",
            flags[0].0
        );
        return ExitCode::from(2);
    }
    let conf = if flags.is_empty() {
        let path = args
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/tayga.conf"));
        let loaded = match args.mode {
            Mode::Siit => settings::load(&path).map(Loaded::Siit),
            Mode::Nat64 => settings::load_nat64(&path).map(|c| Loaded::Nat64(Box::new(c))),
        };
        match loaded {
            Ok(c) => c,
            Err(e) => {
                eprintln!("v6xlatd: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        if args.config.is_some() {
            eprintln!("v6xlatd: {} cannot be combined with --config", flags[0].0);
            return ExitCode::from(2);
        }
        match settings::from_flags(&flags) {
            Ok(c) => Loaded::Siit(c),
            Err(e) => {
                eprintln!("v6xlatd: {e}");
                return ExitCode::from(2);
            }
        }
    };
    let config_path = flags.is_empty().then(|| {
        args.config
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/tayga.conf"))
    });
    let tun_name = match &conf {
        Loaded::Siit(c) => c.tun_device.clone(),
        Loaded::Nat64(c) => c.tayga.tun_device.clone(),
    }
    .unwrap_or_default();

    if args.check {
        println!("v6xlatd: configuration is good");
        return ExitCode::SUCCESS;
    }
    if args.mktun || args.rmtun {
        let (what, done) = if args.mktun {
            ("create", tun::make(&tun_name))
        } else {
            ("remove", tun::remove(&tun_name))
        };
        return match done {
            Ok(()) => {
                tracing::info!("{what}d persistent TUN device {tun_name}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("v6xlatd: cannot {what} {tun_name}: {e}");
                ExitCode::FAILURE
            }
        };
    }

    let user = match v6kit_daemon::privilege::Account::from_arg(
        "v6xlatd",
        args.user.as_deref(),
        args.group.as_deref(),
    ) {
        Ok(user) => user,
        Err(code) => return code,
    };
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let opts = daemon::Options {
        config_path,
        pidfile: args.pidfile,
        metrics: args.metrics,
        workers,
        offload: !args.no_offload,
        user,
    };
    let result = match conf {
        Loaded::Siit(c) => daemon::run(c, opts),
        Loaded::Nat64(c) => daemon::run_nat64(*c, opts),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v6xlatd: {e}");
            ExitCode::FAILURE
        }
    }
}
