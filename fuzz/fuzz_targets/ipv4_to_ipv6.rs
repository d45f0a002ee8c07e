//! Arbitrary bytes as an IPv4 packet.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| common::run(4, data));
