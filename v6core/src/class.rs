//! What kind of address this is: classification against the IANA IPv4 and
//! IPv6 Special-Purpose Address Registries.
//!
//! The registries were set up by RFC 6890 and are kept by IANA with the
//! fields RFC 8190 section 2 describes; [`TABLE`] holds one row per entry,
//! as of the registries' 2025 updates (RFC 9780's dummy prefix is the
//! newest). Beside them it holds the blocks RFC 4291 section 2.4 defines but
//! the registry does not list (multicast, global unicast), IPv4 multicast
//! and the historical IPv4-translated block of RFC 2765. An address not in
//! any of these is global unicast (IPv4), or reserved by the IETF (IPv6
//! outside 2000::/3).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::prefix::{Family, addr_bits, host_bits, host_mask};

/// The class of an address or prefix: the most specific special-purpose
/// block it falls in.
///
/// ```
/// use v6core::class::{classify, MulticastScope};
/// let c = classify("fd12:3456:789a::1".parse().unwrap());
/// assert_eq!((c.name, c.rfc, c.globally_reachable), ("Unique-Local", "RFC 4193", Some(false)));
/// let c = classify("ff02::1".parse().unwrap());
/// assert_eq!(c.multicast_scope, Some(MulticastScope::LinkLocal));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Classification {
    /// The name of the block, as the registry gives it ("Private-Use",
    /// "Documentation", …).
    pub name: &'static str,
    /// The RFC (and section, where the registry names one) that defines the
    /// block.
    pub rfc: &'static str,
    /// The block itself.
    pub block: IpNet,
    /// The registry's "Globally Reachable" field (RFC 8190 section 2):
    /// whether a packet to this address may be forwarded beyond the
    /// administrative domain it is in. `None` where the registry says
    /// "N/A" (Teredo, 6to4, deprecated blocks) and for multicast, where it
    /// depends on the scope.
    pub globally_reachable: Option<bool>,
    /// For IPv6 multicast, the scope of the group (RFC 4291 section 2.7);
    /// `None` for everything else, and for a multicast prefix shorter than
    /// /16, which does not fix the scope.
    pub multicast_scope: Option<MulticastScope>,
}

/// The scope field of an IPv6 multicast address: the 4 bits after `ff` and
/// the flags (RFC 4291 section 2.7, values as updated by RFC 7346 section 2).
///
/// Every 4-bit value has a variant, so [`MulticastScope::from_value`] and
/// [`MulticastScope::value`] are exact inverses. [`fmt::Display`] gives the
/// RFC's name: `link-local`, `site-local`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum MulticastScope {
    /// 0: reserved.
    Reserved0 = 0x0,
    /// 1: interface-local, for loopback transmission of multicast.
    InterfaceLocal = 0x1,
    /// 2: link-local, the same topological span as link-local unicast.
    LinkLocal = 0x2,
    /// 3: realm-local (RFC 7346), such as one IEEE 802.15.4 network.
    RealmLocal = 0x3,
    /// 4: admin-local, the smallest scope that must be configured.
    AdminLocal = 0x4,
    /// 5: site-local, a single site.
    SiteLocal = 0x5,
    /// 6: unassigned.
    Unassigned6 = 0x6,
    /// 7: unassigned.
    Unassigned7 = 0x7,
    /// 8: organization-local, the sites of one organization.
    OrganizationLocal = 0x8,
    /// 9: unassigned.
    Unassigned9 = 0x9,
    /// 10: unassigned.
    UnassignedA = 0xa,
    /// 11: unassigned.
    UnassignedB = 0xb,
    /// 12: unassigned.
    UnassignedC = 0xc,
    /// 13: unassigned.
    UnassignedD = 0xd,
    /// 14: global.
    Global = 0xe,
    /// 15: reserved.
    ReservedF = 0xf,
}

impl MulticastScope {
    /// The scope whose 4-bit value is `value`, or `None` if `value` is
    /// greater than 15.
    pub const fn from_value(value: u8) -> Option<MulticastScope> {
        use MulticastScope::*;
        Some(match value {
            0x0 => Reserved0,
            0x1 => InterfaceLocal,
            0x2 => LinkLocal,
            0x3 => RealmLocal,
            0x4 => AdminLocal,
            0x5 => SiteLocal,
            0x6 => Unassigned6,
            0x7 => Unassigned7,
            0x8 => OrganizationLocal,
            0x9 => Unassigned9,
            0xa => UnassignedA,
            0xb => UnassignedB,
            0xc => UnassignedC,
            0xd => UnassignedD,
            0xe => Global,
            0xf => ReservedF,
            _ => return None,
        })
    }

