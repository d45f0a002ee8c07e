//! Reverse-DNS names: `ip6.arpa` (RFC 3596 section 2.5) and `in-addr.arpa`
//! (RFC 1035 section 3.5).
//!
//! An IPv6 address is named by its 32 nibbles in reverse order, one label
//! each; an IPv4 address by its 4 octets in reverse order, in decimal. A name
//! with fewer labels names the prefix those labels fix, which is how reverse
//! zones are delegated: on nibble (IPv6) or octet (IPv4) boundaries.

use core::net::IpAddr;

use ipnet::IpNet;

use crate::Error;
use crate::prefix::{Family, addr_bits, subnets};

const IP6_ARPA: &str = "ip6.arpa";
const IN_ADDR_ARPA: &str = "in-addr.arpa";
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The full PTR name of `addr`, with the trailing dot of a fully qualified
/// name: 32 nibble labels under `ip6.arpa` (RFC 3596 section 2.5) or 4
/// octet labels under `in-addr.arpa` (RFC 1035 section 3.5).
///
/// ```
/// use v6core::reverse::ptr_name;
/// assert_eq!(ptr_name("192.0.2.33".parse().unwrap()), "33.2.0.192.in-addr.arpa.");
/// assert_eq!(
///     ptr_name("2001:db8::1".parse().unwrap()),
///     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
/// );
/// ```
pub fn ptr_name(addr: IpAddr) -> String {
    let family = Family::of(addr);
    reverse_name(family, addr_bits(addr), labels_of(family, family.max_len()))
}

/// The reverse zones that together cover exactly `prefix` (host bits
/// ignored), in address order.
///
/// Zones exist only on label boundaries: every 4 bits for IPv6, every 8 bits
/// for IPv4. A prefix on a boundary has one zone (`2001:db8::/32` is
/// `8.b.d.0.1.0.0.2.ip6.arpa.`); any other prefix is covered by the zones at
/// the next longer boundary: 2 for `2001:db8::/31`, up to 8 for IPv6, up to
/// 128 for IPv4 (a /17 is 128 /24 zones).
///
/// An IPv4 prefix longer than /24 is below the last zone boundary, so it is
/// covered by the full names of its addresses (128 names for a /25). RFC 2317
/// delegates such a prefix through CNAMEs in the covering /24 zone; that
/// zone alone would cover more than the prefix, so it is not returned.
pub fn reverse_zones(prefix: IpNet) -> Vec<String> {
    let family = Family::of_net(prefix);
    let labels = labels_of(family, prefix.prefix_len());
    let zone_len = labels * label_bits(family);
    // `zone_len` is between the prefix length and the address length, so
    // the split cannot fail.
    subnets(prefix, zone_len)
        .into_iter()
        .flatten()
        .map(|zone| reverse_name(family, addr_bits(zone.addr()), labels))
        .collect()
}

/// The address (full name) or prefix (partial name) that a reverse-DNS name
/// denotes: `…ip6.arpa` with one hexadecimal nibble per label, or
/// `…in-addr.arpa` with one decimal octet per label. The trailing dot is
/// optional and letters may be of either case. `ip6.arpa` alone is `::/0`.
///
/// Fails with [`Error::ReverseName`], saying why, for any other name.
///
/// ```
/// use v6core::reverse::parse_ptr_name;
/// assert_eq!(parse_ptr_name("8.B.D.0.1.0.0.2.IP6.ARPA").unwrap().to_string(), "2001:db8::/32");
/// assert_eq!(parse_ptr_name("2.0.192.in-addr.arpa.").unwrap().to_string(), "192.0.2.0/24");
/// ```
pub fn parse_ptr_name(name: &str) -> Result<IpNet, Error> {
    let bad = |reason| Error::ReverseName {
        name: name.to_owned(),
        reason,
    };
    let lower = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let (family, labels) = if let Some(labels) = labels_under(&lower, IP6_ARPA) {
        (Family::V6, labels)
    } else if let Some(labels) = labels_under(&lower, IN_ADDR_ARPA) {
        (Family::V4, labels)
    } else {
        return Err(bad("it does not end in .ip6.arpa or .in-addr.arpa"));
    };

    let width = label_bits(family);
    let max_labels = family.max_len() / width;
    let mut bits = 0u128;
    let mut count = 0u8;
    for label in labels {
        if count == max_labels {
            return Err(bad(match family {
                Family::V6 => "it has more than 32 nibble labels",
                Family::V4 => "it has more than 4 octet labels",
            }));
        }
        let value = match family {
            Family::V6 => nibble(label).map_err(bad)?,
            Family::V4 => octet(label).map_err(bad)?,
        };
        count += 1;
        bits |= u128::from(value) << (family.max_len() - count * width);
    }
    Ok(family.net(bits, count * width))
}

