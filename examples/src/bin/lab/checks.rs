//! The proofs: each path of the IPv6-first host, taken by real clients
//! (the VM's kernel, dig, curl) and checked against what v6kit computes.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv6Addr};
use std::process::Command;
use std::sync::mpsc::channel;
use std::time::Duration;

use ipnet::Ipv6Net;
use serde_json::Value;
use v6core::{Mac, Pref64};
use v6kit_testkit::Netns;

use crate::host::{HOST_V4, HOST_V6, Lab, NAT64, PREFIX, V4ONLY_NAME, VM_MAC, VM_NAME, WEB_V4};
use crate::wait;

/// How long the VM may take to hear an advertisement and configure itself.
const SLAAC: Duration = Duration::from_secs(25);

/// The VM hears v6rad's advertisement (`v6 ra dump` in the VM) with the
/// prefix, the DNS server, the route and the NAT64 prefix, and takes the
/// DNS server (RFC 8106) as its resolver.
pub(crate) fn advertisement(lab: &mut Lab) -> Result<Vec<String>, String> {
    let mut dump = lab.take_ra_dump().ok_or("v6 ra dump is not running")?;
    let stdout = dump
        .child_mut()
        .stdout
        .take()
        .ok_or("no output from v6 ra dump")?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(SLAAC)
        .map_err(|_| format!("no advertisement within {} s", SLAAC.as_secs()))?;
    let ra: Value =
        serde_json::from_str(&line).map_err(|e| format!("v6 ra dump printed {line:?}: {e}"))?;
    let options = ra["options"]
        .as_array()
        .ok_or("no options in the advertisement")?;
    let of = |kind: &'static str| options.iter().filter(move |o| o["type"] == kind);

    of("prefix")
        .find(|o| o["prefix"] == PREFIX && o["autonomous"] == true && o["on_link"] == true)
        .ok_or(format!("no on-link, autonomous prefix {PREFIX}"))?;
    let rdnss: Vec<&str> = of("rdnss")
        .flat_map(|o| o["servers"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let server = *rdnss.first().ok_or("no RDNSS option")?;
    if server.parse::<Ipv6Addr>() != HOST_V6.parse() {
        return Err(format!("RDNSS {server}, not {HOST_V6}"));
    }
    of("route")
        .find(|o| o["prefix"] == NAT64)
        .ok_or(format!("no route information option for {NAT64}"))?;
    of("pref64")
        .find(|o| o["prefix"] == NAT64)
        .ok_or(format!("no PREF64 option for {NAT64}"))?;
    let resolv = lab.set_vm_resolver(server)?;
    Ok(vec![
        format!(
            "v6 ra dump in the VM heard {} on eth0, router lifetime {} s",
            ra["source"].as_str().unwrap_or("?"),
            ra["router_lifetime"]
        ),
        format!(
            "prefix {PREFIX} (on-link, autonomous), RDNSS {server}, route {NAT64}, PREF64 {NAT64}"
        ),
        format!(
            "the VM's resolver is now {server}, from the RDNSS option ({})",
            resolv.display()
        ),
    ])
}

/// The VM's kernel made its address from the advertised prefix and its MAC
/// address (SLAAC, RFC 4862), the address `v6 eui64` computes (modified
/// EUI-64, RFC 4291 appendix A), and took the host as its router.
pub(crate) fn slaac(lab: &Lab) -> Result<Vec<String>, String> {
    let link = lab.vm.ip(&["link", "show", "dev", "eth0"]);
    let mac = link
        .split_whitespace()
        .skip_while(|w| *w != "link/ether")
        .nth(1)
        .ok_or("the VM's eth0 has no MAC address")?
        .to_owned();
    let out = v6kit_testkit::output(Command::new(&lab.bins.v6).args(["eui64", PREFIX, &mac]));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let expected: Ipv6Addr = text
        .parse()
        .map_err(|_| format!("v6 eui64 {PREFIX} {mac} printed {text:?}"))?;

    let mut found = Vec::new();
    let configured = wait(SLAAC, || {
        found = global_addresses(&lab.vm);
        found.iter().any(|(a, dynamic)| *a == expected && *dynamic)
    });
    if !configured {
        let found: Vec<String> = found.iter().map(|(a, _)| a.to_string()).collect();
        return Err(format!(
            "the VM has no SLAAC address {expected} (it has: {})",
            if found.is_empty() {
                "none".into()
            } else {
                found.join(", ")
            }
        ));
    }
    let host_ll = link_local(&lab.host, "br0").ok_or("the host's br0 has no link-local address")?;
    let default = format!("default via {host_ll} dev eth0");
    let nat64 = format!("{NAT64} via {host_ll} dev eth0");
    let mut routes = String::new();
    let routed = wait(SLAAC, || {
        routes = lab.vm.ip(&["-6", "route", "show"]);
        routes.contains(&default) && routes.contains(&nat64)
    });
    if !routed {
        return Err(format!(
            "the VM has no default route and route to {NAT64} via the host's {host_ll}: {}",
            routes.trim().replace('\n', "; ")
        ));
    }
    Ok(vec![
        format!("v6 eui64 {PREFIX} {mac}: {expected}"),
        format!(
            "the VM's kernel configured {expected}/64 from the advertisement (SLAAC): the same"
        ),
        format!("the VM's routes: default and {NAT64} via {host_ll}, the host's br0"),
    ])
}

/// The VM asks its advertised DNS server for the AAAA record of a name
/// that has only an A record and gets it synthesized in the NAT64 prefix
/// (RFC 6147); a dual-stack name keeps its own AAAA record.
pub(crate) fn dns64(lab: &Lab) -> Result<Vec<String>, String> {
    let synthesized = web_in_nat64()?;
    let (server, answers) = dig_aaaa(&lab.vm, V4ONLY_NAME)?;
    if server.parse::<Ipv6Addr>() != HOST_V6.parse() {
        return Err(format!("dig asked {server}, not the advertised {HOST_V6}"));
    }
    if answers != [synthesized] {
        return Err(format!(
            "AAAA {V4ONLY_NAME}: {answers:?}, not {synthesized} ({WEB_V4} in {NAT64})"
        ));
    }
    let vm = vm_address()?;
    let (_, answers) = dig_aaaa(&lab.vm, VM_NAME)?;
    if answers != [vm] {
        return Err(format!(
            "AAAA {VM_NAME}: {answers:?}, not the name's own {vm}"
        ));
    }
    Ok(vec![
        format!("dig AAAA {V4ONLY_NAME} in the VM asked {server}, the advertised server"),
        format!(
            "answer: {synthesized}, that is {WEB_V4} in {NAT64}: synthesized by v6dns64d, as the name has only an A record"
        ),
        format!("dig AAAA {VM_NAME}: {vm}, the dual-stack name's own record, not synthesized"),
    ])
}

/// The VM fetches a page from the IPv4-only web server by name: curl
/// connects to the synthesized address, v6xlatd translates (RFC 7915) to
/// its pool, and the kernel masquerades the pool to the host's address.
pub(crate) fn nat64(lab: &Lab) -> Result<Vec<String>, String> {
    let synthesized = web_in_nat64()?;
    let url = format!("http://{V4ONLY_NAME}/");
    let (peer, body) = curl(&lab.vm, &[&url])?;
    if peer != IpAddr::V6(synthesized) {
        return Err(format!("curl {url} connected to {peer}, not {synthesized}"));
    }
    let seen = format!("your address is {HOST_V4}");
    if !body.contains("the IPv4-only server") || !body.contains(&seen) {
        return Err(format!("curl {url} got {body:?}"));
    }
    let vm = vm_address()?;
    let mut lease = None;
    // v6xlatd saves a new lease within a second or so.
    wait(Duration::from_secs(5), || {
        lease = lab.xlat_lease(vm);
        lease.is_some()
    });
    let lease = lease.ok_or(format!("v6xlatd saved no lease for {vm}"))?;
    Ok(vec![
        format!("curl {url} in the VM connected to [{peer}]:80"),
        format!("the server at {WEB_V4} answered: {body:?}"),
        format!(
            "v6xlatd leased {lease} of its pool to {vm}; the host masqueraded the pool to its {HOST_V4}"
        ),
    ])
}

/// The IPv4-only client fetches the VM's site at the host's IPv4 address
/// (the name's A record); `v6proxyd relay` reads the HTTP Host, finds the
/// VM's AAAA record through v6dns64d and passes the connection on.
pub(crate) fn relay(lab: &Lab) -> Result<Vec<String>, String> {
    let url = format!("http://{VM_NAME}/");
    let resolve = format!("{VM_NAME}:80:{HOST_V4}");
    let (peer, body) = curl(&lab.client, &["--resolve", &resolve, &url])?;
    if peer != HOST_V4.parse::<IpAddr>().map_err(|e| e.to_string())? {
        return Err(format!("curl {url} connected to {peer}, not {HOST_V4}"));
    }
    let seen = format!("your address is {HOST_V6}");
    if !body.contains("the VM's site") || !body.contains(&seen) {
        return Err(format!("curl {url} got {body:?}"));
    }
    Ok(vec![
        format!(
            "curl {url} in the client connected to {HOST_V4}:80, the name's A record (the host)"
        ),
        format!(
            "v6proxyd relay passed it on to the name's AAAA record, {}, inside {PREFIX}",
            vm_address()?
        ),
        format!("the VM's site answered: {body:?}"),
    ])
}

/// The IPv4-only client reaches the VM's HTTPS site at the host's IPv4
/// address: `v6proxyd relay` reads the server name of the TLS ClientHello
/// (RFC 6066 section 3) and passes the connection on untouched, so the
/// client checks the certificate of the VM, whose key only the VM has.
pub(crate) fn relay_tls(lab: &Lab) -> Result<Vec<String>, String> {
    let url = format!("https://{VM_NAME}/");
    let resolve = format!("{VM_NAME}:443:{HOST_V4}");
    let cert = lab.vm_certificate();
    let cacert = cert.to_string_lossy();
    let (peer, body) = curl(
        &lab.client,
        &["--cacert", &cacert, "--resolve", &resolve, &url],
    )?;
    if peer != HOST_V4.parse::<IpAddr>().map_err(|e| e.to_string())? {
        return Err(format!("curl {url} connected to {peer}, not {HOST_V4}"));
    }
    // openssl s_server -www describes the session it holds.
    let session = body
        .lines()
        .find(|l| l.starts_with("New, "))
        .ok_or_else(|| format!("curl {url} got no s_server page: {body:?}"))?;
    Ok(vec![
        format!(
            "curl {url} in the client connected to {HOST_V4}:443 and verified the certificate of {VM_NAME}"
        ),
        format!(
            "v6proxyd relay, which holds no certificate, passed it on by its server name to {}",
            vm_address()?
        ),
        format!("the VM's openssl s_server: {}", session.trim()),
    ])
}

/// The IPv4-only web server's address in the NAT64 prefix (RFC 6052), as
/// DNS64 synthesizes it for the VM.
fn web_in_nat64() -> Result<Ipv6Addr, String> {
    let pref64: Pref64 = NAT64.parse().map_err(|e| format!("{NAT64}: {e}"))?;
    let web: std::net::Ipv4Addr = WEB_V4.parse().map_err(|e| format!("{WEB_V4}: {e}"))?;
    Ok(pref64.embed(web))
}

/// The VM's address from its MAC address, as the zone has it.
fn vm_address() -> Result<Ipv6Addr, String> {
    let prefix: Ipv6Net = PREFIX.parse().map_err(|e| format!("{PREFIX}: {e}"))?;
    let mac: Mac = VM_MAC.parse().map_err(|e| format!("{VM_MAC}: {e}"))?;
    v6core::eui64::slaac(prefix, mac).map_err(|e| e.to_string())
}

/// The global addresses of `ns`'s eth0, each with whether it was
/// autoconfigured (has the `dynamic` flag).
fn global_addresses(ns: &Netns) -> Vec<(Ipv6Addr, bool)> {
    let out = ns.ip(&["-6", "addr", "show", "dev", "eth0", "scope", "global"]);
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("inet6")).then_some(())?;
            let addr = words.next()?.split('/').next()?.parse().ok()?;
            Some((addr, l.contains(" dynamic")))
        })
        .collect()
}

