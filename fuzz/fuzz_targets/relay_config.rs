//! The relay's configuration file: any text is accepted or refused with
//! its line and token, never a panic; an accepted one gives a router or a
//! refusal at a route's line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6proxy::relay::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text, "relay.conf") {
        Ok(config) => {
            assert!(!config.listen.is_empty() && !config.backend_prefixes.is_empty());
            let host = vec!["2001:db8::1".parse().unwrap()];
            if let Err(e) = config.router(host) {
                assert!(e.line >= 1 && e.line <= text.lines().count());
            }
        }
        Err(e) => {
            assert!(e.line <= text.lines().count());
            let _ = e.to_string();
        }
    }
});