    /// The scope of the multicast address `addr` (any address: the bits are
    /// read whether or not it starts with `ff`).
    pub const fn of(addr: Ipv6Addr) -> MulticastScope {
        match MulticastScope::from_value(addr.octets()[1] & 0x0f) {
            Some(scope) => scope,
            None => MulticastScope::Reserved0,
        }
    }

    /// The 4-bit value of the scope field.
    pub const fn value(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for MulticastScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MulticastScope::Reserved0 | MulticastScope::ReservedF => "reserved",
            MulticastScope::InterfaceLocal => "interface-local",
            MulticastScope::LinkLocal => "link-local",
            MulticastScope::RealmLocal => "realm-local",
            MulticastScope::AdminLocal => "admin-local",
            MulticastScope::SiteLocal => "site-local",
            MulticastScope::OrganizationLocal => "organization-local",
            MulticastScope::Global => "global",
            _ => "unassigned",
        };
        f.write_str(name)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for MulticastScope {
    /// The RFC name, as [`fmt::Display`] gives it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The class of `addr`: the most specific block of [`TABLE`] that contains
/// it, or [`IPV4_GLOBAL`] / [`IPV6_RESERVED`] if none does.
pub fn classify(addr: IpAddr) -> Classification {
    let mut class = most_specific(IpNet::from(addr));
    if let IpAddr::V6(v6) = addr {
        if class.block == MULTICAST_V6 {
            class.multicast_scope = Some(MulticastScope::of(v6));
        }
    }
    class
}

/// The class of a whole prefix: the most specific block of [`TABLE`] that
/// contains all of `prefix` (host bits ignored).
///
/// A prefix can contain more specific blocks of another class: `::/0` is
/// [`IPV6_RESERVED`] and `0.0.0.0/0` is [`IPV4_GLOBAL`], although both hold
/// every kind of address.
pub fn classify_net(prefix: IpNet) -> Classification {
    let prefix = prefix.trunc();
    let mut class = most_specific(prefix);
    if let IpNet::V6(v6) = prefix {
        if class.block == MULTICAST_V6 && prefix.prefix_len() >= 16 {
            class.multicast_scope = Some(MulticastScope::of(v6.network()));
        }
    }
    class
}

/// The most specific row that contains `prefix`.
fn most_specific(prefix: IpNet) -> Classification {
    let fallback = match prefix {
        IpNet::V4(_) => IPV4_GLOBAL,
        IpNet::V6(_) => IPV6_RESERVED,
    };
    let family = Family::of_net(prefix);
    let bits = addr_bits(prefix.addr());
    let len = prefix.prefix_len();
    // Compares masked numbers rather than calling `IpNet::contains`, which
    // is several times slower and runs once per row.
    let inside = |block: IpNet| {
        Family::of_net(block) == family
            && block.prefix_len() <= len
            && (addr_bits(block.addr()) ^ bits) & !host_mask(host_bits(block)) == 0
    };
    TABLE
        .iter()
        .filter(|row| inside(row.block))
        .max_by_key(|row| row.block.prefix_len())
        .copied()
        .unwrap_or(fallback)
}

/// A row for an IPv4 block.
const fn v4(
    octets: [u8; 4],
    len: u8,
    name: &'static str,
    rfc: &'static str,
    globally_reachable: Option<bool>,
) -> Classification {
    let [a, b, c, d] = octets;
    Classification {
        name,
        rfc,
        block: IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)),
        globally_reachable,
        multicast_scope: None,
    }
}

/// A row for an IPv6 block, its address given as eight 16-bit groups.
const fn v6(
    groups: [u16; 8],
    len: u8,
    name: &'static str,
    rfc: &'static str,
    globally_reachable: Option<bool>,
) -> Classification {
    let [a, b, c, d, e, f, g, h] = groups;
    Classification {
        name,
        rfc,
        block: IpNet::V6(Ipv6Net::new_assert(
            Ipv6Addr::new(a, b, c, d, e, f, g, h),
            len,
        )),
        globally_reachable,
        multicast_scope: None,
    }
}

