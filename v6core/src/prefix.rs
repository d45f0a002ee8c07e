//! Prefix math: parsing, counting, splitting, walking and aggregating.
//!
//! Every function works for IPv6 and IPv4 alike. Inside, an address is a
//! `u128` (an IPv4 address in its low 32 bits), so that `::/0` can be counted
//! and split into /128s without overflow. Prefixes follow the notation of
//! RFC 4291 section 2.3 (IPv6) and RFC 4632 section 3.1 (IPv4 CIDR).

use core::fmt;
use core::iter::FusedIterator;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::Error;

/// An exact number of addresses or prefixes, from 0 to 2^128 inclusive.
///
/// `::/0` holds 2^128 addresses, one more than `u128::MAX`, so a count is
/// not a plain `u128`. It displays as the exact decimal number.
///
/// ```
/// use v6core::prefix::{address_count, parse_prefix, Count};
/// let all = address_count(parse_prefix("::/0").unwrap());
/// assert_eq!(all, Count::pow2(128));
/// assert_eq!(all.as_u128(), None);
/// assert_eq!(all.to_string(), "340282366920938463463374607431768211456");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Count(Repr);

/// The two kinds of count; `Exact` sorts before `TwoTo128`, as it should.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Repr {
    Exact(u128),
    TwoTo128,
}

/// 2^128 in decimal.
const TWO_TO_128: &str = "340282366920938463463374607431768211456";

impl Count {
    /// Zero.
    pub const ZERO: Count = Count(Repr::Exact(0));

    /// 2^`bits`, the number of addresses in a prefix with `bits` host bits.
    ///
    /// # Panics
    ///
    /// When `bits` is greater than 128, since no count exceeds 2^128. In a
    /// constant this is a compile-time error.
    pub const fn pow2(bits: u8) -> Count {
        match bits {
            0..=127 => Count(Repr::Exact(1 << bits)),
            128 => Count(Repr::TwoTo128),
            _ => panic!("a count is at most 2^128"),
        }
    }

    /// The count as a `u128`, or `None` for 2^128, which does not fit.
    pub const fn as_u128(&self) -> Option<u128> {
        match self.0 {
            Repr::Exact(n) => Some(n),
            Repr::TwoTo128 => None,
        }
    }

    /// The sum of two counts, or `None` if it is greater than 2^128.
    pub const fn checked_add(self, other: Count) -> Option<Count> {
        match (self.0, other.0) {
            (Repr::Exact(a), Repr::Exact(b)) => match a.checked_add(b) {
                Some(sum) => Some(Count(Repr::Exact(sum))),
                None if a.wrapping_add(b) == 0 => Some(Count(Repr::TwoTo128)),
                None => None,
            },
            (Repr::TwoTo128, Repr::Exact(0)) | (Repr::Exact(0), Repr::TwoTo128) => {
                Some(Count(Repr::TwoTo128))
            }
            _ => None,
        }
    }

    /// `n + 1`, which always fits.
    const fn successor(n: u128) -> Count {
        match n.checked_add(1) {
            Some(m) => Count(Repr::Exact(m)),
            None => Count(Repr::TwoTo128),
        }
    }
}

impl From<u128> for Count {
    fn from(n: u128) -> Count {
        Count(Repr::Exact(n))
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Exact(n) => fmt::Display::fmt(&n, f),
            Repr::TwoTo128 => f.pad_integral(true, "", TWO_TO_128),
        }
    }
}

impl fmt::Debug for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Count({self})")
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Count {
    /// A decimal string, since JSON numbers cannot hold 2^128 exactly.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An address family, with the arithmetic the modules of this crate share.
/// `V4` sorts first, so sorted lists hold IPv4 before IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    pub(crate) fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    pub(crate) fn of_net(net: IpNet) -> Family {
        Family::of(net.addr())
    }

    /// 32 or 128.
    pub(crate) const fn max_len(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The address whose bits are `bits`, which must fit the family.
    pub(crate) fn addr(self, bits: u128) -> IpAddr {
        match self {
            // Callers only pass IPv4 values of at most 32 bits.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(bits as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(bits)),
        }
    }

    /// The prefix `bits`/`len`; `len` must be at most [`Family::max_len`].
    pub(crate) fn net(self, bits: u128, len: u8) -> IpNet {
        IpNet::new_assert(self.addr(bits), len)
    }
}

