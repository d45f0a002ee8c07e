//! Translates one packet with `v6xlat` (RFC 7915 section 5): a UDP
//! datagram from an IPv6-only host to an IPv4 server, addressed through
//! the NAT64 prefix 2001:db8:64::/96 (RFC 6052), comes out as the IPv4
//! datagram the server receives. Prints both, as a summary and in hex.
//!
//! ```text
//! cargo run -p v6kit-examples --bin translate
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;

use etherparse::{NetHeaders, PacketBuilder, PacketHeaders, TransportHeader};
use v6xlat::mapping::Rfc6052;
use v6xlat::{Config, Translator};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("translate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // Stateless translation: both ends are in the prefix. The host is
    // 192.0.2.33 to the IPv4 side, the server 198.51.100.2 to the IPv6 side.
    let prefix = "2001:db8:64::/96".parse()?;
    let config = Config::new(
        Rfc6052::new(prefix),
        // The translator's own addresses, the sources of its ICMP errors.
        Ipv4Addr::new(192, 0, 2, 1),
        "2001:db8::1".parse()?,
    );
    let translator = Translator::new(config)?;

    let host: Ipv6Addr = "2001:db8:64::c000:221".parse()?;
    let server: Ipv6Addr = "2001:db8:64::c633:6402".parse()?;
    let mut packet = Vec::new();
    PacketBuilder::ipv6(host.octets(), server.octets(), 64)
        .udp(5353, 53)
        .write(&mut packet, b"v6kit")?;
    print_packet(&packet)?;

    // The caller owns the output buffer; nothing is allocated per packet.
    let mut out = vec![0u8; v6xlat::buffer_len(packet.len())];
    let outcome = translator.translate(&packet, &mut out);
    // Otherwise an ICMP error for the sender, or nothing at all.
    if let Some(reason) = outcome.reason() {
        return Err(format!("not translated: {reason:?}").into());
    }
    for translated in outcome.packets(&out) {
        print_packet(translated)?;
    }
    Ok(())
}

/// One line of what the packet is, one of its bytes in hex.
fn print_packet(bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let headers = PacketHeaders::from_ip_slice(bytes)?;
    let (family, src, dst, hops) = match &headers.net {
        Some(NetHeaders::Ipv4(ip, _)) => (
            "IPv4",
            Ipv4Addr::from(ip.source).to_string(),
            Ipv4Addr::from(ip.destination).to_string(),
            format!("TTL {}", ip.time_to_live),
        ),
        Some(NetHeaders::Ipv6(ip, _)) => (
            "IPv6",
            Ipv6Addr::from(ip.source).to_string(),
            Ipv6Addr::from(ip.destination).to_string(),
            format!("hop limit {}", ip.hop_limit),
        ),
        _ => return Err("not an IP packet".into()),
    };
    let Some(TransportHeader::Udp(udp)) = &headers.transport else {
        return Err("not UDP".into());
    };
    println!(
        "{family} UDP {src} port {} -> {dst} port {}, {hops}, {} bytes",
        udp.source_port,
        udp.destination_port,
        bytes.len()
    );
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    println!("{family} {hex}");
    Ok(())
}
