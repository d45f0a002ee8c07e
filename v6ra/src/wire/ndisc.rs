//! Neighbor-discovery messages: Router Solicitation and Advertisement,
//! Neighbor Solicitation and Advertisement (RFC 4861 section 4).
//!
//! ```text
//! Router Advertisement (RFC 4861 section 4.2, flags from RFC 3775,
//! RFC 4191 section 2.2 and RFC 4389 section 4.1.3.3):
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Cur Hop Limit |M|O|H|Prf|P|Rsv|       Router Lifetime         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Reachable Time                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                          Retrans Timer                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Options ...
//!
//! Router Solicitation (section 4.1):      Neighbor Solicitation (4.3) and
//! | Type | Code | Checksum |              Advertisement (4.4):
//! |          Reserved      |              | Type | Code | Checksum |
//! |   Options ...                         |R|S|O|     Reserved     |
//!                                         |   Target Address (16)  |
//!                                         |   Options ...
//! ```

use core::net::Ipv6Addr;

use super::option::{self, NdiscOptionRepr, Preference};
use super::{Error, checksum};

mod field {
    use core::ops::Range;

    pub(super) const TYPE: usize = 0;
    pub(super) const CODE: usize = 1;
    pub(super) const CHECKSUM: Range<usize> = 2..4;

    pub(super) const CUR_HOP_LIMIT: usize = 4;
    pub(super) const ROUTER_FLAGS: usize = 5;
    pub(super) const ROUTER_LIFETIME: Range<usize> = 6..8;
    pub(super) const REACHABLE_TIME: Range<usize> = 8..12;
    pub(super) const RETRANS_TIME: Range<usize> = 12..16;

    pub(super) const RESERVED: Range<usize> = 4..8;
    pub(super) const NEIGHBOR_FLAGS: usize = 4;
    pub(super) const TARGET: Range<usize> = 8..24;
}

/// The ICMPv6 message types of neighbor discovery (RFC 4861 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Message {
    /// 133.
    RouterSolicit,
    /// 134.
    RouterAdvert,
    /// 135.
    NeighborSolicit,
    /// 136.
    NeighborAdvert,
    /// Any other ICMPv6 type.
    Unknown(u8),
}

impl From<u8> for Message {
    fn from(v: u8) -> Self {
        match v {
            133 => Message::RouterSolicit,
            134 => Message::RouterAdvert,
            135 => Message::NeighborSolicit,
            136 => Message::NeighborAdvert,
            other => Message::Unknown(other),
        }
    }
}

impl From<Message> for u8 {
    fn from(m: Message) -> u8 {
        match m {
            Message::RouterSolicit => 133,
            Message::RouterAdvert => 134,
            Message::NeighborSolicit => 135,
            Message::NeighborAdvert => 136,
            Message::Unknown(v) => v,
        }
    }
}

impl Message {
    /// The length of the fixed part before the options.
    const fn header_len(self) -> Option<usize> {
        match self {
            Message::RouterSolicit => Some(8),
            Message::RouterAdvert => Some(16),
            Message::NeighborSolicit | Message::NeighborAdvert => Some(24),
            Message::Unknown(_) => None,
        }
    }
}

/// The flags byte of a router advertisement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterFlags {
    /// M: addresses are available by DHCPv6 (RFC 4861 section 4.2).
    pub managed: bool,
    /// O: other configuration is available by DHCPv6.
    pub other: bool,
    /// H: the router is a Mobile IPv6 home agent (RFC 6275 section 7.1).
    pub home_agent: bool,
    /// Prf: the default router preference (RFC 4191 section 2.2).
    pub preference: Preference,
    /// P: the router proxies neighbor discovery (RFC 4389 section 4.1.3.3).
    pub proxy: bool,
    /// The two reserved low bits, kept as received.
    pub reserved: u8,
}

impl RouterFlags {
    /// The flags in `byte`.
    pub const fn from_byte(byte: u8) -> Self {
        RouterFlags {
            managed: byte & 0x80 != 0,
            other: byte & 0x40 != 0,
            home_agent: byte & 0x20 != 0,
            preference: Preference::from_bits(byte >> 3),
            proxy: byte & 0x04 != 0,
            reserved: byte & 0x03,
        }
    }

    /// The flags as one byte.
    pub const fn to_byte(self) -> u8 {
        (self.managed as u8) << 7
            | (self.other as u8) << 6
            | (self.home_agent as u8) << 5
            | self.preference.bits() << 3
            | (self.proxy as u8) << 2
            | (self.reserved & 0x03)
    }
}

/// The flags of a neighbor advertisement (RFC 4861 section 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NeighborFlags {
    /// R: the sender is a router.
    pub router: bool,
    /// S: sent in answer to a solicitation.
    pub solicited: bool,
    /// O: the advertisement overrides a cached link-layer address.
    pub override_: bool,
}

