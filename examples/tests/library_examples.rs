//! Runs each library example (`src/bin/*.rs` but the lab) and checks what
//! it prints against values worked out here from the RFCs, without the
//! v6kit libraries: RFC 4291 appendix A for SLAAC addresses, RFC 6052
//! section 2.4's table, the IPv4 header and UDP checksum of RFC 791 and
//! RFC 768 for a translated packet, the option layouts of RFC 8106 and
//! RFC 8781, and RFC 6147's TTL rule for synthesized records.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;

/// Runs example `exe` with `args`; returns its standard output.
fn run(exe: &str, args: &[&str]) -> String {
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{exe} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The Internet checksum (RFC 1071) of `data`: the ones' complement of
/// the ones' complement sum of its 16-bit words.
fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The modified EUI-64 address of `mac` in the /64 `net` (RFC 4291
/// appendix A): ff:fe in the middle of the MAC, the universal/local bit
/// of its first byte inverted.
fn slaac(net: [u16; 4], mac: [u8; 6]) -> Ipv6Addr {
    let iid = [
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ];
    let mut bytes = [0u8; 16];
    for (i, seg) in net.iter().enumerate() {
        bytes[2 * i..2 * i + 2].copy_from_slice(&seg.to_be_bytes());
    }
    bytes[8..].copy_from_slice(&iid);
    Ipv6Addr::from(bytes)
}

#[test]
fn split_prefix_gives_each_vm_a_64_and_its_slaac_address() {
    let macs = ["52:54:00:d6:c2:a9", "02:00:5e:10:00:01"];
    let out = run(
        env!("CARGO_BIN_EXE_split-prefix"),
        &["2001:db8:100::/56", macs[0], macs[1]],
    );
    let lines: Vec<&str> = out.lines().collect();
    // A /56 holds 2^(64-56) /64s.
    assert_eq!(lines[0], "2001:db8:100::/56: 256 /64s");
    assert_eq!(lines.len(), 1 + macs.len(), "{out}");
    let mac_bytes = [
        [0x52, 0x54, 0x00, 0xd6, 0xc2, 0xa9],
        [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01],
    ];
    for (i, line) in lines[1..].iter().enumerate() {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[0], format!("vm{i}"));
        assert_eq!(f[1], macs[i]);
        // The i-th /64 of 2001:db8:100::/56.
        let net = [0x2001, 0x0db8, 0x0100, i as u16];
        let network = Ipv6Addr::new(net[0], net[1], net[2], net[3], 0, 0, 0, 0);
        assert_eq!(f[2], format!("{network}/64"));
        let want = slaac(net, mac_bytes[i]);
        assert_eq!(f[3].parse::<Ipv6Addr>().unwrap(), want, "{line}");
    }
    // The guide's own example: 52:54:00:d6:c2:a9 in 2001:db8::/64.
    assert_eq!(
        slaac([0x2001, 0xdb8, 0, 0], mac_bytes[0]),
        "2001:db8::5054:ff:fed6:c2a9".parse::<Ipv6Addr>().unwrap()
    );
    // A locally administered MAC has its bit turned off.
    assert!(lines[2].ends_with(" 2001:db8:100:1:0:5eff:fe10:1"), "{out}");
}

#[test]
fn pref64_prints_rfc_6052_table() {
    // RFC 6052 section 2.4, 192.0.2.33 in each prefix.
    let table = [
        ("2001:db8::/32", "2001:db8:c000:221::"),
        ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
        ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
        ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
        ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
        ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
        ("64:ff9b::/96", "64:ff9b::192.0.2.33"),
    ];
    let out = run(env!("CARGO_BIN_EXE_pref64"), &[]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), table.len(), "{out}");
    for (line, (prefix, embedded)) in lines.iter().zip(table) {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[0], prefix);
        assert_eq!(f[1], "192.0.2.33");
        assert_eq!(
            f[2].parse::<Ipv6Addr>().unwrap(),
            embedded.parse::<Ipv6Addr>().unwrap(),
            "{line}"
        );
        assert_eq!(f[3], "192.0.2.33", "extracted again: {line}");
    }
    let out = run(
        env!("CARGO_BIN_EXE_pref64"),
        &["64:ff9b::/96", "192.0.2.33"],
    );
    assert_eq!(
        out,
        "64:ff9b::/96 192.0.2.33 64:ff9b::c000:221 192.0.2.33\n"
    );
    // A length RFC 6052 does not allow is refused, naming it.
    let bad = Command::new(env!("CARGO_BIN_EXE_pref64"))
        .args(["64:ff9b::/95", "192.0.2.33"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("64:ff9b::/95"));
}