/// The bits of an address as a number.
pub(crate) fn addr_bits(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// A mask of the low `host_bits` bits (all bits from 128 on).
pub(crate) const fn host_mask(host_bits: u32) -> u128 {
    if host_bits >= 128 {
        u128::MAX
    } else {
        (1 << host_bits) - 1
    }
}

/// The number of host bits of a prefix: 128 for `::/0`, 0 for a /128.
pub(crate) fn host_bits(prefix: IpNet) -> u32 {
    u32::from(prefix.max_prefix_len() - prefix.prefix_len())
}

/// Parses a prefix as operators write it: `2001:db8::/32`, `192.0.2.0/24`,
/// `192.0.2.0/255.255.255.0` (an IPv4 netmask, RFC 950), or a bare address,
/// which is a /128 or a /32.
///
/// Host bits are kept as given, so `2001:db8::1/64` is the address
/// `2001:db8::1` on the link `2001:db8::/64`; use [`IpNet::trunc`] for the
/// network itself.
///
/// ```
/// use v6core::prefix::parse_prefix;
/// assert_eq!(parse_prefix("192.0.2.7/255.255.255.0").unwrap().to_string(), "192.0.2.7/24");
/// assert_eq!(parse_prefix("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
/// assert!(parse_prefix("2001:db8::/129").is_err());
/// ```
pub fn parse_prefix(s: &str) -> Result<IpNet, Error> {
    let bad = |reason| Error::parse(s, "prefix", reason);
    let Some((addr, len)) = s.split_once('/') else {
        let addr: IpAddr = s.parse().map_err(|_| {
            bad("expected an IPv6 or IPv4 address or prefix, such as 2001:db8::/32")
        })?;
        return Ok(IpNet::from(addr));
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| bad("the part before '/' is not an IPv6 or IPv4 address"))?;
    let len = prefix_len(len, Family::of(addr)).map_err(bad)?;
    IpNet::new(addr, len).map_err(|_| bad("the prefix length is too long"))
}

/// Reads the prefix length after the '/': a number, or for IPv4 a netmask.
fn prefix_len(text: &str, family: Family) -> Result<u8, &'static str> {
    if text.is_empty() {
        return Err("nothing after '/': expected a prefix length");
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<u8>() {
            Ok(len) if len <= family.max_len() => Ok(len),
            _ if family == Family::V4 => Err("an IPv4 prefix length is at most 32"),
            _ => Err("an IPv6 prefix length is at most 128"),
        };
    }
    if family == Family::V4 && text.contains('.') {
        let mask: Ipv4Addr = text
            .parse()
            .map_err(|_| "the netmask after '/' is not an IPv4 address")?;
        let mask = u32::from(mask);
        if mask.leading_ones() + mask.trailing_zeros() != 32 {
            return Err("the netmask's one bits are not contiguous");
        }
        // At most 32.
        return Ok(mask.leading_ones() as u8);
    }
    Err("the prefix length after '/' is not a number")
}

/// The number of addresses in `prefix`, counting every one (no network or
/// broadcast address is left out): 2^(128 − len) or 2^(32 − len).
pub fn address_count(prefix: IpNet) -> Count {
    // At most 128.
    Count::pow2(host_bits(prefix) as u8)
}

/// Checks that `prefix` can be split into subnets of length `len`.
fn check_split(prefix: IpNet, len: u8) -> Result<(), Error> {
    let reason = if len < prefix.prefix_len() {
        "the subnets would be larger than the prefix"
    } else if len > prefix.max_prefix_len() {
        if prefix.max_prefix_len() == 32 {
            "an IPv4 prefix is at most /32"
        } else {
            "an IPv6 prefix is at most /128"
        }
    } else {
        return Ok(());
    };
    Err(Error::SplitLength {
        prefix,
        len,
        reason,
    })
}

