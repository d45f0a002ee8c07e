//! Known-answer tests from the project's shared conformance vectors
//! (`shared/conformance/vectors.toml`, next to the workspace).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv6Net};
use serde::Deserialize;
use v6core::Pref64;
use v6core::prefix::{parse_prefix, subnet_count, subnets};
use v6core::reverse::{parse_ptr_name, ptr_name};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/vectors.toml"
);

#[derive(Deserialize)]
struct Vectors {
    rfc6052: Vec<Rfc6052>,
    eui64: Vec<Eui64>,
    split: Vec<Split>,
    ptr: Vec<Ptr>,
}

#[derive(Deserialize)]
struct Rfc6052 {
    prefix: String,
    ipv4: Ipv4Addr,
    ipv6: Ipv6Addr,
}

#[derive(Deserialize)]
struct Eui64 {
    prefix: String,
    mac: String,
    address: Ipv6Addr,
}

#[derive(Deserialize)]
struct Split {
    prefix: String,
    length: u8,
    count: u128,
    second: String,
    last: String,
}

#[derive(Deserialize)]
struct Ptr {
    address: IpAddr,
    name: String,
}

/// The vectors; a missing or malformed file fails the test that asks.
fn vectors() -> Vectors {
    let text = std::fs::read_to_string(VECTORS)
        .unwrap_or_else(|e| panic!("cannot read the conformance vectors at {VECTORS}: {e}"));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{VECTORS} is malformed: {e}"))
}

#[test]
fn rfc6052_embed_and_extract() {
    let v = vectors().rfc6052;
    assert!(!v.is_empty());
    for case in v {
        let prefix: Pref64 = case.prefix.parse().unwrap();
        assert_eq!(
            prefix.embed(case.ipv4),
            case.ipv6,
            "embed {} in {prefix}",
            case.ipv4
        );
        assert_eq!(
            prefix.extract(case.ipv6).unwrap(),
            case.ipv4,
            "extract {} from {prefix}",
            case.ipv6
        );
    }
}

#[test]
fn eui64_slaac_addresses() {
    let v = vectors().eui64;
    assert!(!v.is_empty());
    for case in v {
        let mac = case.mac.parse().unwrap();
        let prefix: Ipv6Net = case.prefix.parse().unwrap();
        assert_eq!(
            v6core::eui64::slaac(prefix, mac).unwrap(),
            case.address,
            "{}",
            case.mac
        );
        assert_eq!(v6core::eui64::mac_of(case.address).unwrap(), mac);
    }
}

#[test]
fn splits() {
    let v = vectors().split;
    assert!(!v.is_empty());
    for case in v {
        let what = format!("{} into /{}", case.prefix, case.length);
        let prefix = parse_prefix(&case.prefix).unwrap();
        let second = parse_prefix(&case.second).unwrap();
        let last = parse_prefix(&case.last).unwrap();
        let count = subnet_count(prefix, case.length).unwrap();
        assert_eq!(count.as_u128(), Some(case.count), "{what}");
        let mut all = subnets(prefix, case.length).unwrap();
        assert_eq!(all.remaining(), count, "{what}");
        assert_eq!(all.clone().nth(1), Some(second), "{what}");
        assert_eq!(all.clone().last(), Some(last), "{what}");
        assert_eq!(all.next_back(), Some(last), "{what}");
        let walked: Vec<IpNet> = subnets(prefix, case.length).unwrap().collect();
        assert_eq!(walked.len() as u128, case.count, "{what}");
        assert_eq!(walked[1], second, "{what}");
        assert_eq!(walked.last(), Some(&last), "{what}");
    }
}

#[test]
fn ptr_names_both_ways() {
    let v = vectors().ptr;
    assert!(!v.is_empty());
    for case in v {
        assert_eq!(ptr_name(case.address), case.name);
        assert_eq!(
            parse_ptr_name(&case.name).unwrap(),
            IpNet::from(case.address)
        );
        let bare = case.name.trim_end_matches('.').to_ascii_uppercase();
        assert_eq!(parse_ptr_name(&bare).unwrap(), IpNet::from(case.address));
    }
}
