//! The configuration file of `v6xlatd --mode nat64`: any text is either
//! accepted or refused with a line and a token, never a panic, and a file
//! that is accepted either builds the stateful NAT64 or names what cannot
//! be built.
#![no_main]

use libfuzzer_sys::fuzz_target;
use v6xlat::nat64_conf;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count();
    match nat64_conf::parse(text) {
        Ok(conf) => {
            for s in &conf.statics {
                assert!(s.line >= 1 && s.line <= lines);
            }
            match conf.build() {
                Ok(nat) => {
                    assert!(conf.check().is_ok());
                    let stats = nat.stats();
                    assert_eq!(stats.bib_entries.iter().sum::<usize>(), conf.statics.len());
                }
                Err(e) => {
                    if let Some(line) = e.line {
                        assert!(line >= 1 && line <= lines);
                        assert!(e.token.is_some(), "an error on a line names its token");
                    }
                    let _ = e.to_string();
                }
            }
        }
        Err(e) => {
            let line = e.line.expect("a parse error names its line");
            assert!(line >= 1 && line <= lines);
            assert!(e.token.is_some(), "a parse error names its token");
            let _ = e.to_string();
        }
    }
});
