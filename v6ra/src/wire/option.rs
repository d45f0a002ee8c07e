//! Neighbor-discovery options (RFC 4861 section 4.6) and the options later
//! RFCs added to router advertisements.
//!
//! Every option starts with a type and a length in units of 8 octets:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |    Length     |              ...              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                              ...                              ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! [`NdiscOption`] is a view of one option in a buffer, [`NdiscOptionRepr`]
//! its meaning. An option of a type this crate does not know is kept as
//! [`NdiscOptionRepr::Unknown`] with its bytes, so that a parse/emit round
//! trip loses nothing.

use core::net::Ipv6Addr;

use ipnet::Ipv6Net;
use v6core::Pref64;

use super::Error;

/// Field offsets common to every option, and those of each option type.
mod field {
    pub(super) const TYPE: usize = 0;
    pub(super) const LENGTH: usize = 1;
    pub(super) const DATA: usize = 2;

    // Prefix Information, RFC 4861 section 4.6.2.
    pub(super) const PI_PREFIX_LEN: usize = 2;
    pub(super) const PI_FLAGS: usize = 3;
    pub(super) const PI_VALID: core::ops::Range<usize> = 4..8;
    pub(super) const PI_PREFERRED: core::ops::Range<usize> = 8..12;
    pub(super) const PI_RESERVED: core::ops::Range<usize> = 12..16;
    pub(super) const PI_PREFIX: core::ops::Range<usize> = 16..32;

    // MTU, RFC 4861 section 4.6.4.
    pub(super) const MTU_RESERVED: core::ops::Range<usize> = 2..4;
    pub(super) const MTU: core::ops::Range<usize> = 4..8;

    // Route Information, RFC 4191 section 2.3.
    pub(super) const RI_PREFIX_LEN: usize = 2;
    pub(super) const RI_FLAGS: usize = 3;
    pub(super) const RI_LIFETIME: core::ops::Range<usize> = 4..8;
    pub(super) const RI_PREFIX: usize = 8;

    // RDNSS and DNSSL, RFC 8106 sections 5.1 and 5.2.
    pub(super) const DNS_RESERVED: core::ops::Range<usize> = 2..4;
    pub(super) const DNS_LIFETIME: core::ops::Range<usize> = 4..8;
    pub(super) const DNS_DATA: usize = 8;

    // PREF64, RFC 8781 section 4.
    pub(super) const P64_LIFETIME_PLC: core::ops::Range<usize> = 2..4;
    pub(super) const P64_PREFIX: core::ops::Range<usize> = 4..16;
}

/// The option types this crate knows (IANA "IPv6 Neighbor Discovery Option
/// Formats"), and any other as [`OptionType::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptionType {
    /// 1: Source Link-layer Address, RFC 4861 section 4.6.1.
    SourceLinkLayerAddr,
    /// 2: Target Link-layer Address, RFC 4861 section 4.6.1.
    TargetLinkLayerAddr,
    /// 3: Prefix Information, RFC 4861 section 4.6.2.
    PrefixInformation,
    /// 4: Redirected Header, RFC 4861 section 4.6.3.
    RedirectedHeader,
    /// 5: MTU, RFC 4861 section 4.6.4.
    Mtu,
    /// 24: Route Information, RFC 4191 section 2.3.
    RouteInformation,
    /// 25: Recursive DNS Server, RFC 8106 section 5.1.
    Rdnss,
    /// 31: DNS Search List, RFC 8106 section 5.2.
    Dnssl,
    /// 37: Captive-Portal, RFC 8910 section 2.3.
    CaptivePortal,
    /// 38: PREF64, RFC 8781 section 4.
    Pref64,
    /// Any other type.
    Unknown(u8),
}