/// A view of a neighbor-discovery message in a buffer.
///
/// After [`Packet::new_checked`] succeeds no accessor panics; the accessors
/// of one message type read fixed offsets and return meaningless values for
/// another.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps `buffer` and checks it with [`Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let packet = Packet::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer is a neighbor-discovery message type and
    /// holds that type's fixed part.
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < 4 {
            return Err(Error::Truncated { required: 4, len });
        }
        let required = self
            .msg_type()
            .header_len()
            .ok_or(Error::MessageType(self.buffer.as_ref()[field::TYPE]))?;
        if len < required {
            return Err(Error::Truncated { required, len });
        }
        Ok(())
    }

    /// The whole message.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    pub fn msg_type(&self) -> Message {
        Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The code: 0 in every valid neighbor-discovery message.
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Whether the checksum is right for a message from `src` to `dst`
    /// (RFC 4443 section 2.3).
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        checksum::icmpv6(src, dst, self.buffer.as_ref()) == 0
    }

    fn be32(&self, range: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[range];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// RA: the hop limit hosts should use.
    pub fn cur_hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::CUR_HOP_LIMIT]
    }

    /// RA: the flags.
    pub fn router_flags(&self) -> RouterFlags {
        RouterFlags::from_byte(self.buffer.as_ref()[field::ROUTER_FLAGS])
    }

    /// RA: seconds the router is a default router; 0 means it is not.
    pub fn router_lifetime(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::ROUTER_LIFETIME];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// RA: milliseconds a neighbor is reachable after a confirmation; 0 is
    /// unspecified.
    pub fn reachable_time(&self) -> u32 {
        self.be32(field::REACHABLE_TIME)
    }

    /// RA: milliseconds between neighbor solicitations; 0 is unspecified.
    pub fn retrans_time(&self) -> u32 {
        self.be32(field::RETRANS_TIME)
    }

    /// NA: the flags.
    pub fn neighbor_flags(&self) -> NeighborFlags {
        let b = self.buffer.as_ref()[field::NEIGHBOR_FLAGS];
        NeighborFlags {
            router: b & 0x80 != 0,
            solicited: b & 0x40 != 0,
            override_: b & 0x20 != 0,
        }
    }

    /// NS and NA: the target address.
    pub fn target_addr(&self) -> Ipv6Addr {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&self.buffer.as_ref()[field::TARGET]);
        Ipv6Addr::from(octets)
    }

    /// The options after the fixed part.
    pub fn options(&self) -> &[u8] {
        let start = self.msg_type().header_len().unwrap_or(4);
        &self.buffer.as_ref()[start..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Computes the checksum of a message from `src` to `dst` and writes it
    /// (RFC 4443 section 2.3).
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.buffer.as_mut()[field::CHECKSUM].fill(0);
        let sum = checksum::icmpv6(src, dst, self.buffer.as_ref());
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    }
}

/// The meaning of a router advertisement (RFC 4861 section 4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RouterAdvert {
    /// The hop limit hosts should use; 0 is unspecified.
    pub hop_limit: u8,
    /// M, O, H, Prf and P.
    pub flags: RouterFlags,
    /// Seconds the router is a default router; 0 means it is not one.
    pub router_lifetime: u16,
    /// Milliseconds; 0 is unspecified.
    pub reachable_time: u32,
    /// Milliseconds; 0 is unspecified.
    pub retrans_time: u32,
    /// The options, in the order they are sent.
    pub options: Vec<NdiscOptionRepr>,
}

/// The meaning of a neighbor-discovery message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Repr {
    /// A router solicitation (RFC 4861 section 4.1).
    RouterSolicit {
        /// Its options (a source link-layer address, usually).
        options: Vec<NdiscOptionRepr>,
    },
    /// A router advertisement (RFC 4861 section 4.2).
    RouterAdvert(RouterAdvert),
    /// A neighbor solicitation (RFC 4861 section 4.3).
    NeighborSolicit {
        /// The address whose link-layer address is asked for.
        target: Ipv6Addr,
        /// Its options.
        options: Vec<NdiscOptionRepr>,
    },
    /// A neighbor advertisement (RFC 4861 section 4.4).
    NeighborAdvert {
        /// R, S and O.
        flags: NeighborFlags,
        /// The address advertised.
        target: Ipv6Addr,
        /// Its options.
        options: Vec<NdiscOptionRepr>,
    },
}

/// Parses every option in `buffer` (RFC 4861 section 4.6).
pub fn parse_options(buffer: &[u8]) -> Result<Vec<NdiscOptionRepr>, Error> {
    option::iter(buffer)
        .map(|o| o.and_then(|o| NdiscOptionRepr::parse(&o)))
        .collect()
}

fn options_len(options: &[NdiscOptionRepr]) -> usize {
    options.iter().map(NdiscOptionRepr::buffer_len).sum()
}

