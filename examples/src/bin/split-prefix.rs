//! Splits a delegated prefix into one /64 per virtual machine and prints
//! the address each machine forms from its MAC address by SLAAC (modified
//! EUI-64, RFC 4291 appendix A).
//!
//! ```text
//! cargo run -p v6kit-examples --bin split-prefix -- 2001:db8:100::/56 52:54:00:d6:c2:a9 52:54:00:12:34:56
//! ```

use std::process::ExitCode;

use ipnet::IpNet;
use v6core::{Mac, eui64, prefix};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let delegated = args
        .next()
        .unwrap_or_else(|| "2001:db8:100::/56".to_owned());
    let mut macs: Vec<String> = args.collect();
    if macs.is_empty() {
        macs = [
            "52:54:00:d6:c2:a9",
            "52:54:00:12:34:56",
            "52:54:00:ab:cd:ef",
        ]
        .map(String::from)
        .to_vec();
    }
    match run(&delegated, &macs) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("split-prefix: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(delegated: &str, macs: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    // Names the bad token when the prefix does not parse, or has host bits.
    let IpNet::V6(delegated) = prefix::parse_prefix(delegated)? else {
        return Err(format!("{delegated}: not an IPv6 prefix").into());
    };
    let vms = prefix::subnets(IpNet::V6(delegated), 64)?;
    println!("{delegated}: {} /64s", vms.remaining());
    for (i, (mac, subnet)) in macs.iter().zip(vms).enumerate() {
        let mac: Mac = mac.parse()?;
        let IpNet::V6(subnet) = subnet else {
            unreachable!("the subnets of an IPv6 prefix are IPv6")
        };
        let address = eui64::slaac(subnet, mac)?;
        println!("vm{i} {mac} {subnet} {address}");
    }
    Ok(())
}
