//! The IPv6 source address that carries the client's IPv4 address, so that
//! the backend sees the client without any protocol change.
//!
//! The relay connects to the backend from `prefix + client` in the RFC 6052
//! §2.2 layout (with a /96, the IPv4 address is the last 32 bits). The host
//! must own the whole prefix: it is routed to the host, and locally to the
//! loopback device on the host (`ip -6 route add local <prefix> dev lo`),
//! and the outgoing socket is bound with `IPV6_FREEBIND`.

use core::net::{IpAddr, Ipv6Addr, SocketAddr};

use v6core::Pref64;

use super::proxy_protocol::unmap;

/// The address to connect from for `client`: the client's IPv4 address
/// embedded in `prefix`; `None` for a client that is not IPv4 (which keeps
/// the host's own source address).
///
/// ```
/// use v6proxy::relay::source::embedded_source;
/// let p = "2001:db8:64::/96".parse().unwrap();
/// let a = embedded_source(&p, "192.0.2.33:5000".parse().unwrap());
/// assert_eq!(a, Some("2001:db8:64::c000:221".parse().unwrap()));
/// ```
pub fn embedded_source(prefix: &Pref64, client: SocketAddr) -> Option<Ipv6Addr> {
    match unmap(client).ip() {
        IpAddr::V4(v4) => Some(prefix.embed(v4)),
        IpAddr::V6(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_clients_are_embedded_and_ipv6_clients_are_not() {
        let p: Pref64 = "2001:db8:64::/96".parse().unwrap();
        assert_eq!(
            embedded_source(&p, "[::ffff:198.51.100.9]:1".parse().unwrap()),
            Some("2001:db8:64::c633:6409".parse().unwrap())
        );
        assert_eq!(
            embedded_source(&p, "[2001:db8::1]:1".parse().unwrap()),
            None
        );
    }
}
