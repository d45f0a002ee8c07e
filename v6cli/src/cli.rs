//! The command line: every subcommand, argument and flag of `v6`.
//!
//! Shell completions and the man page are generated from these definitions,
//! so the help texts here are the documentation.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};

/// IPv6 and IPv4 prefix calculations: what sipcalc and ipv6calc do.
///
/// `v6 ADDRESS|PREFIX...` is short for `v6 info ADDRESS|PREFIX...`: it
/// describes each argument (expanded and compressed form, prefix, mask,
/// range, number of addresses, type and RFC, reverse zone).
#[derive(Debug, Parser)]
#[command(
    name = "v6",
    version,
    after_help = "Examples:\n  v6 2001:db8::/32\n  v6 split 2001:db8:100::/56 64\n  v6 eui64 2001:db8::/64 52:54:00:d6:c2:a9\n  v6 embed 64:ff9b::/96 192.0.2.33\n\nExit status: 0 on success, 1 when `v6 contains` answers no, 2 on bad input."
)]
pub(crate) struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands of `v6`.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Describe addresses and prefixes (the default: `v6 2001:db8::/32`).
    Info(InfoArgs),
    /// List the subnets of a prefix, one per line (like `sipcalc -S`).
    Split(SplitArgs),
    /// The SLAAC address of a MAC address in a prefix (modified EUI-64, RFC 4291).
    Eui64(Eui64Args),
    /// The MAC address an EUI-64 address was made from.
    Mac(MacArgs),
    /// A stable, opaque interface identifier and address (RFC 7217).
    StableIid(StableIidArgs),
    /// Embed an IPv4 address in an RFC 6052 prefix, such as 64:ff9b::/96.
    Embed(EmbedArgs),
    /// Extract the IPv4 address from an RFC 6052 IPv4-embedded IPv6 address.
    Extract(ExtractArgs),
    /// Random addresses inside a prefix.
    Random(RandomArgs),
    /// The reverse-DNS name of an address, or the reverse zones of a prefix.
    Ptr(PtrArgs),
    /// Merge prefixes and ranges into the fewest covering prefixes.
    Summarize(SummarizeArgs),
    /// Whether a prefix contains an address: exit status 0 if so, 1 if not.
    Contains(ContainsArgs),
    /// Router advertisements: `v6 ra dump` prints those received, as radvdump does.
    Ra(RaArgs),
    /// Translate the packets of a capture file as a NAT64/SIIT translator would (RFC 7915).
    Xlat(XlatArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page of v6 or of one subcommand (roff).
    Man(ManArgs),
}

/// Arguments of `v6 info`.
#[derive(Debug, Args)]
#[command(after_help = "With --json the output is an array with one object per argument.")]
pub(crate) struct InfoArgs {
    /// Addresses or prefixes, such as 2001:db8::/32, 192.0.2.7/24,
    /// 192.0.2.7/255.255.255.0 or fe80::1.
    #[arg(value_name = "ADDRESS|PREFIX", required = true)]
    pub(crate) targets: Vec<String>,
}

/// Arguments of `v6 split`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --range each subnet is printed as a compressed prefix (2001:db8:100::/64).\nWith --range each is printed as `first - last` in the expanded form, as sipcalc -S does,\nso that columns line up. With --json the output is an array of {\"prefix\", \"first\", \"last\"}."
)]
pub(crate) struct SplitArgs {
    /// The prefix to split, such as 2001:db8:100::/56.
    #[arg(value_name = "PREFIX")]
    pub(crate) prefix: String,

    /// The length of the subnets, as `64` or `/64`.
    #[arg(value_name = "LEN")]
    pub(crate) len: String,

    /// Print each subnet as its first and last address, expanded.
    #[arg(long)]
    pub(crate) range: bool,

    /// Refuse to print more than N subnets.
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    pub(crate) limit: u128,

