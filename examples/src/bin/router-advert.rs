//! Builds a router advertisement with `v6ra` — a prefix for SLAAC, a DNS
//! server (RDNSS, RFC 8106) and the NAT64 prefix (PREF64, RFC 8781) — as
//! the bytes a router sends, then parses those bytes back and prints what
//! a host learns from them, and the radvd.conf that says the same.
//!
//! ```text
//! cargo run -p v6kit-examples --bin router-advert
//! ```

use std::net::Ipv6Addr;
use std::process::ExitCode;

use v6core::Pref64;
use v6ra::wire::{Pref64Info, PrefixInfo};
use v6ra::{NdiscOptionRepr, Packet, Repr, RouterAdvert};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("router-advert: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let ra = RouterAdvert {
        hop_limit: 64,
        router_lifetime: 1800,
        options: vec![
            NdiscOptionRepr::PrefixInformation(PrefixInfo {
                prefix: "2001:db8:1::/64".parse()?,
                on_link: true,
                autonomous: true,
                router_address: false,
                valid_lifetime: 86400,
                preferred_lifetime: 14400,
            }),
            NdiscOptionRepr::Rdnss {
                lifetime: 1200,
                servers: vec!["2001:db8:1::1".parse()?],
            },
            NdiscOptionRepr::Pref64(Pref64Info {
                lifetime: 1800,
                prefix: Pref64::WELL_KNOWN,
            }),
        ],
        ..RouterAdvert::default()
    };
    // From the router's link-local address to all nodes; the checksum
    // covers both (RFC 4443 section 2.3).
    let (src, dst): (Ipv6Addr, Ipv6Addr) = ("fe80::1".parse()?, "ff02::1".parse()?);
    let bytes = Repr::RouterAdvert(ra).to_bytes(&src, &dst)?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    println!("{src} -> {dst} {hex}");

    // What a host does with the bytes it receives.
    let packet = Packet::new_checked(&bytes[..])?;
    if !packet.verify_checksum(&src, &dst) {
        return Err("bad checksum".into());
    }
    let Repr::RouterAdvert(heard) = Repr::parse(&packet)? else {
        return Err("not a router advertisement".into());
    };
    println!(
        "router lifetime {} s, hop limit {}",
        heard.router_lifetime, heard.hop_limit
    );
    for option in &heard.options {
        match option {
            NdiscOptionRepr::PrefixInformation(p) => println!(
                "prefix {} autonomous {} valid {} s preferred {} s",
                p.prefix, p.autonomous, p.valid_lifetime, p.preferred_lifetime
            ),
            NdiscOptionRepr::Rdnss { lifetime, servers } => {
                for s in servers {
                    println!("rdnss {s} lifetime {lifetime} s");
                }
            }
            NdiscOptionRepr::Pref64(p) => {
                println!("pref64 {} lifetime {} s", p.prefix, p.lifetime)
            }
            other => println!("other option {other:?}"),
        }
    }
    print!(
        "{}",
        v6ra::dump::to_radvd_conf(&heard, &src, "eth0", "router-advert")
    );
    Ok(())
}