/// The labels before `.zone` in `name`, the most significant (the last)
/// first: none when `name` is the zone itself, `None` when `name` is not
/// under the zone.
fn labels_under<'a>(name: &'a str, zone: &str) -> Option<Vec<&'a str>> {
    let rest = name.strip_suffix(zone)?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    Some(rest.strip_suffix('.')?.rsplit('.').collect())
}

/// The value of an `ip6.arpa` label: one hexadecimal digit.
fn nibble(label: &str) -> Result<u8, &'static str> {
    match label.as_bytes() {
        [] => Err("it has an empty label"),
        [d] => HEX
            .iter()
            .position(|h| h == d)
            // At most 15.
            .map(|v| v as u8)
            .ok_or("an ip6.arpa label must be one hexadecimal digit"),
        _ => Err("an ip6.arpa label must be one hexadecimal digit"),
    }
}

/// The value of an `in-addr.arpa` label: a decimal number from 0 to 255,
/// written without leading zeros.
fn octet(label: &str) -> Result<u8, &'static str> {
    if label.is_empty() {
        return Err("it has an empty label");
    }
    if !label.bytes().all(|b| b.is_ascii_digit()) {
        return Err("an in-addr.arpa label must be a decimal number from 0 to 255");
    }
    if label.len() > 1 && label.starts_with('0') {
        return Err("an in-addr.arpa label must not have a leading zero");
    }
    label
        .parse()
        .map_err(|_| "an in-addr.arpa label must be a decimal number from 0 to 255")
}

/// The number of bits one label stands for.
const fn label_bits(family: Family) -> u8 {
    match family {
        Family::V4 => 8,
        Family::V6 => 4,
    }
}

/// The number of labels that fix the first `len` bits (rounded up to a
/// label).
const fn labels_of(family: Family, len: u8) -> u8 {
    len.div_ceil(label_bits(family))
}