    /// Print every subnet, however many there are.
    #[arg(long)]
    pub(crate) all: bool,
}

/// Arguments of `v6 eui64`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {prefix, mac, interface_id, address}.")]
pub(crate) struct Eui64Args {
    /// The IPv6 prefix, at most /64 (its first 64 bits are used).
    #[arg(value_name = "PREFIX")]
    pub(crate) prefix: String,

    /// The MAC address: 52:54:00:d6:c2:a9, 52-54-00-d6-c2-a9, 5254.00d6.c2a9 or 525400d6c2a9.
    #[arg(value_name = "MAC")]
    pub(crate) mac: String,
}

/// Arguments of `v6 mac`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {address, interface_id, mac}.")]
pub(crate) struct MacArgs {
    /// An IPv6 address whose interface identifier is a modified EUI-64.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,
}

/// Arguments of `v6 stable-iid`.
#[derive(Debug, Args)]
#[command(
    after_help = "The identifier is the low 64 bits of SHA-256 over the prefix, interface, network ID,\nDAD counter and secret (RFC 7217 section 5).\nWith --json: {prefix, interface, network_id, dad_counter, interface_id, address}; never the secret."
)]
pub(crate) struct StableIidArgs {
    /// The SLAAC prefix, at most /64.
    #[arg(value_name = "PREFIX")]
    pub(crate) prefix: String,

    /// The interface's name, such as eth0.
    #[arg(long, value_name = "NAME")]
    pub(crate) interface: String,

    /// An identifier of the network, such as a Wi-Fi SSID.
    #[arg(long, value_name = "ID", default_value = "")]
    pub(crate) network_id: String,

    /// How many duplicate addresses were detected before (RFC 7217 DAD_Counter).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) dad_counter: u8,

    /// The secret key, at least 16 bytes: hexadecimal digits (an even number
    /// of them, optionally after `0x`), or else the bytes of the text as given.
    #[arg(long, value_name = "HEX|TEXT")]
    pub(crate) secret: String,
}

/// Arguments of `v6 embed`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {pref64, ipv4, ipv6}.")]
pub(crate) struct EmbedArgs {
    /// The RFC 6052 prefix: /32, /40, /48, /56, /64 or /96, such as 64:ff9b::/96.
    #[arg(value_name = "PREF64")]
    pub(crate) pref64: String,

    /// The IPv4 address to embed.
    #[arg(value_name = "IPV4")]
    pub(crate) ipv4: String,
}

/// Arguments of `v6 extract`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {pref64, ipv6, ipv4}.")]
pub(crate) struct ExtractArgs {
    /// The RFC 6052 prefix the address was made with.
    #[arg(value_name = "PREF64")]
    pub(crate) pref64: String,

    /// The IPv4-embedded IPv6 address.
    #[arg(value_name = "IPV6")]
    pub(crate) ipv6: String,
}

/// Arguments of `v6 random`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: an array of address strings.")]
pub(crate) struct RandomArgs {
    /// The prefix to pick addresses from.
    #[arg(value_name = "PREFIX")]
    pub(crate) prefix: String,

    /// How many distinct addresses to print (at most 1048576).
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 1)]
    pub(crate) count: usize,
}

/// Arguments of `v6 ptr`.
#[derive(Debug, Args)]
#[command(
    after_help = "A name ending in ip6.arpa or in-addr.arpa is turned back into its address or prefix.\nWith --json: {prefix, names} for an address or prefix, {name, prefix} for a name."
)]
pub(crate) struct PtrArgs {
    /// An address, a prefix, or a reverse-DNS name.
    #[arg(value_name = "ADDRESS|PREFIX|NAME")]
    pub(crate) target: String,
}

/// Arguments of `v6 summarize`.
#[derive(Debug, Args)]
#[command(
    after_help = "Prints IPv4 prefixes first, then IPv6, each in address order.\nWith --json: an array of prefix strings."
)]
pub(crate) struct SummarizeArgs {
    /// Prefixes, addresses or `first-last` ranges; `-` or none reads them
    /// from standard input, one per line.
    #[arg(value_name = "PREFIX|RANGE")]
    pub(crate) inputs: Vec<String>,
}

