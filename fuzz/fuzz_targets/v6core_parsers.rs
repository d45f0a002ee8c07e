//! Arbitrary text through every parser of v6core: none may panic, and
//! whatever parses must print as text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6core::prefix::parse_prefix;
use v6core::reverse::{parse_ptr_name, ptr_name};
use v6core::{Mac, Pref64};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(net) = parse_prefix(text) {
        assert_eq!(parse_prefix(&net.to_string()).unwrap(), net);
        let _ = v6core::class::classify_net(net);
        let _ = v6core::reverse::reverse_zones(net);
    }
    if let Ok(mac) = text.parse::<Mac>() {
        assert_eq!(mac.to_string().parse::<Mac>().unwrap(), mac);
    }
    if let Ok(pref) = text.parse::<Pref64>() {
        assert_eq!(pref.to_string().parse::<Pref64>().unwrap(), pref);
    }
    if let Ok(net) = parse_ptr_name(text) {
        if net.prefix_len() == net.max_prefix_len() {
            assert_eq!(parse_ptr_name(&ptr_name(net.addr())).unwrap(), net);
        }
    }
});
