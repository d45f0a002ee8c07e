//! The one error type of the crate.

use core::net::IpAddr;

use ipnet::{IpNet, Ipv6Net};

/// What was wrong with an input to one of `v6core`'s functions.
///
/// Every variant names the offending input, so that a caller can print the
/// error as it is and the user knows which token to fix. Variants that can be
/// returned on a hot path (RFC 6052 extraction) carry only `Copy` data and
/// never allocate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Text that does not parse as the value that was asked for.
    #[error("{input:?} is not a valid {what}: {reason}")]
    Parse {
        /// The text as given.
        input: String,
        /// What the text should have been ("MAC address", "prefix", …).
        what: &'static str,
        /// Why it is not one.
        reason: &'static str,
    },

    /// A prefix whose address has bits set after its length, such as
    /// `2001:db8::1/64`.
    #[error("{prefix} has host bits set (did you mean {}?)", prefix.trunc())]
    HostBitsSet {
        /// The prefix as given.
        prefix: IpNet,
    },

    /// An RFC 6052 prefix whose length is not one of 32, 40, 48, 56, 64, 96.
    #[error("/{len} is not an RFC 6052 prefix length (32, 40, 48, 56, 64 or 96)")]
    Pref64Length {
        /// The length that was given.
        len: u8,
    },

    /// A /96 RFC 6052 prefix with bits 64 to 71 set, which RFC 6052
    /// section 2.2 forbids.
    #[error("{prefix}: bits 64 to 71 must be zero (RFC 6052 section 2.2)")]
    Pref64ReservedBits {
        /// The prefix as given.
        prefix: Ipv6Net,
    },

    /// An address that does not lie inside the prefix it was used with.
    #[error("{address} is not inside {prefix}")]
    NotInPrefix {
        /// The address.
        address: IpAddr,
        /// The prefix it should have been inside.
        prefix: IpNet,
    },

    /// An address family mix-up: an IPv4 address with an IPv6 prefix or the
    /// other way round.
    #[error("{address} is not of the same address family as {prefix}")]
    FamilyMismatch {
        /// The address.
        address: IpAddr,
        /// The prefix.
        prefix: IpNet,
    },

    /// A prefix cannot be split into subnets of the requested length.
    #[error("cannot split {prefix} into /{len}: {reason}")]
    SplitLength {
        /// The prefix to split.
        prefix: IpNet,
        /// The requested subnet length.
        len: u8,
        /// Why not.
        reason: &'static str,
    },

    /// A prefix that is too long for what was asked of it (an interface
    /// identifier needs a prefix of at most /64, for example).
    #[error("{prefix} is too long: {reason}")]
    PrefixTooLong {
        /// The prefix as given.
        prefix: IpNet,
        /// Why it is too long.
        reason: &'static str,
    },

    /// An interface identifier that was not made from a MAC address by the
    /// modified EUI-64 rules of RFC 4291 appendix A (it lacks `ff:fe` in
    /// octets 3 and 4).
    #[error(
        "interface identifier {iid} is not derived from a MAC address (RFC 4291 appendix A: octets 3-4 must be ff:fe)"
    )]
    NotEui64 {
        /// The interface identifier, formatted as four hexadecimal groups.
        iid: crate::Eui64,
    },

    /// There are not as many distinct addresses in a prefix as were asked for.
    #[error("{prefix} holds fewer than {requested} addresses")]
    NotEnoughAddresses {
        /// The prefix.
        prefix: IpNet,
        /// How many distinct addresses were asked for.
        requested: u128,
    },

    /// A supernet length that is longer than the prefix it should contain.
    #[error("{prefix} has no supernet /{len}: a supernet is at most /{}", prefix.prefix_len())]
    SupernetLength {
        /// The prefix as given.
        prefix: IpNet,
        /// The requested supernet length.
        len: u8,
    },

    /// Two addresses that do not make a range: of different address
    /// families, or the start after the end.
    #[error("{start} to {end} is not a range of addresses: {reason}")]
    Range {
        /// The first address as given.
        start: IpAddr,
        /// The last address as given.
        end: IpAddr,
        /// Why not.
        reason: &'static str,
    },

    /// A name that is not a reverse-DNS name of an address or prefix.
    #[error("{name:?} is not a reverse-DNS name: {reason}")]
    ReverseName {
        /// The name as given.
        name: String,
        /// Why it is not one.
        reason: &'static str,
    },
}

impl Error {
    /// Builds a [`Error::Parse`] for `input`.
    pub(crate) fn parse(input: &str, what: &'static str, reason: &'static str) -> Self {
        Error::Parse {
            input: input.to_owned(),
            what,
            reason,
        }
    }
}
