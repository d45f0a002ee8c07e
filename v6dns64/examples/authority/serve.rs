//! The authority itself: answers from zone files over UDP and TCP. The
//! `authority` example runs it on an address of your choice; the server
//! tests run it on a free port of their own.

use std::sync::Arc;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use v6dns64::{Zone, wire};

/// The answer to `q` from the most specific of `zones` that holds its name
/// (the first zone when none does).
pub(crate) fn answer(zones: &[Zone], q: &Message) -> Message {
    let zone = q.queries.first().and_then(|q| {
        zones
            .iter()
            .filter(|z| z.contains(q.name()))
            .max_by_key(|z| z.origin().num_labels())
    });
    zone.unwrap_or(&zones[0]).answer(q)
}

/// Answers queries on `udp` and on connections to `tcp` from `zones`
/// (which must not be empty), for ever. UDP answers that do not fit the
/// query's size are truncated, so clients retry over TCP; over TCP each
/// message has its two-byte length (RFC 1035 section 4.2.2).
pub(crate) async fn serve(udp: UdpSocket, tcp: TcpListener, zones: Arc<Vec<Zone>>) {
    let z = zones.clone();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = tcp.accept().await else {
                continue;
            };
            tokio::spawn(serve_connection(s, z.clone()));
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

async fn serve_connection(mut s: tokio::net::TcpStream, zones: Arc<Vec<Zone>>) {
    while let Ok(len) = s.read_u16().await {
        let mut buf = vec![0u8; usize::from(len)];
        if s.read_exact(&mut buf).await.is_err() {
            return;
        }
        let Ok(q) = Message::from_vec(&buf) else {
            return;
        };
        let out = wire::encode(&answer(&zones, &q), usize::from(u16::MAX));
        let mut framed = (out.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&out);
        if s.write_all(&framed).await.is_err() {
            return;
        }
    }
}