impl From<u8> for OptionType {
    fn from(v: u8) -> Self {
        match v {
            1 => OptionType::SourceLinkLayerAddr,
            2 => OptionType::TargetLinkLayerAddr,
            3 => OptionType::PrefixInformation,
            4 => OptionType::RedirectedHeader,
            5 => OptionType::Mtu,
            24 => OptionType::RouteInformation,
            25 => OptionType::Rdnss,
            31 => OptionType::Dnssl,
            37 => OptionType::CaptivePortal,
            38 => OptionType::Pref64,
            other => OptionType::Unknown(other),
        }
    }
}

impl From<OptionType> for u8 {
    fn from(t: OptionType) -> u8 {
        match t {
            OptionType::SourceLinkLayerAddr => 1,
            OptionType::TargetLinkLayerAddr => 2,
            OptionType::PrefixInformation => 3,
            OptionType::RedirectedHeader => 4,
            OptionType::Mtu => 5,
            OptionType::RouteInformation => 24,
            OptionType::Rdnss => 25,
            OptionType::Dnssl => 31,
            OptionType::CaptivePortal => 37,
            OptionType::Pref64 => 38,
            OptionType::Unknown(v) => v,
        }
    }
}

/// A router's or a route's preference: the two-bit `Prf` field of RFC 4191
/// section 2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Preference {
    /// 01.
    High,
    /// 00, the default.
    #[default]
    Medium,
    /// 11.
    Low,
    /// 10, which receivers treat as medium (RFC 4191 section 2.1) but which
    /// is kept so that a round trip loses nothing.
    Reserved,
}

impl Preference {
    /// The preference in the low two bits of `bits`.
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0b01 => Preference::High,
            0b00 => Preference::Medium,
            0b11 => Preference::Low,
            _ => Preference::Reserved,
        }
    }

    /// The two-bit code.
    pub const fn bits(self) -> u8 {
        match self {
            Preference::High => 0b01,
            Preference::Medium => 0b00,
            Preference::Low => 0b11,
            Preference::Reserved => 0b10,
        }
    }

    /// The word radvd.conf uses: `low`, `medium` or `high`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Preference::High => "high",
            Preference::Medium | Preference::Reserved => "medium",
            Preference::Low => "low",
        }
    }
}

/// The meaning of a Prefix Information option (RFC 4861 section 4.6.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrefixInfo {
    /// The prefix and its length (bits past the length are sent as given).
    pub prefix: Ipv6Net,
    /// L: the prefix is on-link.
    pub on_link: bool,
    /// A: hosts may form addresses in it by SLAAC (RFC 4862).
    pub autonomous: bool,
    /// R: the prefix field holds the router's own address (RFC 6275
    /// section 7.2).
    pub router_address: bool,
    /// Seconds the prefix stays valid; `u32::MAX` is infinity.
    pub valid_lifetime: u32,
    /// Seconds addresses in it stay preferred; `u32::MAX` is infinity.
    pub preferred_lifetime: u32,
}

/// The meaning of a Route Information option (RFC 4191 section 2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteInfo {
    /// The route's prefix.
    pub prefix: Ipv6Net,
    /// The route's preference.
    pub preference: Preference,
    /// Seconds the route is valid; `u32::MAX` is infinity.
    pub lifetime: u32,
}

/// The meaning of a PREF64 option (RFC 8781 section 4): the NAT64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pref64Info {
    /// Seconds the prefix is valid. On the wire it is a 13-bit count of 8 s
    /// units, so it is at most 65528 and is rounded up to a multiple of 8
    /// when emitted.
    pub lifetime: u16,
    /// The NAT64 prefix: /32, /40, /48, /56, /64 or /96.
    pub prefix: Pref64,
}

impl Pref64Info {
    /// The greatest lifetime the option can carry: 8191 units of 8 seconds.
    pub const MAX_LIFETIME: u16 = 8191 * 8;
}

