//! `v6 xlat` against the Jool project's SIIT vectors: the packets of the
//! baseline configuration are put into capture files (raw IP and Ethernet,
//! pcap and pcapng), translated by the built `v6` binary, and the output
//! capture is compared packet by packet with the expected packets.

use std::borrow::Cow;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::pcapng::{Block, PcapNgWriter};
use v6kit_testkit::TempDir;

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/jool-graybox"
);

/// The configuration of Jool's SIIT suite (its README), as `v6 xlat` flags.
const JOOL_SIIT: &[&str] = &[
    "--prefix",
    "2001:db8:100::/40",
    "--eamt",
    "2001:db8:3::/120=1.0.0.0/24",
    "--eamt",
    "2001:db8:2::/120=10.0.0.0/24",
    "--pool6791",
    "203.0.113.8",
    "--ipv4-addr",
    "198.51.100.1",
    "--ipv6-addr",
    "2001:db8:1c0:2:1::",
];

/// One exchange of the suite: the input, the packets expected from it, and
/// the byte offsets that may differ.
struct Pair {
    input: Vec<u8>,
    expected: Vec<Vec<u8>>,
    ignore: Vec<usize>,
}

/// The SIIT pairs that run with the baseline configuration.
fn baseline_pairs() -> Vec<Pair> {
    let dir = Path::new(SUITE);
    let table = fs::read_to_string(dir.join("pairs.tsv"))
        .unwrap_or_else(|e| panic!("the Jool vectors are missing from {SUITE}: {e}"));
    let read = |p: &str| fs::read(dir.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let pairs: Vec<Pair> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.len() == 8 && f[0] == "siit" && f[7] == "-")
        .map(|f| Pair {
            input: read(f[4]),
            expected: f[5].split(';').map(read).collect(),
            ignore: if f[6] == "-" {
                Vec::new()
            } else {
                f[6].split(',').map(|n| n.parse().unwrap()).collect()
            },
        })
        .collect();
    assert!(pairs.len() > 80, "only {} baseline pairs", pairs.len());
    pairs
}

fn ethernet(packet: &[u8]) -> Vec<u8> {
    let ethertype: [u8; 2] = if packet[0] >> 4 == 6 {
        [0x86, 0xdd]
    } else {
        [0x08, 0x00]
    };
    let mut frame = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    frame.extend_from_slice(&ethertype);
    frame.extend_from_slice(packet);
    frame
}

fn write_pcap(path: &Path, link: DataLink, frames: &[Vec<u8>]) {
    let header = PcapHeader {
        datalink: link,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(fs::File::create(path).unwrap(), header).unwrap();
    for (i, f) in frames.iter().enumerate() {
        let ts = Duration::from_millis(i as u64);
        w.write_packet(&PcapPacket::new(ts, f.len() as u32, f))
            .unwrap();
    }
}

fn write_pcapng(path: &Path, link: DataLink, frames: &[Vec<u8>]) {
    let mut w = PcapNgWriter::new(fs::File::create(path).unwrap()).unwrap();
    w.write_block(&Block::InterfaceDescription(
        InterfaceDescriptionBlock::new(link, 65535),
    ))
    .unwrap();
    for (i, f) in frames.iter().enumerate() {
        w.write_block(&Block::EnhancedPacket(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_millis(i as u64),
            original_len: f.len() as u32,
            data: Cow::Borrowed(f),
            options: vec![],
        }))
        .unwrap();
    }
}

fn read_pcap(path: &Path) -> (DataLink, Vec<Vec<u8>>) {
    let mut r = PcapReader::new(fs::File::open(path).unwrap()).unwrap();
    let link = r.header().datalink;
    let mut packets = Vec::new();
    while let Some(p) = r.next_packet() {
        packets.push(p.unwrap().data.into_owned());
    }
    (link, packets)
}

fn v6(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_v6"))
        .args(args)
        .output()
        .unwrap()
}

