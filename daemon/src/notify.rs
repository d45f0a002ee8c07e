//! systemd's readiness protocol (sd_notify(3)): a datagram to the socket
//! named by `NOTIFY_SOCKET`, when it is set, so that `Type=notify` units
//! start their dependents only once the daemon serves.

use std::ffi::OsStr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Sends `state` (such as `READY=1`, `RELOADING=1` or `STOPPING=1`) to the
/// service manager, if there is one. A failure is logged, never fatal: the
/// daemon serves all the same.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let path = path.as_bytes();
    let sent = UnixDatagram::unbound().and_then(|sock| {
        let addr = match path.strip_prefix(b"@") {
            // An abstract socket.
            Some(name) => SocketAddr::from_abstract_name(name)?,
            None => SocketAddr::from_pathname(OsStr::from_bytes(path))?,
        };
        sock.send_to_addr(state.as_bytes(), &addr)
    });
    if let Err(e) = sent {
        tracing::warn!("cannot notify the service manager: {e}");
    }
}

/// Tells the service manager that the configuration is being reloaded
/// (`RELOADING=1`), with the time of the request on the monotonic clock
/// (`MONOTONIC_USEC=`), which sd_notify(3) asks for so that units of
/// `Type=notify-reload` match the reload to its request. Send
/// `READY=1` when the reload is done.
pub fn reloading() {
    use nix::time::{ClockId, clock_gettime};
    match clock_gettime(ClockId::CLOCK_MONOTONIC) {
        Ok(t) => {
            let usec = t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1_000;
            notify(&format!("RELOADING=1\nMONOTONIC_USEC={usec}"));
        }
        Err(_) => notify("RELOADING=1"),
    }
}
