//! A raw ICMPv6 socket bound to one interface (RFC 4861 section 6.2.2:
//! joined to all-routers, sending with hop limit 255), and the ancillary
//! data it needs: the hop limit of what arrives (IPV6_HOPLIMIT), the
//! source address and interface of what leaves (IPV6_PKTINFO).

use core::net::{Ipv6Addr, SocketAddrV6};
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;

use socket2::{MaybeUninitSlice, MsgHdr, MsgHdrMut, SockAddr, SockRef};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::sys;

/// The all-routers multicast address, ff02::2.
pub(crate) const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);

/// Linux's IPPROTO_IPV6, IPV6_PKTINFO and IPV6_HOPLIMIT.
const IPPROTO_IPV6: i32 = 41;
const IPV6_PKTINFO: i32 = 50;
const IPV6_HOPLIMIT: i32 = 52;

/// The size of a `struct cmsghdr` and the alignment of what follows it
/// (Linux, 64- and 32-bit).
const CMSG_HDR: usize = core::mem::size_of::<usize>() + 8;
const CMSG_ALIGN: usize = core::mem::size_of::<usize>();

/// The largest message read whole: a jumbo frame's worth. Advertisements
/// are far smaller; a longer message of another type is cut, which only
/// matters to its own type.
const MAX_MESSAGE: usize = 9216;

/// A message that arrived.
pub(crate) struct Received<'a> {
    /// The ICMPv6 message.
    pub(crate) data: &'a [u8],
    /// The sender.
    pub(crate) source: Ipv6Addr,
    /// The IPv6 hop limit it arrived with, if the kernel said.
    pub(crate) hop_limit: Option<u8>,
}

/// A raw ICMPv6 socket on one interface.
///
/// It is registered with tokio as a `UdpSocket`, which only waits for
/// readiness; every read and write goes through socket2.
pub(crate) struct IcmpSocket {
    fd: UdpSocket,
    index: u32,
}

impl IcmpSocket {
    /// Opens the socket on interface `name` (index `index`), joined to
    /// `groups`.
    pub(crate) fn open(name: &str, index: u32, groups: &[Ipv6Addr]) -> io::Result<Self> {
        let s = v6kit_daemon::link::nd_socket(name, index)?;
        for group in groups {
            s.join_multicast_v6(group, index)?;
        }
        s.set_recv_hoplimit_v6(true)?;
        Ok(IcmpSocket {
            fd: UdpSocket::from_std(std::net::UdpSocket::from(s))?,
            index,
        })
    }

    /// Sends `message` to `destination` from `source` (the kernel fills
    /// in the ICMPv6 checksum of raw ICMPv6 sockets).
    pub(crate) async fn send(
        &self,
        message: &[u8],
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) -> io::Result<()> {
        let to = SockAddr::from(SocketAddrV6::new(destination, 0, 0, self.index));
        let control = pktinfo(source, self.index);
        let bufs = [IoSlice::new(message)];
        self.fd
            .async_io(Interest::WRITABLE, || {
                let msg = MsgHdr::new()
                    .with_addr(&to)
                    .with_buffers(&bufs)
                    .with_control(&control);
                SockRef::from(&self.fd).sendmsg(&msg, 0)
            })
            .await
            .map(drop)
    }

    /// Waits for the next message and passes it to `f`.
    pub(crate) async fn recv<T>(&self, f: impl FnOnce(Received<'_>) -> T) -> io::Result<T> {
        let mut data = [MaybeUninit::<u8>::uninit(); MAX_MESSAGE];
        let mut control = [MaybeUninit::<u8>::uninit(); 64];
        let mut from = SockAddr::from(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0));
        let (len, control_len) = self
            .fd
            .async_io(Interest::READABLE, || {
                let mut bufs = [MaybeUninitSlice::new(&mut data)];
                let mut msg = MsgHdrMut::new()
                    .with_addr(&mut from)
                    .with_buffers(&mut bufs)
                    .with_control(&mut control);
                let len = SockRef::from(&self.fd).recvmsg(&mut msg, 0)?;
                Ok((len, msg.control_len()))
            })
            .await?;
        let source = from
            .as_socket_ipv6()
            .map_or(Ipv6Addr::UNSPECIFIED, |a| *a.ip());
        let hop_limit = hop_limit(sys::written(&control, control_len.min(control.len())));
        Ok(f(Received {
            data: sys::written(&data, len.min(data.len())),
            source,
            hop_limit,
        }))
    }
}

/// An IPV6_PKTINFO control message: `struct in6_pktinfo { in6_addr
/// ipi6_addr; unsigned ipi6_ifindex; }` after a `struct cmsghdr`.
fn pktinfo(source: Ipv6Addr, index: u32) -> Vec<u8> {
    let len = CMSG_HDR + 20;
    let mut c = Vec::with_capacity(len.next_multiple_of(CMSG_ALIGN));
    c.extend_from_slice(&len.to_ne_bytes());
    c.extend_from_slice(&IPPROTO_IPV6.to_ne_bytes());
    c.extend_from_slice(&IPV6_PKTINFO.to_ne_bytes());
    c.extend_from_slice(&source.octets());
    c.extend_from_slice(&index.to_ne_bytes());
    c.resize(len.next_multiple_of(CMSG_ALIGN), 0);
    c
}

/// The hop limit in the control messages `control`, if there is one.
fn hop_limit(mut control: &[u8]) -> Option<u8> {
    while control.len() >= CMSG_HDR {
        const WORD: usize = core::mem::size_of::<usize>();
        let len = usize::from_ne_bytes(control[..WORD].try_into().ok()?);
        let at = WORD;
        let level = i32::from_ne_bytes(control[at..at + 4].try_into().ok()?);
        let kind = i32::from_ne_bytes(control[at + 4..at + 8].try_into().ok()?);
        if len < CMSG_HDR || len > control.len() {
            return None;
        }
        if level == IPPROTO_IPV6 && kind == IPV6_HOPLIMIT && len >= CMSG_HDR + 4 {
            let v = i32::from_ne_bytes(control[CMSG_HDR..CMSG_HDR + 4].try_into().ok()?);
            return u8::try_from(v).ok();
        }
        control = &control[len.next_multiple_of(CMSG_ALIGN).min(control.len())..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hop_limit_among_control_messages() {
        let mut c = pktinfo(Ipv6Addr::LOCALHOST, 7);
        let len = CMSG_HDR + 4;
        c.extend_from_slice(&len.to_ne_bytes());
        c.extend_from_slice(&IPPROTO_IPV6.to_ne_bytes());
        c.extend_from_slice(&IPV6_HOPLIMIT.to_ne_bytes());
        c.extend_from_slice(&255i32.to_ne_bytes());
        c.resize(c.len().next_multiple_of(CMSG_ALIGN), 0);
        assert_eq!(hop_limit(&c), Some(255));
        assert_eq!(hop_limit(&c[..CMSG_HDR]), None);
        assert_eq!(hop_limit(&[]), None);
    }
}