/// The meaning of one neighbor-discovery option.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NdiscOptionRepr {
    /// The sender's link-layer address (RFC 4861 section 4.6.1); for
    /// Ethernet six bytes. The bytes are those after the type and length,
    /// padding included.
    SourceLinkLayerAddr(Vec<u8>),
    /// The target's link-layer address (RFC 4861 section 4.6.1).
    TargetLinkLayerAddr(Vec<u8>),
    /// A prefix for on-link determination and SLAAC.
    PrefixInformation(PrefixInfo),
    /// The link's MTU (RFC 4861 section 4.6.4).
    Mtu(u32),
    /// A more-specific route through the router (RFC 4191 section 2.3).
    RouteInformation(RouteInfo),
    /// Recursive DNS servers (RFC 8106 section 5.1).
    Rdnss {
        /// Seconds the servers may be used; `u32::MAX` is infinity.
        lifetime: u32,
        /// The servers' addresses.
        servers: Vec<Ipv6Addr>,
    },
    /// DNS search domains (RFC 8106 section 5.2).
    Dnssl {
        /// Seconds the domains may be used; `u32::MAX` is infinity.
        lifetime: u32,
        /// The domains, such as `example.org` (no trailing dot).
        domains: Vec<String>,
    },
    /// The URI of the captive-portal API (RFC 8910 section 2.3).
    CaptivePortal(String),
    /// The NAT64 prefix (RFC 8781).
    Pref64(Pref64Info),
    /// An option this crate does not interpret (or that was malformed in a
    /// way its RFC says to ignore), with the bytes after type and length.
    Unknown {
        /// The option type.
        kind: u8,
        /// The bytes after the type and length fields, `8 * length - 2` of them.
        data: Vec<u8>,
    },
}

/// A view of one option at the start of a buffer.
///
/// After [`NdiscOption::new_checked`] succeeds no accessor panics.
#[derive(Debug, Clone, Copy)]
pub struct NdiscOption<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> NdiscOption<T> {
    /// Wraps `buffer` without checking it.
    pub const fn new_unchecked(buffer: T) -> Self {
        NdiscOption { buffer }
    }

    /// Wraps `buffer` and checks that it holds a whole option.
    pub fn new_checked(buffer: T) -> Result<Self, Error> {
        let option = NdiscOption::new_unchecked(buffer);
        option.check_len()?;
        Ok(option)
    }

    /// Checks that the buffer holds the type and length fields, that the
    /// length is not zero (RFC 4861 section 4.6) and that the buffer holds
    /// all of it.
    pub fn check_len(&self) -> Result<(), Error> {
        let data = self.buffer.as_ref();
        if data.len() < 2 {
            return Err(Error::Truncated {
                required: 2,
                len: data.len(),
            });
        }
        let len = self.total_len();
        if len == 0 {
            return Err(Error::ZeroLengthOption { kind: data[0] });
        }
        if data.len() < len {
            return Err(Error::Truncated {
                required: len,
                len: data.len(),
            });
        }
        Ok(())
    }

    /// The option type.
    pub fn option_type(&self) -> OptionType {
        OptionType::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The length field: units of 8 octets.
    pub fn length(&self) -> u8 {
        self.buffer.as_ref()[field::LENGTH]
    }

    /// The option's size in bytes.
    pub fn total_len(&self) -> usize {
        usize::from(self.length()) * 8
    }

    /// The option's bytes, type and length included.
    pub fn bytes(&self) -> &[u8] {
        &self.buffer.as_ref()[..self.total_len()]
    }

    /// The bytes after type and length.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA..self.total_len()]
    }
}

/// The options in `buffer`, one after the other, each as a checked view.
///
/// Stops at the first malformed option, which it yields as an error.
pub fn iter(buffer: &[u8]) -> impl Iterator<Item = Result<NdiscOption<&[u8]>, Error>> {
    let mut rest = buffer;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match NdiscOption::new_checked(rest) {
            Ok(option) => {
                let len = option.total_len();
                let (this, tail) = rest.split_at(len);
                rest = tail;
                Some(Ok(NdiscOption::new_unchecked(this)))
            }
            Err(e) => {
                rest = &[];
                Some(Err(e))
            }
        }
    })
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn addr(b: &[u8]) -> Ipv6Addr {
    let mut octets = [0u8; 16];
    octets.copy_from_slice(&b[..16]);
    Ipv6Addr::from(octets)
}

