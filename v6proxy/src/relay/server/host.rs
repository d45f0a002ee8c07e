//! The host's own IPv6 addresses, which the relay refuses as backends
//! unless a /128 backend prefix lists them.

use std::net::Ipv6Addr;

/// Every IPv6 address on the host's interfaces now.
pub fn addresses() -> std::io::Result<Vec<Ipv6Addr>> {
    let mut out = Vec::new();
    for ifa in nix::ifaddrs::getifaddrs()? {
        if let Some(a) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in6()) {
            out.push(a.ip());
        }
    }
    Ok(out)
}
