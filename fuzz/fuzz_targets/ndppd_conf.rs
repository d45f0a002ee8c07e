//! ndppd.conf as `v6proxyd ndp` reads it: any text is accepted or refused
//! with a line within the file, never a panic; an accepted one has a proxy
//! and drives a responder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6proxy::ndp::Responder;
use v6proxy::ndp::config::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(text, "ndppd.conf") {
        Ok(config) => {
            assert!(!config.proxies.is_empty());
            let r = Responder::new(config);
            assert!(!r.interfaces().is_empty());
        }
        Err(e) => {
            assert!(e.line <= text.lines().count().max(1));
            let _ = e.to_string();
        }
    }
});
