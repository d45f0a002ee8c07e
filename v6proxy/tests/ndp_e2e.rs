//! End-to-end: `v6proxyd ndp` on the middle machine of the reverse-proxy
//! VM guide's layout, in three network namespaces on two links:
//!
//! ```text
//! router (2001:db8::1/64) --eth0/ext0-- middle (2001:db8::2/64) --int0/eth0-- internal (2001:db8::100)
//! ```
//!
//! The internal machine's default route is via the middle machine
//! (fe80::1 on its link). Only the middle machine can make the router reach
//! it: by answering the router's Neighbor Solicitations. These need root;
//! without it they say they were skipped (and fail under CI).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use v6kit_testkit::{Netns, Process, TempDir, root_or_skip, veth, wait_until};

const WAIT: Duration = Duration::from_secs(10);
const TOOLS: &[&str] = &["ip", "ping", "sysctl", "curl"];

/// The `iface` rule of the guide, in the syntax both v6proxyd and ndppd
/// read.
const IFACE_CONF: &str = "\
proxy ext0 {
    router no
    timeout 300
    ttl 30000
    autowire yes
    rule 2001:db8::/64 {
        iface int0
    }
}
";

/// A configuration file holding `text`, in a directory of its own that is
/// removed, with whatever the test writes beside the file, on drop.
fn conf_file(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new("v6proxy-ndp");
    let path = dir.write("ndppd.conf", text);
    (dir, path)
}

/// The three machines and their links; everything goes with the
/// namespaces when this is dropped, also when a test fails.
struct Lab {
    router: Netns,
    middle: Netns,
    internal: Netns,
}

impl Lab {
    fn new() -> Lab {
        let router = Netns::new("ndp-router");
        let middle = Netns::new("ndp-middle");
        let internal = Netns::new("ndp-internal");
        // No duplicate address detection: nothing here is duplicated, and
        // it would cost each address a second.
        for ns in [&router, &middle, &internal] {
            ns.sysctl("net.ipv6.conf.all.accept_dad=0");
            ns.sysctl("net.ipv6.conf.default.accept_dad=0");
        }
        middle.sysctl("net.ipv6.conf.all.forwarding=1");
        veth(&router, "eth0", &middle, "ext0");
        veth(&middle, "int0", &internal, "eth0");
        router.ip(&["addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad"]);
        middle.ip(&["addr", "add", "2001:db8::2/64", "dev", "ext0", "nodad"]);
        middle.ip(&["addr", "add", "fe80::1/64", "dev", "int0", "nodad"]);
        internal.ip(&["addr", "add", "2001:db8::100/128", "dev", "eth0", "nodad"]);
        internal.ip(&["route", "add", "default", "via", "fe80::1", "dev", "eth0"]);
        Lab {
            router,
            middle,
            internal,
        }
    }

    fn ping(from: &Netns, to: &str) -> bool {
        from.output("ping", &["-6", "-c", "1", "-W", "1", to])
            .status
            .success()
    }

    /// Whether the router and the internal machine reach each other, both
    /// ways.
    fn both_ways(&self) -> bool {
        Self::ping(&self.internal, "2001:db8::1") && Self::ping(&self.router, "2001:db8::100")
    }

    /// Whether the router's solicitation for `target` is answered with the
    /// middle machine's link-layer address: the router's own neighbor
    /// cache tells, after a ping (answered or not) made it ask.
    fn answered(&self, target: &str) -> bool {
        let _ = self
            .router
            .output("ip", &["-6", "neigh", "del", target, "dev", "eth0"]);
        let _ = Self::ping(&self.router, target);
        let mac = self.middle.run("cat", &["/sys/class/net/ext0/address"]);
        self.router
            .ip(&["-6", "neigh", "show", target, "dev", "eth0"])
            .contains(mac.trim())
    }