/// The prefix lengths of the PREF64 option's prefix-length codes 0 to 5
/// (RFC 8781 section 4).
const PLC_LENGTHS: [u8; 6] = [96, 64, 56, 48, 40, 32];

impl NdiscOptionRepr {
    /// Parses a checked option view (RFC 4861 section 4.6 and the RFC of
    /// each option type).
    ///
    /// A known option whose length cannot hold its fields is an error
    /// (`Error::MalformedOption`). An option that its RFC tells receivers
    /// to ignore when a field is out of range — a PREF64 option with an
    /// unknown prefix-length code, a captive-portal URI that is not UTF-8 —
    /// is kept as [`NdiscOptionRepr::Unknown`].
    pub fn parse<T: AsRef<[u8]>>(option: &NdiscOption<T>) -> Result<Self, Error> {
        let kind = option.buffer.as_ref()[field::TYPE];
        let b = option.bytes();
        let len = option.length();
        let malformed = Error::MalformedOption { kind };
        let unknown = || NdiscOptionRepr::Unknown {
            kind,
            data: option.data().to_vec(),
        };
        Ok(match option.option_type() {
            OptionType::SourceLinkLayerAddr => {
                NdiscOptionRepr::SourceLinkLayerAddr(option.data().to_vec())
            }
            OptionType::TargetLinkLayerAddr => {
                NdiscOptionRepr::TargetLinkLayerAddr(option.data().to_vec())
            }
            OptionType::PrefixInformation => {
                if len != 4 || b[field::PI_PREFIX_LEN] > 128 {
                    return Err(malformed);
                }
                let flags = b[field::PI_FLAGS];
                let prefix = Ipv6Net::new(addr(&b[field::PI_PREFIX]), b[field::PI_PREFIX_LEN])
                    .map_err(|_| malformed)?;
                NdiscOptionRepr::PrefixInformation(PrefixInfo {
                    prefix,
                    on_link: flags & 0x80 != 0,
                    autonomous: flags & 0x40 != 0,
                    router_address: flags & 0x20 != 0,
                    valid_lifetime: be32(&b[field::PI_VALID]),
                    preferred_lifetime: be32(&b[field::PI_PREFERRED]),
                })
            }
            OptionType::Mtu => {
                if len != 1 {
                    return Err(malformed);
                }
                NdiscOptionRepr::Mtu(be32(&b[field::MTU]))
            }
            OptionType::RouteInformation => {
                let plen = b[field::RI_PREFIX_LEN];
                // RFC 4191 section 2.3: length 1 holds no prefix bits, 2 up
                // to 64 and 3 up to 128.
                let holds = match len {
                    1 => 0,
                    2 => 64,
                    3 => 128,
                    _ => return Err(malformed),
                };
                if plen > holds {
                    return Err(malformed);
                }
                let mut octets = [0u8; 16];
                let given = &b[field::RI_PREFIX..];
                octets[..given.len()].copy_from_slice(given);
                NdiscOptionRepr::RouteInformation(RouteInfo {
                    prefix: Ipv6Net::new(Ipv6Addr::from(octets), plen).map_err(|_| malformed)?,
                    preference: Preference::from_bits(b[field::RI_FLAGS] >> 3),
                    lifetime: be32(&b[field::RI_LIFETIME]),
                })
            }
            OptionType::Rdnss => {
                // RFC 8106 section 5.1: 1 + 2n units, at least one address.
                if len < 3 || len % 2 == 0 {
                    return Err(malformed);
                }
                NdiscOptionRepr::Rdnss {
                    lifetime: be32(&b[field::DNS_LIFETIME]),
                    servers: b[field::DNS_DATA..].chunks_exact(16).map(addr).collect(),
                }
            }
            OptionType::Dnssl => {
                if len < 2 {
                    return Err(malformed);
                }
                NdiscOptionRepr::Dnssl {
                    lifetime: be32(&b[field::DNS_LIFETIME]),
                    domains: parse_domains(&b[field::DNS_DATA..]).ok_or(malformed)?,
                }
            }
            OptionType::CaptivePortal => {
                let data = option.data();
                let end = data.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
                match core::str::from_utf8(&data[..end]) {
                    Ok(uri) if !uri.contains('\0') => NdiscOptionRepr::CaptivePortal(uri.into()),
                    _ => unknown(),
                }
            }
            OptionType::Pref64 => {
                if len != 2 {
                    return Err(malformed);
                }
                let word = u16::from_be_bytes([b[2], b[3]]);
                let Some(&plen) = PLC_LENGTHS.get(usize::from(word & 0x7)) else {
                    // RFC 8781 section 4: an unknown code is ignored.
                    return Ok(unknown());
                };
                let mut octets = [0u8; 16];
                octets[..12].copy_from_slice(&b[field::P64_PREFIX]);
                let net = Ipv6Net::new(Ipv6Addr::from(octets), plen).map_err(|_| malformed)?;
                match Pref64::new(net) {
                    Ok(prefix) => NdiscOptionRepr::Pref64(Pref64Info {
                        lifetime: (word >> 3) * 8,
                        prefix,
                    }),
                    // Bits set past the prefix length or in the RFC 6052
                    // u-octet: not a prefix a host may use.
                    Err(_) => unknown(),
                }
            }
            OptionType::RedirectedHeader | OptionType::Unknown(_) => unknown(),
        })
    }

