//! `v6 ra dump`: listens for router advertisements and prints each in
//! radvd.conf syntax, as radvdump does, including the PREF64 (RFC 8781)
//! and Captive-Portal (RFC 8910) options radvdump 2.19 cannot show.
//!
//! The socket is read through std's `UdpSocket`, which keeps this command
//! free of unsafe code but gives no ancillary data: the IPv6 hop limit of
//! an advertisement is not checked here (v6rad checks it on what it
//! receives), so a dump also shows advertisements that came from off-link.

use core::net::{Ipv6Addr, SocketAddr};
use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::{Value, json};
use socket2::{Domain, Protocol, Socket, Type};
use v6ra::wire::{Message, NdiscOptionRepr, Packet, Repr, RouterAdvert};

use crate::cli::{RaArgs, RaCommand, RaDumpArgs};
use crate::error::Failure;
use crate::output::Output;

/// Runs `v6 ra ...`.
pub(crate) fn run(args: &RaArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    match &args.command {
        RaCommand::Dump(dump) => run_dump(dump, out),
    }
}

/// The name of the interface with index `index`, from /sys/class/net.
fn interface_name(index: u32) -> Option<String> {
    std::fs::read_dir("/sys/class/net")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let i: u32 = std::fs::read_to_string(entry.path().join("ifindex"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            (i == index).then(|| entry.file_name().to_string_lossy().into_owned())
        })
}

/// A raw ICMPv6 socket, on `interface` only if one is given.
fn open(interface: Option<&str>) -> Result<std::net::UdpSocket, Failure> {
    let fail = |e: io::Error| {
        Failure::Io(io::Error::new(
            e.kind(),
            format!("cannot listen for router advertisements (root or CAP_NET_RAW is needed): {e}"),
        ))
    };
    let socket = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6)).map_err(fail)?;
    if let Some(name) = interface {
        socket.bind_device(Some(name.as_bytes())).map_err(fail)?;
    }
    // A raw socket read through std's UdpSocket: recv_from with an
    // initialized buffer, and the sender's scope is its interface.
    Ok(std::net::UdpSocket::from(socket))
}

fn run_dump(args: &RaDumpArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    if let Some(name) = &args.interface
        && !std::path::Path::new("/sys/class/net").join(name).exists()
    {
        return Err(Failure::invalid("interface", name, "no such interface"));
    }
    let socket = open(args.interface.as_deref())?;
    // A jumbo frame's worth: advertisements on 9000-byte links can be large.
    let mut buf = vec![0u8; 9216];
    let mut printed = 0u64;
    while args.count.is_none_or(|n| printed < n) {
        let (len, from) = socket.recv_from(&mut buf)?;
        let SocketAddr::V6(from) = from else { continue };
        let Ok(packet) = Packet::new_checked(&buf[..len]) else {
            continue;
        };
        if packet.msg_type() != Message::RouterAdvert {
            continue;
        }
        let interface = args
            .interface
            .clone()
            .or_else(|| interface_name(from.scope_id()))
            .unwrap_or_else(|| from.scope_id().to_string());
        let advert = match Repr::parse(&packet) {
            Ok(Repr::RouterAdvert(ra)) => ra,
            Ok(_) => continue,
            Err(e) => {
                let _ = writeln!(
                    io::stderr(),
                    "v6: malformed router advertisement from {} on {interface}: {e}",
                    from.ip()
                );
                continue;
            }
        };
        if out.is_json() {
            let value = to_json(&advert, from.ip(), &interface);
            serde_json::to_writer(out.writer(), &value)?;
            out.writer().write_all(b"\n")?;
        } else {
            let text = v6ra::dump::to_radvd_conf(&advert, from.ip(), &interface, "v6 ra dump");
            out.writer().write_all(text.as_bytes())?;
        }
        out.writer().flush()?;
        printed += 1;
    }
    Ok(ExitCode::SUCCESS)
}

/// One advertisement as a JSON object.
fn to_json(ra: &RouterAdvert, source: &Ipv6Addr, interface: &str) -> Value {
    let options: Vec<Value> = ra
        .options
        .iter()
        .map(|o| match o {
            NdiscOptionRepr::SourceLinkLayerAddr(a) => json!({
                "type": "source_link_layer_address", "address": hex(a, ":") }),
            NdiscOptionRepr::TargetLinkLayerAddr(a) => json!({
                "type": "target_link_layer_address", "address": hex(a, ":") }),
            NdiscOptionRepr::PrefixInformation(p) => json!({
                "type": "prefix", "prefix": p.prefix.to_string(), "on_link": p.on_link,
                "autonomous": p.autonomous, "router_address": p.router_address,
                "valid_lifetime": p.valid_lifetime, "preferred_lifetime": p.preferred_lifetime }),
            NdiscOptionRepr::Mtu(mtu) => json!({ "type": "mtu", "mtu": mtu }),
            NdiscOptionRepr::RouteInformation(r) => json!({
                "type": "route", "prefix": r.prefix.to_string(),
                "preference": r.preference.as_str(), "lifetime": r.lifetime }),
            NdiscOptionRepr::Rdnss { lifetime, servers } => json!({
                "type": "rdnss", "lifetime": lifetime, "servers": servers }),
            NdiscOptionRepr::Dnssl { lifetime, domains } => json!({
                "type": "dnssl", "lifetime": lifetime, "domains": domains }),
            NdiscOptionRepr::CaptivePortal(uri) => json!({ "type": "captive_portal", "uri": uri }),
            NdiscOptionRepr::Pref64(p) => json!({
                "type": "pref64", "prefix": p.prefix.to_string(), "lifetime": p.lifetime }),
            NdiscOptionRepr::Unknown { kind, data } => json!({
                "type": kind, "data": hex(data, "") }),
        })
        .collect();
    json!({
        "source": source,
        "interface": interface,
        "hop_limit": ra.hop_limit,
        "managed": ra.flags.managed,
        "other": ra.flags.other,
        "home_agent": ra.flags.home_agent,
        "preference": ra.flags.preference.as_str(),
        "proxy": ra.flags.proxy,
        "router_lifetime": ra.router_lifetime,
        "reachable_time": ra.reachable_time,
        "retrans_time": ra.retrans_time,
        "options": options,
    })
}

fn hex(bytes: &[u8], sep: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_every_option() {
        let bytes = [
            0x86u8, 0, 0, 0, 64, 0xc8, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, // header
            38, 2, 0x02, 0x58, 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, // PREF64
            1, 1, 2, 0, 0, 0, 0, 1, // source link-layer address
        ];
        let Ok(Repr::RouterAdvert(ra)) = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap())
        else {
            panic!("not an RA")
        };
        let v = to_json(&ra, &"fe80::1".parse().unwrap(), "eth0");
        assert_eq!(v["managed"], true);
        assert_eq!(v["preference"], "high");
        assert_eq!(v["router_lifetime"], 1800);
        assert_eq!(
            v["options"][0],
            json!({"type": "pref64", "prefix": "64:ff9b::/96", "lifetime": 600})
        );
        assert_eq!(v["options"][1]["address"], "02:00:00:00:00:01");
    }
}
