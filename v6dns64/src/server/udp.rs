//! The UDP workers: batches of queries in, batches of replies out.
//!
//! Each worker thread blocks in `recvmmsg(2)` until at least one datagram
//! is there and takes up to [`BATCH`] at once; the replies it can make at
//! once (the reply cache, static zones, cached upstream answers) go back in
//! one `sendmmsg(2)`. Under load that is two system calls per batch rather
//! than per query, which is where a cache-hit answer spends most of its
//! time. Queries that need the upstreams become tasks on the runtime and
//! are answered with their own `send_to`.

use std::io::{IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hickory_proto::op::Message;
use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg, setsockopt,
    sockopt,
};
use tokio::sync::mpsc;

use super::metrics::inc;
use super::replies::QueryKey;
use super::{Server, wire};

/// Datagrams taken per `recvmmsg`.
pub const BATCH: usize = 32;

/// The largest query read; longer ones are cut and get FORMERR.
const QUERY_MAX: usize = 4096;

/// How often an idle worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// The receive buffer asked for (the kernel caps it at `rmem_max`), so
/// that bursts wait in the queue instead of being dropped.
const RCVBUF: usize = 4 << 20;

/// Prepares `sock` for [`serve`]: blocking, with a read timeout so that
/// workers see the stop flag, and a large receive buffer.
pub fn prepare(sock: &UdpSocket) -> std::io::Result<()> {
    sock.set_nonblocking(false)?;
    sock.set_read_timeout(Some(POLL))?;
    // Best effort: the default buffer still works, only drops sooner.
    let _ = setsockopt(sock, sockopt::RcvBuf, &RCVBUF);
    Ok(())
}

/// One worker: answers queries on `sock` until `stop` is set.
pub fn serve(
    sock: &Arc<UdpSocket>,
    server: &Arc<Server>,
    runtime: &tokio::runtime::Handle,
    stop: &AtomicBool,
    done: &mpsc::Sender<()>,
) {
    let fd = sock.as_raw_fd();
    let mut bufs = vec![[0u8; QUERY_MAX]; BATCH];
    let mut recv_headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut send_headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
    let mut got: Vec<(usize, Option<SocketAddr>)> = Vec::with_capacity(BATCH);
    let mut replies: Vec<Vec<u8>> = Vec::with_capacity(BATCH);
    let mut peers: Vec<Option<SockaddrStorage>> = Vec::with_capacity(BATCH);
    while !stop.load(Ordering::Relaxed) {
        got.clear();
        {
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = bufs
                .iter_mut()
                .map(|b| [IoSliceMut::new(&mut b[..])])
                .collect();
            match recvmmsg(
                fd,
                &mut recv_headers,
                iovs.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(results) => {
                    for r in results {
                        got.push((r.bytes, r.address.and_then(|a| to_std(&a))));
                    }
                }
                // The poll timeout, ICMP errors for earlier replies and the
                // like: keep going.
                Err(_) => continue,
            }
        }
        replies.clear();
        peers.clear();
        for (i, &(n, peer)) in got.iter().enumerate() {
            let Some(peer) = peer else { continue };
            inc(&server.metrics.queries_udp);
            if let Some(out) = answer(
                sock,
                server,
                runtime,
                done,
                &bufs[i][..n.min(QUERY_MAX)],
                peer,
            ) {
                replies.push(out);
                peers.push(Some(SockaddrStorage::from(peer)));
            }
        }
        send_all(fd, &mut send_headers, &replies, &peers);
    }
}

/// Sends `replies[i]` to `peers[i]`, in as few `sendmmsg` calls as the
/// kernel allows.
fn send_all(
    fd: i32,
    headers: &mut MultiHeaders<SockaddrStorage>,
    replies: &[Vec<u8>],
    peers: &[Option<SockaddrStorage>],
) {
    let mut from = 0;
    while from < replies.len() {
        let iovs: Vec<[IoSlice<'_>; 1]> =
            replies[from..].iter().map(|r| [IoSlice::new(r)]).collect();
        let no_cmsgs: [ControlMessage<'_>; 0] = [];
        match sendmmsg(
            fd,
            headers,
            &iovs,
            &peers[from..],
            no_cmsgs,
            MsgFlags::empty(),
        ) {
            Ok(sent) => {
                let n = sent.count();
                if n == 0 {
                    return;
                }
                from += n;
            }
            // A reply that cannot be sent (the peer's address is bad, the
            // buffer is full): skip it, send the rest.
            Err(_) => from += 1,
        }
    }
}

fn to_std(a: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// The reply to one datagram if it can be made at once; otherwise the
/// query goes to a task (which sends its own reply) and `None` is returned.
fn answer(
    sock: &Arc<UdpSocket>,
    server: &Arc<Server>,
    runtime: &tokio::runtime::Handle,
    done: &mpsc::Sender<()>,
    bytes: &[u8],
    peer: SocketAddr,
) -> Option<Vec<u8>> {
    let policy = server.dns64.policy();
    let key = if policy.allows(peer.ip()) {
        QueryKey::of(bytes, policy.rule_for(peer.ip()))
    } else {
        None
    };
    if let Some(k) = &key {
        if let Some((out, synthesized)) = server.replies.get(k, bytes, Instant::now()) {
            inc(&server.metrics.reply_cache_hits);
            if synthesized {
                inc(&server.metrics.synthesized);
            }
            return Some(out);
        }
    }
    let (action, limit) = server.start(bytes, peer.ip());
    let mut synthesized = false;
    match server.advance(action, &mut synthesized) {
        Ok(Some(m)) => Some(encode(server, &m, limit, key, synthesized)),
        Ok(None) => None,
        Err(p) => {
            let (sock, server, done) = (sock.clone(), server.clone(), done.clone());
            runtime.spawn(async move {
                let mut synthesized = false;
                if let Some(m) = server.finish(p, &mut synthesized).await {
                    let out = encode(&server, &m, limit, key, synthesized);
                    // A UDP send does not wait for the peer.
                    let _ = sock.send_to(&out, peer);
                }
                drop(done);
            });
            None
        }
    }
}

/// Encodes a reply for UDP; keeps it for the next identical query when the
/// query had a [`QueryKey`] and the reply was not truncated.
fn encode(
    server: &Server,
    m: &Message,
    limit: usize,
    key: Option<QueryKey>,
    synthesized: bool,
) -> Vec<u8> {
    let out = wire::encode(m, limit);
    if out.len() > 2 && out[2] & 0x02 != 0 {
        inc(&server.metrics.truncated);
    } else if let Some(key) = key {
        server
            .replies
            .insert(key, &out, synthesized, Instant::now());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::SockaddrLike;

    #[test]
    fn addresses_convert_both_ways() {
        for s in ["192.0.2.1:53", "[2001:db8::1]:5353"] {
            let a: SocketAddr = s.parse().unwrap();
            let storage = SockaddrStorage::from(a);
            assert_eq!(to_std(&storage), Some(a));
            assert!(storage.len() > 0);
        }
    }
}