/// The name of the first `labels` labels of the address `bits`.
fn reverse_name(family: Family, bits: u128, labels: u8) -> String {
    let width = label_bits(family);
    let mut out = String::with_capacity(usize::from(labels) * 4 + 14);
    for i in (0..labels).rev() {
        let shift = family.max_len() - (i + 1) * width;
        let value = (bits >> shift) & ((1 << width) - 1);
        match family {
            Family::V6 => out.push(char::from(HEX[value as usize])),
            Family::V4 => out.push_str(&value.to_string()),
        }
        out.push('.');
    }
    out.push_str(match family {
        Family::V6 => IP6_ARPA,
        Family::V4 => IN_ADDR_ARPA,
    });
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prefix::parse_prefix;

    fn zones(s: &str) -> Vec<String> {
        reverse_zones(parse_prefix(s).unwrap())
    }

    #[test]
    fn names_of_addresses() {
        let v6 = ptr_name("2001:db8::5054:ff:fed6:c2a9".parse().unwrap());
        assert_eq!(
            v6,
            "9.a.2.c.6.d.e.f.f.f.0.0.4.5.0.5.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert_eq!(
            ptr_name("0.0.0.0".parse().unwrap()),
            "0.0.0.0.in-addr.arpa."
        );
        assert_eq!(
            ptr_name("255.1.20.3".parse().unwrap()),
            "3.20.1.255.in-addr.arpa."
        );
        assert_eq!(
            ptr_name("::".parse().unwrap()).len(),
            64 + IP6_ARPA.len() + 1
        );
    }

    #[test]
    fn zones_on_a_boundary() {
        assert_eq!(zones("2001:db8::/32"), ["8.b.d.0.1.0.0.2.ip6.arpa."]);
        assert_eq!(zones("2001:db8::1/32"), ["8.b.d.0.1.0.0.2.ip6.arpa."]);
        assert_eq!(zones("::/0"), ["ip6.arpa."]);
        assert_eq!(zones("0.0.0.0/0"), ["in-addr.arpa."]);
        assert_eq!(zones("192.0.2.0/24"), ["2.0.192.in-addr.arpa."]);
        assert_eq!(zones("10.0.0.0/8"), ["10.in-addr.arpa."]);
        assert_eq!(zones("192.0.2.1/32"), ["1.2.0.192.in-addr.arpa."]);
        assert_eq!(
            zones("2001:db8::1/128"),
            [ptr_name("2001:db8::1".parse().unwrap())]
        );
    }

    #[test]
    fn zones_between_boundaries() {
        assert_eq!(
            zones("2001:db8::/31"),
            ["8.b.d.0.1.0.0.2.ip6.arpa.", "9.b.d.0.1.0.0.2.ip6.arpa."]
        );
        assert_eq!(zones("2001:db8::/29").len(), 8);
        assert_eq!(
            zones("2001:db8::/30").last().unwrap(),
            "b.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert_eq!(zones("2001:db8:100::/41").len(), 8);
        assert_eq!(
            zones("2001:db8:100::/43"),
            [
                "0.1.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                "1.1.0.8.b.d.0.1.0.0.2.ip6.arpa."
            ]
        );
        assert_eq!(
            zones("192.0.0.0/23"),
            ["0.0.192.in-addr.arpa.", "1.0.192.in-addr.arpa."]
        );
        assert_eq!(zones("172.16.0.0/12").len(), 16);
        assert_eq!(zones("172.16.0.0/12")[15], "31.172.in-addr.arpa.");
        let v4 = zones("192.0.2.128/25");
        assert_eq!(v4.len(), 128);
        assert_eq!(v4[0], "128.2.0.192.in-addr.arpa.");
        assert_eq!(v4[127], "255.2.0.192.in-addr.arpa.");
    }

    #[test]
    fn parses_names_and_zones() {
        for (input, want) in [
            (
                "9.a.2.c.6.d.e.f.f.f.0.0.4.5.0.5.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                "2001:db8::5054:ff:fed6:c2a9/128",
            ),
            (
                "9.A.2.C.6.D.E.F.F.F.0.0.4.5.0.5.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.Ip6.Arpa",
                "2001:db8::5054:ff:fed6:c2a9/128",
            ),
            ("8.b.d.0.1.0.0.2.ip6.arpa.", "2001:db8::/32"),
            ("1.0.0.2.ip6.arpa", "2001::/16"),
            ("f.ip6.arpa", "f000::/4"),
            ("ip6.arpa.", "::/0"),
            ("IP6.ARPA", "::/0"),
            ("33.2.0.192.in-addr.arpa.", "192.0.2.33/32"),
            ("0.0.0.0.in-addr.arpa", "0.0.0.0/32"),
            ("2.0.192.IN-ADDR.ARPA.", "192.0.2.0/24"),
            ("10.in-addr.arpa", "10.0.0.0/8"),
            ("in-addr.arpa", "0.0.0.0/0"),
        ] {
            assert_eq!(parse_ptr_name(input).unwrap().to_string(), want, "{input}");
        }
    }

    #[test]
    fn bad_names_say_why() {
        for (input, reason) in [
            ("", "does not end in"),
            (".", "does not end in"),
            ("example.com.", "does not end in"),
            ("1.ip6.arpa.example", "does not end in"),
            ("1xip6.arpa", "does not end in"),
            ("1.ip6.arpa..", "does not end in"),
            ("1..ip6.arpa", "empty label"),
            (".ip6.arpa", "empty label"),
            ("10.ip6.arpa", "one hexadecimal digit"),
            ("g.ip6.arpa", "one hexadecimal digit"),
            ("é.ip6.arpa", "one hexadecimal digit"),
            (&format!("{}ip6.arpa", "0.".repeat(33)), "more than 32"),
            ("256.in-addr.arpa", "from 0 to 255"),
            ("1000.in-addr.arpa", "from 0 to 255"),
            ("-1.in-addr.arpa", "from 0 to 255"),
            ("0/25.2.0.192.in-addr.arpa", "from 0 to 255"),
            ("01.in-addr.arpa", "leading zero"),
            ("1.2.3.4.5.in-addr.arpa", "more than 4"),
            ("1..2.in-addr.arpa", "empty label"),
        ] {
            let err = parse_ptr_name(input).unwrap_err();
            assert!(matches!(err, Error::ReverseName { .. }));
            let text = err.to_string();
            assert!(text.contains(&format!("{input:?}")), "{text}");
            assert!(text.contains(reason), "{input}: {text}");
        }
    }

    #[test]
    fn zones_parse_back_to_their_prefix() {
        for prefix in [
            "2001:db8::/48",
            "2001:db8:8000::/33",
            "198.51.100.0/22",
            "::/3",
        ] {
            let prefix = parse_prefix(prefix).unwrap();
            let back: Vec<IpNet> = reverse_zones(prefix)
                .iter()
                .map(|z| parse_ptr_name(z).unwrap())
                .collect();
            assert_eq!(crate::prefix::aggregate(&back), [prefix]);
        }
    }
}