fn emit_options(options: &[NdiscOptionRepr], mut buffer: &mut [u8]) -> Result<(), Error> {
    for option in options {
        let len = option.buffer_len();
        option.emit(buffer)?;
        buffer = &mut buffer[len..];
    }
    Ok(())
}

impl Repr {
    /// Parses a checked message (RFC 4861 sections 4.1 to 4.4; the
    /// validation of sections 6.1.1, 6.1.2, 7.1.1 and 7.1.2 that needs
    /// only the message itself: code 0 and well-formed options).
    ///
    /// The checksum, the IPv6 hop limit and the addresses are the caller's
    /// to check; see [`Packet::verify_checksum`].
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Repr, Error> {
        packet.check_len()?;
        if packet.code() != 0 {
            return Err(Error::Code(packet.code()));
        }
        let options = parse_options(packet.options())?;
        Ok(match packet.msg_type() {
            Message::RouterSolicit => Repr::RouterSolicit { options },
            Message::RouterAdvert => Repr::RouterAdvert(RouterAdvert {
                hop_limit: packet.cur_hop_limit(),
                flags: packet.router_flags(),
                router_lifetime: packet.router_lifetime(),
                reachable_time: packet.reachable_time(),
                retrans_time: packet.retrans_time(),
                options,
            }),
            Message::NeighborSolicit => Repr::NeighborSolicit {
                target: packet.target_addr(),
                options,
            },
            Message::NeighborAdvert => Repr::NeighborAdvert {
                flags: packet.neighbor_flags(),
                target: packet.target_addr(),
                options,
            },
            Message::Unknown(t) => return Err(Error::MessageType(t)),
        })
    }

    /// The message type.
    pub fn msg_type(&self) -> Message {
        match self {
            Repr::RouterSolicit { .. } => Message::RouterSolicit,
            Repr::RouterAdvert(_) => Message::RouterAdvert,
            Repr::NeighborSolicit { .. } => Message::NeighborSolicit,
            Repr::NeighborAdvert { .. } => Message::NeighborAdvert,
        }
    }

    /// The options.
    pub fn options(&self) -> &[NdiscOptionRepr] {
        match self {
            Repr::RouterSolicit { options }
            | Repr::RouterAdvert(RouterAdvert { options, .. })
            | Repr::NeighborSolicit { options, .. }
            | Repr::NeighborAdvert { options, .. } => options,
        }
    }

