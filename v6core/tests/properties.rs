//! Property tests: round trips and invariants of the address math.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use v6core::class::{TABLE, classify, classify_net};
use v6core::prefix::{
    Count, address_count, aggregate, first, last, next_sibling, parse_prefix, range_to_prefixes,
    subnet_count, subnets,
};
use v6core::reverse::{parse_ptr_name, ptr_name, reverse_zones};
use v6core::{Eui64, Mac, Pref64, pref64::PREF64_LENGTHS};

fn bits(a: IpAddr) -> u128 {
    match a {
        IpAddr::V4(a) => u32::from(a).into(),
        IpAddr::V6(a) => a.into(),
    }
}

fn any_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    ]
}

fn any_prefix() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (any::<u32>(), 0..=32u8).prop_map(|(a, l)| Ipv4Net::new_assert(a.into(), l).into()),
        (any::<u128>(), 0..=128u8).prop_map(|(a, l)| Ipv6Net::new_assert(a.into(), l).into()),
    ]
}

/// A prefix and a split of it into at most 2^6 subnets.
fn small_split() -> impl Strategy<Value = (IpNet, u8)> {
    any_prefix().prop_flat_map(|p| {
        let room = p.max_prefix_len() - p.prefix_len();
        (Just(p), 0..=room.min(6)).prop_map(|(p, extra)| (p, p.prefix_len() + extra))
    })
}

/// A prefix inside a small window (1024 addresses) of each family, so that
/// random prefixes overlap and touch often and the window can be checked
/// address by address.
fn windowed_prefix() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (0..1024u32, 22..=32u8).prop_map(|(o, l)| Ipv4Net::new_assert(
            Ipv4Addr::from(0x0a00_0000 | o),
            l
        )
        .trunc()
        .into()),
        (0..1024u128, 118..=128u8).prop_map(|(o, l)| {
            let base = 0x2001_0db8_u128 << 96;
            Ipv6Net::new_assert(Ipv6Addr::from(base | o), l)
                .trunc()
                .into()
        }),
    ]
}

const WINDOW_V4: u32 = 0x0a00_0000;
const WINDOW_V6: u128 = 0x2001_0db8_u128 << 96;

fn window_addrs() -> impl Iterator<Item = IpAddr> {
    (0..1024u32)
        .map(|o| IpAddr::V4(Ipv4Addr::from(WINDOW_V4 | o)))
        .chain((0..1024u128).map(|o| IpAddr::V6(Ipv6Addr::from(WINDOW_V6 | o))))
}

fn covered(set: &[IpNet], a: &IpAddr) -> bool {
    set.iter().any(|p| p.contains(a))
}

fn total(set: &[IpNet]) -> Count {
    set.iter()
        .try_fold(Count::ZERO, |sum, p| sum.checked_add(address_count(*p)))
        .expect("at most 2^128 + 2^32 addresses")
}

/// Two prefixes that a single shorter prefix could replace.
fn mergeable(a: IpNet, b: IpNet) -> bool {
    a.prefix_len() == b.prefix_len() && a.prefix_len() > 0 && a.supernet() == b.supernet() && a != b
}

/// Checks that `out` is sorted, without overlaps and without two prefixes
/// that could be merged.
fn check_minimal(out: &[IpNet]) -> Result<(), TestCaseError> {
    for pair in out.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        prop_assert!(a < b, "{a} {b} out of order");
        if a.addr().is_ipv4() == b.addr().is_ipv4() {
            prop_assert!(bits(last(a)) < bits(first(b)), "{a} and {b} overlap");
        }
        prop_assert!(!mergeable(a, b), "{a} and {b} could be merged");
    }
    Ok(())
}

