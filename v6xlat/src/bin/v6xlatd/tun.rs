//! The TUN device: one queue per worker, and Tayga's `--mktun`/`--rmtun`.
//!
//! tun-rs does the ioctls; removing a device is one rtnetlink message,
//! written here with socket2 so that the binary needs no `unsafe`.

use std::io::{self, Read as _};
use std::path::Path;

use socket2::{Domain, Protocol, Socket, Type};
use tun_rs::{DeviceBuilder, SyncDevice};

/// The open queues of the device.
pub(crate) struct Queues {
    /// One per worker.
    pub(crate) devices: Vec<SyncDevice>,
    /// Whether the kernel hands over and accepts segmentation-offloaded
    /// packets (with a virtio-net header).
    pub(crate) offload: bool,
    /// The device's MTU.
    pub(crate) mtu: u16,
}

fn exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

/// Whether `name` is a TUN/TAP device (sysfs shows `tun_flags` only for them).
fn is_tun(name: &str) -> bool {
    Path::new("/sys/class/net")
        .join(name)
        .join("tun_flags")
        .exists()
}

fn build(name: &str, multi_queue: bool, offload: bool, existed: bool) -> io::Result<SyncDevice> {
    let builder = DeviceBuilder::new().name(name).with(|b| {
        b.multi_queue(multi_queue);
        b.offload(offload);
    });
    // A device the operator made keeps the state the operator gave it.
    let builder = if existed {
        builder.inherit_enable_state()
    } else {
        builder.enable(true)
    };
    builder.build_sync()
}

/// Opens `name` (creating it if it does not exist) with `workers` queues.
///
/// A device made without multi-queue support (`ip tuntap add` without
/// `multi_queue`) is opened with one queue; offload is turned off where
/// the kernel refuses it.
pub(crate) fn open(name: &str, workers: usize, offload: bool) -> io::Result<Queues> {
    let existed = exists(name);
    let mut tries = vec![(true, offload), (false, offload)];
    if offload {
        tries.extend([(true, false), (false, false)]);
    }
    let mut last = None;
    for (multi_queue, offload) in tries {
        match build(name, multi_queue, offload, existed) {
            Ok(first) => {
                let mtu = first.mtu()?;
                let mut devices = vec![first];
                if multi_queue {
                    for _ in 1..workers {
                        devices.push(devices[0].try_clone()?);
                    }
                } else if workers > 1 {
                    tracing::warn!(
                        "{name} has no multi-queue support; running one worker (make it with `v6xlatd --mktun`)"
                    );
                }
                for d in &devices {
                    d.set_nonblocking(true)?;
                }
                return Ok(Queues {
                    devices,
                    offload,
                    mtu,
                });
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("cannot open the TUN device")))
}

/// Creates `name` as a persistent multi-queue TUN device, as `tayga --mktun`.
pub(crate) fn make(name: &str) -> io::Result<()> {
    if exists(name) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{name} already exists"),
        ));
    }
    let dev = build(name, true, false, true)?;
    dev.persist()
}

/// Removes the TUN device `name`, as `tayga --rmtun`. Refuses any other
/// kind of interface.
pub(crate) fn remove(name: &str) -> io::Result<()> {
    if !exists(name) {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{name} does not exist"),
        ));
    }
    if !is_tun(name) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name} is not a TUN device"),
        ));
    }
    delete_link(name)
}

/// rtnetlink constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h).
const AF_NETLINK: i32 = 16;
const NETLINK_ROUTE: i32 = 0;
const RTM_DELLINK: u16 = 17;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLMSG_ERROR: u16 = 2;
const IFLA_IFNAME: u16 = 3;

/// The RTM_DELLINK request for the interface called `name`.
fn dellink_message(name: &str) -> Vec<u8> {
    let attr_len = 4 + name.len() + 1;
    let total = 16 + 16 + attr_len.next_multiple_of(4);
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_ne_bytes());
    m.extend_from_slice(&RTM_DELLINK.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes()); // sequence
    m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel assigns
    // struct ifinfomsg: family, pad, type, index, flags, change; all zero.
    m.extend_from_slice(&[0; 16]);
    m.extend_from_slice(&(attr_len as u16).to_ne_bytes());
    m.extend_from_slice(&IFLA_IFNAME.to_ne_bytes());
    m.extend_from_slice(name.as_bytes());
    m.resize(total, 0);
    m
}

fn delete_link(name: &str) -> io::Result<()> {
    let sock = Socket::new(
        Domain::from(AF_NETLINK),
        Type::RAW,
        Some(Protocol::from(NETLINK_ROUTE)),
    )?;
    sock.send(&dellink_message(name))?;
    let mut buf = [0u8; 4096];
    let n = (&sock).read(&mut buf)?;
    // struct nlmsghdr, then for NLMSG_ERROR the (negative) errno; 0 is an ack.
    if n >= 20 && u16::from_ne_bytes([buf[4], buf[5]]) == NLMSG_ERROR {
        let errno = i32::from_ne_bytes([buf[16], buf[17], buf[18], buf[19]]);
        return if errno == 0 {
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(-errno))
        };
    }
    Err(io::Error::other("unexpected rtnetlink answer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dellink_message_layout() {
        let m = dellink_message("nat64");
        assert_eq!(m.len(), 16 + 16 + 12);
        assert_eq!(u32::from_ne_bytes(m[0..4].try_into().unwrap()), 44);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), RTM_DELLINK);
        assert_eq!(u16::from_ne_bytes([m[32], m[33]]), 10);
        assert_eq!(u16::from_ne_bytes([m[34], m[35]]), IFLA_IFNAME);
        assert_eq!(&m[36..42], b"nat64\0");
    }
}
