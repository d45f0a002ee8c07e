//! PROXY protocol headers, sent to the backend before the client's bytes so
//! that the backend sees the real client (HAProxy's "The PROXY protocol",
//! versions 1 and 2, <https://www.haproxy.org/download/3.0/doc/proxy-protocol.txt>).
//!
//! Version 2 (spec §2.2), for TCP over IPv4:
//!
//! ```text
//! +--------------------------------------+----+----+--------+
//! | \r\n\r\n\0\r\nQUIT\n (12 octets)      |0x21|0x11| len=12 |
//! +---------+---------+--------+---------+----+----+--------+
//! | src addr| dst addr| src pt | dst pt  |
//! +---------+---------+--------+---------+
//! ```
//!
//! Headers are built in a fixed array: no allocation per connection.

use core::fmt::{self, Write as _};
use core::net::{IpAddr, SocketAddr};
use core::str::FromStr;

/// The version of the PROXY protocol a route sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// The human-readable header (spec §2.1): `PROXY TCP4 … \r\n`.
    V1,
    /// The binary header (spec §2.2).
    V2,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "v1",
            Version::V2 => "v2",
        })
    }
}

impl FromStr for Version {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "v1" | "1" => Ok(Version::V1),
            "v2" | "2" => Ok(Version::V2),
            _ => Err(()),
        }
    }
}

/// The 12-octet signature that starts a version 2 header (spec §2.2).
pub const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// The longest header this module builds: a version 1 header is at most
/// 107 octets (spec §2.1), a version 2 header for TCP over IPv6 52.
pub const MAX_LEN: usize = 108;

/// A PROXY protocol header, ready to send.
#[derive(Clone, Copy)]
pub struct Header {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Header").field(&self.as_bytes()).finish()
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a dual-stack socket
/// reports IPv4 peers) as the IPv4 address it stands for.
pub fn unmap(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), v6.port()),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}

impl Header {
    /// The header saying that the connection came from `client` to
    /// `local` (the relay's listening address the client reached).
    ///
    /// Mapped addresses are unmapped first. When the two are of different
    /// families, version 1 says `PROXY UNKNOWN` and version 2 uses the
    /// `LOCAL` command with no addresses, which tell the backend to use the
    /// connection's own addresses (spec §2.1, §2.2).
    ///
    /// ```
    /// use v6proxy::relay::proxy_protocol::{Header, Version};
    /// let h = Header::new(Version::V1, "192.0.2.7:40000".parse().unwrap(),
    ///                     "198.51.100.1:443".parse().unwrap());
    /// assert_eq!(h.as_bytes(), b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 443\r\n");
    /// ```
    pub fn new(version: Version, client: SocketAddr, local: SocketAddr) -> Header {
        let (client, local) = (unmap(client), unmap(local));
        let mut h = Header {
            buf: [0; MAX_LEN],
            len: 0,
        };
        match version {
            Version::V1 => {
                let proto = match (client, local) {
                    (SocketAddr::V4(_), SocketAddr::V4(_)) => "TCP4",
                    (SocketAddr::V6(_), SocketAddr::V6(_)) => "TCP6",
                    _ => "",
                };
                if proto.is_empty() {
                    h.push(b"PROXY UNKNOWN\r\n");
                } else {
                    // At most 107 octets (spec §2.1), so this always fits.
                    let _ = write!(
                        h,
                        "PROXY {proto} {} {} {} {}\r\n",
                        client.ip(),
                        local.ip(),
                        client.port(),
                        local.port()
                    );
                }
            }
            Version::V2 => {
                h.push(&V2_SIGNATURE);
                match (client, local) {
                    (SocketAddr::V4(c), SocketAddr::V4(l)) => {
                        // Version 2, PROXY; AF_INET, STREAM; 12 octets.
                        h.push(&[0x21, 0x11, 0, 12]);
                        h.push(&c.ip().octets());
                        h.push(&l.ip().octets());
                        h.push(&c.port().to_be_bytes());
                        h.push(&l.port().to_be_bytes());
                    }
                    (SocketAddr::V6(c), SocketAddr::V6(l)) => {
                        // Version 2, PROXY; AF_INET6, STREAM; 36 octets.
                        h.push(&[0x21, 0x21, 0, 36]);
                        h.push(&c.ip().octets());
                        h.push(&l.ip().octets());
                        h.push(&c.port().to_be_bytes());
                        h.push(&l.port().to_be_bytes());
                    }
                    // Version 2, LOCAL; AF_UNSPEC; no addresses.
                    _ => h.push(&[0x20, 0x00, 0, 0]),
                }
            }
        }
        h
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// The header's octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl fmt::Write for Header {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.len + s.len() > MAX_LEN {
            return Err(fmt::Error);
        }
        self.push(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_ipv4_known_bytes() {
        let h = Header::new(
            Version::V2,
            "192.0.2.7:40000".parse().unwrap(),
            "[::ffff:198.51.100.1]:443".parse().unwrap(),
        );
        let mut want = V2_SIGNATURE.to_vec();
        want.extend_from_slice(&[0x21, 0x11, 0x00, 0x0c]);
        want.extend_from_slice(&[192, 0, 2, 7, 198, 51, 100, 1, 0x9c, 0x40, 0x01, 0xbb]);
        assert_eq!(h.as_bytes(), &want[..]);
    }

    #[test]
    fn v2_ipv6_and_mixed() {
        let c6: SocketAddr = "[2001:db8::1]:1".parse().unwrap();
        let l6: SocketAddr = "[2001:db8::2]:2".parse().unwrap();
        let h = Header::new(Version::V2, c6, l6);
        assert_eq!(h.as_bytes().len(), 16 + 36);
        assert_eq!(&h.as_bytes()[12..16], &[0x21, 0x21, 0, 36]);
        let mixed = Header::new(Version::V2, c6, "192.0.2.1:2".parse().unwrap());
        assert_eq!(&mixed.as_bytes()[12..], &[0x20, 0, 0, 0]);
        let mixed = Header::new(Version::V1, c6, "192.0.2.1:2".parse().unwrap());
        assert_eq!(mixed.as_bytes(), b"PROXY UNKNOWN\r\n");
    }

    #[test]
    fn v1_longest_fits() {
        let a: SocketAddr = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535"
            .parse()
            .unwrap();
        let h = Header::new(Version::V1, a, a);
        // The spec's worst case: 104 octets plus CRLF is within 107.
        assert!(h.as_bytes().len() <= 107, "{}", h.as_bytes().len());
        assert!(h.as_bytes().ends_with(b"65535 65535\r\n"));
    }
}
