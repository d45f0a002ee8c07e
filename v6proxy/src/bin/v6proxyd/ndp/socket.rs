//! The NDP proxy's sockets on one interface: a packet socket that reads
//! the neighbor solicitations and advertisements arriving there, whatever
//! multicast group they are sent to, and a raw ICMPv6 socket that sends.
//!
//! Why a packet socket: see the `v6proxy::ndp` module documentation. The
//! packet socket is AF_PACKET/SOCK_DGRAM for IPv6 only, so that what is
//! read starts at the IPv6 header, with a classic BPF filter (attached
//! with socket2's safe `attach_filter`) that keeps ICMPv6 types 135 and
//! 136 arriving on this interface and nothing that the host itself sends.

use core::net::{Ipv6Addr, SocketAddrV6};
use std::io::{self, Read};

use socket2::{Domain, Protocol, SockAddr, SockFilter, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// ETH_P_IPV6.
const ETH_P_IPV6: u16 = 0x86dd;

/// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS: u16 = 0x20;
const LD_B_ABS: u16 = 0x30;
const JEQ_K: u16 = 0x15;
const RET_K: u16 = 0x06;
/// Where the ancillary data lives for `LD_W_ABS` (SKF_AD_OFF, -0x1000) and
/// the offsets of the packet type and the arriving interface's index.
const SKF_AD_OFF: u32 = 0xffff_f000;
const SKF_AD_PKTTYPE: u32 = 4;
const SKF_AD_IFINDEX: u32 = 8;
/// PACKET_OUTGOING: a packet the host sends, looped back to packet sockets.
const PACKET_OUTGOING: u32 = 4;

/// The filter: on interface `index`, not outgoing, next header ICMPv6 (58)
/// at offset 6 of the IPv6 header, ICMPv6 type 135 or 136 at offset 40.
pub(crate) fn filter(index: u32) -> [SockFilter; 11] {
    [
        /* 0 */ SockFilter::new(LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_IFINDEX),
        /* 1 */ SockFilter::new(JEQ_K, 0, 8, index),
        /* 2 */ SockFilter::new(LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_PKTTYPE),
        /* 3 */ SockFilter::new(JEQ_K, 6, 0, PACKET_OUTGOING),
        /* 4 */ SockFilter::new(LD_B_ABS, 0, 0, 6),
        /* 5 */ SockFilter::new(JEQ_K, 0, 4, 58),
        /* 6 */ SockFilter::new(LD_B_ABS, 0, 0, 40),
        /* 7 */ SockFilter::new(JEQ_K, 1, 0, 135),
        /* 8 */ SockFilter::new(JEQ_K, 0, 1, 136),
        /* 9 */ SockFilter::new(RET_K, 0, 0, 0xffff),
        /* 10 */ SockFilter::new(RET_K, 0, 0, 0),
    ]
}

/// Reads neighbor-discovery packets arriving on one interface.
///
/// The socket is registered with tokio as a `UdpSocket`, which only waits
/// for readiness (as v6rad does); every read goes through socket2.
pub(crate) struct Listener {
    fd: UdpSocket,
}

impl Listener {
    /// Opens the packet socket for interface `index`.
    pub(crate) fn open(index: u32) -> io::Result<Self> {
        let protocol = Protocol::from(i32::from(ETH_P_IPV6.to_be()));
        let s = Socket::new(Domain::PACKET, Type::DGRAM, Some(protocol))?;
        s.attach_filter(&filter(index))?;
        s.set_nonblocking(true)?;
        // What arrived before the filter was attached may be from any
        // interface: throw it away.
        let mut buf = [0u8; 2048];
        while (&s).read(&mut buf).is_ok() {}
        Ok(Listener {
            fd: UdpSocket::from_std(std::net::UdpSocket::from(s))?,
        })
    }

    /// Waits for the next packet and returns it (from the IPv6 header on).
    pub(crate) async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd
            .async_io(Interest::READABLE, || {
                // `Read` for `&Socket` is socket2's safe `recv` into `&mut [u8]`.
                (&*SockRef::from(&self.fd)).read(buf)
            })
            .await
    }
}

/// Sends neighbor-discovery messages out of one interface.
pub(crate) struct Sender {
    socket: Socket,
    index: u32,
}

impl Sender {
    /// Opens a raw ICMPv6 socket bound to interface `name` (index `index`),
    /// sending with hop limit 255 (RFC 4861 section 7.1).
    pub(crate) fn open(name: &str, index: u32) -> io::Result<Self> {
        let s = v6kit_daemon::link::nd_socket(name, index)?;
        // The socket only sends; ICMPv6 that arrives for the host would
        // queue here unread, so keep the queue at the kernel's minimum.
        s.set_recv_buffer_size(1)?;
        Ok(Sender { socket: s, index })
    }

    /// Sends the ICMPv6 `message` to `destination`; the kernel chooses the
    /// source address and fills in the checksum.
    pub(crate) fn send(&self, message: &[u8], destination: Ipv6Addr) -> io::Result<()> {
        let to = SockAddr::from(SocketAddrV6::new(destination, 0, 0, self.index));
        self.socket.send_to(message, &to).map(drop)
    }
}
