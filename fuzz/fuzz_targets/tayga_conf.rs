//! tayga.conf and Tayga's dynamic.map, as v6xlatd reads them: any text
//! is either accepted or refused with a line and a token, never a panic;
//! leases that were read are written and read back unchanged, and taking
//! them into a pool keeps the pool's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6xlat::pool::{DynamicPool, format_leases, parse_leases};
use v6xlat::tayga;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match tayga::parse(text) {
        Ok(conf) => {
            let checked = conf.check();
            let own = conf.own_ipv6();
            if checked.is_ok() {
                assert!(own.is_ok(), "a checked configuration has an own IPv6 address");
                assert!(conf.tun_device.is_some() && conf.ipv4_addr.is_some());
            }
        }
        Err(e) => {
            let line = e.line.expect("a parse error names its line");
            assert!(line >= 1 && line <= text.lines().count());
            assert!(e.token.is_some(), "a parse error names its token");
            let _ = e.to_string();
        }
    }

    let (leases, errors) = parse_leases(text);
    for e in &errors {
        assert!(e.line >= 1 && e.line <= text.lines().count());
    }
    let again = parse_leases(&format_leases(&leases));
    assert_eq!(again.0, leases);
    assert!(again.1.is_empty());

    let pool = DynamicPool::new("198.51.100.0/24".parse().unwrap());
    pool.set_now(1_700_000_000);
    let restored = pool.restore(leases.iter().copied());
    assert_eq!(restored.loaded + restored.ignored, leases.len());
    let kept = pool.leases();
    assert_eq!(kept.len(), restored.loaded);
    for l in &kept {
        assert!(pool.net().contains(&l.v4));
    }
});
