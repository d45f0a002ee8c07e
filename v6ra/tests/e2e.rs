//! End-to-end: `v6rad` in a router namespace, the kernel's own SLAAC,
//! Debian's radvd, radvdump and rdisc6 in a client namespace joined to it
//! by a veth pair. These need root; without it they say they were skipped
//! (and fail under CI, which must run them).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ipnet::Ipv6Net;
use v6core::Mac;
use v6kit_testkit::{Netns, Process, TempDir, root_or_skip, veth, wait_until};

/// The configuration of the classic IPv6-first host guide, with the
/// intervals as short as RFC 4861 allows.
const CLASSIC: &str = "\
interface eth0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 10;
    prefix 2001:db8:1::/64 {
        AdvOnLink on;
        AdvAutonomous on;
        AdvRouterAddr on;
    };
    RDNSS 2001:db8:1::1 {
    };
    route 64:ff9b::/96 {
    };
    nat64prefix 64:ff9b::/96 {
    };
};
";

const WAIT: Duration = Duration::from_secs(15);

/// A router and a client namespace joined by `eth0` on both sides.
struct Lab {
    router: Netns,
    client: Netns,
    dir: TempDir,
}

impl Lab {
    fn new() -> Self {
        let router = Netns::new("rtr");
        let client = Netns::new("cli");
        // Set before the interfaces exist, so they start with them: no
        // duplicate address detection to wait for, routes of any length
        // from route information options (RFC 4191).
        router.sysctl("net.ipv6.conf.all.forwarding=1");
        router.sysctl("net.ipv6.conf.default.accept_dad=0");
        client.sysctl("net.ipv6.conf.default.accept_dad=0");
        client.sysctl("net.ipv6.conf.default.accept_ra=2");
        client.sysctl("net.ipv6.conf.default.accept_ra_rt_info_max_plen=128");
        client.sysctl("net.ipv6.conf.default.router_solicitation_delay=0");
        veth(&router, "eth0", &client, "eth0");
        let lab = Lab {
            router,
            client,
            dir: TempDir::new("v6ra-e2e"),
        };
        assert!(
            wait_until(WAIT, || lab.router_link_local().is_some()
                && link_local(&lab.client_addrs()).is_some()),
            "no link-local addresses"
        );
        lab
    }

    fn router_link_local(&self) -> Option<String> {
        link_local(
            &self
                .router
                .ip(&["-6", "addr", "show", "dev", "eth0", "scope", "link"]),
        )
    }

    fn client_mac(&self) -> Mac {
        let out = self.client.ip(&["link", "show", "dev", "eth0"]);
        let mac = out
            .split_whitespace()
            .skip_while(|w| *w != "link/ether")
            .nth(1)
            .expect("the client has a MAC address");
        mac.parse().unwrap()
    }

    fn v6rad(&self, config: &Path, extra: &[&str]) -> Process {
        let mut cmd = self.router.command(env!("CARGO_BIN_EXE_v6rad"));
        cmd.arg("-C").arg(config).args(extra);
        cmd.stdout(Stdio::null());
        self.router.spawn(&mut cmd)
    }

    fn client_routes(&self) -> String {
        self.client.ip(&["-6", "route", "show"])
    }

    fn client_addrs(&self) -> String {
        self.client.ip(&["-6", "addr", "show", "dev", "eth0"])
    }
}

fn link_local(ip_addr_output: &str) -> Option<String> {
    ip_addr_output
        .split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .filter(|a| a.starts_with("fe80:"))
        .map(str::to_owned)
}

/// Sends SIGTERM and waits for a clean exit.
fn stop(daemon: &mut Process) {
    daemon.signal("TERM");
    let status = daemon.wait_timeout(WAIT).expect("the daemon stops");
    assert!(status.success(), "exit status {status}");
}