    /// The option type.
    pub fn option_type(&self) -> OptionType {
        match self {
            NdiscOptionRepr::SourceLinkLayerAddr(_) => OptionType::SourceLinkLayerAddr,
            NdiscOptionRepr::TargetLinkLayerAddr(_) => OptionType::TargetLinkLayerAddr,
            NdiscOptionRepr::PrefixInformation(_) => OptionType::PrefixInformation,
            NdiscOptionRepr::Mtu(_) => OptionType::Mtu,
            NdiscOptionRepr::RouteInformation(_) => OptionType::RouteInformation,
            NdiscOptionRepr::Rdnss { .. } => OptionType::Rdnss,
            NdiscOptionRepr::Dnssl { .. } => OptionType::Dnssl,
            NdiscOptionRepr::CaptivePortal(_) => OptionType::CaptivePortal,
            NdiscOptionRepr::Pref64(_) => OptionType::Pref64,
            NdiscOptionRepr::Unknown { kind, .. } => OptionType::from(*kind),
        }
    }

    /// The number of bytes [`emit`](Self::emit) writes: a multiple of 8.
    ///
    /// An option longer than 255 units (2040 bytes) cannot be sent; its
    /// `emit` returns `Error::OptionTooLong`.
    pub fn buffer_len(&self) -> usize {
        let units = |data_len: usize| (2 + data_len).div_ceil(8).max(1) * 8;
        match self {
            NdiscOptionRepr::SourceLinkLayerAddr(a) | NdiscOptionRepr::TargetLinkLayerAddr(a) => {
                units(a.len())
            }
            NdiscOptionRepr::PrefixInformation(_) => 32,
            NdiscOptionRepr::Mtu(_) => 8,
            // Always the full prefix, as radvd sends it.
            NdiscOptionRepr::RouteInformation(_) => 24,
            NdiscOptionRepr::Rdnss { servers, .. } => 8 + 16 * servers.len().max(1),
            NdiscOptionRepr::Dnssl { domains, .. } => {
                let names: usize = domains.iter().map(|d| encoded_name_len(d)).sum();
                (8 + names).div_ceil(8).max(2) * 8
            }
            NdiscOptionRepr::CaptivePortal(uri) => units(uri.len()),
            NdiscOptionRepr::Pref64(_) => 16,
            NdiscOptionRepr::Unknown { data, .. } => units(data.len()),
        }
    }