/// The link-local address of `dev` in `ns`.
fn link_local(ns: &Netns, dev: &str) -> Option<String> {
    let out = ns.ip(&["-6", "addr", "show", "dev", dev, "scope", "link"]);
    out.split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .map(str::to_owned)
}

/// `dig AAAA name` in `ns` with its resolv.conf: the server it asked and
/// the addresses of the answer.
fn dig_aaaa(ns: &Netns, name: &str) -> Result<(String, Vec<Ipv6Addr>), String> {
    let out = ns.output("dig", &["+time=2", "+tries=3", "AAAA", name]);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "dig AAAA {name} failed: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let server = text
        .lines()
        .find_map(|l| l.strip_prefix(";; SERVER: "))
        .and_then(|s| s.split('#').next())
        .ok_or_else(|| format!("dig AAAA {name}: no server in {text}"))?
        .to_owned();
    let answers = text
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words[..] {
                [_, _, "IN", "AAAA", addr] => addr.parse().ok(),
                _ => None,
            }
        })
        .collect();
    Ok((server, answers))
}

/// `curl args…` in `ns`: the address it connected to and the page.
fn curl(ns: &Netns, args: &[&str]) -> Result<(IpAddr, String), String> {
    let mut all = vec!["-sS", "-m", "10", "-w", "\\n%{remote_ip}"];
    all.extend(args);
    let out = ns.output("curl", &all);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "curl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let (body, peer) = text.trim_end().rsplit_once('\n').unwrap_or(("", &text));
    let peer = peer
        .parse()
        .map_err(|_| format!("curl {}: no remote address in {text:?}", args.join(" ")))?;
    Ok((peer, body.trim().to_owned()))
}
