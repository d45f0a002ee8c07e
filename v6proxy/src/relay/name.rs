//! Server names as the relay routes them: DNS host names, lower case,
//! without a trailing dot.

use core::fmt;

/// A validated host name: 1 to 253 octets of letters, digits, `-` and `_`
/// in dot-separated labels of 1 to 63 octets, lower-cased, without a
/// trailing dot, and not an IPv4 address literal.
///
/// RFC 6066 §3 says the TLS `HostName` is "the fully qualified DNS
/// hostname of the server" and that literal IPv4 and IPv6 addresses are not
/// permitted; the HTTP `Host` header (RFC 9112 §3.2) may carry a literal,
/// which the relay does not route, so both are refused here alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostName(String);

/// Why bytes are not a [`HostName`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Empty, or longer than 253 octets.
    Length,
    /// A label is empty or longer than 63 octets.
    Label,
    /// A character other than a letter, a digit, `-`, `_` or `.`.
    Character,
    /// An IPv4 address literal.
    Literal,
}

impl HostName {
    /// Checks and normalizes `bytes` (one trailing dot is dropped).
    pub fn parse(bytes: &[u8]) -> Result<HostName, NameError> {
        let bytes = bytes.strip_suffix(b".").unwrap_or(bytes);
        if bytes.is_empty() || bytes.len() > 253 {
            return Err(NameError::Length);
        }
        if bytes
            .iter()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')))
        {
            return Err(NameError::Character);
        }
        if bytes
            .split(|&c| c == b'.')
            .any(|l| l.is_empty() || l.len() > 63)
        {
            return Err(NameError::Label);
        }
        // Only ASCII is left, so this cannot fail.
        let s = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        if s.parse::<core::net::Ipv4Addr>().is_ok() {
            return Err(NameError::Literal);
        }
        Ok(HostName(s))
    }

    /// The name, lower case, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::str::FromStr for HostName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HostName::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(
            HostName::parse(b"WWW.Example.ORG.").unwrap().as_str(),
            "www.example.org"
        );
        assert_eq!(HostName::parse(b""), Err(NameError::Length));
        assert_eq!(HostName::parse(b"a..b"), Err(NameError::Label));
        assert_eq!(HostName::parse(b"a b"), Err(NameError::Character));
        assert_eq!(HostName::parse(b"[::1]"), Err(NameError::Character));
        assert_eq!(HostName::parse(b"192.0.2.1"), Err(NameError::Literal));
        assert_eq!(HostName::parse(&[b'a'; 64]), Err(NameError::Label));
        assert!(HostName::parse(b"_acme.x-1.example").is_ok());
    }
}
