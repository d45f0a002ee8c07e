//! What the system says about an interface: its index, link-layer address
//! and MTU from /sys/class/net, its IPv6 addresses from /proc/net/if_inet6.

use core::net::Ipv6Addr;
use std::fs;

use ipnet::Ipv6Net;
use v6ra::config::LinkInfo;

/// The kernel's flag of an address still under duplicate address
/// detection (IFA_F_TENTATIVE), which cannot be used as a source.
const TENTATIVE: u32 = 0x40;

pub(crate) use v6kit_daemon::link::index;

/// Link-layer address, MTU and usable (not tentative) IPv6 addresses of
/// `name`, if it exists.
pub(crate) fn info(name: &str) -> Option<LinkInfo> {
    let dir = format!("/sys/class/net/{name}");
    let mtu = fs::read_to_string(format!("{dir}/mtu"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let link_addr = v6kit_daemon::link::link_addr(name);
    let inet6 = fs::read_to_string("/proc/net/if_inet6").unwrap_or_default();
    Some(LinkInfo {
        link_addr,
        mtu,
        addresses: addresses(&inet6, name),
    })
}

/// The addresses of `name` in the text of /proc/net/if_inet6, whose lines
/// are `ADDRESS(32 hex) INDEX PREFIXLEN SCOPE FLAGS NAME`, leaving out
/// tentative ones.
fn addresses(text: &str, name: &str) -> Vec<Ipv6Net> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 || f[5] != name {
                return None;
            }
            let flags = u32::from_str_radix(f[4], 16).ok()?;
            if flags & TENTATIVE != 0 {
                return None;
            }
            let addr = u128::from_str_radix(f[0], 16).ok()?;
            let len = u8::from_str_radix(f[2], 16).ok()?;
            Ipv6Net::new(Ipv6Addr::from(addr), len).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_if_inet6_lines() {
        let text = "\
fe800000000000000000000000000001 02 40 20 80     eth0
20010db8000100000000000000000001 02 40 00 80     eth0
20010db8000100000000000000000002 02 40 00 c0     eth0
00000000000000000000000000000001 01 80 10 80       lo
";
        let a = addresses(text, "eth0");
        assert_eq!(
            a,
            [
                "fe80::1/64".parse::<Ipv6Net>().unwrap(),
                "2001:db8:1::1/64".parse().unwrap()
            ]
        );
    }
}
