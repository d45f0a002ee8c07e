//! The translator both targets drive, and the checks they make on its output.

use std::net::Ipv4Addr;
use std::sync::OnceLock;

use v6xlat::mapping::{Eamt, EamtThenPrefix, Rfc6052};
use v6xlat::{Config, Outcome, Translator};

/// A SIIT translator with both an EAMT and a prefix, so that hairpinning
/// and RFC 6791 paths are reachable, and a small IPv4 MTU, so that IPv4
/// fragmentation is too.
pub fn translator() -> &'static Translator<EamtThenPrefix> {
    static XLAT: OnceLock<Translator<EamtThenPrefix>> = OnceLock::new();
    XLAT.get_or_init(|| {
        let mut eamt = Eamt::new();
        eamt.add("1.0.0.0/24".parse().unwrap(), "2001:db8:3::/120".parse().unwrap())
            .unwrap();
        let prefix = Rfc6052::new("2001:db8:100::/40".parse().unwrap());
        let mut cfg = Config::new(
            EamtThenPrefix::new(eamt, Some(prefix)),
            Ipv4Addr::new(198, 51, 100, 1),
            "2001:db8:1c0:2:1::".parse().unwrap(),
        );
        cfg.rfc6791_v4 = Some("203.0.113.0/28".parse().unwrap());
        cfg.ipv4_mtu = 576;
        Translator::new(cfg).unwrap()
    })
}

/// Translates `input` with its first nibble forced to `version`, checks
/// that the packets written are inside the buffer and as many as
/// announced, and translates each of them back.
pub fn run(version: u8, input: &[u8]) {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    let mut packet = Vec::with_capacity(input.len());
    packet.push((version << 4) | (first & 0x0f));
    packet.extend_from_slice(rest);
    let xlat = translator();
    let mut out = vec![0u8; v6xlat::buffer_len(packet.len())];
    let outcome = xlat.translate(&packet, &mut out);
    let written: Vec<&[u8]> = outcome.packets(&out).collect();
    match outcome {
        Outcome::Translated { len, count } => {
            assert!(len <= out.len());
            assert_eq!(written.len(), count);
            assert_eq!(written.iter().map(|p| p.len()).sum::<usize>(), len);
        }
        Outcome::Icmp { len, .. } => {
            assert_eq!(written.len(), 1);
            assert_eq!(written[0].len(), len);
        }
        Outcome::Dropped(_) => assert!(written.is_empty()),
    }
    let mut back = vec![0u8; v6xlat::buffer_len(packet.len())];
    for p in written {
        let _ = xlat.translate(p, &mut back);
    }
}