/// Arguments of `v6 contains`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {prefix, address, contains} (and the same exit status).")]
pub(crate) struct ContainsArgs {
    /// The prefix.
    #[arg(value_name = "PREFIX")]
    pub(crate) prefix: String,

    /// The address to look for.
    #[arg(value_name = "ADDRESS")]
    pub(crate) address: String,

    /// Say the answer as well as giving it as the exit status.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Arguments of `v6 xlat`.
#[derive(Debug, Args)]
#[command(
    after_help = "Reads a pcap or pcapng file (raw IP, Ethernet or Linux cooked captures), translates every\nIPv4 and IPv6 packet, and writes what the translator would send (translated packets and its\nown ICMP errors) to a pcap file of raw IP (link type 101). Prints how many packets were\ntranslated and dropped, by reason.\nWith --json: {packets, skipped, translated, written, icmp_errors, dropped, drops: {reason: count}}.\n\nExample:\n  v6 xlat --prefix 64:ff9b::/96 --in capture.pcap --out translated.pcap"
)]
pub(crate) struct XlatArgs {
    /// The RFC 6052 prefix (pool6), such as 64:ff9b::/96.
    #[arg(long, value_name = "PREF64", required_unless_present = "eamt")]
    pub(crate) prefix: Option<String>,

    /// An explicit address mapping (RFC 7757), IPv6 prefix = IPv4 prefix; repeatable.
    #[arg(long, value_name = "V6=V4")]
    pub(crate) eamt: Vec<String>,

    /// IPv4 addresses (a prefix) to use as the source of ICMPv4 errors whose
    /// IPv6 source cannot be translated (RFC 6791).
    #[arg(long, value_name = "V4PREFIX")]
    pub(crate) pool6791: Option<String>,

    /// The smallest MTU on the IPv6 side: larger IPv4 packets without DF
    /// are fragmented to it (RFC 7915 section 4).
    #[arg(long, value_name = "N", default_value_t = 1280)]
    pub(crate) lowest_ipv6_mtu: u16,

    /// The translator's own IPv4 address, the source of the ICMPv4 errors it
    /// sends [default: 192.0.0.8, the IPv4 dummy address of RFC 7600].
    #[arg(long, value_name = "V4")]
    pub(crate) ipv4_addr: Option<String>,

    /// The translator's own IPv6 address, the source of the ICMPv6 errors it
    /// sends [default: the IPv4 address embedded in --prefix, as Tayga does].
    #[arg(long, value_name = "V6")]
    pub(crate) ipv6_addr: Option<String>,

    /// Compute the checksum of IPv4 UDP packets that have none, instead of
    /// dropping them (RFC 7915 section 4.5).
    #[arg(long)]
    pub(crate) amend_udp_checksum_zero: bool,

    /// The capture file to read (pcap or pcapng).
    #[arg(long = "in", value_name = "FILE")]
    pub(crate) input: std::path::PathBuf,

    /// The pcap file to write.
    #[arg(long = "out", value_name = "FILE")]
    pub(crate) output: std::path::PathBuf,
}

/// Arguments of `v6 ra`.
#[derive(Debug, Args)]
pub(crate) struct RaArgs {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: RaCommand,
}

/// The subcommands of `v6 ra`.
#[derive(Debug, Subcommand)]
pub(crate) enum RaCommand {
    /// Listen for router advertisements and print each in radvd.conf syntax.
    Dump(RaDumpArgs),
}

