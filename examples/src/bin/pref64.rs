//! Embeds an IPv4 address in a NAT64 prefix and extracts it again
//! (RFC 6052 section 2.2), for every prefix length RFC 6052 allows: the
//! table of its section 2.4. With two arguments, PREFIX and IPV4, it does
//! that one.
//!
//! ```text
//! cargo run -p v6kit-examples --bin pref64
//! cargo run -p v6kit-examples --bin pref64 -- 64:ff9b::/96 192.0.2.33
//! ```

use std::net::Ipv4Addr;
use std::process::ExitCode;

use v6core::Pref64;

/// The prefixes of RFC 6052 section 2.4's table.
const TABLE: [&str; 7] = [
    "2001:db8::/32",
    "2001:db8:100::/40",
    "2001:db8:122::/48",
    "2001:db8:122:300::/56",
    "2001:db8:122:344::/64",
    "2001:db8:122:344::/96",
    "64:ff9b::/96",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: Vec<(String, String)> = match args.as_slice() {
        [] => TABLE
            .iter()
            .map(|p| (p.to_string(), "192.0.2.33".to_owned()))
            .collect(),
        [prefix, v4] => vec![(prefix.clone(), v4.clone())],
        _ => {
            eprintln!("usage: pref64 [PREFIX IPV4]");
            return ExitCode::from(2);
        }
    };
    for (prefix, v4) in rows {
        if let Err(e) = row(&prefix, &v4) {
            eprintln!("pref64: {e}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn row(prefix: &str, v4: &str) -> Result<(), Box<dyn std::error::Error>> {
    // Only /32, /40, /48, /56, /64 and /96 parse, with bits 64..71 zero.
    let pref64: Pref64 = prefix.parse().map_err(|e| format!("{prefix}: {e}"))?;
    let v4: Ipv4Addr = v4.parse().map_err(|e| format!("{v4}: {e}"))?;
    let embedded = pref64.embed(v4);
    let extracted = pref64.extract(embedded)?;
    println!("{pref64} {v4} {embedded} {extracted}");
    Ok(())
}
