//! Neighbor-discovery wire formats: each message as a view of a buffer
//! ([`Packet`], [`NdiscOption`]) and as its meaning ([`Repr`],
//! [`NdiscOptionRepr`]), in the manner of smoltcp.

pub mod checksum;
pub mod ndisc;
pub mod option;

pub use ndisc::{Message, NeighborFlags, Packet, Repr, RouterAdvert, RouterFlags};
pub use option::{
    NdiscOption, NdiscOptionRepr, OptionType, Pref64Info, Preference, PrefixInfo, RouteInfo,
};

/// Why a neighbor-discovery message or option was not accepted.
///
/// Small and `Copy`, so that a daemon can count drops by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The buffer ends before the field or option it must hold.
    #[error("truncated: {required} bytes required, {len} present")]
    Truncated {
        /// The bytes needed.
        required: usize,
        /// The bytes present.
        len: usize,
    },
    /// The ICMPv6 type is not one of neighbor discovery's.
    #[error("ICMPv6 type {0} is not a neighbor-discovery message")]
    MessageType(u8),
    /// The ICMPv6 code is not 0 (RFC 4861 section 6.1).
    #[error("ICMPv6 code {0}, where 0 is required")]
    Code(u8),
    /// An option has length 0 (RFC 4861 section 4.6).
    #[error("option {kind} has length 0")]
    ZeroLengthOption {
        /// The option's type.
        kind: u8,
    },
    /// A known option's length or fields are not what its RFC allows.
    #[error("option {kind} is malformed")]
    MalformedOption {
        /// The option's type.
        kind: u8,
    },
    /// An option is longer than 255 units of 8 octets.
    #[error("option {kind} is longer than 2040 bytes")]
    OptionTooLong {
        /// The option's type.
        kind: u8,
    },
}
