//! Any text as a radvd.conf: parsing never panics, and every accepted
//! interface builds an advertisement that encodes and parses back.
#![no_main]

use core::net::Ipv6Addr;

use libfuzzer_sys::fuzz_target;
use v6ra::config::{LinkInfo, build::build, parse};
use v6ra::wire::{Packet, Repr};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = parse("fuzz.conf", text) else {
        return;
    };
    let link = LinkInfo {
        link_addr: Some(vec![2, 0, 0, 0, 0, 1]),
        mtu: 1500,
        addresses: vec![
            "fe80::1/64".parse().unwrap(),
            "2001:db8:1::1/64".parse().unwrap(),
        ],
    };
    for iface in &config.interfaces {
        let Ok(advertiser) = build(iface, &link, |_| Some(link.clone())) else {
            continue;
        };
        let repr = Repr::RouterAdvert(advertiser.advert);
        // Too many options for one message is the one refusal allowed.
        let Ok(bytes) = repr.to_bytes(&Ipv6Addr::UNSPECIFIED, &Ipv6Addr::UNSPECIFIED) else {
            continue;
        };
        let again = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!(again, repr);
    }
});
