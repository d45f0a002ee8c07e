//! The lab: the whole IPv6-first host in one command.
//!
//! Builds, in Linux network namespaces joined by veth pairs and a bridge,
//! the host of the classic IPv6-first guide — one IPv4 address, a /64 for
//! an IPv6-only VM — runs v6kit's daemons on it as an operator would
//! (`v6rad`, `v6dns64d`, `v6xlatd`, `v6proxyd relay`), then proves each
//! path with real clients and prints what it checked:
//!
//! ```text
//! sudo cargo run --release -p v6kit-examples --bin lab [-- --keep]
//! ```
//!
//! It exits 1 naming the first step that failed. Everything it created is
//! removed at the end, also after a failure, a panic or Ctrl-C; `--keep`
//! leaves the lab up until Ctrl-C, to explore it.
#![forbid(unsafe_code)]

mod binaries;
mod checks;
mod host;
mod interrupt;
mod packages;
mod web;

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::{Parser, Subcommand};

use host::Lab;
use interrupt::{EXIT_INTERRUPTED, interrupted};

/// The whole IPv6-first host in network namespaces, with v6kit's daemons,
/// each path checked.
#[derive(Debug, Parser)]
#[command(
    name = "lab",
    version,
    after_help = "Needs root. Exit status: 0 when every step passed, 1 when one failed (it is \
                  named), 2 without root or on a bad argument, 130 after Ctrl-C."
)]
struct Args {
    /// After the checks, leave the lab up until Ctrl-C and print how to
    /// enter each namespace
    #[arg(long)]
    keep: bool,
    /// Use the daemons next to the lab as they are, without cargo build
    #[arg(long)]
    no_build: bool,
    #[command(subcommand)]
    command: Option<Hidden>,
}

/// What the lab runs of itself inside its namespaces.
#[derive(Debug, Subcommand)]
enum Hidden {
    /// Serve a one-line web site
    #[command(hide = true)]
    Web {
        /// Address and port to listen on
        listen: SocketAddr,
        /// The site's name, in every answer
        site: String,
    },
}

/// The steps, in order; the end-to-end test looks for each.
const STEPS: &[&str] = &[
    "install what the lab needs",
    "build the daemons",
    "build the host, the VM, the internet and the client",
    "start the daemons",
    "the VM hears the router advertisement",
    "the VM's address is the EUI-64 address v6 eui64 computes",
    "the VM resolves an IPv4-only name through DNS64",
    "the VM fetches a page from the IPv4-only server through NAT64",
    "the IPv4-only client fetches the VM's site through the relay",
    "the IPv4-only client reaches the VM's HTTPS site through the relay",
];

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Hidden::Web { listen, site }) = args.command {
        return web::serve(listen, &site);
    }
    if !v6kit_testkit::is_root() {
        eprintln!("lab: needs root, to create network namespaces (run it with sudo)");
        return ExitCode::from(2);
    }
    let signals = match interrupt::watch() {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("lab: cannot watch for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    quiet_panics();
    println!(
        "v6kit lab: the IPv6-first host in network namespaces (run {})",
        std::process::id()
    );

    let mut lab: Option<Lab> = None;
    let outcome = run(&mut lab, args.no_build);
    if let Err(step) = outcome {
        if interrupted() {
            drop(lab);
            return ExitCode::from(EXIT_INTERRUPTED);
        }
        if let Some(lab) = &lab {
            let logs = lab.logs();
            if !logs.is_empty() {
                println!("the daemons' logs:");
                logs.iter().for_each(|l| println!("  {l}"));
            }
        }
        eprintln!("lab: step {} failed: {}", step + 1, STEPS[step]);
        if args.keep {
            keep(lab.as_ref(), &signals);
        }
        drop(lab);
        return ExitCode::FAILURE;
    }
    println!("\nall {} steps passed", STEPS.len());
    if args.keep {
        keep(lab.as_ref(), &signals);
    }
    drop(lab);
    if interrupted() {
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    println!("lab: removed");
    ExitCode::SUCCESS
}

/// Runs the steps; `Err` holds the index of the one that failed.
fn run(lab: &mut Option<Lab>, no_build: bool) -> Result<(), usize> {
    step(0, || packages::ensure().map(|said| ((), said)))?;
    let bins = step(1, || binaries::find_or_build(no_build))?;
    let mut bins = Some(bins);
    *lab = Some(step(2, || {
        Lab::build(bins.take().ok_or("the daemons are gone")?)
    })?);
    let Some(lab) = lab.as_mut() else {
        return Err(2);
    };
    step(3, || lab.start().map(|said| ((), said)))?;
    step(4, || checks::advertisement(lab).map(|said| ((), said)))?;
    step(5, || checks::slaac(lab).map(|said| ((), said)))?;
    step(6, || checks::dns64(lab).map(|said| ((), said)))?;
    step(7, || checks::nat64(lab).map(|said| ((), said)))?;
    step(8, || checks::relay(lab).map(|said| ((), said)))?;
    step(9, || checks::relay_tls(lab).map(|said| ((), said)))?;
    Ok(())
}

/// Runs step `n`, printing its title, what it checked and its result; a
/// panic inside it (from a command that failed) fails the step.
fn step<T>(n: usize, f: impl FnOnce() -> Result<(T, Vec<String>), String>) -> Result<T, usize> {
    println!("\n[{}/{}] {}", n + 1, STEPS.len(), STEPS[n]);
    let result =
        std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(take_panic()));
    match result {
        Ok((value, said)) if !interrupted() => {
            said.iter().for_each(|l| println!("  {l}"));
            println!("  ok");
            Ok(value)
        }
        Ok(_) => Err(n),
        Err(_) if interrupted() => Err(n),
        Err(why) => {
            println!("  FAILED: {why}");
            Err(n)
        }
    }
}

/// Leaves the lab up until a signal comes, saying how to explore it.
fn keep(lab: Option<&Lab>, signals: &std::sync::mpsc::Receiver<()>) {
    if let Some(lab) = lab {
        println!("\nthe lab is up; enter a namespace with ip netns exec NAME bash:");
        println!(
            "  ip netns exec {} bash     # the host: v6rad, v6dns64d, v6xlatd, v6proxyd relay",
            lab.host.name()
        );
        println!(
            "  ip netns exec {} bash     # the VM: curl http://{}/, dig AAAA {}",
            lab.vm.name(),
            host::V4ONLY_NAME,
            host::V4ONLY_NAME
        );
        println!(
            "  ip netns exec {} bash     # the IPv4 internet, web server {}",
            lab.internet.name(),
            host::WEB_V4
        );
        println!(
            "  ip netns exec {} bash     # the IPv4-only client: curl --resolve {}:80:{} http://{}/",
            lab.client.name(),
            host::VM_NAME,
            host::HOST_V4,
            host::VM_NAME
        );
        println!(
            "the daemons' configuration and logs: {}",
            lab.dir.0.display()
        );
    }
    println!("press Ctrl-C to remove the lab");
    let _ = signals.recv();
}

/// Polls `check` every 100 ms until it returns `true` or `timeout`
/// passes; gives up at once when the lab is interrupted.
pub(crate) fn wait(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    v6kit_testkit::wait_until(timeout, || interrupted() || check()) && !interrupted()
}

/// The message of the last panic, which a failed step reports.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Keeps panic messages for [`step`] to print instead of the default
/// report on standard error.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| {
                info.payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
            })
            .unwrap_or_else(|| "panic".to_owned());
        *PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }));
}

fn take_panic() -> String {
    PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_else(|| "panic".to_owned())
}
