//! What the daemons that speak neighbor discovery on an interface
//! (v6rad, v6proxyd ndp) need of it: its index and link-layer address, as
//! /sys/class/net says them, and a raw ICMPv6 socket on it.

use std::fs;
use std::io;

use socket2::{Domain, Protocol, Socket, Type};

/// The index of interface `name`, if it exists.
pub fn index(name: &str) -> Option<u32> {
    fs::read_to_string(format!("/sys/class/net/{name}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A raw ICMPv6 socket on interface `name` (index `index`) for neighbor
/// discovery: bound to the interface, sending with hop limit 255, which
/// receivers require of every neighbor-discovery message (RFC 4861
/// section 6.1 and 7.1), multicast out of this interface and not looped
/// back to the host. Non-blocking; the caller adds what it reads.
pub fn nd_socket(name: &str, index: u32) -> io::Result<Socket> {
    let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
    s.bind_device(Some(name.as_bytes()))?;
    s.set_multicast_hops_v6(255)?;
    s.set_unicast_hops_v6(255)?;
    s.set_multicast_loop_v6(false)?;
    s.set_multicast_if_v6(index)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

/// The link-layer address of interface `name`, if it exists and has one
/// that is not all zeros (a TUN device or loopback has none to announce).
pub fn link_addr(name: &str) -> Option<Vec<u8>> {
    let text = fs::read_to_string(format!("/sys/class/net/{name}/address")).ok()?;
    parse_mac(text.trim()).filter(|a| a.iter().any(|&b| b != 0))
}

/// `aa:bb:cc:dd:ee:ff` (of any length) as bytes.
fn parse_mac(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() {
        return None;
    }
    text.split(':')
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_link_layer_addresses() {
        assert_eq!(parse_mac("02:00:00:00:00:01"), Some(vec![2, 0, 0, 0, 0, 1]));
        assert_eq!(parse_mac("zz"), None);
        assert_eq!(parse_mac(""), None);
        assert_eq!(link_addr("lo"), None);
        assert_eq!(index("lo"), Some(1));
    }
}
