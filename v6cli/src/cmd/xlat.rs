//! `v6 xlat`: translate the packets of a capture file offline.
//!
//! Someone debugging a NAT64 can feed a capture taken on the IPv6 or IPv4
//! side through the same translator `v6xlatd` runs, and open what it would
//! have sent in tcpdump or Wireshark. Every IPv4 and IPv6 packet of the
//! capture goes through [`Translator::translate`]; translated packets and
//! the translator's own ICMP errors are written to a pcap file of raw IP
//! packets, with the timestamp of the packet they came from.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::{Block, PcapNgReader};
use serde::Serialize;
use v6xlat::mapping::{Eamt, EamtThenPrefix, Rfc6052};
use v6xlat::{Config, DropReason, Outcome, Translator};

use crate::cli::XlatArgs;
use crate::error::Failure;
use crate::input;
use crate::output::Output;

/// The IPv4 dummy address (RFC 7600 section 4.8): the source of the
/// translator's ICMPv4 errors when no address is given.
const DUMMY_V4: core::net::Ipv4Addr = core::net::Ipv4Addr::new(192, 0, 0, 8);

/// The magic number that starts a pcapng file (its Section Header Block).
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// What happened to the packets of the capture.
#[derive(Debug, Default, Serialize)]
struct Summary {
    /// Packets read from the capture.
    packets: u64,
    /// Packets that were not IPv4 or IPv6 (ARP, LLDP, …) and were skipped.
    skipped: u64,
    /// Packets that were translated.
    translated: u64,
    /// Packets written to the output (a translated packet may have been
    /// fragmented into several).
    written: u64,
    /// Packets answered with an ICMP error by the translator.
    icmp_errors: u64,
    /// Packets dropped without an answer.
    dropped: u64,
    /// Packets not translated, by reason (answered or not).
    drops: BTreeMap<&'static str, u64>,
}