    fn v6proxyd(&self, args: &[&str]) -> Process {
        let mut cmd = self.middle.command(env!("CARGO_BIN_EXE_v6proxyd"));
        cmd.args(["-d", "ndp"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        self.middle.spawn(&mut cmd)
    }

    /// Checks whether the middle has the host route to the internal link
    /// that autowire adds.
    fn assert_autowired(&self, present: bool) {
        let routes = self.middle.ip(&["-6", "route", "show", "2001:db8::100"]);
        assert_eq!(routes.contains("dev int0"), present, "{routes}");
    }
}

fn stop(mut daemon: Process) {
    daemon.signal("TERM");
    let status = daemon.wait_timeout(WAIT).expect("v6proxyd did not stop");
    assert!(status.success(), "v6proxyd exited with {status}");
}

#[test]
fn iface_rule_joins_the_two_links_and_answers_only_for_present_addresses() {
    if !root_or_skip(
        "iface_rule_joins_the_two_links_and_answers_only_for_present_addresses",
        TOOLS,
    ) {
        return;
    }
    let lab = Lab::new();
    // Without the proxy, neither way works: the router's solicitations
    // for 2001:db8::100 go unanswered.
    assert!(!Lab::ping(&lab.router, "2001:db8::100"));
    assert!(!Lab::ping(&lab.internal, "2001:db8::1"));

    let (_dir, conf) = conf_file(IFACE_CONF);
    let path = conf.to_str().unwrap();
    let check = lab.middle.output(
        env!("CARGO_BIN_EXE_v6proxyd"),
        &["ndp", "--check", "-c", path],
    );
    assert!(check.status.success(), "{check:?}");
    let daemon = lab.v6proxyd(&["--config", path, "--metrics", "[::1]:9187"]);

    assert!(
        wait_until(WAIT, || lab.both_ways()),
        "router and internal machine do not reach each other through v6proxyd ndp"
    );
    // autowire added the host route to the internal link.
    lab.assert_autowired(true);
    // Answered for the address that exists behind the internal link, not
    // for one that does not.
    assert!(lab.answered("2001:db8::100"));
    assert!(!lab.answered("2001:db8::200"));
    // The counters say what happened.
    let metrics = lab.middle.output(
        "curl",
        &["-sS", "--max-time", "5", "http://[::1]:9187/metrics"],
    );
    let metrics = String::from_utf8_lossy(&metrics.stdout);
    for line in [
        "v6proxyd_ndp_sent_total{interface=\"ext0\",type=\"na\"}",
        "v6proxyd_ndp_sent_total{interface=\"int0\",type=\"ns\"}",
        "v6proxyd_ndp_packets_total{interface=\"int0\",outcome=\"learned\"}",
        "v6proxyd_ndp_routes_total{action=\"added\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }

    // SIGHUP reloads; it still answers afterwards.
    daemon.signal("HUP");
    assert!(wait_until(WAIT, || lab.answered("2001:db8::100")));

    // SIGTERM removes the route it added.
    stop(daemon);
    lab.assert_autowired(false);
}

#[test]
fn runs_as_the_user_of_dash_dash_user_and_still_adds_routes() {
    if !root_or_skip(
        "runs_as_the_user_of_dash_dash_user_and_still_adds_routes",
        TOOLS,
    ) {
        return;
    }
    let lab = Lab::new();
    let (_dir, conf) = conf_file(IFACE_CONF);
    let daemon = lab.v6proxyd(&["--config", conf.to_str().unwrap(), "--user", "nobody"]);
    // Packet sockets, all-multicast mode and the autowired route are all
    // made after the switch, with the capabilities kept for them.
    assert!(
        wait_until(WAIT, || lab.both_ways()),
        "router and internal machine do not reach each other through v6proxyd ndp as nobody"
    );
    v6kit_testkit::runs_as(daemon.id(), "nobody").unwrap();
    lab.assert_autowired(true);
    stop(daemon);
    lab.assert_autowired(false);
}

#[test]
fn proxies_with_only_the_capabilities_of_its_systemd_unit() {
    if !root_or_skip(
        "proxies_with_only_the_capabilities_of_its_systemd_unit",
        &[
            "ip",
            "ping",
            "sysctl",
            "curl",
            "setpriv",
            "strace",
            "systemd-analyze",
        ],
    ) {
        return;
    }
    let lab = Lab::new();
    let (_dir, conf) = conf_file(IFACE_CONF);
    // As examples/systemd/v6proxyd-ndp.service starts it; strace records
    // its system calls.
    let trace = conf.with_extension("strace");
    let launcher = v6kit_testkit::traced_unit_launcher("net_admin,net_raw", &trace);
    let mut cmd = lab.middle.command(&launcher[0]);
    cmd.args(&launcher[1..])
        .arg(env!("CARGO_BIN_EXE_v6proxyd"))
        .args(["ndp", "--config", conf.to_str().unwrap()])
        .stdout(Stdio::null());
    let mut strace = lab.middle.spawn(&mut cmd);
    let pid = v6kit_testkit::traced_child(strace.id());
    assert!(
        wait_until(WAIT, || lab.both_ways()),
        "router and internal machine do not reach each other"
    );
    v6kit_testkit::runs_as(pid, "nobody").unwrap();
    // CAP_NET_ADMIN (12) and CAP_NET_RAW (13), none passed on.
    let cap = |f| v6kit_testkit::proc_status(pid, f).unwrap();
    assert_eq!(cap("CapEff"), "0000000000003000");
    assert_eq!(cap("CapAmb"), "0000000000000000");
    lab.assert_autowired(true);
    // A reload, then a stop that removes the route it added.
    v6kit_testkit::run(Command::new("kill").args(["-HUP", &pid.to_string()]));
    assert!(wait_until(WAIT, || lab.answered("2001:db8::100")));
    v6kit_testkit::run(Command::new("kill").args(["-TERM", &pid.to_string()]));
    let status = strace.wait_timeout(WAIT).expect("v6proxyd stops");
    assert!(status.success(), "exit status {status}");
    lab.assert_autowired(false);
    // Every system call it made is one its unit allows.
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/systemd/v6proxyd-ndp.service");
    let allowed = v6kit_testkit::unit_allowed_system_calls(&unit);
    let outside = v6kit_testkit::system_calls_outside(&trace, &allowed);
    let _ = std::fs::remove_file(&trace);
    assert!(
        outside.is_empty(),
        "outside the unit's SystemCallFilter: {outside:?}"
    );
}

#[test]
fn static_rule_answers_for_the_whole_prefix() {
    if !root_or_skip("static_rule_answers_for_the_whole_prefix", TOOLS) {
        return;
    }
    let lab = Lab::new();
    // A static rule does not wire routes: the operator routes the
    // internal machine's address.
    lab.middle
        .ip(&["route", "add", "2001:db8::100/128", "dev", "int0"]);
    assert!(!Lab::ping(&lab.router, "2001:db8::100"));
    let (_dir, conf) =
        conf_file("proxy ext0 {\n    rule 2001:db8::/64 {\n        static\n    }\n}\n");
    let daemon = lab.v6proxyd(&["--config", conf.to_str().unwrap()]);
    assert!(wait_until(WAIT, || lab.both_ways()));
    // Every address of the prefix is answered for, present or not.
    assert!(lab.answered("2001:db8::200"));
    // Not the middle machine's own: the kernel answers those.
    stop(daemon);
}

#[test]
fn auto_rule_asks_where_the_routing_table_points() {
    if !root_or_skip("auto_rule_asks_where_the_routing_table_points", TOOLS) {
        return;
    }
    let lab = Lab::new();
    // The operator routes the internal machine's address; the proxy
    // follows the routing table.
    lab.middle
        .ip(&["route", "add", "2001:db8::100/128", "dev", "int0"]);
    assert!(!Lab::ping(&lab.router, "2001:db8::100"));
    let (_dir, conf) = conf_file(
        "route-ttl 200\nproxy ext0 {\n    timeout 300\n    rule 2001:db8::/64 {\n        auto\n    }\n}\n",
    );
    let daemon = lab.v6proxyd(&["--config", conf.to_str().unwrap()]);
    assert!(wait_until(WAIT, || lab.both_ways()));
    // 2001:db8::200 is routed back out of the upstream link: not answered.
    assert!(!lab.answered("2001:db8::200"));
    stop(daemon);
}

#[test]
fn ndppd_reads_the_same_file_and_behaves_the_same() {
    // The drop-in claim, checked against Debian's ndppd: the file that
    // v6proxyd ndp reads above, run by ndppd, joins the same links and
    // answers for the same addresses.
    if !root_or_skip(
        "ndppd_reads_the_same_file_and_behaves_the_same",
        &["ip", "ping", "sysctl", "ndppd"],
    ) {
        return;
    }
    let lab = Lab::new();
    // Debian's ndppd 0.2.5 accepts `autowire` but adds no route: its users
    // add the host route by hand, as here.
    lab.middle
        .ip(&["route", "add", "2001:db8::100/128", "dev", "int0"]);
    let (_dir, conf) = conf_file(IFACE_CONF);
    let mut cmd = lab.middle.command("ndppd");
    cmd.args(["-c", conf.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _ndppd = lab.middle.spawn(&mut cmd);
    assert!(wait_until(WAIT, || lab.both_ways()));
    assert!(lab.answered("2001:db8::100"));
    assert!(!lab.answered("2001:db8::200"));
}

#[test]
fn kernel_mode_programs_proxy_entries_and_removes_them() {
    if !root_or_skip("kernel_mode_programs_proxy_entries_and_removes_them", TOOLS) {
        return;
    }
    let lab = Lab::new();
    assert!(!Lab::ping(&lab.router, "2001:db8::100"));
    assert!(!Lab::ping(&lab.internal, "2001:db8::1"));
    let daemon = lab.v6proxyd(&[
        "--kernel",
        "--proxy",
        "ext0",
        "--internal",
        "int0",
        "--address",
        "2001:db8::100",
    ]);
    assert!(
        wait_until(WAIT, || lab.both_ways()),
        "router and internal machine do not reach each other through the kernel's proxy"
    );
    let proxies = lab.middle.ip(&["-6", "neigh", "show", "proxy"]);
    assert!(proxies.contains("2001:db8::100 dev ext0"), "{proxies}");
    lab.assert_autowired(true);
    assert!(!lab.answered("2001:db8::200"));
    stop(daemon);
    let proxies = lab.middle.ip(&["-6", "neigh", "show", "proxy"]);
    assert!(!proxies.contains("2001:db8::100"), "{proxies}");
    lab.assert_autowired(false);
    let proxy_ndp = lab
        .middle
        .run("sysctl", &["-n", "net.ipv6.conf.ext0.proxy_ndp"]);
    assert_eq!(proxy_ndp.trim(), "0");
}

#[test]
fn an_unknown_user_exits_2_naming_it() {
    let (_dir, conf) = conf_file(IFACE_CONF);
    let out = Command::new(env!("CARGO_BIN_EXE_v6proxyd"))
        .args(["ndp", "-c", conf.to_str().unwrap()])
        .args(["--user", "no-such-user-v6kit"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--user no-such-user-v6kit: no such user"),
        "{err}"
    );
}

#[test]
fn bad_configuration_and_arguments_are_reported_before_anything_starts() {
    let (_dir, conf) =
        conf_file("proxy ext0 {\n    rule 2001:db8::/64 {\n        iface\n    }\n}\n");
    let out = Command::new(env!("CARGO_BIN_EXE_v6proxyd"))
        .args(["ndp", "--check", "-c", conf.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3: \"iface\"", conf.display())),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_v6proxyd"))
        .args([
            "ndp",
            "--kernel",
            "--proxy",
            "ext0",
            "--address",
            "2001:db8::zz",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--address"));
    let out = Command::new(env!("CARGO_BIN_EXE_v6proxyd"))
        .args(["ndp", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--frobnicate"));
}
