//! Parsing the user's tokens into checked values, with errors that name the
//! token and say what is wrong with it.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};
use v6core::{Mac, Pref64, prefix::parse_prefix};

use crate::error::Failure;

/// Turns an error of `v6core` about `token` into an input failure. A parse
/// error already names the token, so only its reason is kept.
pub(crate) fn core_error(what: &str, token: &str, e: v6core::Error) -> Failure {
    match e {
        v6core::Error::Parse { reason, .. } => Failure::invalid(what, token, reason),
        e => Failure::invalid(what, token, e),
    }
}

/// A prefix or a bare address (a /128 or /32), host bits kept.
pub(crate) fn prefix(token: &str) -> Result<IpNet, Failure> {
    parse_prefix(token.trim()).map_err(|e| core_error("prefix", token, e))
}

/// An IPv6 prefix.
pub(crate) fn ipv6_prefix(token: &str) -> Result<Ipv6Net, Failure> {
    match parse_prefix(token.trim()) {
        Ok(IpNet::V6(net)) => Ok(net),
        Ok(IpNet::V4(_)) => Err(Failure::invalid(
            "IPv6 prefix",
            token,
            "this is IPv4; an IPv6 prefix is needed",
        )),
        Err(e) => Err(core_error("IPv6 prefix", token, e)),
    }
}

/// An address of either family.
pub(crate) fn address(token: &str) -> Result<IpAddr, Failure> {
    token.trim().parse().map_err(|_| {
        let why = if token.contains('/') {
            "expected an address, not a prefix"
        } else {
            "not an IPv6 or IPv4 address"
        };
        Failure::invalid("address", token, why)
    })
}

/// An IPv6 address.
pub(crate) fn ipv6(token: &str) -> Result<Ipv6Addr, Failure> {
    match address(token) {
        Ok(IpAddr::V6(a)) => Ok(a),
        Ok(IpAddr::V4(_)) => Err(Failure::invalid(
            "IPv6 address",
            token,
            "this is IPv4; an IPv6 address is needed",
        )),
        Err(_) => Err(Failure::invalid(
            "IPv6 address",
            token,
            "not an IPv6 address",
        )),
    }
}

/// An IPv4 address.
pub(crate) fn ipv4(token: &str) -> Result<Ipv4Addr, Failure> {
    token
        .trim()
        .parse()
        .map_err(|_| Failure::invalid("IPv4 address", token, "not an IPv4 address"))
}

/// A prefix length, written `64` or `/64`; whether it fits the prefix it is
/// used with is checked where it is used.
pub(crate) fn prefix_len(token: &str) -> Result<u8, Failure> {
    let digits = token.trim().trim_start_matches('/');
    match digits.parse::<u8>() {
        Ok(len) if len <= 128 => Ok(len),
        Ok(_) => Err(Failure::invalid(
            "prefix length",
            token,
            "a prefix length is at most 128",
        )),
        Err(_) => Err(Failure::invalid(
            "prefix length",
            token,
            "expected a number such as 64 or /64",
        )),
    }
}

/// A MAC address in any of the forms [`Mac`] parses.
pub(crate) fn mac(token: &str) -> Result<Mac, Failure> {
    token
        .trim()
        .parse()
        .map_err(|e| core_error("MAC address", token, e))
}

/// An RFC 6052 prefix.
pub(crate) fn pref64(token: &str) -> Result<Pref64, Failure> {
    token
        .trim()
        .parse()
        .map_err(|e| core_error("RFC 6052 prefix", token, e))
}

/// A secret key: hexadecimal digits (an even number, optionally after `0x`)
/// are decoded; anything else is taken as the bytes of the text.
pub(crate) fn secret(token: &str) -> Vec<u8> {
    let hex = token.strip_prefix("0x").unwrap_or(token);
    let is_hex =
        !hex.is_empty() && hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !is_hex {
        return token.as_bytes().to_vec();
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
            digit(pair[0]) << 4 | digit(pair[1])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert_eq!(secret("0x00ff10"), [0x00, 0xff, 0x10]);
        assert_eq!(secret("A0b1"), [0xa0, 0xb1]);
        assert_eq!(secret("abc"), b"abc");
        assert_eq!(secret("0x"), b"0x");
        assert_eq!(secret("correct horse"), b"correct horse");
    }

    #[test]
    fn prefix_lengths() {
        assert_eq!(prefix_len("/64").unwrap(), 64);
        assert_eq!(prefix_len("80").unwrap(), 80);
        assert!(prefix_len("129").is_err());
        assert!(prefix_len("x").is_err());
    }

    #[test]
    fn errors_name_the_token() {
        let Failure::Input(m) = prefix("2001:db8::/129").unwrap_err() else {
            panic!("not an input failure");
        };
        assert!(m.starts_with("invalid prefix \"2001:db8::/129\": "), "{m}");
        let Failure::Input(m) = ipv6_prefix("192.0.2.0/24").unwrap_err() else {
            panic!("not an input failure");
        };
        assert!(m.contains("\"192.0.2.0/24\""), "{m}");
    }
}