/// The number of /`len` subnets in `prefix`: 2^(len − prefix length).
///
/// Fails with [`Error::SplitLength`] when `len` is shorter than the prefix
/// or longer than the address.
pub fn subnet_count(prefix: IpNet, len: u8) -> Result<Count, Error> {
    check_split(prefix, len)?;
    Ok(Count::pow2(len - prefix.prefix_len()))
}

/// The /`len` subnets of `prefix`, in address order, as a lazy iterator
/// (what `sipcalc -S` lists). The split starts from the network address of
/// `prefix`: host bits are ignored.
///
/// Fails with [`Error::SplitLength`] when `len` is shorter than the prefix
/// or longer than the address.
///
/// ```
/// use v6core::prefix::{parse_prefix, subnets};
/// let mut s = subnets(parse_prefix("2001:db8:100::/60").unwrap(), 64).unwrap();
/// assert_eq!(s.remaining().to_string(), "16");
/// assert_eq!(s.nth(1).unwrap().to_string(), "2001:db8:100:1::/64");
/// assert_eq!(s.next_back().unwrap().to_string(), "2001:db8:100:f::/64");
/// ```
pub fn subnets(prefix: IpNet, len: u8) -> Result<Subnets, Error> {
    check_split(prefix, len)?;
    Ok(Subnets {
        family: Family::of_net(prefix),
        base: addr_bits(prefix.network()),
        len,
        shift: u32::from(prefix.max_prefix_len() - len),
        front: 0,
        back: host_mask(u32::from(len - prefix.prefix_len())),
        done: false,
    })
}

/// The subnets of a prefix, made by [`subnets`].
///
/// Subnets are numbered from 0; the iterator holds the numbers of the next
/// subnet at each end, so [`Iterator::nth`], [`DoubleEndedIterator::nth_back`]
/// and [`Subnets::remaining`] take constant time, even for the 2^128 /128s of
/// `::/0`.
#[derive(Debug, Clone)]
pub struct Subnets {
    family: Family,
    /// The network address of the prefix being split.
    base: u128,
    /// The length of each subnet.
    len: u8,
    /// The number of host bits of each subnet.
    shift: u32,
    /// The number of the next subnet from the front.
    front: u128,
    /// The number of the next subnet from the back.
    back: u128,
    /// Whether every subnet has been returned.
    done: bool,
}

impl Subnets {
    /// How many subnets are left to return.
    pub fn remaining(&self) -> Count {
        if self.done {
            Count::ZERO
        } else {
            Count::successor(self.back - self.front)
        }
    }

    /// Subnet number `index`.
    fn at(&self, index: u128) -> IpNet {
        let offset = if self.shift >= 128 {
            0
        } else {
            index << self.shift
        };
        self.family.net(self.base | offset, self.len)
    }
}

impl Iterator for Subnets {
    type Item = IpNet;

    fn next(&mut self) -> Option<IpNet> {
        if self.done {
            return None;
        }
        let item = self.at(self.front);
        if self.front == self.back {
            self.done = true;
        } else {
            self.front += 1;
        }
        Some(item)
    }

    fn nth(&mut self, n: usize) -> Option<IpNet> {
        if self.done {
            return None;
        }
        let n = n as u128;
        if n > self.back - self.front {
            self.done = true;
            return None;
        }
        self.front += n;
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self.remaining().as_u128().map(usize::try_from) {
            Some(Ok(n)) => (n, Some(n)),
            _ => (usize::MAX, None),
        }
    }

    /// The number of subnets left, in constant time; more than `usize::MAX`
    /// is reported as `usize::MAX`. See [`Subnets::remaining`] for the exact
    /// number.
    fn count(self) -> usize {
        self.size_hint().0
    }

    fn last(mut self) -> Option<IpNet> {
        self.next_back()
    }
}

impl DoubleEndedIterator for Subnets {
    fn next_back(&mut self) -> Option<IpNet> {
        if self.done {
            return None;
        }
        let item = self.at(self.back);
        if self.front == self.back {
            self.done = true;
        } else {
            self.back -= 1;
        }
        Some(item)
    }

