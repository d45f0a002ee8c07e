//! Relaying bytes both ways between the client and the backend until both
//! sides have finished, one fails, or nothing moves for the idle timeout.
//!
//! Small messages are copied through a buffer; once a read fills the buffer
//! (a bulk transfer), that direction switches to splice(2) through a pipe,
//! and the bytes no longer enter user space (nix's safe wrappers; no
//! `unsafe` here). Where splice is refused, or turned off, they are copied
//! all along. Each direction ends by
//! shutting down the sending half of the other socket, so a half-close is
//! relayed as such.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::fcntl::{FcntlArg, OFlag, SpliceFFlags, fcntl, splice};
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::time::Instant;

/// How much one splice moves at most: the size asked for the pipe.
const CHUNK: usize = 256 * 1024;
/// The buffer a direction starts with: enough for requests and responses.
const COPY_BUF: usize = 16 * 1024;
/// The buffer of a direction that copies a bulk transfer.
const BULK_BUF: usize = 128 * 1024;

/// The bytes moved each way, readable while the relay runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Client to backend.
    pub up: AtomicU64,
    /// Backend to client.
    pub down: AtomicU64,
    /// When something last moved, in milliseconds since the relay began.
    last: AtomicU64,
}

/// How a relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Both sides finished sending.
    Done,
    /// A socket failed (such as a reset).
    Failed,
    /// Nothing moved either way for the idle timeout.
    Idle,
}

/// Relays between `client` and `backend` until the end; `splice` allows
/// the zero-copy path for bulk transfers.
pub async fn relay(
    client: &mut TcpStream,
    backend: &mut TcpStream,
    idle: Duration,
    splice: bool,
    progress: &Progress,
) -> End {
    let start = Instant::now();
    let (client_in, client_out) = client.split();
    let (backend_in, backend_out) = backend.split();
    let both = async {
        let up = one_way(
            client_in,
            backend_out,
            splice,
            &progress.up,
            &progress.last,
            start,
        );
        let down = one_way(
            backend_in,
            client_out,
            splice,
            &progress.down,
            &progress.last,
            start,
        );
        match tokio::try_join!(up, down) {
            Ok(_) => End::Done,
            Err(_) => End::Failed,
        }
    };
    let watch = async {
        let mut seen = 0;
        loop {
            tokio::time::sleep_until(start + Duration::from_millis(seen) + idle).await;
            let last = progress.last.load(Ordering::Relaxed);
            if last == seen {
                return End::Idle;
            }
            seen = last;
        }
    };
    tokio::select! {
        end = both => end,
        end = watch => end,
    }
}

/// Moves bytes from `from` to `to` until `from` ends, then shuts down the
/// sending half of `to`.
///
/// Copying goes through tokio's `AsyncRead`/`AsyncWrite`, which take a
/// short read as proof that the socket is drained and so save the read
/// that would only say "would block".
async fn one_way(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    use_splice: bool,
    count: &AtomicU64,
    last: &AtomicU64,
    start: Instant,
) -> io::Result<()> {
    let moved = |n: usize| {
        count.fetch_add(n as u64, Ordering::Relaxed);
        last.store(start.elapsed().as_millis() as u64, Ordering::Relaxed);
    };
    // Small messages (requests and responses of a keep-alive connection)
    // cost fewer system calls through a buffer than through a pipe; a read
    // that fills the buffer means bulk, and from then on this direction
    // splices (as HAProxy's "splice-auto" does).
    let mut buf = vec![0u8; COPY_BUF];
    let mut pipe = None;
    while pipe.is_none() {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            to.shutdown().await?;
            return Ok(());
        }
        to.write_all(&buf[..n]).await?;
        moved(n);
        if n == buf.len() && buf.len() < BULK_BUF {
            pipe = if use_splice { Pipe::new().ok() } else { None };
            buf = if pipe.is_some() {
                Vec::new()
            } else {
                vec![0u8; BULK_BUF]
            };
        }
    }
    let Some(pipe) = pipe else {
        return Ok(());
    };
    let (src, dst): (&TcpStream, &TcpStream) = (from.as_ref(), to.as_ref());
    loop {
        src.readable().await?;
        let n = match src.try_io(Interest::READABLE, || pipe.fill(src)) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        let mut left = n;
        while left > 0 {
            dst.writable().await?;
            match dst.try_io(Interest::WRITABLE, || pipe.drain(dst, left)) {
                Ok(k) => left -= k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        moved(n);
    }
    // Relay the end of the stream as a half-close.
    to.shutdown().await
}

/// A pipe for splice(2): bytes go socket → pipe → socket inside the kernel.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    fn new() -> io::Result<Pipe> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        // A larger pipe moves more per call; the default (64 KiB) if refused.
        let _ = fcntl(&write, FcntlArg::F_SETPIPE_SZ(CHUNK as i32));
        Ok(Pipe { read, write })
    }

    /// Moves what `from` has (up to the pipe's size) into the empty pipe.
    fn fill(&self, from: &TcpStream) -> io::Result<usize> {
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK;
        Ok(splice(from.as_fd(), None, &self.write, None, CHUNK, flags)?)
    }

    /// Moves up to `len` bytes from the pipe to `to`.
    fn drain(&self, to: &TcpStream, len: usize) -> io::Result<usize> {
        let flags = SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK;
        Ok(splice(&self.read, None, to.as_fd(), None, len, flags)?)
    }
}
