//! The crate's error type.

use thiserror::Error;

/// Why a DNS64 setting was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A prefix (IPv4 or IPv6) that does not parse.
    #[error("`{token}` is not a prefix: {reason}")]
    Prefix {
        /// The text that was given.
        token: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A prefix of the wrong address family for where it was used.
    #[error("`{token}` is not an {expected} prefix")]
    Family {
        /// The text that was given.
        token: String,
        /// `IPv4` or `IPv6`.
        expected: &'static str,
    },
    /// A prefix that RFC 6052 does not allow as a Pref64.
    #[error("`{token}` is not an RFC 6052 prefix: {source}")]
    Pref64 {
        /// The text that was given.
        token: String,
        /// Why v6core rejected it.
        source: v6core::Error,
    },
    /// A zone file that does not parse.
    #[error("zone file: {0}")]
    Zone(String),
}