    fn nth_back(&mut self, n: usize) -> Option<IpNet> {
        if self.done {
            return None;
        }
        let n = n as u128;
        if n > self.back - self.front {
            self.done = true;
            return None;
        }
        self.back -= n;
        self.next_back()
    }
}

impl FusedIterator for Subnets {}

/// The /`len` prefix that contains `prefix`, such as the /48 a /64 was
/// delegated from.
///
/// Fails with [`Error::SupernetLength`] when `len` is longer than `prefix`.
pub fn supernet(prefix: IpNet, len: u8) -> Result<IpNet, Error> {
    if len > prefix.prefix_len() {
        return Err(Error::SupernetLength { prefix, len });
    }
    let family = Family::of_net(prefix);
    let mask = host_mask(u32::from(family.max_len() - len));
    Ok(family.net(addr_bits(prefix.addr()) & !mask, len))
}

/// The prefix of the same length right after `prefix`, or `None` when
/// `prefix` is the last of its length in the address space.
pub fn next_sibling(prefix: IpNet) -> Option<IpNet> {
    let family = Family::of_net(prefix);
    let step = sibling_step(prefix)?;
    let next = addr_bits(prefix.network()).checked_add(step)?;
    let last = host_mask(u32::from(family.max_len()));
    (next <= last).then(|| family.net(next, prefix.prefix_len()))
}

/// The prefix of the same length right before `prefix`, or `None` when
/// `prefix` is the first of its length in the address space.
pub fn prev_sibling(prefix: IpNet) -> Option<IpNet> {
    let family = Family::of_net(prefix);
    let step = sibling_step(prefix)?;
    let prev = addr_bits(prefix.network()).checked_sub(step)?;
    Some(family.net(prev, prefix.prefix_len()))
}

/// The distance between `prefix` and its siblings, or `None` for a /0,
/// which has none.
fn sibling_step(prefix: IpNet) -> Option<u128> {
    let bits = host_bits(prefix);
    (bits < 128 && prefix.prefix_len() > 0).then(|| 1 << bits)
}

/// Whether `addr` lies inside `prefix`.
///
/// Fails with [`Error::FamilyMismatch`] when one is IPv4 and the other IPv6,
/// which is a mistake rather than a "no".
pub fn contains(prefix: IpNet, addr: IpAddr) -> Result<bool, Error> {
    if Family::of_net(prefix) != Family::of(addr) {
        return Err(Error::FamilyMismatch {
            address: addr,
            prefix,
        });
    }
    Ok(prefix.contains(&addr))
}

/// The first address of `prefix`: its network address.
pub fn first(prefix: IpNet) -> IpAddr {
    prefix.network()
}

/// The last address of `prefix`: all host bits set (for IPv4 this is the
/// broadcast address).
pub fn last(prefix: IpNet) -> IpAddr {
    prefix.broadcast()
}

/// The shortest sorted list of prefixes that covers exactly the addresses
/// that `prefixes` cover: overlapping and adjacent prefixes are merged, as a
/// router summarizes routes (RFC 4632 section 4).
///
/// IPv4 prefixes come first, then IPv6; both in address order. Host bits of
/// the input are ignored.
///
/// ```
/// use v6core::prefix::{aggregate, parse_prefix};
/// let input: Vec<_> = ["2001:db8:1::/48", "192.0.2.128/25", "2001:db8::/48", "192.0.2.0/25"]
///     .iter().map(|s| parse_prefix(s).unwrap()).collect();
/// let out: Vec<String> = aggregate(&input).iter().map(|p| p.to_string()).collect();
/// assert_eq!(out, ["192.0.2.0/24", "2001:db8::/47"]);
/// ```
pub fn aggregate(prefixes: &[IpNet]) -> Vec<IpNet> {
    let mut ranges: Vec<(Family, u128, u128)> = prefixes
        .iter()
        .map(|p| {
            (
                Family::of_net(*p),
                addr_bits(p.network()),
                addr_bits(p.broadcast()),
            )
        })
        .collect();
    ranges.sort_unstable();

    let mut out = Vec::new();
    let mut current: Option<(Family, u128, u128)> = None;
    for (family, start, end) in ranges {
        match &mut current {
            // Overlapping or adjacent: extend the current range. Nothing is
            // adjacent to a range that ends at the last address.
            Some((f, _, e)) if *f == family && e.checked_add(1).is_none_or(|n| start <= n) => {
                *e = (*e).max(end);
            }
            _ => {
                if let Some((f, s, e)) = current.replace((family, start, end)) {
                    push_range(&mut out, f, s, e);
                }
            }
        }
    }
    if let Some((f, s, e)) = current {
        push_range(&mut out, f, s, e);
    }
    out
}