const NO: Option<bool> = Some(false);
const YES: Option<bool> = Some(true);
const NA: Option<bool> = None;

/// An IPv4 address in no special-purpose block: global unicast (RFC 791).
pub const IPV4_GLOBAL: Classification = v4([0, 0, 0, 0], 0, "Global Unicast", "RFC 791", YES);

/// An IPv6 address outside 2000::/3 and every special-purpose block:
/// reserved by the IETF (RFC 4291 section 2.4; the IANA IPv6 Address Space
/// registry).
pub const IPV6_RESERVED: Classification =
    v6([0; 8], 0, "Reserved by IETF", "RFC 4291 section 2.4", NO);

/// `ff00::/8`, which [`classify`] completes with the scope.
const MULTICAST_V6: IpNet = IpNet::V6(Ipv6Net::new_assert(
    Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0),
    8,
));

/// The blocks, in the registries' order: IPv4 Special-Purpose Address
/// Registry, IPv6 Special-Purpose Address Registry, then the blocks of
/// RFC 4291 section 2.4 and others the registries leave out (marked so).
#[rustfmt::skip]
pub const TABLE: &[Classification] = &[
    // IANA IPv4 Special-Purpose Address Registry.
    v4([0, 0, 0, 0], 8, "This network", "RFC 791 section 3.2", NO),
    v4([0, 0, 0, 0], 32, "This host on this network", "RFC 1122 section 3.2.1.3", NO),
    v4([10, 0, 0, 0], 8, "Private-Use", "RFC 1918", NO),
    v4([100, 64, 0, 0], 10, "Shared Address Space", "RFC 6598", NO),
    v4([127, 0, 0, 0], 8, "Loopback", "RFC 1122 section 3.2.1.3", NO),
    v4([169, 254, 0, 0], 16, "Link Local", "RFC 3927", NO),
    v4([172, 16, 0, 0], 12, "Private-Use", "RFC 1918", NO),
    v4([192, 0, 0, 0], 24, "IETF Protocol Assignments", "RFC 6890 section 2.1", NO),
    v4([192, 0, 0, 0], 29, "IPv4 Service Continuity Prefix", "RFC 7335", NO),
    v4([192, 0, 0, 8], 32, "IPv4 dummy address", "RFC 7600", NO),
    v4([192, 0, 0, 9], 32, "Port Control Protocol Anycast", "RFC 7723", YES),
    v4([192, 0, 0, 10], 32, "Traversal Using Relays around NAT Anycast", "RFC 8155", YES),
    v4([192, 0, 0, 170], 32, "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 section 2.2", NO),
    v4([192, 0, 0, 171], 32, "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 section 2.2", NO),
    v4([192, 0, 2, 0], 24, "Documentation (TEST-NET-1)", "RFC 5737", NO),
    v4([192, 31, 196, 0], 24, "AS112-v4", "RFC 7535", YES),
    v4([192, 52, 193, 0], 24, "AMT", "RFC 7450", YES),
    v4([192, 88, 99, 0], 24, "Deprecated (6to4 Relay Anycast)", "RFC 7526", NA),
    v4([192, 88, 99, 2], 32, "6a44-relay anycast address", "RFC 6751", NO),
    v4([192, 168, 0, 0], 16, "Private-Use", "RFC 1918", NO),
    v4([192, 175, 48, 0], 24, "Direct Delegation AS112 Service", "RFC 7534", YES),
    v4([198, 18, 0, 0], 15, "Benchmarking", "RFC 2544", NO),
    v4([198, 51, 100, 0], 24, "Documentation (TEST-NET-2)", "RFC 5737", NO),
    v4([203, 0, 113, 0], 24, "Documentation (TEST-NET-3)", "RFC 5737", NO),
    v4([240, 0, 0, 0], 4, "Reserved", "RFC 1112 section 4", NO),
    v4([255, 255, 255, 255], 32, "Limited Broadcast", "RFC 8190, RFC 919 section 7", NO),
    // Not in the registry: IPv4 multicast (IANA IPv4 Multicast Address Space).
    v4([224, 0, 0, 0], 4, "Multicast", "RFC 5771", NA),
    // IANA IPv6 Special-Purpose Address Registry.
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "Loopback Address", "RFC 4291 section 2.5.3", NO),
    v6([0, 0, 0, 0, 0, 0, 0, 0], 128, "Unspecified Address", "RFC 4291 section 2.5.2", NO),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped Address", "RFC 4291 section 2.5.5.2", NO),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "IPv4-IPv6 Translation", "RFC 6052 section 2.1", YES),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "Local-Use IPv4-IPv6 Translation", "RFC 8215", NO),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "Discard-Only Address Block", "RFC 6666", NO),
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "Dummy IPv6 Prefix", "RFC 9780", NO),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF Protocol Assignments", "RFC 2928", NO),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "TEREDO", "RFC 4380, RFC 8190", NA),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, "Port Control Protocol Anycast", "RFC 7723", YES),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, "Traversal Using Relays around NAT Anycast", "RFC 8155", YES),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, "DNS-SD Service Registration Protocol Anycast", "RFC 9665", YES),
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "Benchmarking", "RFC 5180, RFC Errata 1752", NO),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", "RFC 7450", YES),
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, "AS112-v6", "RFC 7535", YES),
    v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, "Deprecated (previously ORCHID)", "RFC 4843", NA),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", "RFC 7343", YES),
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", YES),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "Documentation", "RFC 3849", NO),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", "RFC 3056", NA),
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "Direct Delegation AS112 Service", "RFC 7534", YES),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "Documentation", "RFC 9637", NO),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "Segment Routing (SRv6) SIDs", "RFC 9602", NO),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "Unique-Local", "RFC 4193", NO),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "Link-Local Unicast", "RFC 4291 section 2.5.6", NO),
    // Not in the registry: RFC 4291 section 2.4 and the historical SIIT block.
    v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3, "Global Unicast", "RFC 4291 section 2.4", YES),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "Multicast", "RFC 4291 section 2.7", NA),
    v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96, "IPv4-translated Address", "RFC 2765 section 2.1", NO),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Classification {
        classify(s.parse().unwrap())
    }

    /// One known answer per row of the table: an address inside the block,
    /// the block, its name and its RFC.
    #[rustfmt::skip]
    const KNOWN: &[(&str, &str, &str, &str)] = &[
        ("0.1.2.3", "0.0.0.0/8", "This network", "RFC 791 section 3.2"),
        ("0.0.0.0", "0.0.0.0/32", "This host on this network", "RFC 1122 section 3.2.1.3"),
        ("10.20.30.40", "10.0.0.0/8", "Private-Use", "RFC 1918"),
        ("100.127.255.255", "100.64.0.0/10", "Shared Address Space", "RFC 6598"),
        ("127.0.0.1", "127.0.0.0/8", "Loopback", "RFC 1122 section 3.2.1.3"),
        ("169.254.169.254", "169.254.0.0/16", "Link Local", "RFC 3927"),
        ("172.31.0.1", "172.16.0.0/12", "Private-Use", "RFC 1918"),
        ("192.0.0.200", "192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 section 2.1"),
        ("192.0.0.2", "192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
        ("192.0.0.8", "192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
        ("192.0.0.9", "192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723"),
        ("192.0.0.10", "192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        ("192.0.0.170", "192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 section 2.2"),
        ("192.0.0.171", "192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 section 2.2"),
        ("192.0.2.33", "192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
        ("192.31.196.1", "192.31.196.0/24", "AS112-v4", "RFC 7535"),
        ("192.52.193.1", "192.52.193.0/24", "AMT", "RFC 7450"),
        ("192.88.99.1", "192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
        ("192.88.99.2", "192.88.99.2/32", "6a44-relay anycast address", "RFC 6751"),
        ("192.168.1.1", "192.168.0.0/16", "Private-Use", "RFC 1918"),
        ("192.175.48.6", "192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534"),
        ("198.19.255.255", "198.18.0.0/15", "Benchmarking", "RFC 2544"),
        ("198.51.100.7", "198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
        ("203.0.113.99", "203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
        ("250.1.2.3", "240.0.0.0/4", "Reserved", "RFC 1112 section 4"),
        ("255.255.255.255", "255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 section 7"),
        ("239.255.255.250", "224.0.0.0/4", "Multicast", "RFC 5771"),
        ("::1", "::1/128", "Loopback Address", "RFC 4291 section 2.5.3"),
        ("::", "::/128", "Unspecified Address", "RFC 4291 section 2.5.2"),
        ("::ffff:192.0.2.1", "::ffff:0.0.0.0/96", "IPv4-mapped Address", "RFC 4291 section 2.5.5.2"),
        ("64:ff9b::c000:221", "64:ff9b::/96", "IPv4-IPv6 Translation", "RFC 6052 section 2.1"),
        ("64:ff9b:1:2::1", "64:ff9b:1::/48", "Local-Use IPv4-IPv6 Translation", "RFC 8215"),
        ("100::ffff", "100::/64", "Discard-Only Address Block", "RFC 6666"),
        ("100:0:0:1::1", "100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
        ("2001:1ff::1", "2001::/23", "IETF Protocol Assignments", "RFC 2928"),
        ("2001:0:4136:e378::1", "2001::/32", "TEREDO", "RFC 4380, RFC 8190"),
        ("2001:1::1", "2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723"),
        ("2001:1::2", "2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        ("2001:1::3", "2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
        ("2001:2::ab", "2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752"),
        ("2001:3:1::1", "2001:3::/32", "AMT", "RFC 7450"),
        ("2001:4:112::1", "2001:4:112::/48", "AS112-v6", "RFC 7535"),
        ("2001:1f::1", "2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
        ("2001:20::1", "2001:20::/28", "ORCHIDv2", "RFC 7343"),
        ("2001:3f::1", "2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374"),
        ("2001:db8::5054:ff:fed6:c2a9", "2001:db8::/32", "Documentation", "RFC 3849"),
        ("2002:c000:221::1", "2002::/16", "6to4", "RFC 3056"),
        ("2620:4f:8000::6", "2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534"),
        ("3fff:fff::1", "3fff::/20", "Documentation", "RFC 9637"),
        ("5f00:1:2::", "5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
        ("fd00::1", "fc00::/7", "Unique-Local", "RFC 4193"),
        ("febf::1", "fe80::/10", "Link-Local Unicast", "RFC 4291 section 2.5.6"),
        ("2a00:1450::1", "2000::/3", "Global Unicast", "RFC 4291 section 2.4"),
        ("ff02::1", "ff00::/8", "Multicast", "RFC 4291 section 2.7"),
        ("::ffff:0:c000:221", "::ffff:0:0:0/96", "IPv4-translated Address", "RFC 2765 section 2.1"),
    ];

    #[test]
    fn every_row_has_a_known_answer() {
        assert_eq!(KNOWN.len(), TABLE.len());
        for (row, (addr, block, name, rfc)) in TABLE.iter().zip(KNOWN) {
            assert_eq!(row.block.to_string(), *block, "{addr}");
            let got = c(addr);
            assert_eq!(
                (got.block, got.name, got.rfc),
                (row.block, *name, *rfc),
                "{addr}"
            );
            assert_eq!(got.globally_reachable, row.globally_reachable, "{addr}");
        }
    }

    #[test]
    fn blocks_have_no_host_bits_and_are_unique() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.block, row.block.trunc(), "{}", row.block);
            assert!(row.multicast_scope.is_none());
            assert!(row.rfc.starts_with("RFC "), "{}", row.rfc);
            assert!(TABLE[i + 1..].iter().all(|other| other.block != row.block));
        }
    }

    #[test]
    fn globally_reachable_as_the_registry_says() {
        for (addr, want) in [
            ("8.8.8.8", Some(true)),
            ("192.0.0.9", Some(true)),
            ("192.0.0.1", Some(false)),
            ("10.0.0.1", Some(false)),
            ("192.88.99.1", None),
            ("64:ff9b::808:808", Some(true)),
            ("2001:4860::8888", Some(true)),
            ("2001:20::1", Some(true)),
            ("2001::1", None),
            ("2002::1", None),
            ("4000::1", Some(false)),
            ("fec0::1", Some(false)),
        ] {
            assert_eq!(c(addr).globally_reachable, want, "{addr}");
        }
    }

    #[test]
    fn outside_every_block() {
        assert_eq!(c("8.8.8.8"), IPV4_GLOBAL);
        assert_eq!(c("1.1.1.1").name, "Global Unicast");
        assert_eq!(c("4000::1"), IPV6_RESERVED);
        assert_eq!(c("fec0::1").name, "Reserved by IETF");
        assert_eq!(c("::2").name, "Reserved by IETF");
        assert_eq!(c("::192.0.2.1").name, "Reserved by IETF");
        assert_eq!(c("2a00:1450:4001::1").rfc, "RFC 4291 section 2.4");
    }

    #[test]
    fn most_specific_block_wins() {
        assert_eq!(c("192.0.0.9").name, "Port Control Protocol Anycast");
        assert_eq!(c("192.0.0.11").name, "IETF Protocol Assignments");
        assert_eq!(c("0.0.0.1").name, "This network");
        assert_eq!(c("2001::").name, "TEREDO");
        assert_eq!(c("2001:1::4").name, "IETF Protocol Assignments");
        assert_eq!(c("2001:db8::").name, "Documentation");
        assert_eq!(c("2620:4f:8000::").name, "Direct Delegation AS112 Service");
    }

    #[test]
    fn multicast_scopes() {
        for (addr, scope, name) in [
            ("ff01::1", MulticastScope::InterfaceLocal, "interface-local"),
            ("ff02::1:ff00:1", MulticastScope::LinkLocal, "link-local"),
            ("ff03::fc", MulticastScope::RealmLocal, "realm-local"),
            ("ff14::1", MulticastScope::AdminLocal, "admin-local"),
            ("ff05::1:3", MulticastScope::SiteLocal, "site-local"),
            (
                "ff38::1",
                MulticastScope::OrganizationLocal,
                "organization-local",
            ),
            ("ff0e::101", MulticastScope::Global, "global"),
            ("ff00::", MulticastScope::Reserved0, "reserved"),
            ("ff0f::", MulticastScope::ReservedF, "reserved"),
            ("ff06::", MulticastScope::Unassigned6, "unassigned"),
            ("ff7d::", MulticastScope::UnassignedD, "unassigned"),
        ] {
            let got = c(addr);
            assert_eq!(got.name, "Multicast");
            assert_eq!(got.multicast_scope, Some(scope), "{addr}");
            assert_eq!(scope.to_string(), name);
        }
        assert_eq!(c("224.0.0.1").multicast_scope, None);
        assert_eq!(c("2001:db8::").multicast_scope, None);
    }

    #[test]
    fn scope_values_round_trip() {
        for v in 0..=15u8 {
            assert_eq!(
                MulticastScope::from_value(v).map(MulticastScope::value),
                Some(v)
            );
        }
        assert_eq!(MulticastScope::from_value(16), None);
        assert_eq!(MulticastScope::Global.value(), 0xe);
    }

    #[test]
    fn prefixes() {
        let n = |s: &str| classify_net(s.parse().unwrap());
        assert_eq!(n("2001:db8:1::/48").name, "Documentation");
        assert_eq!(n("2001::/31").name, "IETF Protocol Assignments");
        assert_eq!(n("2001:db8::/31").name, "Global Unicast");
        assert_eq!(n("2001:db8::/16").name, "Global Unicast");
        assert_eq!(n("2001:db8::1/16").block.to_string(), "2000::/3");
        assert_eq!(n("::/0"), IPV6_RESERVED);
        assert_eq!(n("0.0.0.0/0"), IPV4_GLOBAL);
        assert_eq!(n("10.1.0.0/16").block.to_string(), "10.0.0.0/8");
        assert_eq!(n("192.0.0.170/31").name, "IETF Protocol Assignments");
        assert_eq!(n("192.0.0.170/32").name, "NAT64/DNS64 Discovery");
        assert_eq!(
            n("ff02::/16").multicast_scope,
            Some(MulticastScope::LinkLocal)
        );
        assert_eq!(
            n("ff35::/32").multicast_scope,
            Some(MulticastScope::SiteLocal)
        );
        assert_eq!(n("ff00::/12").multicast_scope, None);
        assert_eq!(n("ff00::/12").name, "Multicast");
    }
}
