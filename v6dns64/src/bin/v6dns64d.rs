//! `v6dns64d`: the DNS64 server of an IPv6-first host, in place of BIND's or
//! Unbound's `dns64` option. See `v6dns64d --help`.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tokio::net::TcpListener;
use v6dns64::Dns64;
use v6dns64::server::config::{Args, Config};
use v6dns64::server::upstream::Upstreams;
use v6dns64::server::{Listeners, Server, run, udp};
use v6dns64::zone::Zone;
use v6kit_daemon::notify::notify;
use v6kit_daemon::privilege::{self, Account};

fn main() -> ExitCode {
    // Bad arguments: clap names them and exits with 2.
    let args = Args::parse();
    let config = match args.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("v6dns64d: {e}");
            return ExitCode::from(2);
        }
    };
    let mut zones = Vec::new();
    for path in &config.statics {
        match Zone::load(path) {
            Ok(z) => zones.push(z),
            Err(e) => {
                eprintln!("v6dns64d: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if args.check {
        println!(
            "v6dns64d: configuration OK ({} prefix(es), {} upstream(s), {} static zone(s))",
            config.policy.prefixes.len(),
            config.upstreams.len(),
            zones.len()
        );
        return ExitCode::SUCCESS;
    }
    let user = match Account::from_arg("v6dns64d", args.user.as_deref(), None) {
        Ok(user) => user,
        Err(code) => return code,
    };
    let bound = match bind(&config) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("v6dns64d: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Nothing after the sockets needs a privilege.
    if let Err(e) = privilege::give_up(user.as_ref(), &[]) {
        eprintln!("v6dns64d: {e}");
        return ExitCode::FAILURE;
    }
    if let Some(account) = &user {
        eprintln!("v6dns64d: running as user {}", account.name());
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.max(1))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("v6dns64d: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config, zones, bound)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("v6dns64d: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every socket, bound before any thread starts so that the process can
/// give up its privileges as a whole (capabilities belong to each thread);
/// held in the standard library's types until the runtime takes them.
struct Bound {
    /// For each listening address, its sockets (one per worker).
    udp: Vec<Vec<std::net::UdpSocket>>,
    tcp: Vec<std::net::TcpListener>,
    metrics: Option<std::net::TcpListener>,
}

fn bind(config: &Config) -> std::io::Result<Bound> {
    // A runtime without threads, so that the sockets are made as tokio
    // makes them.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async {
        let mut bound = Bound {
            udp: Vec::new(),
            tcp: Vec::new(),
            metrics: None,
        };
        for addr in &config.listen {
            let err = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{addr}: {e}"));
            let udp = udp::bind(*addr, config.workers).map_err(err)?;
            // Port 0 picks the UDP port; TCP takes the same one.
            let tcp = TcpListener::bind(udp[0].local_addr()?).await.map_err(err)?;
            bound.udp.push(udp);
            bound.tcp.push(tcp.into_std()?);
        }
        if let Some(addr) = config.metrics {
            bound.metrics = Some(TcpListener::bind(addr).await?.into_std()?);
        }
        Ok(bound)
    })
}

async fn serve(config: Config, zones: Vec<Zone>, bound: Bound) -> std::io::Result<()> {
    // Before anything is announced, so that a signal sent as soon as the
    // addresses are known already stops the server gracefully.
    let shutdown = shutdown_signal()?;
    let mut listeners = Listeners::default();
    for (udp, tcp) in bound.udp.into_iter().zip(bound.tcp) {
        eprintln!("v6dns64d: listening on {} (UDP and TCP)", tcp.local_addr()?);
        listeners.udp.extend(udp);
        listeners.tcp.push(TcpListener::from_std(tcp)?);
    }
    if let Some(l) = bound.metrics {
        let l = TcpListener::from_std(l)?;
        eprintln!("v6dns64d: metrics on http://{}/metrics", l.local_addr()?);
        listeners.metrics = Some(l);
    }
    let server = Arc::new(Server::new(
        Dns64::new(config.policy),
        zones,
        Upstreams::new(config.upstreams, config.timeout),
        config.cache_size,
    ));
    notify("READY=1");
    run(listeners, server, shutdown).await;
    eprintln!("v6dns64d: stopped");
    Ok(())
}

/// Completes on SIGINT or SIGTERM; the handlers are installed at once.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}