/// The shortest list of prefixes that covers the addresses from `start` to
/// `end`, both included, in address order.
///
/// Fails with [`Error::Range`] when the two are of different families or
/// `start` comes after `end`.
///
/// ```
/// use v6core::prefix::range_to_prefixes;
/// let p = range_to_prefixes("192.0.2.1".parse().unwrap(), "192.0.2.6".parse().unwrap()).unwrap();
/// let p: Vec<String> = p.iter().map(|p| p.to_string()).collect();
/// assert_eq!(p, ["192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6/32"]);
/// ```
pub fn range_to_prefixes(start: IpAddr, end: IpAddr) -> Result<Vec<IpNet>, Error> {
    let reason = if Family::of(start) != Family::of(end) {
        "the two ends are of different address families"
    } else if addr_bits(start) > addr_bits(end) {
        "the start comes after the end"
    } else {
        let mut out = Vec::new();
        push_range(
            &mut out,
            Family::of(start),
            addr_bits(start),
            addr_bits(end),
        );
        return Ok(out);
    };
    Err(Error::Range { start, end, reason })
}

/// Appends the shortest list of prefixes covering `start..=end` to `out`.
///
/// From the start, each step takes the largest block that begins there
/// (its length is limited by the alignment of `start`) and does not reach
/// past `end`.
fn push_range(out: &mut Vec<IpNet>, family: Family, mut start: u128, end: u128) {
    let max = u32::from(family.max_len());
    loop {
        let span = end - start;
        // log2 of the largest power of two that is at most span + 1.
        let fits = match span.checked_add(1) {
            Some(n) => 127 - n.leading_zeros(),
            None => 128,
        };
        let bits = start.trailing_zeros().min(max).min(fits);
        // `bits` is at most `max`, so the length is from 0 to 128.
        out.push(family.net(start, (max - bits) as u8));
        let block_end = start | host_mask(bits);
        if block_end >= end {
            return;
        }
        start = block_end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> IpNet {
        parse_prefix(s).unwrap()
    }

    fn a(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn strings(v: &[IpNet]) -> Vec<String> {
        v.iter().map(IpNet::to_string).collect()
    }

    #[test]
    fn count_display_and_order() {
        assert_eq!(Count::pow2(128).to_string(), TWO_TO_128);
        assert_eq!(
            Count::pow2(127).to_string(),
            "170141183460469231731687303715884105728"
        );
        assert_eq!(Count::pow2(0).to_string(), "1");
        assert_eq!(format!("{:>5}", Count::from(42)), "   42");
        assert_eq!(
            format!("{:?}", Count::pow2(128)),
            format!("Count({TWO_TO_128})")
        );
        assert!(Count::from(u128::MAX) < Count::pow2(128));
        assert!(Count::ZERO < Count::from(1));
        assert_eq!(Count::pow2(64).as_u128(), Some(1 << 64));
        assert_eq!(Count::pow2(128).as_u128(), None);
    }

    #[test]
    fn count_checked_add() {
        let half = Count::pow2(127);
        assert_eq!(half.checked_add(half), Some(Count::pow2(128)));
        assert_eq!(
            Count::from(u128::MAX).checked_add(Count::from(1)),
            Some(Count::pow2(128))
        );
        assert_eq!(Count::from(u128::MAX).checked_add(Count::from(2)), None);
        assert_eq!(
            Count::pow2(128).checked_add(Count::ZERO),
            Some(Count::pow2(128))
        );
        assert_eq!(Count::pow2(128).checked_add(Count::from(1)), None);
        assert_eq!(
            Count::from(2).checked_add(Count::from(3)),
            Some(Count::from(5))
        );
    }

    #[test]
    fn parses_every_form() {
        for (input, want) in [
            ("2001:db8::/32", "2001:db8::/32"),
            ("2001:db8::1/64", "2001:db8::1/64"),
            ("2001:db8::1", "2001:db8::1/128"),
            ("::/0", "::/0"),
            ("192.0.2.0/24", "192.0.2.0/24"),
            ("192.0.2.1", "192.0.2.1/32"),
            ("192.0.2.0/255.255.255.0", "192.0.2.0/24"),
            ("10.1.2.3/255.0.0.0", "10.1.2.3/8"),
            ("0.0.0.0/0.0.0.0", "0.0.0.0/0"),
            ("192.0.2.1/255.255.255.255", "192.0.2.1/32"),
            ("192.0.2.0/024", "192.0.2.0/24"),
        ] {
            assert_eq!(p(input).to_string(), want, "{input}");
        }
    }

    #[test]
    fn parse_errors_name_the_input_and_the_fault() {
        for (input, fault) in [
            ("", "expected an IPv6 or IPv4 address"),
            ("2001:db8::/129", "at most 128"),
            ("192.0.2.0/33", "at most 32"),
            ("192.0.2.0/256", "at most 32"),
            ("2001:db8::/", "nothing after '/'"),
            ("2001:db8::/x", "not a number"),
            ("2001:db8::/+3", "not a number"),
            ("2001:db8::/ 32", "not a number"),
            ("2001:db8::/255.255.0.0", "not a number"),
            ("2001:db8:::/32", "before '/'"),
            ("192.0.2.0/255.0.255.0", "not contiguous"),
            ("192.0.2.0/255.255.255", "netmask"),
            ("192.0.2.0/24/25", "not a number"),
            ("garbage", "expected an IPv6 or IPv4 address"),
        ] {
            let err = parse_prefix(input).unwrap_err().to_string();
            assert!(err.contains(&format!("{input:?}")), "{err}");
            assert!(err.contains(fault), "{input}: {err}");
        }
    }

    #[test]
    fn counts() {
        assert_eq!(address_count(p("::/0")), Count::pow2(128));
        assert_eq!(address_count(p("2001:db8::/64")), Count::pow2(64));
        assert_eq!(address_count(p("192.0.2.0/24")), Count::from(256));
        assert_eq!(address_count(p("0.0.0.0/0")), Count::pow2(32));
        assert_eq!(address_count(p("2001:db8::1")), Count::from(1));
        assert_eq!(
            subnet_count(p("2001:db8::/48"), 64).unwrap(),
            Count::from(65536)
        );
        assert_eq!(subnet_count(p("::/0"), 128).unwrap(), Count::pow2(128));
        assert_eq!(subnet_count(p("192.0.2.0/24"), 24).unwrap(), Count::from(1));
    }

    #[test]
    fn split_lengths_out_of_range() {
        for (prefix, len, fault) in [
            ("2001:db8::/48", 47, "larger than the prefix"),
            ("2001:db8::/48", 129, "at most /128"),
            ("192.0.2.0/24", 33, "at most /32"),
        ] {
            let err = subnets(p(prefix), len).unwrap_err();
            assert!(matches!(err, Error::SplitLength { .. }), "{err}");
            assert!(err.to_string().contains(fault), "{err}");
            assert!(err.to_string().contains(prefix), "{err}");
            assert_eq!(subnet_count(p(prefix), len).unwrap_err(), err);
        }
    }

    #[test]
    fn split_uses_the_network_address() {
        let s: Vec<_> = subnets(p("2001:db8::1/126"), 127).unwrap().collect();
        assert_eq!(strings(&s), ["2001:db8::/127", "2001:db8::2/127"]);
    }

    #[test]
    fn split_all_of_ipv6_into_addresses() {
        let mut s = subnets(p("::/0"), 128).unwrap();
        assert_eq!(s.remaining(), Count::pow2(128));
        assert_eq!(s.size_hint(), (usize::MAX, None));
        assert_eq!(s.next(), Some(p("::/128")));
        assert_eq!(
            s.next_back(),
            Some(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"))
        );
        assert_eq!(s.remaining().as_u128(), Some(u128::MAX - 1));
        assert_eq!(
            s.nth(usize::MAX),
            Some(IpNet::from(a("::1:0:0:0:0")).trunc())
        );
        assert_eq!(
            s.clone().last(),
            Some(p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128"))
        );
        assert_eq!(s.count(), usize::MAX);
    }

    #[test]
    fn split_into_itself_and_into_zero_length() {
        let mut s = subnets(p("::/0"), 0).unwrap();
        assert_eq!(s.remaining(), Count::from(1));
        assert_eq!(s.next(), Some(p("::/0")));
        assert_eq!(s.next(), None);
        assert_eq!(s.remaining(), Count::ZERO);
        let v4: Vec<_> = subnets(p("192.0.2.9/32"), 32).unwrap().collect();
        assert_eq!(strings(&v4), ["192.0.2.9/32"]);
    }

    #[test]
    fn split_from_both_ends() {
        let mut s = subnets(p("192.0.2.0/24"), 26).unwrap();
        assert_eq!(s.size_hint(), (4, Some(4)));
        assert_eq!(s.next_back(), Some(p("192.0.2.192/26")));
        assert_eq!(s.next(), Some(p("192.0.2.0/26")));
        assert_eq!(s.nth_back(0), Some(p("192.0.2.128/26")));
        assert_eq!(s.remaining(), Count::from(1));
        assert_eq!(s.clone().nth(1), None);
        assert_eq!(s.clone().nth_back(1), None);
        assert_eq!(s.next_back(), Some(p("192.0.2.64/26")));
        assert_eq!(s.next(), None);
        assert_eq!(s.next_back(), None);

        let mut s = subnets(p("2001:db8::/32"), 48).unwrap();
        assert_eq!(s.nth(65535), Some(p("2001:db8:ffff::/48")));
        assert_eq!(s.next(), None);
        let mut s = subnets(p("2001:db8::/32"), 48).unwrap();
        assert_eq!(s.nth_back(65535), Some(p("2001:db8::/48")));
        assert_eq!(s.nth_back(0), None);
        let mut s = subnets(p("2001:db8::/32"), 48).unwrap();
        assert_eq!(s.nth(65536), None);
        assert_eq!(s.next_back(), None);
    }

    #[test]
    fn supernets() {
        assert_eq!(
            supernet(p("2001:db8:1:2::/64"), 48).unwrap(),
            p("2001:db8:1::/48")
        );
        assert_eq!(
            supernet(p("2001:db8:1:2::1/64"), 64).unwrap(),
            p("2001:db8:1:2::/64")
        );
        assert_eq!(supernet(p("192.0.2.77/32"), 0).unwrap(), p("0.0.0.0/0"));
        let err = supernet(p("2001:db8::/48"), 56).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2001:db8::/48 has no supernet /56: a supernet is at most /48"
        );
    }

    #[test]
    fn siblings() {
        assert_eq!(
            next_sibling(p("2001:db8::/64")),
            Some(p("2001:db8:0:1::/64"))
        );
        assert_eq!(
            prev_sibling(p("2001:db8:0:1::/64")),
            Some(p("2001:db8::/64"))
        );
        assert_eq!(
            next_sibling(p("2001:db8::5/64")),
            Some(p("2001:db8:0:1::/64"))
        );
        assert_eq!(next_sibling(p("192.0.2.0/24")), Some(p("192.0.3.0/24")));
        assert_eq!(next_sibling(p("255.255.255.0/24")), None);
        assert_eq!(next_sibling(p("255.255.255.255/32")), None);
        assert_eq!(prev_sibling(p("0.0.0.0/8")), None);
        assert_eq!(next_sibling(p("ffff::/16")), None);
        assert_eq!(prev_sibling(p("::/1")), None);
        assert_eq!(next_sibling(p("::/1")), Some(p("8000::/1")));
        assert_eq!(next_sibling(p("::/0")), None);
        assert_eq!(prev_sibling(p("::/0")), None);
        assert_eq!(next_sibling(p("0.0.0.0/0")), None);
        assert_eq!(prev_sibling(p("::1/128")), Some(p("::/128")));
    }

    #[test]
    fn membership_and_ends() {
        assert_eq!(
            contains(p("2001:db8::/32"), a("2001:db8:ffff::1")),
            Ok(true)
        );
        assert_eq!(contains(p("2001:db8::/32"), a("2001:db9::")), Ok(false));
        assert_eq!(contains(p("192.0.2.0/24"), a("192.0.2.255")), Ok(true));
        let err = contains(p("192.0.2.0/24"), a("2001:db8::")).unwrap_err();
        assert!(matches!(err, Error::FamilyMismatch { .. }));
        assert_eq!(first(p("2001:db8::1/64")), a("2001:db8::"));
        assert_eq!(
            last(p("2001:db8::1/64")),
            a("2001:db8::ffff:ffff:ffff:ffff")
        );
        assert_eq!(first(p("192.0.2.9/24")), a("192.0.2.0"));
        assert_eq!(last(p("192.0.2.9/24")), a("192.0.2.255"));
        assert_eq!(
            last(p("::/0")),
            a("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        );
    }

    #[test]
    fn aggregates() {
        let agg = |v: &[&str]| strings(&aggregate(&v.iter().map(|s| p(s)).collect::<Vec<_>>()));
        assert!(aggregate(&[]).is_empty());
        assert_eq!(
            agg(&["2001:db8::/64", "2001:db8:0:1::/64"]),
            ["2001:db8::/63"]
        );
        // Adjacent but not aligned: cannot become one prefix.
        assert_eq!(
            agg(&["2001:db8:0:1::/64", "2001:db8:0:2::/64"]),
            ["2001:db8:0:1::/64", "2001:db8:0:2::/64"]
        );
        // Contained, duplicated, host bits, both families.
        assert_eq!(
            agg(&[
                "2001:db8::/32",
                "2001:db8:5::/48",
                "10.0.0.1/8",
                "10.0.0.0/8",
                "2001:db8::/32"
            ]),
            ["10.0.0.0/8", "2001:db8::/32"]
        );
        assert_eq!(
            agg(&["192.0.2.0/26", "192.0.2.64/26", "192.0.2.128/26"]),
            ["192.0.2.0/25", "192.0.2.128/26"]
        );
        assert_eq!(agg(&["::/1", "8000::/1"]), ["::/0"]);
        assert_eq!(agg(&["ffff::/16", "::/0", "ffff:ffff::/32"]), ["::/0"]);
        assert_eq!(
            agg(&["128.0.0.0/1", "0.0.0.0/1", "::/128"]),
            ["0.0.0.0/0", "::/128"]
        );
        assert_eq!(
            agg(&[
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128"
            ]),
            ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]
        );
    }

    #[test]
    fn ranges() {
        let r = |s: &str, e: &str| strings(&range_to_prefixes(a(s), a(e)).unwrap());
        assert_eq!(r("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ["::/0"]);
        assert_eq!(r("0.0.0.0", "255.255.255.255"), ["0.0.0.0/0"]);
        assert_eq!(r("2001:db8::", "2001:db8::"), ["2001:db8::/128"]);
        assert_eq!(
            r("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").len(),
            128,
            "one prefix of every length from /1 to /128"
        );
        assert_eq!(r("192.0.2.0", "192.0.2.255"), ["192.0.2.0/24"]);
        assert_eq!(
            r("192.0.2.100", "192.0.3.10"),
            [
                "192.0.2.100/30",
                "192.0.2.104/29",
                "192.0.2.112/28",
                "192.0.2.128/25",
                "192.0.3.0/29",
                "192.0.3.8/31",
                "192.0.3.10/32"
            ]
        );
        let err = range_to_prefixes(a("192.0.2.2"), a("192.0.2.1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "192.0.2.2 to 192.0.2.1 is not a range of addresses: the start comes after the end"
        );
        let err = range_to_prefixes(a("192.0.2.2"), a("2001:db8::")).unwrap_err();
        assert!(
            err.to_string().contains("different address families"),
            "{err}"
        );
    }
}
