//! The translator's configuration.

use core::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

/// The minimum IPv6 link MTU (RFC 8200 section 5).
pub const IPV6_MIN_MTU: u16 = 1280;
/// The minimum IPv4 link MTU (RFC 791).
pub const IPV4_MIN_MTU: u16 = 68;

/// Everything a [`Translator`](crate::Translator) needs to know besides the
/// packets: the address mapping and the parameters RFC 7915 leaves to the
/// operator.
#[derive(Debug, Clone)]
pub struct Config<M> {
    /// How addresses are mapped (RFC 7915 section 6).
    pub mapping: M,
    /// The translator's own IPv4 address: the source of the ICMPv4 errors it
    /// sends, and of translated ICMPv6 errors whose source has no mapping
    /// when [`Config::rfc6791_v4`] is unset.
    pub ipv4_addr: Ipv4Addr,
    /// The translator's own IPv6 address, the same for ICMPv6.
    pub ipv6_addr: Ipv6Addr,
    /// "lowest-ipv6-mtu" of RFC 7915 section 4.1: IPv4 packets without DF
    /// are fragmented so that each IPv6 fragment is at most this long.
    /// Default 1280.
    pub lowest_ipv6_mtu: u16,
    /// The MTU of the IPv6 egress link. Default 1500.
    pub ipv6_mtu: u16,
    /// The MTU of the IPv4 egress link. Default 1500.
    pub ipv4_mtu: u16,
    /// The RFC 6791 pool: source addresses for ICMPv4 errors translated from
    /// ICMPv6 errors whose source has no IPv4 mapping (an IPv6 router on the
    /// path). An address of the pool is chosen by a hash of the packet.
    /// `None` uses [`Config::ipv4_addr`].
    pub rfc6791_v4: Option<Ipv4Net>,
    /// The IPv6 equivalent of [`Config::rfc6791_v4`], for ICMPv4 errors
    /// whose source has no IPv6 mapping. `None` uses [`Config::ipv6_addr`].
    pub rfc6791_v6: Option<Ipv6Net>,
    /// What to do with an unfragmented IPv4 UDP datagram whose checksum is
    /// zero (RFC 7915 section 4.5): `false` (the default) refuses it with an
    /// ICMPv4 error, `true` computes the checksum. Fragmented ones are
    /// always refused.
    pub amend_udp_checksum_zero: bool,
    /// Whether translated packets have their TTL / Hop Limit decremented,
    /// as a router does (default `true`); when it runs out the translator
    /// answers Time Exceeded. Turn it off when the host stack has already
    /// decremented it.
    pub decrement_hop_limit: bool,
    /// The TTL / Hop Limit of the ICMP errors the translator sends. Default 64.
    pub icmp_hop_limit: u8,
    /// Whether the translator sends ICMP errors of its own (RFC 7915
    /// sections 4.4 and 5.4 ask for a switch). Default `true`; when `false`
    /// those packets are [`Outcome::Dropped`](crate::Outcome::Dropped) with
    /// the same reason. A daemon that wants to rate-limit them can count
    /// [`Outcome::Icmp`](crate::Outcome::Icmp) and drop the excess.
    pub send_icmp_errors: bool,
}

impl<M> Config<M> {
    /// A configuration with the defaults above.
    pub fn new(mapping: M, ipv4_addr: Ipv4Addr, ipv6_addr: Ipv6Addr) -> Self {
        Config {
            mapping,
            ipv4_addr,
            ipv6_addr,
            lowest_ipv6_mtu: IPV6_MIN_MTU,
            ipv6_mtu: 1500,
            ipv4_mtu: 1500,
            rfc6791_v4: None,
            rfc6791_v6: None,
            amend_udp_checksum_zero: false,
            decrement_hop_limit: true,
            icmp_hop_limit: 64,
            send_icmp_errors: true,
        }
    }

    /// Checks the values that RFC 7915 and the link layers constrain.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.lowest_ipv6_mtu < IPV6_MIN_MTU {
            return Err(ConfigError::LowestIpv6Mtu(self.lowest_ipv6_mtu));
        }
        if self.ipv6_mtu < IPV6_MIN_MTU {
            return Err(ConfigError::Ipv6Mtu(self.ipv6_mtu));
        }
        if self.ipv4_mtu < IPV4_MIN_MTU {
            return Err(ConfigError::Ipv4Mtu(self.ipv4_mtu));
        }
        if self.icmp_hop_limit == 0 {
            return Err(ConfigError::IcmpHopLimit);
        }
        Ok(())
    }
}

/// A configuration value that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `lowest_ipv6_mtu` below 1280 (RFC 7915 section 4.1 only allows raising it).
    #[error("lowest-ipv6-mtu {0} is below the IPv6 minimum MTU 1280")]
    LowestIpv6Mtu(u16),
    /// An IPv6 link MTU below 1280 (RFC 8200 section 5).
    #[error("IPv6 MTU {0} is below the IPv6 minimum MTU 1280")]
    Ipv6Mtu(u16),
    /// An IPv4 link MTU below 68 (RFC 791).
    #[error("IPv4 MTU {0} is below the IPv4 minimum MTU 68")]
    Ipv4Mtu(u16),
    /// An ICMP hop limit of 0, which no receiver would accept.
    #[error("the hop limit of ICMP errors must not be 0")]
    IcmpHopLimit,
}
