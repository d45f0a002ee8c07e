//! The lab's web sites: a small HTTP server that answers every request
//! with one line naming the site, the `Host` the client asked for and the
//! address the connection came from — which shows what NAT64 and the relay
//! did to it. The lab runs it inside a namespace as `lab web ADDR SITE`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

/// The most a request's header may take.
const MAX_HEADER: usize = 8192;

/// Serves `site` on `listen` until killed.
pub(crate) fn serve(listen: SocketAddr, site: &str) -> ExitCode {
    let listener = match TcpListener::bind(listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("lab web: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let site = site.to_owned();
        std::thread::spawn(move || {
            if let Err(e) = answer(stream, &site) {
                eprintln!("lab web: {e}");
            }
        });
    }
    ExitCode::SUCCESS
}

/// Reads one request's header and answers it (HTTP/1.1, RFC 9112), then
/// closes the connection.
fn answer(mut stream: TcpStream, site: &str) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let peer = stream.peer_addr()?.ip().to_canonical();
    let mut header = Vec::new();
    let mut buf = [0u8; 1024];
    while !header.windows(4).any(|w| w == b"\r\n\r\n") && header.len() < MAX_HEADER {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        header.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&header);
    let host = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map_or("", |(_, value)| value.trim());
    let body = format!("hello from {site} at {host}; your address is {peer}\n");
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}
