//! What the system says about interfaces: index and link-layer address
//! from /sys/class/net, the host's IPv6 addresses from /proc/net/if_inet6,
//! names from indexes for routes.

use core::net::Ipv6Addr;
use std::fs;

pub(crate) use v6kit_daemon::link::{index, link_addr};

/// The interface's name from its index, if it exists.
pub(crate) fn name(index: u32) -> Option<String> {
    fs::read_dir("/sys/class/net")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| self::index(n) == Some(index))
}

/// Every IPv6 address of the host, on any interface.
pub(crate) fn local_addresses() -> Vec<Ipv6Addr> {
    addresses(&fs::read_to_string("/proc/net/if_inet6").unwrap_or_default())
}

/// The addresses in the text of /proc/net/if_inet6, whose lines start with
/// the address as 32 hexadecimal digits.
fn addresses(text: &str) -> Vec<Ipv6Addr> {
    text.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|hex| u128::from_str_radix(hex, 16).ok())
        .map(Ipv6Addr::from)
        .collect()
}

/// Sets /proc/sys/net/ipv6/conf/`iface`/`setting` to `value`, returning
/// what it was.
pub(crate) fn set_conf(iface: &str, setting: &str, value: &str) -> std::io::Result<String> {
    let path = format!("/proc/sys/net/ipv6/conf/{iface}/{setting}");
    let old = fs::read_to_string(&path)?;
    fs::write(&path, value)?;
    Ok(old.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_if_inet6() {
        let text = "\
fe800000000000000000000000000001 02 40 20 80     eth0
20010db8000000000000000000000002 02 40 00 80     eth0
";
        assert_eq!(
            addresses(text),
            [
                "fe80::1".parse::<Ipv6Addr>().unwrap(),
                "2001:db8::2".parse().unwrap()
            ]
        );
    }
}