    /// Writes the option into the start of `buffer`, which must hold
    /// [`buffer_len`](Self::buffer_len) bytes. Every byte of that length is
    /// written, padding and reserved fields as zero.
    ///
    /// # Panics
    ///
    /// If `buffer` is shorter than `buffer_len()`.
    pub fn emit(&self, buffer: &mut [u8]) -> Result<(), Error> {
        let total = self.buffer_len();
        if total > 255 * 8 {
            return Err(Error::OptionTooLong {
                kind: self.option_type().into(),
            });
        }
        if let NdiscOptionRepr::Rdnss { servers, .. } = self
            && servers.is_empty()
        {
            // RFC 8106 section 5.1: at least one address.
            return Err(Error::MalformedOption {
                kind: self.option_type().into(),
            });
        }
        let b = &mut buffer[..total];
        b.fill(0);
        b[field::TYPE] = self.option_type().into();
        b[field::LENGTH] = (total / 8) as u8;
        match self {
            NdiscOptionRepr::SourceLinkLayerAddr(a)
            | NdiscOptionRepr::TargetLinkLayerAddr(a)
            | NdiscOptionRepr::Unknown { data: a, .. } => {
                b[field::DATA..field::DATA + a.len()].copy_from_slice(a);
            }
            NdiscOptionRepr::PrefixInformation(p) => {
                b[field::PI_PREFIX_LEN] = p.prefix.prefix_len();
                b[field::PI_FLAGS] = u8::from(p.on_link) << 7
                    | u8::from(p.autonomous) << 6
                    | u8::from(p.router_address) << 5;
                b[field::PI_VALID].copy_from_slice(&p.valid_lifetime.to_be_bytes());
                b[field::PI_PREFERRED].copy_from_slice(&p.preferred_lifetime.to_be_bytes());
                b[field::PI_RESERVED].fill(0);
                b[field::PI_PREFIX].copy_from_slice(&p.prefix.addr().octets());
            }
            NdiscOptionRepr::Mtu(mtu) => {
                b[field::MTU_RESERVED].fill(0);
                b[field::MTU].copy_from_slice(&mtu.to_be_bytes());
            }
            NdiscOptionRepr::RouteInformation(r) => {
                b[field::RI_PREFIX_LEN] = r.prefix.prefix_len();
                b[field::RI_FLAGS] = r.preference.bits() << 3;
                b[field::RI_LIFETIME].copy_from_slice(&r.lifetime.to_be_bytes());
                b[field::RI_PREFIX..].copy_from_slice(&r.prefix.addr().octets());
            }
            NdiscOptionRepr::Rdnss { lifetime, servers } => {
                b[field::DNS_RESERVED].fill(0);
                b[field::DNS_LIFETIME].copy_from_slice(&lifetime.to_be_bytes());
                for (chunk, server) in b[field::DNS_DATA..].chunks_exact_mut(16).zip(servers) {
                    chunk.copy_from_slice(&server.octets());
                }
            }
            NdiscOptionRepr::Dnssl { lifetime, domains } => {
                b[field::DNS_LIFETIME].copy_from_slice(&lifetime.to_be_bytes());
                let mut at = field::DNS_DATA;
                for domain in domains {
                    at = emit_name(domain, b, at);
                }
            }
            NdiscOptionRepr::CaptivePortal(uri) => {
                b[field::DATA..field::DATA + uri.len()].copy_from_slice(uri.as_bytes());
            }
            NdiscOptionRepr::Pref64(p) => {
                let scaled = p.lifetime.div_ceil(8).min(8191);
                let plen = p.prefix.len();
                let plc = PLC_LENGTHS.iter().position(|&l| l == plen).unwrap_or(0) as u16;
                b[field::P64_LIFETIME_PLC].copy_from_slice(&(scaled << 3 | plc).to_be_bytes());
                b[field::P64_PREFIX].copy_from_slice(&p.prefix.prefix().addr().octets()[..12]);
            }
        }
        Ok(())
    }
}