    /// The number of bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        self.msg_type().header_len().unwrap_or(4) + options_len(self.options())
    }

    /// Writes the message into `packet`, whose buffer must hold
    /// [`buffer_len`](Self::buffer_len) bytes; every one of them is
    /// written. The checksum is left zero: fill it with
    /// [`Packet::fill_checksum`] once the addresses are known.
    ///
    /// # Panics
    ///
    /// If the buffer is shorter than `buffer_len()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<(), Error> {
        let header = self.msg_type().header_len().unwrap_or(4);
        let b = &mut packet.buffer.as_mut()[..self.buffer_len()];
        b[field::TYPE] = self.msg_type().into();
        b[field::CODE] = 0;
        b[field::CHECKSUM].fill(0);
        match self {
            Repr::RouterSolicit { .. } => b[field::RESERVED].fill(0),
            Repr::RouterAdvert(ra) => {
                b[field::CUR_HOP_LIMIT] = ra.hop_limit;
                b[field::ROUTER_FLAGS] = ra.flags.to_byte();
                b[field::ROUTER_LIFETIME].copy_from_slice(&ra.router_lifetime.to_be_bytes());
                b[field::REACHABLE_TIME].copy_from_slice(&ra.reachable_time.to_be_bytes());
                b[field::RETRANS_TIME].copy_from_slice(&ra.retrans_time.to_be_bytes());
            }
            Repr::NeighborSolicit { target, .. } => {
                b[field::RESERVED].fill(0);
                b[field::TARGET].copy_from_slice(&target.octets());
            }
            Repr::NeighborAdvert { flags, target, .. } => {
                b[field::RESERVED].fill(0);
                b[field::NEIGHBOR_FLAGS] = u8::from(flags.router) << 7
                    | u8::from(flags.solicited) << 6
                    | u8::from(flags.override_) << 5;
                b[field::TARGET].copy_from_slice(&target.octets());
            }
        }
        emit_options(self.options(), &mut b[header..])
    }

    /// The message as bytes, with the checksum for `src` to `dst`.
    pub fn to_bytes(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> Result<Vec<u8>, Error> {
        let mut packet = Packet::new_unchecked(vec![0u8; self.buffer_len()]);
        self.emit(&mut packet)?;
        packet.fill_checksum(src, dst);
        Ok(packet.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::option::{PrefixInfo, RouteInfo};

    /// The first advertisement radvd 2.19 sent for the configuration in
    /// `tests/data/classic.radvd.conf`, from fe80::ff:fe00:1 to ff02::1.
    static CLASSIC: [u8; 104] = [
        0x86, 0x00, 0x7f, 0x6d, 0x40, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x03, 0x04, 0x40, 0xe0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0x00, 0x00,
        0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x18, 0x03, 0x60, 0x00, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x64, 0xff, 0x9b,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0x03, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x0a, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    ];

    fn src() -> Ipv6Addr {
        "fe80::ff:fe00:1".parse().unwrap()
    }

    fn all_nodes() -> Ipv6Addr {
        "ff02::1".parse().unwrap()
    }

    fn classic_repr() -> Repr {
        Repr::RouterAdvert(RouterAdvert {
            hop_limit: 64,
            flags: RouterFlags::default(),
            router_lifetime: 30,
            reachable_time: 0,
            retrans_time: 0,
            options: vec![
                NdiscOptionRepr::PrefixInformation(PrefixInfo {
                    prefix: "2001:db8:1::/64".parse().unwrap(),
                    on_link: true,
                    autonomous: true,
                    router_address: true,
                    valid_lifetime: 86400,
                    preferred_lifetime: 14400,
                }),
                NdiscOptionRepr::RouteInformation(RouteInfo {
                    prefix: "64:ff9b::/96".parse().unwrap(),
                    preference: Preference::Medium,
                    lifetime: 30,
                }),
                NdiscOptionRepr::Rdnss {
                    lifetime: 10,
                    servers: vec!["2001:db8:1::1".parse().unwrap()],
                },
                NdiscOptionRepr::SourceLinkLayerAddr(vec![2, 0, 0, 0, 0, 1]),
            ],
        })
    }

    #[test]
    fn parses_radvd_advertisement() {
        let packet = Packet::new_checked(&CLASSIC[..]).unwrap();
        assert!(packet.verify_checksum(&src(), &all_nodes()));
        assert_eq!(packet.msg_type(), Message::RouterAdvert);
        assert_eq!(Repr::parse(&packet).unwrap(), classic_repr());
    }

    #[test]
    fn emits_radvd_advertisement_and_every_byte() {
        let repr = classic_repr();
        assert_eq!(repr.buffer_len(), CLASSIC.len());
        let mut packet = Packet::new_unchecked([0xffu8; 104]);
        repr.emit(&mut packet).unwrap();
        packet.fill_checksum(&src(), &all_nodes());
        assert_eq!(packet.into_inner(), CLASSIC);
    }

    #[test]
    fn router_flags_round_trip_every_byte() {
        for byte in 0..=255u8 {
            assert_eq!(RouterFlags::from_byte(byte).to_byte(), byte);
        }
    }

    #[test]
    fn neighbor_messages_round_trip() {
        let target: Ipv6Addr = "2001:db8::7".parse().unwrap();
        let ns = Repr::NeighborSolicit {
            target,
            options: vec![NdiscOptionRepr::SourceLinkLayerAddr(vec![2, 0, 0, 0, 0, 2])],
        };
        let na = Repr::NeighborAdvert {
            flags: NeighborFlags {
                router: true,
                solicited: true,
                override_: false,
            },
            target,
            options: vec![NdiscOptionRepr::TargetLinkLayerAddr(vec![2, 0, 0, 0, 0, 3])],
        };
        for repr in [ns, na] {
            let bytes = repr.to_bytes(&src(), &all_nodes()).unwrap();
            assert_eq!(bytes.len(), 32);
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            assert!(packet.verify_checksum(&src(), &all_nodes()));
            assert_eq!(packet.target_addr(), target);
            assert_eq!(Repr::parse(&packet).unwrap(), repr);
        }
    }

    #[test]
    fn bad_messages_are_errors() {
        assert_eq!(
            Packet::new_checked(&[134u8, 0, 0][..]).unwrap_err(),
            Error::Truncated {
                required: 4,
                len: 3
            }
        );
        assert_eq!(
            Packet::new_checked(&[128u8, 0, 0, 0][..]).unwrap_err(),
            Error::MessageType(128)
        );
        assert_eq!(
            Packet::new_checked(&[134u8, 0, 0, 0, 0, 0, 0, 0][..]).unwrap_err(),
            Error::Truncated {
                required: 16,
                len: 8
            }
        );
        let mut bad_code = CLASSIC;
        bad_code[1] = 1;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&bad_code[..]).unwrap()).unwrap_err(),
            Error::Code(1)
        );
        // A checksum that does not match.
        let mut flipped = CLASSIC;
        flipped[20] ^= 1;
        assert!(
            !Packet::new_checked(&flipped[..])
                .unwrap()
                .verify_checksum(&src(), &all_nodes())
        );
    }
}