/// Runs `v6 xlat`.
pub(crate) fn run(args: &XlatArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let translator = translator(args)?;
    let mut capture = Capture::open(&args.input)?;
    let file = File::create(&args.output)
        .map_err(|e| Failure::invalid("output file", &args.output.display().to_string(), e))?;
    let header = PcapHeader {
        datalink: DataLink::RAW,
        snaplen: 65535,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(BufWriter::new(file), header).map_err(io)?;

    let mut summary = Summary::default();
    let mut buf = Vec::new();
    while let Some((timestamp, link, frame)) = capture.next()? {
        summary.packets += 1;
        let Some(packet) = ip_packet(link, &frame) else {
            summary.skipped += 1;
            continue;
        };
        let needed = v6xlat::buffer_len(packet.len());
        if buf.len() < needed {
            buf.resize(needed, 0);
        }
        let outcome = translator.translate(packet, &mut buf);
        match outcome {
            Outcome::Translated { .. } => summary.translated += 1,
            Outcome::Icmp { reason, .. } => {
                summary.icmp_errors += 1;
                count(&mut summary, reason);
            }
            Outcome::Dropped(reason) => {
                summary.dropped += 1;
                count(&mut summary, reason);
            }
        }
        for sent in outcome.packets(&buf) {
            // A packet is at most 64 KiB plus an IPv6 header.
            let len = sent.len() as u32;
            writer
                .write_packet(&PcapPacket::new(timestamp, len, sent))
                .map_err(io)?;
            summary.written += 1;
        }
    }
    writer
        .into_writer()
        .into_inner()
        .map_err(|e| io(e.into_error()))?;

    if out.is_json() {
        out.json(&summary)?;
    } else {
        out.table(&[
            ("packets", summary.packets.to_string()),
            ("not IP, skipped", summary.skipped.to_string()),
            ("translated", summary.translated.to_string()),
            ("written", summary.written.to_string()),
            ("ICMP errors sent", summary.icmp_errors.to_string()),
            ("dropped", summary.dropped.to_string()),
        ])?;
        let rows: Vec<(&str, String)> = summary
            .drops
            .iter()
            .map(|(reason, n)| (*reason, n.to_string()))
            .collect();
        if !rows.is_empty() {
            out.line("not translated, by reason:")?;
            out.table(&rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn count(summary: &mut Summary, reason: DropReason) {
    *summary.drops.entry(reason.as_str()).or_default() += 1;
}

/// The translator the arguments describe: EAMT entries first, then the
/// RFC 6052 prefix, as Jool does.
fn translator(args: &XlatArgs) -> Result<Translator<EamtThenPrefix>, Failure> {
    let prefix = args.prefix.as_deref().map(input::pref64).transpose()?;
    let mut eamt = Eamt::default();
    for entry in &args.eamt {
        let (v6, v4) = entry.split_once('=').ok_or_else(|| {
            Failure::invalid("EAMT entry", entry, "expected IPV6PREFIX=IPV4PREFIX")
        })?;
        let v6 = input::ipv6_prefix(v6)?;
        let v4 = ipv4_prefix(v4)?;
        eamt.add(v4, v6)
            .map_err(|e| Failure::invalid("EAMT entry", entry, e))?;
    }
    let ipv4_addr = match &args.ipv4_addr {
        Some(a) => input::ipv4(a)?,
        None => DUMMY_V4,
    };
    let ipv6_addr = match (&args.ipv6_addr, prefix) {
        (Some(a), _) => input::ipv6(a)?,
        (None, Some(p)) => p.embed(ipv4_addr),
        (None, None) => {
            return Err(Failure::Input(
                "--ipv6-addr is needed when there is no --prefix".to_owned(),
            ));
        }
    };
    let mut config = Config::new(
        EamtThenPrefix::new(eamt, prefix.map(Rfc6052::new)),
        ipv4_addr,
        ipv6_addr,
    );
    config.lowest_ipv6_mtu = args.lowest_ipv6_mtu;
    config.amend_udp_checksum_zero = args.amend_udp_checksum_zero;
    config.rfc6791_v4 = args.pool6791.as_deref().map(ipv4_prefix).transpose()?;
    Translator::new(config).map_err(|e| Failure::Input(format!("invalid configuration: {e}")))
}

/// An IPv4 prefix or address.
fn ipv4_prefix(token: &str) -> Result<Ipv4Net, Failure> {
    match input::prefix(token)? {
        IpNet::V4(net) => Ok(net),
        IpNet::V6(_) => Err(Failure::invalid(
            "IPv4 prefix",
            token,
            "this is IPv6; an IPv4 prefix is needed",
        )),
    }
}

/// The IP packet inside a captured frame, or `None` for frames that do not
/// carry IPv4 or IPv6.
fn ip_packet(link: DataLink, frame: &[u8]) -> Option<&[u8]> {
    const IPV4: u16 = 0x0800;
    const IPV6: u16 = 0x86dd;
    let ethertype = |b: &[u8]| u16::from_be_bytes([b[0], b[1]]);
    let (protocol, packet) = match link {
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => {
            let version = frame.first()? >> 4;
            return matches!(version, 4 | 6).then_some(frame);
        }
        DataLink::ETHERNET => {
            // Destination and source MAC, then the EtherType, after any
            // 802.1Q or 802.1ad tags.
            let mut at = 12;
            while matches!(ethertype(frame.get(at..at + 2)?), 0x8100 | 0x88a8) {
                at += 4;
            }
            (ethertype(frame.get(at..at + 2)?), frame.get(at + 2..)?)
        }
        // Linux cooked capture: the protocol is at bytes 14-15 of a 16-byte
        // header (v1) or bytes 0-1 of a 20-byte header (v2).
        DataLink::LINUX_SLL => (ethertype(frame.get(14..16)?), frame.get(16..)?),
        DataLink::LINUX_SLL2 => (ethertype(frame.get(0..2)?), frame.get(20..)?),
        _ => return None,
    };
    matches!(protocol, IPV4 | IPV6).then_some(packet)
}

/// A capture file being read, pcap or pcapng.
enum Capture {
    Pcap(PcapReader<BufReader<File>>),
    /// A pcapng reader and the link type of each interface described so far.
    PcapNg(PcapNgReader<BufReader<File>>, Vec<DataLink>),
}

impl Capture {
    fn open(path: &Path) -> Result<Capture, Failure> {
        let name = path.display().to_string();
        let bad = |e: &dyn std::fmt::Display| Failure::invalid("capture file", &name, e);
        let file = File::open(path).map_err(|e| bad(&e))?;
        let mut reader = BufReader::new(file);
        let magic = reader.fill_buf().map_err(|e| bad(&e))?;
        if magic.starts_with(&PCAPNG_MAGIC) {
            let reader = PcapNgReader::new(reader).map_err(|e| bad(&e))?;
            return Ok(Capture::PcapNg(reader, Vec::new()));
        }
        let reader = PcapReader::new(reader).map_err(|e| bad(&e))?;
        check_link(reader.header().datalink, &name)?;
        Ok(Capture::Pcap(reader))
    }

    /// The next captured frame: its timestamp, link type and bytes.
    fn next(&mut self) -> Result<Option<(Duration, DataLink, Vec<u8>)>, Failure> {
        match self {
            Capture::Pcap(r) => {
                let link = r.header().datalink;
                match r.next_packet() {
                    None => Ok(None),
                    Some(p) => {
                        let p = p.map_err(io)?;
                        Ok(Some((p.timestamp, link, p.data.into_owned())))
                    }
                }
            }
            Capture::PcapNg(r, links) => loop {
                let block = match r.next_block() {
                    None => return Ok(None),
                    Some(b) => b.map_err(io)?,
                };
                let (timestamp, interface, data) = match block {
                    Block::InterfaceDescription(i) => {
                        links.push(i.linktype);
                        continue;
                    }
                    Block::EnhancedPacket(p) => (p.timestamp, p.interface_id, p.data),
                    // A simple packet block belongs to the first interface.
                    Block::SimplePacket(p) => (Duration::ZERO, 0, p.data),
                    _ => continue,
                };
                let link = *links.get(interface as usize).ok_or_else(|| {
                    Failure::Input(format!(
                        "capture file: a packet names interface {interface}, which was not described"
                    ))
                })?;
                return Ok(Some((timestamp, link, data.into_owned())));
            },
        }
    }
}

/// Refuses capture link types whose frames `ip_packet` cannot open.
fn check_link(link: DataLink, name: &str) -> Result<(), Failure> {
    match link {
        DataLink::RAW
        | DataLink::IPV4
        | DataLink::IPV6
        | DataLink::ETHERNET
        | DataLink::LINUX_SLL
        | DataLink::LINUX_SLL2 => Ok(()),
        other => Err(Failure::invalid(
            "capture file",
            name,
            format_args!(
                "link type {other:?} is not supported (raw IP, Ethernet and Linux cooked captures are)"
            ),
        )),
    }
}

/// A read or write error of the capture files.
fn io(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Failure {
    Failure::Io(std::io::Error::other(e))
}