/// Translates `capture` and checks the output against every pair.
fn translate_and_compare(capture: &Path, out: &Path, pairs: &[Pair]) {
    let mut args = [&["xlat"][..], JOOL_SIIT].concat();
    args.extend([
        "--in",
        capture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let run = v6(&args);
    assert!(run.status.success(), "{run:?}");
    let summary = String::from_utf8(run.stdout).unwrap();
    assert!(
        summary.contains(&format!("packets           {}", pairs.len())),
        "{summary}"
    );

    let (link, got) = read_pcap(out);
    assert_eq!(link, DataLink::RAW);
    let expected: Vec<(&Vec<u8>, &Vec<usize>)> = pairs
        .iter()
        .flat_map(|p| p.expected.iter().map(move |e| (e, &p.ignore)))
        .collect();
    assert_eq!(got.len(), expected.len(), "{summary}");
    for (i, (got, (want, ignore))) in got.iter().zip(&expected).enumerate() {
        assert_eq!(got.len(), want.len(), "packet {i}: length");
        for (at, (g, w)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                g == w || ignore.contains(&at),
                "packet {i}: byte {at} is {g:#04x}, expected {w:#04x}"
            );
        }
    }
}

#[test]
fn raw_ip_pcap() {
    let pairs = baseline_pairs();
    let dir = TempDir::new("v6-xlat-raw");
    let frames: Vec<Vec<u8>> = pairs.iter().map(|p| p.input.clone()).collect();
    let capture = dir.join("in.pcap");
    write_pcap(&capture, DataLink::RAW, &frames);
    translate_and_compare(&capture, &dir.join("out.pcap"), &pairs);
}

#[test]
fn ethernet_pcapng_with_other_traffic() {
    let pairs = baseline_pairs();
    let dir = TempDir::new("v6-xlat-ethernet");
    let mut frames: Vec<Vec<u8>> = pairs.iter().map(|p| ethernet(&p.input)).collect();
    // An ARP request in the middle is skipped, not translated.
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    frames.insert(3, arp);
    let capture = dir.join("in.pcapng");
    write_pcapng(&capture, DataLink::ETHERNET, &frames);

    let out = dir.join("out.pcap");
    let mut args = [&["xlat"][..], JOOL_SIIT].concat();
    args.extend([
        "--json",
        "--in",
        capture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let run = v6(&args);
    assert!(run.status.success(), "{run:?}");
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["packets"], pairs.len() + 1);
    assert_eq!(summary["skipped"], 1);
    let written: usize = pairs.iter().map(|p| p.expected.len()).sum();
    assert_eq!(summary["written"], written);

    // The same packets as from the raw capture.
    let raw = dir.join("raw.pcap");
    write_pcap(
        &raw,
        DataLink::RAW,
        &pairs.iter().map(|p| p.input.clone()).collect::<Vec<_>>(),
    );
    translate_and_compare(&raw, &dir.join("raw-out.pcap"), &pairs);
}

#[test]
fn drops_are_counted_by_reason() {
    let dir = TempDir::new("v6-xlat-drops");
    // An IPv6 packet to an address outside every mapping, and garbage.
    let mut unmapped = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
    unmapped.extend_from_slice(
        &"2001:db8:1c0:2:21::"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    unmapped.extend_from_slice(
        &"2001:db8:ffff::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    unmapped.extend_from_slice(&[0, 1, 0, 2, 0, 8, 0, 0]);
    let garbage = vec![0x45, 0xff, 0x00];
    let capture = dir.join("in.pcap");
    write_pcap(&capture, DataLink::RAW, &[unmapped, garbage]);
    let out = dir.join("out.pcap");
    let mut args = [&["xlat"][..], JOOL_SIIT].concat();
    args.extend([
        "--json",
        "--in",
        capture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let run = v6(&args);
    assert!(run.status.success(), "{run:?}");
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["translated"], 0);
    let drops = summary["drops"].as_object().unwrap();
    let total: u64 = drops.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 2, "{summary}");
    assert_eq!(
        summary["icmp_errors"].as_u64().unwrap() + summary["dropped"].as_u64().unwrap(),
        2
    );
}

#[test]
fn tcpdump_reads_the_output() {
    if !v6kit_testkit::root_or_skip("tcpdump_reads_the_output", &["tcpdump"]) {
        return;
    }
    let pairs = baseline_pairs();
    let dir = TempDir::new("v6-xlat-tcpdump");
    let capture = dir.join("in.pcap");
    write_pcap(
        &capture,
        DataLink::RAW,
        &pairs.iter().map(|p| p.input.clone()).collect::<Vec<_>>(),
    );
    let out = dir.join("out.pcap");
    let mut args = [&["xlat"][..], JOOL_SIIT].concat();
    args.extend([
        "--in",
        capture.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(v6(&args).status.success());
    let dump = Command::new(v6kit_testkit::which("tcpdump").unwrap())
        .args(["-nn", "-r", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(dump.status.success(), "{dump:?}");
    let text = String::from_utf8_lossy(&dump.stdout);
    let written: usize = pairs.iter().map(|p| p.expected.len()).sum();
    assert_eq!(text.lines().count(), written, "{text}");
    // The first pair is UDP from 2001:db8:1c0:2:21:: (192.0.2.33) to
    // 2001:db8:1c6:3364:2:: (198.51.100.2).
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("IP 192.0.2.33.") && first.contains("198.51.100.2."),
        "{first}"
    );
}

#[test]
fn bad_arguments_exit_2_naming_them() {
    let dir = TempDir::new("v6-xlat-bad");
    let capture = dir.join("in.pcap");
    write_pcap(&capture, DataLink::RAW, &[]);
    let c = capture.to_str().unwrap();
    let o = dir.join("out.pcap");
    let o = o.to_str().unwrap();
    for (args, token) in [
        (
            vec!["--prefix", "64:ff9b::/95", "--in", c, "--out", o],
            "64:ff9b::/95",
        ),
        (
            vec!["--eamt", "2001:db8::/120", "--in", c, "--out", o],
            "2001:db8::/120",
        ),
        (
            vec![
                "--eamt",
                "2001:db8::/120=300.0.0.0/24",
                "--in",
                c,
                "--out",
                o,
            ],
            "300.0.0.0/24",
        ),
        (
            vec![
                "--prefix",
                "64:ff9b::/96",
                "--in",
                "/nonexistent/x.pcap",
                "--out",
                o,
            ],
            "/nonexistent/x.pcap",
        ),
        (
            vec![
                "--prefix",
                "64:ff9b::/96",
                "--in",
                "/etc/hostname",
                "--out",
                o,
            ],
            "/etc/hostname",
        ),
        (
            vec![
                "--prefix",
                "64:ff9b::/96",
                "--pool6791",
                "2001:db8::",
                "--in",
                c,
                "--out",
                o,
            ],
            "2001:db8::",
        ),
    ] {
        let mut all = vec!["xlat"];
        all.extend(args);
        let run = v6(&all);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{all:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(token), "{all:?}: {err}");
    }
}
