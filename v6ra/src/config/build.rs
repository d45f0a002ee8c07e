//! From an interface's radvd.conf section and what the system says about
//! the interface to the [`AdvertiserConfig`] of the state machine.

use core::net::Ipv6Addr;

use ipnet::Ipv6Net;

use super::{InterfaceConfig, PrefixConfig};
use crate::advertiser::AdvertiserConfig;
use crate::wire::{NdiscOptionRepr, Pref64Info, PrefixInfo, RouteInfo, RouterAdvert, RouterFlags};

/// What the system says about an interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkInfo {
    /// The link-layer address (six bytes on Ethernet), if it has one.
    pub link_addr: Option<Vec<u8>>,
    /// The link MTU.
    pub mtu: u32,
    /// The interface's IPv6 addresses with their prefix lengths.
    pub addresses: Vec<Ipv6Net>,
}

impl LinkInfo {
    /// The interface's global (not link-local, not loopback) /64 prefixes,
    /// each once, in the order of its addresses: what `prefix ::/64`
    /// stands for.
    pub fn prefixes_64(&self) -> Vec<Ipv6Net> {
        let mut out: Vec<Ipv6Net> = Vec::new();
        for a in &self.addresses {
            let addr = a.addr();
            let link_local = addr.segments()[0] & 0xffc0 == 0xfe80;
            if a.prefix_len() != 64 || link_local || addr.is_loopback() || addr.is_multicast() {
                continue;
            }
            let p = a.trunc();
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    /// The link-local address to send from: the first `fe80::/10` address.
    pub fn link_local(&self) -> Option<Ipv6Addr> {
        self.addresses
            .iter()
            .map(|a| a.addr())
            .find(|a| a.segments()[0] & 0xffc0 == 0xfe80)
    }
}

/// Why an interface's configuration does not fit the interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `AdvLinkMTU` is above the interface's MTU (RFC 4861 section 6.2.1).
    #[error("{location}: AdvLinkMTU {configured} is above the MTU {link} of {interface}")]
    MtuAboveLink {
        /// Where the interface section starts.
        location: String,
        /// The interface.
        interface: String,
        /// `AdvLinkMTU`.
        configured: u32,
        /// The interface's MTU.
        link: u32,
    },
    /// `Base6Interface` names an interface that does not exist or has no
    /// global address.
    #[error("{location}: Base6Interface {base} has no global IPv6 address")]
    NoBase6Address {
        /// Where the interface section starts.
        location: String,
        /// The interface named.
        base: String,
    },
}

/// Builds the advertiser's configuration of `iface`: the advertisement's
/// header and options in radvd's order (prefixes, routes, RDNSS, DNSSL,
/// MTU, source link-layer address, PREF64, captive portal).
///
/// `link` describes the interface itself, `lookup` any other interface by
/// name (for `Base6Interface`).
pub fn build(
    iface: &InterfaceConfig,
    link: &LinkInfo,
    lookup: impl Fn(&str) -> Option<LinkInfo>,
) -> Result<AdvertiserConfig, BuildError> {
    if iface.link_mtu != 0 && link.mtu != 0 && iface.link_mtu > link.mtu {
        return Err(BuildError::MtuAboveLink {
            location: iface.location.clone(),
            interface: iface.name.clone(),
            configured: iface.link_mtu,
            link: link.mtu,
        });
    }
    let mut options = Vec::new();
    let mut decrementing = Vec::new();
    let mut deprecate_on_exit = Vec::new();
    let mut keep_on_exit = Vec::new();
    for p in &iface.prefixes {
        for prefix in expand_prefix(iface, p, link, &lookup)? {
            if p.decrement_lifetimes {
                decrementing.push(prefix);
            }
            if p.deprecate_prefix {
                deprecate_on_exit.push(prefix);
            }
            options.push(NdiscOptionRepr::PrefixInformation(PrefixInfo {
                prefix,
                on_link: p.on_link,
                autonomous: p.autonomous,
                router_address: p.router_addr,
                valid_lifetime: p.valid_lifetime.0,
                preferred_lifetime: p.preferred_lifetime.0,
            }));
        }
    }
    for r in &iface.routes {
        if !r.remove_route {
            keep_on_exit.push(options.len());
        }
        options.push(NdiscOptionRepr::RouteInformation(RouteInfo {
            prefix: r.prefix,
            preference: r.preference,
            lifetime: r.lifetime.0,
        }));
    }
    for r in &iface.rdnss {
        if !r.flush {
            keep_on_exit.push(options.len());
        }
        options.push(NdiscOptionRepr::Rdnss {
            lifetime: r.lifetime.0,
            servers: r.servers.clone(),
        });
    }
    for d in &iface.dnssl {
        if !d.flush {
            keep_on_exit.push(options.len());
        }
        options.push(NdiscOptionRepr::Dnssl {
            lifetime: d.lifetime.0,
            domains: d.domains.clone(),
        });
    }
    if iface.link_mtu != 0 {
        options.push(NdiscOptionRepr::Mtu(iface.link_mtu));
    }
    if iface.source_ll_address
        && let Some(addr) = &link.link_addr
    {
        options.push(NdiscOptionRepr::SourceLinkLayerAddr(addr.clone()));
    }
    for n in &iface.nat64 {
        options.push(NdiscOptionRepr::Pref64(Pref64Info {
            lifetime: n.lifetime,
            prefix: n.prefix,
        }));
    }
    if let Some(uri) = &iface.captive_portal {
        options.push(NdiscOptionRepr::CaptivePortal(uri.clone()));
    }
    Ok(AdvertiserConfig {
        send_advert: iface.send_advert,
        advert: RouterAdvert {
            hop_limit: iface.cur_hop_limit,
            flags: RouterFlags {
                managed: iface.managed,
                other: iface.other_config,
                home_agent: iface.home_agent,
                preference: iface.default_preference,
                proxy: false,
                reserved: 0,
            },
            router_lifetime: iface.default_lifetime,
            reachable_time: iface.reachable_time,
            retrans_time: iface.retrans_timer,
            options,
        },
        min_interval: iface.min_interval,
        max_interval: iface.max_interval,
        min_delay_between_ras: iface.min_delay_between_ras,
        unicast_only: iface.unicast_only,
        clients: iface.clients.clone(),
        solicited_unicast: iface.solicited_unicast,
        decrementing,
        deprecate_on_exit,
        keep_on_exit,
        remove_on_exit: iface.remove_on_exit,
    })
}

/// The prefixes a `prefix` section stands for: itself; for `::/64` each
/// /64 of the interface; with `Base6Interface` the prefix's length of the
/// other interface's first global address.
fn expand_prefix(
    iface: &InterfaceConfig,
    p: &PrefixConfig,
    link: &LinkInfo,
    lookup: &impl Fn(&str) -> Option<LinkInfo>,
) -> Result<Vec<Ipv6Net>, BuildError> {
    if let Some(base) = &p.base6_interface {
        let global = lookup(base).and_then(|l| {
            l.addresses
                .iter()
                .map(|a| a.addr())
                .find(|a| a.segments()[0] & 0xe000 == 0x2000)
        });
        let Some(addr) = global else {
            return Err(BuildError::NoBase6Address {
                location: iface.location.clone(),
                base: base.clone(),
            });
        };
        // The configured bits, with the other interface's address under
        // the prefix where they are zero (radvd ORs them the same way).
        let len = p.prefix.prefix_len();
        let bits = u128::from(p.prefix.addr()) | u128::from(addr);
        let net = Ipv6Net::new(Ipv6Addr::from(bits), len).map(|n| n.trunc());
        return Ok(net.into_iter().collect());
    }
    if p.is_interface_prefixes() {
        return Ok(link.prefixes_64());
    }
    Ok(vec![p.prefix])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    #[test]
    fn interface_prefixes_and_option_order() {
        let c = parse(
            "f",
            "interface eth0 { AdvSendAdvert on; AdvLinkMTU 1400;
               AdvCaptivePortalAPI \"https://cp/\";
               nat64prefix 64:ff9b::/96 {};
               prefix ::/64 { AdvRouterAddr on; };
               DNSSL example.org {}; RDNSS 2001:db8::53 {}; route 64:ff9b::/96 {}; };",
        )
        .unwrap();
        let link = LinkInfo {
            link_addr: Some(vec![2, 0, 0, 0, 0, 1]),
            mtu: 1500,
            addresses: vec![
                "fe80::1/64".parse().unwrap(),
                "2001:db8:1::1/64".parse().unwrap(),
                "2001:db8:1::2/64".parse().unwrap(),
                "2001:db8:2::1/64".parse().unwrap(),
                "2001:db8:3::1/128".parse().unwrap(),
            ],
        };
        let a = build(&c.interfaces[0], &link, |_| None).unwrap();
        let kinds: Vec<u8> = a
            .advert
            .options
            .iter()
            .map(|o| o.option_type().into())
            .collect();
        assert_eq!(kinds, [3, 3, 24, 25, 31, 5, 1, 38, 37]);
        let NdiscOptionRepr::PrefixInformation(p) = &a.advert.options[1] else {
            panic!()
        };
        assert_eq!(p.prefix, "2001:db8:2::/64".parse().unwrap());
        assert!(p.router_address);
        assert_eq!(link.link_local(), Some("fe80::1".parse().unwrap()));
    }

    #[test]
    fn mtu_above_the_link_is_refused() {
        let c = parse("f", "interface eth0 { AdvLinkMTU 9000; };").unwrap();
        let link = LinkInfo {
            mtu: 1500,
            ..Default::default()
        };
        assert!(matches!(
            build(&c.interfaces[0], &link, |_| None),
            Err(BuildError::MtuAboveLink { .. })
        ));
    }

    #[test]
    fn base6_interface_fills_the_prefix() {
        let c = parse(
            "f",
            "interface eth1 { prefix 0:0:0:1::/64 { Base6Interface eth0; }; };",
        )
        .unwrap();
        let wan = LinkInfo {
            addresses: vec!["2001:db8:77::5/48".parse().unwrap()],
            ..Default::default()
        };
        let a = build(&c.interfaces[0], &LinkInfo::default(), |n| {
            (n == "eth0").then(|| wan.clone())
        })
        .unwrap();
        let NdiscOptionRepr::PrefixInformation(p) = &a.advert.options[0] else {
            panic!()
        };
        assert_eq!(p.prefix, "2001:db8:77:1::/64".parse().unwrap());
    }
}