/// Arguments of `v6 ra dump`.
#[derive(Debug, Args)]
#[command(
    after_help = "Needs root or CAP_NET_RAW. Each advertisement is printed as an `interface` section,\nlike radvdump's, with `nat64prefix` sections for PREF64 options (RFC 8781) and\n`AdvCaptivePortalAPI` for the captive-portal option (RFC 8910).\nWith --json: one JSON object per line and advertisement."
)]
pub(crate) struct RaDumpArgs {
    /// Listen on this interface only (default: every interface).
    #[arg(value_name = "INTERFACE")]
    pub(crate) interface: Option<String>,

    /// Exit after printing N advertisements.
    #[arg(short = 'n', long = "count", value_name = "N")]
    pub(crate) count: Option<u64>,
}

/// Arguments of `v6 completions`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {shell, script}.")]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `v6 man`.
#[derive(Debug, Args)]
#[command(after_help = "With --json: {name, roff}.")]
pub(crate) struct ManArgs {
    /// The subcommand whose page to print (v6-split(1) for `split`);
    /// without it, the page of v6 itself.
    #[arg(value_name = "SUBCOMMAND")]
    pub(crate) subcommand: Option<String>,
}

/// Parses the command line.
///
/// `--help` and `--version` are printed as clap prints them, and end the run
/// with status 0. Any other clap error is printed as one line on stderr and
/// ends the run with status 2. In both cases the exit code is returned as
/// the error.
pub(crate) fn parse() -> Result<Cli, ExitCode> {
    let args = with_default_subcommand(std::env::args_os().collect());
    Cli::try_parse_from(args).map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // A reader that went away (`v6 --help | head -1`) is not an error.
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = writeln!(
                std::io::stderr(),
                "v6: no address, prefix or subcommand given (see 'v6 --help')"
            );
            ExitCode::from(2)
        }
        _ => {
            let _ = writeln!(std::io::stderr(), "v6: {}", one_line(&e));
            ExitCode::from(2)
        }
    })
}

/// Inserts `info` before the first argument when that argument is not a
/// subcommand, so that `v6 2001:db8::/32` means `v6 info 2001:db8::/32`.
///
/// Global flags before it are skipped; an argument that starts with `-`
/// (`--help`, `--version`, a mistyped flag) is left for clap.
fn with_default_subcommand(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(i) = args
        .iter()
        .skip(1)
        .position(|a| a != "--json")
        .map(|i| i + 1)
    else {
        return args;
    };
    let first = args[i].to_string_lossy();
    let is_subcommand = first == "help"
        || Cli::command()
            .get_subcommands()
            .any(|c| c.get_name() == first || c.get_all_aliases().any(|a| a == first));
    if !first.starts_with('-') && !is_subcommand {
        args.insert(i, "info".into());
    }
    args
}

/// The first paragraph of a clap error, on one line, without the "error: "
/// label, the usage and the tips clap adds after it.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let text = text.trim_start().trim_start_matches("error:");
    let first = text.split("\n\n").next().unwrap_or_default();
    let words: Vec<&str> = first.split_whitespace().collect();
    format!("{} (see 'v6 --help')", words.join(" "))
}

/// The clap command, for completions and the man page.
pub(crate) fn command() -> clap::Command {
    Cli::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn expand(args: &[&str]) -> Vec<String> {
        let args = args.iter().map(OsString::from).collect();
        with_default_subcommand(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn info_is_the_default() {
        assert_eq!(
            expand(&["v6", "2001:db8::/32"]),
            ["v6", "info", "2001:db8::/32"]
        );
        assert_eq!(
            expand(&["v6", "--json", "fe80::1"]),
            ["v6", "--json", "info", "fe80::1"]
        );
        assert_eq!(
            expand(&["v6", "split", "::/0", "1"]),
            ["v6", "split", "::/0", "1"]
        );
        assert_eq!(expand(&["v6", "--json", "man"]), ["v6", "--json", "man"]);
        assert_eq!(expand(&["v6", "--help"]), ["v6", "--help"]);
        assert_eq!(expand(&["v6"]), ["v6"]);
    }
}
