//! Any bytes as a neighbor-discovery message (RA, RS, NS, NA): parsing
//! never panics, and what parses re-encodes to bytes that parse the same.
#![no_main]

use core::net::Ipv6Addr;

use libfuzzer_sys::fuzz_target;
use v6ra::wire::{Packet, Repr};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::new_checked(data) else {
        return;
    };
    let _ = packet.verify_checksum(&Ipv6Addr::UNSPECIFIED, &Ipv6Addr::UNSPECIFIED);
    let Ok(repr) = Repr::parse(&packet) else {
        return;
    };
    let bytes = repr
        .to_bytes(&Ipv6Addr::UNSPECIFIED, &Ipv6Addr::UNSPECIFIED)
        .expect("a parsed message re-encodes");
    let again = Repr::parse(&Packet::new_checked(&bytes[..]).expect("re-encoded is whole"))
        .expect("re-encoded parses");
    assert_eq!(again, repr);
});