/// The labels of `domain` that are not empty (so `example.org.` and
/// `example.org` are the same name).
fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split('.').filter(|l| !l.is_empty())
}

/// The length of `domain` in DNS wire encoding (RFC 1035 section 3.1),
/// the final zero-length label included.
fn encoded_name_len(domain: &str) -> usize {
    labels(domain).map(|l| 1 + l.len().min(63)).sum::<usize>() + 1
}

/// Writes `domain` in DNS wire encoding at `at`; returns where it ended.
/// A label longer than 63 bytes is cut to 63.
fn emit_name(domain: &str, b: &mut [u8], mut at: usize) -> usize {
    for label in labels(domain) {
        let label = &label.as_bytes()[..label.len().min(63)];
        b[at] = label.len() as u8;
        b[at + 1..at + 1 + label.len()].copy_from_slice(label);
        at += 1 + label.len();
    }
    b[at] = 0;
    at + 1
}

/// Parses the domain names of a DNSSL option (RFC 8106 section 5.2):
/// uncompressed names one after the other, then zero padding. `None` when
/// a label runs past the end, uses compression, or is not printable ASCII
/// without dots.
fn parse_domains(mut b: &[u8]) -> Option<Vec<String>> {
    let mut domains = Vec::new();
    while let Some(&first) = b.first() {
        if first == 0 {
            // Padding: the rest must be zero too.
            return b.iter().all(|&c| c == 0).then_some(domains);
        }
        let mut name = String::new();
        loop {
            let (&len, rest) = b.split_first()?;
            b = rest;
            if len == 0 {
                break;
            }
            if len > 63 || b.len() < usize::from(len) {
                return None;
            }
            let (label, rest) = b.split_at(usize::from(len));
            b = rest;
            if !label.iter().all(|c| c.is_ascii_graphic() && *c != b'.') {
                return None;
            }
            if !name.is_empty() {
                name.push('.');
            }
            name.extend(label.iter().map(|&c| char::from(c)));
            if name.len() > 253 {
                return None;
            }
        }
        domains.push(name);
    }
    Some(domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DNSSL option radvd 2.19 sent for `DNSSL example.org
    /// lab.example.net { AdvDNSSLLifetime 20; };`.
    static DNSSL: [u8; 40] = [
        0x1f, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x07, b'e', b'x', b'a', b'm', b'p', b'l',
        b'e', 0x03, b'o', b'r', b'g', 0x00, 0x03, b'l', b'a', b'b', 0x07, b'e', b'x', b'a', b'm',
        b'p', b'l', b'e', 0x03, b'n', b'e', b't', 0x00, 0x00, 0x00,
    ];

    #[test]
    fn dnssl_known_answer() {
        let option = NdiscOption::new_checked(&DNSSL[..]).unwrap();
        let repr = NdiscOptionRepr::parse(&option).unwrap();
        assert_eq!(
            repr,
            NdiscOptionRepr::Dnssl {
                lifetime: 20,
                domains: vec!["example.org".into(), "lab.example.net".into()]
            }
        );
        let mut out = [0xff; 40];
        assert_eq!(repr.buffer_len(), 40);
        repr.emit(&mut out).unwrap();
        assert_eq!(out, DNSSL);
    }

    /// RFC 8781 section 4 example layout: 64:ff9b::/96, lifetime 600 s
    /// (75 units), PLC 0.
    #[test]
    fn pref64_scaled_lifetime_and_plc() {
        let repr = NdiscOptionRepr::Pref64(Pref64Info {
            lifetime: 600,
            prefix: "64:ff9b::/96".parse().unwrap(),
        });
        let mut out = [0xff; 16];
        repr.emit(&mut out).unwrap();
        assert_eq!(
            out,
            [
                38, 2, 0x02, 0x58, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        let repr40 = NdiscOptionRepr::Pref64(Pref64Info {
            lifetime: 9,
            prefix: "2001:db8:100::/40".parse().unwrap(),
        });
        repr40.emit(&mut out).unwrap();
        // 9 s rounds up to 2 units; PLC 4 is /40.
        assert_eq!(&out[2..4], &[0x00, 0x14]);
        let parsed = NdiscOptionRepr::parse(&NdiscOption::new_checked(&out[..]).unwrap()).unwrap();
        assert_eq!(
            parsed,
            NdiscOptionRepr::Pref64(Pref64Info {
                lifetime: 16,
                prefix: "2001:db8:100::/40".parse().unwrap()
            })
        );
    }

    #[test]
    fn pref64_unknown_plc_is_kept_as_bytes() {
        let bytes = [
            38, 2, 0x00, 0x0e, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let parsed =
            NdiscOptionRepr::parse(&NdiscOption::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(
            parsed,
            NdiscOptionRepr::Unknown {
                kind: 38,
                data: bytes[2..].to_vec()
            }
        );
        let mut out = [0xff; 16];
        parsed.emit(&mut out).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn captive_portal_is_nul_padded() {
        let repr = NdiscOptionRepr::CaptivePortal("https://cp.example/api".into());
        assert_eq!(repr.buffer_len(), 24);
        let mut out = [0xff; 24];
        repr.emit(&mut out).unwrap();
        assert_eq!(&out[..2], &[37, 3]);
        assert_eq!(&out[2..24], b"https://cp.example/api");
        let parsed = NdiscOptionRepr::parse(&NdiscOption::new_checked(&out[..]).unwrap()).unwrap();
        assert_eq!(parsed, repr);
    }

    #[test]
    fn short_route_information_is_zero_extended() {
        // Length 2 carrying 2001:db8::/32, preference low, lifetime 1800.
        let bytes = [
            24, 2, 32, 0x18, 0, 0, 0x07, 0x08, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
        ];
        let parsed =
            NdiscOptionRepr::parse(&NdiscOption::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(
            parsed,
            NdiscOptionRepr::RouteInformation(RouteInfo {
                prefix: "2001:db8::/32".parse().unwrap(),
                preference: Preference::Low,
                lifetime: 1800,
            })
        );
    }

    #[test]
    fn malformed_options_are_errors() {
        assert_eq!(
            NdiscOption::new_checked(&[3u8, 0][..]).unwrap_err(),
            Error::ZeroLengthOption { kind: 3 }
        );
        assert!(matches!(
            NdiscOption::new_checked(&[3u8, 4, 0, 0][..]).unwrap_err(),
            Error::Truncated { required: 32, .. }
        ));
        // An RDNSS option without an address.
        let rdnss = [25u8, 1, 0, 0, 0, 0, 0, 0];
        let view = NdiscOption::new_checked(&rdnss[..]).unwrap();
        assert_eq!(
            NdiscOptionRepr::parse(&view).unwrap_err(),
            Error::MalformedOption { kind: 25 }
        );
        // A DNSSL label running past the end.
        let dnssl = [31u8, 2, 0, 0, 0, 0, 0, 1, 9, b'a', 0, 0, 0, 0, 0, 0];
        let view = NdiscOption::new_checked(&dnssl[..]).unwrap();
        assert!(NdiscOptionRepr::parse(&view).is_err());
        // A route with a /96 in a length-2 option.
        let route = [24u8, 2, 96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let view = NdiscOption::new_checked(&route[..]).unwrap();
        assert!(NdiscOptionRepr::parse(&view).is_err());
    }
}
