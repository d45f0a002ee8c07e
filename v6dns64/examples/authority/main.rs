//! A small authoritative server for zone files, over UDP and TCP: the
//! upstream of the DNS64 benchmark (`scripts/bench-dns64.sh`) and of the
//! server tests, and a handy one for labs.
//!
//! ```text
//! cargo run --release -p v6dns64 --example authority -- 127.0.0.1:5300 lab.zone [more.zone…]
//! ```
//!
//! Each question is answered from the most specific zone that holds its
//! name ([`v6dns64::Zone::answer`]); UDP answers that do not fit the
//! query's size are truncated, so clients retry over TCP.

mod serve;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};
use v6dns64::Zone;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: authority ADDR:PORT ZONE-FILE…";
    let addr: SocketAddr = args.next().ok_or(usage)?.parse()?;
    let zones: Vec<Zone> = args
        .map(|p| Zone::load(Path::new(&p)))
        .collect::<Result<_, _>>()?;
    if zones.is_empty() {
        return Err(usage.into());
    }
    let udp = UdpSocket::bind(addr).await?;
    let tcp = TcpListener::bind(udp.local_addr()?).await?;
    eprintln!(
        "authority: serving {} zone(s) on {}",
        zones.len(),
        udp.local_addr()?
    );
    serve::serve(udp, tcp, Arc::new(zones)).await;
    Ok(())
}