#[test]
fn translate_turns_the_ipv6_datagram_into_the_ipv4_one() {
    let out = run(env!("CARGO_BIN_EXE_translate"), &[]);
    let hex = |family: &str| {
        out.lines()
            .filter_map(|l| l.strip_prefix(&format!("{family} ")))
            .find(|rest| rest.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(unhex)
            .unwrap_or_else(|| panic!("no {family} bytes in {out}"))
    };
    let v6 = hex("IPv6");
    let v4 = hex("IPv4");
    let payload = &v6[40 + 8..];
    assert_eq!(payload, b"v6kit");

    // RFC 791 header, as RFC 7915 section 5.1 fills it.
    assert_eq!(v4[0], 0x45, "version 4, no options");
    assert_eq!(v4[1], v6[1] >> 4 | v6[0] << 4, "traffic class");
    let total = usize::from(u16::from_be_bytes([v4[2], v4[3]]));
    assert_eq!(total, v4.len());
    assert_eq!(total, 20 + 8 + payload.len());
    assert_eq!(v4[8], 64 - 1, "TTL: the hop limit less one");
    assert_eq!(v4[9], 17, "UDP");
    assert_eq!(internet_checksum(&v4[..20]), 0, "header checksum");
    // The addresses embedded in 2001:db8:64::/96: its last 32 bits.
    assert_eq!(&v6[8..20], &v6[24..36], "both in the same /96");
    assert_eq!(v4[12..16], v6[20..24]);
    assert_eq!(v4[16..20], v6[36..40]);
    assert_eq!(
        Ipv4Addr::from([v4[12], v4[13], v4[14], v4[15]]),
        Ipv4Addr::new(192, 0, 2, 33)
    );
    assert_eq!(
        Ipv4Addr::from([v4[16], v4[17], v4[18], v4[19]]),
        Ipv4Addr::new(198, 51, 100, 2)
    );

    // The UDP header and data unchanged but for the checksum, which is
    // right for the IPv4 pseudo-header (RFC 768).
    let udp = &v4[20..];
    assert_eq!(udp[..6], v6[40..46], "ports and length");
    assert_eq!(&udp[8..], payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&v4[12..20]);
    pseudo.extend_from_slice(&[0, 17]);
    pseudo.extend_from_slice(&(udp.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(udp);
    assert_eq!(internet_checksum(&pseudo), 0, "UDP checksum");

    assert!(out.contains("IPv4 UDP 192.0.2.33 port 5353 -> 198.51.100.2 port 53, TTL 63"));
}

#[test]
fn router_advert_carries_rdnss_and_pref64_as_their_rfcs_lay_them_out() {
    let out = run(env!("CARGO_BIN_EXE_router-advert"), &[]);
    let first = out.lines().next().unwrap();
    let (addrs, hex) = first.rsplit_once(' ').unwrap();
    assert_eq!(addrs, "fe80::1 -> ff02::1");
    let ra = unhex(hex);
    // RFC 4861 section 4.2.
    assert_eq!((ra[0], ra[1]), (134, 0), "type and code");
    assert_eq!(ra[4], 64, "cur hop limit");
    assert_eq!(u16::from_be_bytes([ra[6], ra[7]]), 1800, "router lifetime");
    // The checksum over the pseudo-header of RFC 4443 section 2.3.
    let src: Ipv6Addr = "fe80::1".parse().unwrap();
    let dst: Ipv6Addr = "ff02::1".parse().unwrap();
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(ra.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    pseudo.extend_from_slice(&ra);
    assert_eq!(internet_checksum(&pseudo), 0, "ICMPv6 checksum");

    // The options, by type, walked with their length in units of 8 bytes.
    let mut options = Vec::new();
    let mut rest = &ra[16..];
    while !rest.is_empty() {
        let len = usize::from(rest[1]) * 8;
        options.push(&rest[..len]);
        rest = &rest[len..];
    }
    let find = |kind: u8| *options.iter().find(|o| o[0] == kind).unwrap();
    // RFC 8106 section 5.1: type 25, length 3 for one server, two
    // reserved bytes, the lifetime, the address.
    let rdnss = find(25);
    assert_eq!(rdnss[1], 3);
    assert_eq!(u32::from_be_bytes(rdnss[4..8].try_into().unwrap()), 1200);
    assert_eq!(
        rdnss[8..24],
        "2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets()
    );
    // RFC 8781 section 4: type 38, length 2; the lifetime in 8-second
    // units in the high 13 bits, the prefix length code in the low 3 (0
    // is /96); then the prefix's first 96 bits.
    let pref64 = find(38);
    assert_eq!(pref64[1], 2);
    let field = u16::from_be_bytes([pref64[2], pref64[3]]);
    assert_eq!(field >> 3, 1800 / 8);
    assert_eq!(field & 7, 0);
    assert_eq!(
        pref64[4..16],
        "64:ff9b::".parse::<Ipv6Addr>().unwrap().octets()[..12]
    );
    // RFC 4861 section 4.6.2: type 3, length 4, /64, L and A.
    let prefix = find(3);
    assert_eq!((prefix[1], prefix[2], prefix[3]), (4, 64, 0xc0));

    // What was parsed back says the same.
    for line in [
        "prefix 2001:db8:1::/64 autonomous true valid 86400 s preferred 14400 s",
        "rdnss 2001:db8:1::1 lifetime 1200 s",
        "pref64 64:ff9b::/96 lifetime 1800 s",
        "\tnat64prefix 64:ff9b::/96",
        "\tRDNSS 2001:db8:1::1",
    ] {
        assert!(out.lines().any(|l| l == line), "{line:?} not in {out}");
    }
}

#[test]
fn dns64_synthesis_embeds_the_a_records_with_the_ttl_capped() {
    let out = run(env!("CARGO_BIN_EXE_dns64-synthesis"), &[]);
    // RFC 6147 section 5.1.1: AAAA first, then A when there is none.
    let asked: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("upstream is asked "))
        .collect();
    assert_eq!(asked, ["v4only.example. AAAA", "v4only.example. A"]);
    assert!(out.contains("client gets No Error"), "{out}");
    let answers: Vec<(u32, Ipv6Addr)> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() == 4 && f[0] == "v4only.example." && f[2] == "AAAA")
                .then(|| (f[1].parse().unwrap(), f[3].parse().unwrap()))
        })
        .collect();
    // Each A record's address in the last 32 bits of 64:ff9b::/96 (RFC
    // 6052 section 2.2); the TTL is the smaller of the A record's (300)
    // and the SOA minimum of the empty AAAA answer (120), section 5.1.7.
    let embed = |v4: Ipv4Addr| Ipv6Addr::from(0x0064_ff9b_u128 << 96 | u128::from(u32::from(v4)));
    assert_eq!(
        answers,
        [
            (120, embed(Ipv4Addr::new(192, 0, 2, 33))),
            (120, embed(Ipv4Addr::new(198, 51, 100, 7))),
        ]
    );
    assert_eq!(
        answers[0].1,
        "64:ff9b::c000:221".parse::<Ipv6Addr>().unwrap()
    );
}
