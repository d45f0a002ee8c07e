//! One client connection: first bytes, route, backend, relay.

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::atomic::Ordering;
use std::time::Instant;

use socket2::{Domain, Protocol as SockProtocol, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use super::pump::{self, End, Progress};
use super::{Outcome, Relay};
use crate::relay::HostName;
use crate::relay::peek::{Peek, Protocol, Refusal, peek};
use crate::relay::proxy_protocol::Header;
use crate::relay::route::{Decision, Denied, Target};
use crate::relay::source::embedded_source;

/// What the log line and the counters say about a connection.
#[derive(Debug)]
pub struct Record {
    start: Instant,
    /// The client.
    pub client: SocketAddr,
    /// The server name, once known.
    pub name: Option<HostName>,
    /// The backend, once chosen.
    pub backend: Option<SocketAddrV6>,
    /// How it ended.
    pub outcome: Outcome,
}

impl Record {
    /// A record of a connection from `client` that begins now.
    pub fn new(client: SocketAddr) -> Record {
        Record {
            start: Instant::now(),
            client,
            name: None,
            backend: None,
            outcome: Outcome::ClosedEarly,
        }
    }

    /// Counts the connection and writes its log line.
    pub fn finish(&self, metrics: &super::Metrics, progress: &Progress) {
        let up = progress.up.load(Ordering::Relaxed);
        let down = progress.down.load(Ordering::Relaxed);
        metrics.record(self.outcome, up, down);
        let name = self.name.as_ref().map_or("-", HostName::as_str);
        let backend = self
            .backend
            .map_or_else(|| "-".to_owned(), |b| b.to_string());
        tracing::info!(
            "client={} name={name} backend={backend} up={up} down={down} duration_ms={} outcome={}",
            crate::relay::proxy_protocol::unmap(self.client),
            self.start.elapsed().as_millis(),
            self.outcome
        );
    }
}

/// Serves one client connection, noting in `record` what happened.
pub async fn handle(relay: &Relay, client: TcpStream, record: &mut Record, progress: &Progress) {
    relay.metrics.active.fetch_add(1, Ordering::Relaxed);
    record.outcome = serve(relay, client, record, progress).await;
    relay.metrics.active.fetch_sub(1, Ordering::Relaxed);
}

async fn serve(
    relay: &Relay,
    mut client: TcpStream,
    record: &mut Record,
    progress: &Progress,
) -> Outcome {
    let routing = relay.routing();
    let config = &routing.config;
    let _ = client.set_nodelay(true);
    let Ok(local) = client.local_addr() else {
        return Outcome::ClosedEarly;
    };

    // 1. The first bytes, until they name a server.
    let limits = config.limits;
    let mut buf = vec![0u8; limits.buffer_len()];
    let mut len = 0;
    let deadline = tokio::time::Instant::now() + config.timeouts.first_bytes;
    let name = loop {
        match tokio::time::timeout_at(deadline, client.read(&mut buf[len..])).await {
            Err(_) => return Outcome::FirstBytesTimeout,
            Ok(Err(_) | Ok(0)) => return Outcome::ClosedEarly,
            Ok(Ok(n)) => len += n,
        }
        // An upper-case first letter is HTTP, and is told why.
        let http = buf[0].is_ascii_uppercase().then_some(Protocol::Http);
        match peek(&buf[..len], &limits) {
            Peek::NeedMore if len == buf.len() => {
                let r = if http.is_some() {
                    Refusal::HeadTooLarge
                } else {
                    Refusal::HelloTooLarge
                };
                return refuse(&mut client, http, Outcome::Refused(r)).await;
            }
            Peek::NeedMore => {}
            Peek::Found(protocol, name) => break (protocol, name),
            Peek::Refused(r) => return refuse(&mut client, http, Outcome::Refused(r)).await,
        }
    };
    let (protocol, name) = name;
    record.name = Some(name.clone());

    // 2. The backend.
    let target = match routing.router.route(&name, local.port()) {
        Decision::Connect(t) => t,
        Decision::Resolve { port, proxy } => {
            let Some(resolver) = &routing.resolver else {
                return Outcome::Denied(Denied::NoRoute);
            };
            match resolver.aaaa(&name, config.timeouts.connect).await {
                Ok(addrs) => match routing.router.pick(&addrs, port, proxy) {
                    Ok(t) => t,
                    Err(d) => return refuse(&mut client, Some(protocol), Outcome::Denied(d)).await,
                },
                Err(e) => {
                    tracing::debug!("resolving {name}: {e:?}");
                    let d = Outcome::Denied(Denied::ResolveFailed);
                    return refuse(&mut client, Some(protocol), d).await;
                }
            }
        }
        Decision::Refuse(d) => {
            return refuse(&mut client, Some(protocol), Outcome::Denied(d)).await;
        }
    };
    record.backend = Some(target.addr);

    // 3. Connect, from the client's embedded address if configured.
    let source = config
        .embed_source
        .as_ref()
        .and_then(|p| embedded_source(p, record.client));
    let backend = match tokio::time::timeout(config.timeouts.connect, connect(target, source)).await
    {
        Err(_) => return Outcome::ConnectTimeout,
        Ok(Err(e)) => {
            tracing::debug!("connecting to {}: {e}", target.addr);
            return Outcome::ConnectFailed;
        }
        Ok(Ok(s)) => s,
    };
    let _ = backend.set_nodelay(true);

    // 4. The PROXY header, then the bytes already read.
    let mut first = Vec::with_capacity(len + 108);
    if let Some(v) = target.proxy {
        first.extend_from_slice(Header::new(v, record.client, local).as_bytes());
    }
    first.extend_from_slice(&buf[..len]);
    drop(buf);
    let mut backend = backend;
    if backend.write_all(&first).await.is_err() {
        return Outcome::Reset;
    }
    progress.up.fetch_add(len as u64, Ordering::Relaxed);

    // 5. Both ways until the end.
    match pump::relay(
        &mut client,
        &mut backend,
        config.timeouts.idle,
        config.splice,
        progress,
    )
    .await
    {
        End::Done => Outcome::Relayed,
        End::Failed => Outcome::Reset,
        End::Idle => Outcome::Idle,
    }
}

/// Connects to `target`, from `source` if given (bound with
/// `IPV6_FREEBIND`, since the address is routed to the host but not
/// configured on an interface).
async fn connect(target: Target, source: Option<Ipv6Addr>) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV6, Type::STREAM, Some(SockProtocol::TCP))?;
    socket.set_nonblocking(true)?;
    if let Some(src) = source {
        socket.set_freebind_v6(true)?;
        socket.bind(&SocketAddr::new(IpAddr::V6(src), 0).into())?;
    }
    let socket = TcpSocket::from_std_stream(socket.into());
    socket.connect(SocketAddr::V6(target.addr)).await
}

/// Ends a refused connection. An HTTP client is told why with a status
/// line (400, or 421 Misdirected Request when the name has no backend,
/// RFC 9110 §15.5.20); a TLS client just sees the connection close.
async fn refuse(client: &mut TcpStream, protocol: Option<Protocol>, outcome: Outcome) -> Outcome {
    let status = match (protocol, outcome) {
        (Some(Protocol::Http), Outcome::Denied(_)) => Some("421 Misdirected Request"),
        (Some(Protocol::Http), _) => Some("400 Bad Request"),
        _ => None,
    };
    if let Some(status) = status {
        let response =
            format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            client.write_all(response.as_bytes()),
        )
        .await;
        let _ = client.shutdown().await;
    }
    outcome
}
