//! A small authoritative server for zone files, over UDP and TCP: the
//! upstream of the DNS64 benchmark (`scripts/bench-dns64.sh`) and a handy
//! one for labs.
//!
//! ```text
//! cargo run --release -p v6dns64 --example authority -- 127.0.0.1:5300 lab.zone [more.zone…]
//! ```
//!
//! Each question is answered from the most specific zone that holds its
//! name ([`v6dns64::Zone::answer`]); UDP answers that do not fit the
//! query's size are truncated, so clients retry over TCP.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use v6dns64::{Zone, wire};

fn answer(zones: &[Zone], q: &Message) -> Message {
    let zone = q.queries.first().and_then(|q| {
        zones
            .iter()
            .filter(|z| z.contains(q.name()))
            .max_by_key(|z| z.origin().num_labels())
    });
    zone.unwrap_or(&zones[0]).answer(q)
}

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
    let zones = Arc::new(zones);
    let udp = UdpSocket::bind(addr).await?;
    let tcp = TcpListener::bind(udp.local_addr()?).await?;
    eprintln!(
        "authority: serving {} zone(s) on {}",
        zones.len(),
        udp.local_addr()?
    );
    let z = zones.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = tcp.accept().await else {
                continue;
            };
            let z = z.clone();
            tokio::spawn(async move {
                while let Ok(len) = s.read_u16().await {
                    let mut buf = vec![0u8; usize::from(len)];
                    if s.read_exact(&mut buf).await.is_err() {
                        return;
                    }
                    let Ok(q) = Message::from_vec(&buf) else {
                        return;
                    };
                    let out = wire::encode(&answer(&z, &q), usize::from(u16::MAX));
                    let mut framed = (out.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&out);
                    if s.write_all(&framed).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let mut buf = vec![0u8; 65_535];
    loop {
        let Ok((n, peer)) = udp.recv_from(&mut buf).await else {
            continue;
        };
        let Ok(q) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        let out = wire::encode(&answer(&zones, &q), wire::udp_limit(&q));
        let _ = udp.send_to(&out, peer).await;
    }
}
