//! The prefixes of the host's own interfaces, which are allowed to query
//! when no `--allow` is given: the server is never an open resolver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// Loopback (`127.0.0.0/8`, `::1/128`) and the on-link prefixes of the
/// host's interfaces: IPv6 from `/proc/net/if_inet6`, IPv4 from the
/// directly connected routes of `/proc/net/route`. Files that cannot be
/// read add nothing.
pub fn default_allow() -> Vec<IpNet> {
    let mut out = vec![
        IpNet::V4(Ipv4Net::new(Ipv4Addr::new(127, 0, 0, 0), 8).expect("valid")),
        IpNet::V6(Ipv6Net::new(Ipv6Addr::LOCALHOST, 128).expect("valid")),
    ];
    if let Ok(s) = std::fs::read_to_string("/proc/net/if_inet6") {
        out.extend(parse_if_inet6(&s));
    }
    if let Ok(s) = std::fs::read_to_string("/proc/net/route") {
        out.extend(parse_route(&s));
    }
    out.sort();
    out.dedup();
    out
}

/// `/proc/net/if_inet6`: address (32 hex digits), ifindex, prefix length
/// (hex), scope, flags, name.
fn parse_if_inet6(s: &str) -> Vec<IpNet> {
    s.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let addr = u128::from_str_radix(f.first()?, 16).ok()?;
            let len = u8::from_str_radix(f.get(2)?, 16).ok()?;
            let net = Ipv6Net::new(Ipv6Addr::from(addr), len).ok()?.trunc();
            Some(IpNet::V6(net))
        })
        .collect()
}

/// `/proc/net/route`: interface, destination, gateway, flags, …, mask, with
/// addresses as little-endian hex; on-link routes have gateway 0.
fn parse_route(s: &str) -> Vec<IpNet> {
    s.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?.swap_bytes();
            let gw = u32::from_str_radix(f.get(2)?, 16).ok()?;
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?.swap_bytes();
            if gw != 0 || mask == 0 {
                return None;
            }
            let len = u8::try_from(mask.count_ones()).ok()?;
            Ipv4Net::new(Ipv4Addr::from(dest), len).ok().map(IpNet::V4)
        })
        .collect()
}

/// Whether `addr` is inside any of `nets`.
pub fn contains(nets: &[IpNet], addr: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(&addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        let v6 = "20010db8000000010000000000000001 02 40 00 80     eth0\n00000000000000000000000000000001 01 80 10 80       lo\n";
        let nets = parse_if_inet6(v6);
        assert_eq!(nets[0], "2001:db8:0:1::/64".parse::<IpNet>().unwrap());
        assert_eq!(nets[1], "::1/128".parse::<IpNet>().unwrap());
        let v4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\neth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\neth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(
            parse_route(v4),
            ["192.168.2.0/24".parse::<IpNet>().unwrap()]
        );
        assert!(contains(&default_allow(), "::1".parse().unwrap()));
        assert!(!contains(
            &default_allow(),
            "2001:db8:ffff::1".parse().unwrap()
        ));
    }
}