/// Fetches http://127.0.0.1:PORT/metrics inside `ns` with bash alone.
fn metrics(ns: &Netns, port: u16) -> String {
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3"
    );
    let out = ns.output("bash", &["-c", &script]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of the counter line that starts with `series`.
fn counter(text: &str, series: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn kernel_configures_slaac_default_route_and_nat64_route_then_loses_them_on_sigterm() {
    if !root_or_skip(
        "kernel_configures_slaac_default_route_and_nat64_route",
        &["ip"],
    ) {
        return;
    }
    let lab = Lab::new();
    let config = lab.dir.write("radvd.conf", CLASSIC);
    let router_ll = lab.router_link_local().unwrap();
    let mut daemon = lab.v6rad(&config, &[]);

    let prefix: Ipv6Net = "2001:db8:1::/64".parse().unwrap();
    let expected = v6core::eui64::slaac(prefix, lab.client_mac()).unwrap();
    assert!(
        wait_until(WAIT, || lab
            .client_addrs()
            .contains(&format!("{expected}/64"))),
        "no SLAAC address {expected}: {}",
        lab.client_addrs()
    );
    let default_route = format!("default via {router_ll} dev eth0");
    let nat64_route = format!("64:ff9b::/96 via {router_ll} dev eth0");
    assert!(
        wait_until(WAIT, || {
            let routes = lab.client_routes();
            routes.contains(&default_route) && routes.contains(&nat64_route)
        }),
        "routes: {}",
        lab.client_routes()
    );

    stop(&mut daemon);
    assert!(
        wait_until(WAIT, || !lab.client_routes().contains("default via")),
        "the default route outlived the final advertisement: {}",
        lab.client_routes()
    );
    assert!(!lab.client_routes().contains("64:ff9b::/96"));
}

/// radvdump's text for the first advertisement it prints, without the
/// lines that name the sender.
fn radvdump_first(lab: &Lab, name: &str, start: impl FnOnce() -> Process) -> String {
    let out = lab.dir.join(format!("{name}.radvdump"));
    let file = std::fs::File::create(&out).unwrap();
    let mut cmd = lab.client.command("stdbuf");
    cmd.args(["-oL", "radvdump"]).stdout(file);
    let dumper = lab.client.spawn(&mut cmd);
    // radvdump must be listening before the first advertisement goes.
    std::thread::sleep(Duration::from_millis(300));
    let mut daemon = start();
    let done = "}; # End of interface definition";
    let ok = wait_until(WAIT, || {
        std::fs::read_to_string(&out).is_ok_and(|t| t.contains(done))
    });
    stop(&mut daemon);
    drop(dumper);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(ok, "{name}: radvdump printed nothing: {text}");
    let first = &text[..text.find(done).unwrap() + done.len()];
    first
        .lines()
        .filter(|l| {
            !l.contains("Router Advertisement from") && !l.contains("received by interface")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn radvdump_prints_the_same_for_v6rad_as_for_radvd() {
    if !root_or_skip(
        "radvdump_prints_the_same_for_v6rad_as_for_radvd",
        &["radvd", "radvdump", "stdbuf"],
    ) {
        return;
    }
    let lab = Lab::new();
    let ours = lab.dir.write("v6rad.conf", CLASSIC);
    // radvd before 2.20 does not know nat64prefix; its radvdump does not
    // show PREF64 either, so the text compares equal without it.
    let mut theirs = lab.dir.write("radvd.conf", CLASSIC);
    let check = Command::new("radvd")
        .args(["-c", "-C"])
        .arg(&theirs)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    if !check.success() {
        let without: String = CLASSIC.replace("    nat64prefix 64:ff9b::/96 {\n    };\n", "");
        theirs = lab.dir.write("radvd.conf", &without);
    }
    let pid = lab.dir.join("radvd.pid");
    let radvd_text = radvdump_first(&lab, "radvd", || {
        let mut cmd = lab.router.command("radvd");
        cmd.args(["-n", "-m", "stderr", "-C"])
            .arg(&theirs)
            .arg("-p")
            .arg(&pid)
            .stdout(Stdio::null());
        lab.router.spawn(&mut cmd)
    });
    let v6rad_text = radvdump_first(&lab, "v6rad", || lab.v6rad(&ours, &[]));
    assert_eq!(v6rad_text, radvd_text);
    assert!(v6rad_text.contains("AdvDefaultLifetime 30;"));
    assert!(v6rad_text.contains("route 64:ff9b::/96"));
}

#[test]
fn solicitation_is_answered_and_counted() {
    if !root_or_skip("solicitation_is_answered_and_counted", &["rdisc6", "bash"]) {
        return;
    }
    let lab = Lab::new();
    // Long intervals: after the first few advertisements only a
    // solicitation makes another one.
    let config = lab.dir.write(
        "radvd.conf",
        &CLASSIC
            .replace("MinRtrAdvInterval 3", "MinRtrAdvInterval 600")
            .replace("MaxRtrAdvInterval 10", "MaxRtrAdvInterval 1800"),
    );
    let _daemon = lab.v6rad(&config, &["--metrics", "127.0.0.1:9561"]);
    assert!(wait_until(WAIT, || metrics(&lab.router, 9561)
        .contains("reason=\"unsolicited\"")));
    let before = metrics(&lab.router, 9561);
    let out = lab.client.output("rdisc6", &["-1", "-w", "2000", "eth0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "rdisc6: {text}{errors}");
    assert!(
        text.contains("Recursive DNS server     : 2001:db8:1::1"),
        "{text}"
    );
    assert!(
        text.contains(" Route                    : 64:ff9b::/96"),
        "{text}"
    );
    let series = "v6rad_solicitations_received_total{interface=\"eth0\"}";
    let solicited = "v6rad_advertisements_sent_total{interface=\"eth0\",reason=\"solicited\"}";
    assert!(wait_until(WAIT, || {
        let after = metrics(&lab.router, 9561);
        counter(&after, series) > counter(&before, series)
            && counter(&after, solicited) > counter(&before, solicited)
    }));
}

#[test]
fn sighup_picks_up_new_interface_prefixes_and_a_late_or_returning_interface() {
    if !root_or_skip("sighup_picks_up_new_interface_prefixes", &["ip"]) {
        return;
    }
    let router = Netns::new("rtr");
    let client = Netns::new("cli");
    router.sysctl("net.ipv6.conf.default.accept_dad=0");
    client.sysctl("net.ipv6.conf.default.accept_dad=0");
    client.sysctl("net.ipv6.conf.default.router_solicitation_delay=0");
    let dir = TempDir::new("v6ra-e2e");
    // The interface does not exist yet: IgnoreIfMissing waits for it.
    let config = dir.write(
        "radvd.conf",
        "interface late0 {
            AdvSendAdvert on; IgnoreIfMissing on;
            MinRtrAdvInterval 3; MaxRtrAdvInterval 4;
            prefix ::/64 { };
        };",
    );
    let mut cmd = router.command(env!("CARGO_BIN_EXE_v6rad"));
    cmd.arg("-C").arg(&config).stdout(Stdio::null());
    let mut daemon = router.spawn(&mut cmd);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        daemon.is_running(),
        "v6rad must wait for the missing interface"
    );
    veth(&router, "late0", &client, "eth0");
    router.ip(&["addr", "add", "2001:db8:a::1/64", "dev", "late0"]);
    let addrs = || client.ip(&["-6", "addr", "show", "dev", "eth0"]);
    assert!(
        wait_until(WAIT, || addrs().contains("2001:db8:a:0:")),
        "{}",
        addrs()
    );
    // A second prefix on the interface, and a reload.
    router.ip(&["addr", "add", "2001:db8:b::1/64", "dev", "late0"]);
    daemon.signal("HUP");
    assert!(
        wait_until(WAIT, || addrs().contains("2001:db8:b:0:")),
        "{}",
        addrs()
    );
    // The interface goes away and comes back: v6rad waits and resumes.
    router.ip(&["link", "del", "late0"]);
    veth(&router, "late0", &client, "eth0");
    router.ip(&["addr", "add", "2001:db8:c::1/64", "dev", "late0"]);
    assert!(
        wait_until(WAIT, || addrs().contains("2001:db8:c:0:")),
        "{}",
        addrs()
    );
    assert!(daemon.is_running());
    stop(&mut daemon);
}

#[test]
fn another_router_that_disagrees_is_counted() {
    if !root_or_skip(
        "another_router_that_disagrees_is_counted",
        &["radvd", "bash"],
    ) {
        return;
    }
    let lab = Lab::new();
    let ours = lab.dir.write("v6rad.conf", CLASSIC);
    // A second router on the link (radvd, in the other namespace) with
    // another hop limit and M flag: RFC 4861 section 6.2.7 wants that
    // noticed.
    let theirs = lab.dir.write(
        "radvd.conf",
        "interface eth0 {
            AdvSendAdvert on; AdvCurHopLimit 32; AdvManagedFlag on;
            MinRtrAdvInterval 3; MaxRtrAdvInterval 4;
            prefix 2001:db8:1::/64 { AdvValidLifetime 7200; AdvPreferredLifetime 3600; };
        };",
    );
    let _daemon = lab.v6rad(&ours, &["--metrics", "127.0.0.1:9562"]);
    let pid = lab.dir.join("radvd.pid");
    lab.client.sysctl("net.ipv6.conf.all.forwarding=1");
    let mut cmd = lab.client.command("radvd");
    cmd.args(["-n", "-m", "stderr", "-C"])
        .arg(&theirs)
        .arg("-p")
        .arg(&pid)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _other = lab.client.spawn(&mut cmd);
    let series = "v6rad_inconsistent_advertisements_total{interface=\"eth0\"}";
    assert!(
        wait_until(WAIT, || counter(&metrics(&lab.router, 9562), series) >= 1),
        "{}",
        metrics(&lab.router, 9562)
    );
}

#[test]
fn runs_as_the_user_of_dash_dash_user_and_notifies_readiness() {
    if !root_or_skip(
        "runs_as_the_user_of_dash_dash_user_and_notifies_readiness",
        &["ip", "rdisc6", "bash"],
    ) {
        return;
    }
    let lab = Lab::new();
    let config = lab.dir.write("radvd.conf", CLASSIC);
    let sock_path = lab.dir.join("notify.sock");
    let sock = v6kit_testkit::NotifySocket::bind(&sock_path);
    // Port 99 needs root to bind: it is bound before the switch.
    let mut cmd = lab.router.command(env!("CARGO_BIN_EXE_v6rad"));
    cmd.arg("-C")
        .arg(&config)
        .args(["--user", "nobody", "--metrics", "127.0.0.1:99"])
        .env("NOTIFY_SOCKET", &sock_path)
        .stdout(Stdio::null());
    let mut daemon = lab.router.spawn(&mut cmd);
    assert_eq!(sock.recv().expect("a readiness notification"), "READY=1");
    v6kit_testkit::runs_as(daemon.id(), "nobody").unwrap();

    let prefix: Ipv6Net = "2001:db8:1::/64".parse().unwrap();
    let expected = v6core::eui64::slaac(prefix, lab.client_mac()).unwrap();
    assert!(
        wait_until(WAIT, || lab
            .client_addrs()
            .contains(&format!("{expected}/64"))),
        "no SLAAC address {expected}: {}",
        lab.client_addrs()
    );
    // Sockets opened after the switch (the answer to a solicitation goes
    // through the interface's raw socket) still work.
    let out = lab.client.output("rdisc6", &["-1", "-w", "2000", "eth0"]);
    assert!(out.status.success(), "rdisc6: {out:?}");
    assert!(metrics(&lab.router, 99).contains("v6rad_advertisements_sent_total"));
    // A reload says when it was asked for (sd_notify(3)) and when done.
    daemon.signal("HUP");
    let text = sock.recv().expect("a reloading notification");
    let usec = text
        .strip_prefix("RELOADING=1\nMONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("{text:?}"));
    assert!(usec.parse::<u64>().is_ok_and(|u| u > 0), "{text:?}");
    assert_eq!(sock.recv().expect("a ready notification"), "READY=1");
    stop(&mut daemon);
    assert_eq!(sock.recv().expect("a stopping notification"), "STOPPING=1");
}

#[test]
fn advertises_with_only_the_capability_of_its_systemd_unit() {
    if !root_or_skip(
        "advertises_with_only_the_capability_of_its_systemd_unit",
        &["ip", "setpriv", "strace", "systemd-analyze"],
    ) {
        return;
    }
    let lab = Lab::new();
    let config = lab.dir.write("radvd.conf", CLASSIC);
    // As examples/systemd/v6rad.service starts it, with a high metrics
    // port since CAP_NET_BIND_SERVICE is not among its capabilities;
    // strace records its system calls.
    let trace = lab.dir.join("v6rad.strace");
    let launcher = v6kit_testkit::traced_unit_launcher("net_raw", &trace);
    let mut cmd = lab.router.command(&launcher[0]);
    cmd.args(&launcher[1..])
        .arg(env!("CARGO_BIN_EXE_v6rad"))
        .arg("-C")
        .arg(&config)
        .args(["--metrics", "127.0.0.1:9562"])
        .stdout(Stdio::null());
    let mut strace = lab.router.spawn(&mut cmd);
    let pid = v6kit_testkit::traced_child(strace.id());
    let prefix: Ipv6Net = "2001:db8:1::/64".parse().unwrap();
    let expected = v6core::eui64::slaac(prefix, lab.client_mac()).unwrap();
    assert!(
        wait_until(WAIT, || lab
            .client_addrs()
            .contains(&format!("{expected}/64"))),
        "no SLAAC address {expected}: {}",
        lab.client_addrs()
    );
    v6kit_testkit::runs_as(pid, "nobody").unwrap();
    // CAP_NET_RAW (13) kept, nothing passed on to programs it might run.
    let cap = |f| v6kit_testkit::proc_status(pid, f).unwrap();
    assert_eq!(cap("CapEff"), "0000000000002000");
    assert_eq!(cap("CapAmb"), "0000000000000000");
    assert!(metrics(&lab.router, 9562).contains("v6rad_advertisements_sent_total"));
    let out = lab.client.output("rdisc6", &["-1", "-w", "2000", "eth0"]);
    assert!(out.status.success(), "rdisc6: {out:?}");
    // A reload and a stop; strace ends with the daemon.
    for signal in ["-HUP", "-TERM"] {
        v6kit_testkit::run(Command::new("kill").args([signal, &pid.to_string()]));
    }
    let status = strace.wait_timeout(WAIT).expect("v6rad stops");
    assert!(status.success(), "exit status {status}");
    // Every system call it made is one its unit allows.
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/systemd/v6rad.service");
    let allowed = v6kit_testkit::unit_allowed_system_calls(&unit);
    assert!(allowed.contains("sendmsg") && !allowed.contains("setuid"));
    let outside = v6kit_testkit::system_calls_outside(&trace, &allowed);
    assert!(
        outside.is_empty(),
        "outside the unit's SystemCallFilter: {outside:?}"
    );
}