proptest! {
    #[test]
    fn pref64_embed_extract(index in 0..PREF64_LENGTHS.len(), prefix in any::<u128>(), v4 in any::<u32>()) {
        let len = PREF64_LENGTHS[index];
        // Clear the "u" octet that RFC 6052 reserves.
        let prefix = Ipv6Net::new_assert((prefix & !(0xff << 56)).into(), len).trunc();
        let p = Pref64::new(prefix).unwrap();
        let v4 = Ipv4Addr::from(v4);
        let v6 = p.embed(v4);
        prop_assert!(prefix.contains(&v6));
        prop_assert_eq!(u128::from(v6) & (0xff << 56), 0);
        prop_assert_eq!(p.extract(v6).unwrap(), v4);
    }

    #[test]
    fn mac_eui64_mac(mac in any::<[u8; 6]>()) {
        let mac = Mac(mac);
        prop_assert_eq!(Eui64::from_mac(mac).to_mac().unwrap(), mac);
        prop_assert_eq!(mac.to_string().parse::<Mac>().unwrap(), mac);
    }

    #[test]
    fn subnets_partition_their_parent((prefix, len) in small_split()) {
        let all: Vec<IpNet> = subnets(prefix, len).unwrap().collect();
        prop_assert_eq!(Count::from(all.len() as u128), subnet_count(prefix, len).unwrap());
        prop_assert_eq!(first(all[0]), first(prefix));
        prop_assert_eq!(last(*all.last().unwrap()), last(prefix));
        for pair in all.windows(2) {
            prop_assert_eq!(next_sibling(pair[0]), Some(pair[1]));
            prop_assert_eq!(bits(last(pair[0])) + 1, bits(first(pair[1])));
        }
        for s in &all {
            prop_assert_eq!(s.prefix_len(), len);
            prop_assert!(prefix.contains(s));
        }
        prop_assert_eq!(aggregate(&all), vec![prefix.trunc()]);
    }

    #[test]
    fn nth_is_the_ith_subnet((prefix, len) in small_split(), i in 0..70usize) {
        let all: Vec<IpNet> = subnets(prefix, len).unwrap().collect();
        let mut it = subnets(prefix, len).unwrap();
        prop_assert_eq!(it.nth(i), all.get(i).copied());
        prop_assert_eq!(it.next(), all.get(i + 1).copied());
        let mut back = subnets(prefix, len).unwrap();
        let from_back = all.len().checked_sub(i + 1).map(|j| all[j]);
        prop_assert_eq!(back.nth_back(i), from_back);
        let left = all.len().saturating_sub(i + 1);
        prop_assert_eq!(back.remaining(), Count::from(left as u128));
        prop_assert_eq!(back.size_hint(), (left, Some(left)));
    }

    #[test]
    fn nth_of_a_huge_split(prefix in any_prefix(), i in any::<u64>()) {
        // Split into single addresses: subnet i is the address first + i.
        let max = prefix.max_prefix_len();
        let size = address_count(prefix).as_u128().map_or(u128::MAX, |n| n - 1);
        let i = usize::try_from(u128::from(i) % (size.min(u128::from(u64::MAX)) + 1)).unwrap();
        let got = subnets(prefix, max).unwrap().nth(i).unwrap();
        prop_assert_eq!(bits(got.addr()), bits(first(prefix)) + i as u128);
        let back = subnets(prefix, max).unwrap().nth_back(i).unwrap();
        prop_assert_eq!(bits(back.addr()), bits(last(prefix)) - i as u128);
    }

    #[test]
    fn classification_is_the_most_specific_block(addr in any_addr(), len in 0..=128u8) {
        let class = classify(addr);
        prop_assert!(class.block.contains(&addr));
        for row in TABLE {
            if row.block.contains(&addr) {
                prop_assert!(row.block.prefix_len() <= class.block.prefix_len(), "{} in {}", addr, row.block);
            }
        }
        let prefix = IpNet::new(addr, len.min(IpNet::from(addr).max_prefix_len())).unwrap();
        let class = classify_net(prefix);
        prop_assert!(class.block.contains(&prefix));
        for row in TABLE {
            if row.block.contains(&prefix) {
                prop_assert!(row.block.prefix_len() <= class.block.prefix_len(), "{} in {}", prefix, row.block);
            }
        }
    }

    #[test]
    fn ptr_name_round_trip(addr in any_addr()) {
        prop_assert_eq!(parse_ptr_name(&ptr_name(addr)).unwrap(), IpNet::from(addr));
    }

    #[test]
    fn reverse_zones_cover_the_prefix(prefix in any_prefix()) {
        // Long IPv4 prefixes would give up to 128 names; keep the case fast.
        prop_assume!(prefix.addr().is_ipv6() || prefix.prefix_len() <= 28 || prefix.prefix_len() % 8 == 0);
        let zones: Vec<IpNet> = reverse_zones(prefix).iter().map(|z| parse_ptr_name(z).unwrap()).collect();
        prop_assert_eq!(aggregate(&zones), vec![prefix.trunc()]);
    }

    #[test]
    fn aggregate_keeps_every_address(input in prop::collection::vec(windowed_prefix(), 0..24)) {
        let out = aggregate(&input);
        for a in window_addrs() {
            prop_assert_eq!(covered(&input, &a), covered(&out, &a), "{}", a);
        }
        let in_window = window_addrs().filter(|a| covered(&input, a)).count();
        prop_assert_eq!(total(&out), Count::from(in_window as u128));
        check_minimal(&out)?;
    }

    #[test]
    fn aggregate_anywhere(input in prop::collection::vec(any_prefix(), 0..12), probes in prop::collection::vec(any_addr(), 64)) {
        let out = aggregate(&input);
        check_minimal(&out)?;
        let ends = input.iter().flat_map(|p| [first(*p), last(*p)]);
        let near = input.iter().flat_map(|p| {
            let (f, l) = (bits(first(*p)), bits(last(*p)));
            let v4 = p.addr().is_ipv4();
            [f.checked_sub(1), l.checked_add(1)].into_iter().flatten().filter(move |b| !v4 || *b <= u128::from(u32::MAX)).map(move |b| {
                if v4 { IpAddr::V4(Ipv4Addr::from(b as u32)) } else { IpAddr::V6(Ipv6Addr::from(b)) }
            })
        });
        for a in ends.chain(near).chain(probes) {
            prop_assert_eq!(covered(&input, &a), covered(&out, &a), "{}", a);
        }
        // Aggregating again changes nothing.
        prop_assert_eq!(aggregate(&out), out.clone());
        // No more addresses than the input, counting overlaps twice.
        let v4: Vec<IpNet> = out.iter().copied().filter(|p| p.addr().is_ipv4()).collect();
        let v6: Vec<IpNet> = out.iter().copied().filter(|p| p.addr().is_ipv6()).collect();
        for (agg, family_is_v4) in [(v4, true), (v6, false)] {
            let inputs: Vec<IpNet> = input.iter().copied().filter(|p| p.addr().is_ipv4() == family_is_v4).collect();
            prop_assert!(total(&agg) <= inputs.iter().fold(Count::ZERO, |s, p| s.checked_add(address_count(*p)).unwrap_or(Count::pow2(128))));
        }
    }

    #[test]
    fn range_to_prefixes_covers_the_range(a in any_addr(), b in any::<u128>()) {
        let (start, end) = match a {
            IpAddr::V4(x) => {
                let y = Ipv4Addr::from(b as u32);
                (IpAddr::V4(x.min(y)), IpAddr::V4(x.max(y)))
            }
            IpAddr::V6(x) => {
                let y = Ipv6Addr::from(b);
                (IpAddr::V6(x.min(y)), IpAddr::V6(x.max(y)))
            }
        };
        let out = range_to_prefixes(start, end).unwrap();
        prop_assert_eq!(first(out[0]), start);
        prop_assert_eq!(last(*out.last().unwrap()), end);
        for pair in out.windows(2) {
            prop_assert_eq!(bits(last(pair[0])) + 1, bits(first(pair[1])));
        }
        prop_assert_eq!(total(&out), Count::from(bits(end) - bits(start)).checked_add(Count::from(1)).unwrap());
        check_minimal(&out)?;
        prop_assert!(out.len() <= 2 * usize::from(start_len(start)));
        if start != end {
            prop_assert!(range_to_prefixes(end, start).is_err());
        }
    }

    #[test]
    fn parsers_never_panic(s in ".*") {
        let _ = parse_prefix(&s);
        let _ = parse_ptr_name(&s);
    }

    #[test]
    fn parsers_never_panic_near_misses(
        prefix in "[0-9a-fA-F.:/]{0,45}",
        name in "([0-9a-fA-F]{1,3}\\.){0,35}(ip6|in-addr|IP6)\\.arpa\\.{0,2}",
    ) {
        if let Ok(p) = parse_prefix(&prefix) {
            prop_assert_eq!(parse_prefix(&p.to_string()).unwrap(), p);
        }
        if let Ok(p) = parse_ptr_name(&name) {
            prop_assert_eq!(p, p.trunc());
        }
    }

    #[test]
    fn parse_prefix_reads_what_ipnet_writes(prefix in any_prefix()) {
        prop_assert_eq!(parse_prefix(&prefix.to_string()).unwrap(), prefix);
    }
}

/// The address length of the family of `a`: a range of such addresses needs
/// at most twice that many prefixes.
fn start_len(a: IpAddr) -> u8 {
    if a.is_ipv4() { 32 } else { 128 }
}
