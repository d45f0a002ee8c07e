//! Differential known answers: the advertisements v6ra builds from a
//! radvd.conf must be byte for byte those radvd 2.19 sent for the same
//! file (captured as described in tests/data/README.md).

use std::time::Instant;

use v6ra::config::{LinkInfo, build::build, parse};
use v6ra::wire::{Packet, Repr};
use v6ra::{Advertiser, AdvertiserConfig};

/// The router's interface in the capture.
fn link() -> LinkInfo {
    LinkInfo {
        link_addr: Some(vec![0x02, 0, 0, 0, 0, 0x01]),
        mtu: 1500,
        addresses: vec!["fe80::ff:fe00:1/64".parse().unwrap()],
    }
}

fn config(text: &str) -> AdvertiserConfig {
    let c = parse("radvd.conf", text).unwrap();
    build(&c.interfaces[0], &link(), |_| None).unwrap()
}

/// A fixed RNG: the content of an advertisement does not depend on it.
struct Zero;

impl rand_core::TryRng for Zero {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0);
        Ok(())
    }
}

/// The first and final advertisements for `text`, with checksums from the
/// capture's fe80::ff:fe00:1 to ff02::1.
fn ours(text: &str) -> (Vec<u8>, Vec<u8>) {
    let now = Instant::now();
    let mut a = Advertiser::new(config(text), Zero, now);
    let first = a
        .poll_transmit(now)
        .expect("the first advertisement goes at once");
    a.shutdown(now);
    let last = a.poll_transmit(now).expect("a final advertisement");
    let src = "fe80::ff:fe00:1".parse().unwrap();
    let bytes = |t: v6ra::Transmit| {
        Repr::RouterAdvert(t.advert)
            .to_bytes(&src, &t.destination)
            .unwrap()
    };
    (bytes(first), bytes(last))
}

fn hex(b: &[u8]) -> String {
    b.chunks(8)
        .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

fn check(name: &str, conf: &str, first: &[u8], last: &[u8]) {
    let (our_first, our_last) = ours(conf);
    assert_eq!(hex(&our_first), hex(first), "{name}: first advertisement");
    assert_eq!(hex(&our_last), hex(last), "{name}: final advertisement");
    // And what radvd sent parses back to what we built.
    let theirs = Repr::parse(&Packet::new_checked(first).unwrap()).unwrap();
    let mine = Repr::parse(&Packet::new_checked(&our_first[..]).unwrap()).unwrap();
    assert_eq!(theirs, mine);
}

#[test]
fn classic_ipv6_first_host_matches_radvd() {
    check(
        "classic",
        include_str!("data/classic.radvd.conf"),
        include_bytes!("data/classic.bin"),
        include_bytes!("data/classic-final.bin"),
    );
}

#[test]
fn every_header_field_and_option_matches_radvd() {
    check(
        "rich",
        include_str!("data/rich.radvd.conf"),
        include_bytes!("data/rich.bin"),
        include_bytes!("data/rich-final.bin"),
    );
}

#[test]
fn deprecated_prefixes_and_kept_routes_and_dns_match_radvd() {
    // DeprecatePrefix on, RemoveRoute off, FlushRDNSS off, FlushDNSSL off.
    check(
        "keep",
        include_str!("data/keep.radvd.conf"),
        include_bytes!("data/keep.bin"),
        include_bytes!("data/keep-final.bin"),
    );
}
