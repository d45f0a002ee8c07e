//! The network of the lab and the daemons in it.
//!
//! ```text
//!   client (IPv4 only)    internet (IPv4 only)        host                          vm (IPv6 only)
//!   eth0 203.0.113.10 ─── c0 203.0.113.1
//!                         h0 192.0.2.254 ───────── eth0 192.0.2.1
//!                         lo 192.88.99.80 (www)    br0 2001:db8:1::1/64 ── vm0 ─── eth0 SLAAC
//!                                                  nat64 (TUN) 64:ff9b::/96,          52:54:00:12:34:56
//!                                                    pool 192.168.255.0/24
//! ```
//!
//! The host has one IPv4 address (192.0.2.1) and a /64 for its bridge, and
//! runs `v6rad` on the bridge, `v6dns64d` on 2001:db8:1::1 with a static
//! zone, `v6xlatd` with a dynamic pool that the kernel masquerades to its
//! IPv4 address, and `v6proxyd relay` on its IPv4 address. The VM is
//! configured only by the advertisement.
//!
//! Addresses are documentation addresses, with one exception: with the
//! well-known prefix 64:ff9b::/96 only global IPv4 addresses may be
//! translated (RFC 6052 section 3.1), and every TEST-NET is non-global, so
//! the IPv4-only web server is at 192.88.99.80. That block was the 6to4
//! relay anycast prefix, deprecated by RFC 7526 and no longer routed; it
//! exists only inside the lab's namespaces, which have no route out.

use std::fs::File;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use v6kit_testkit::{Netns, Process, bridge, veth};

use crate::binaries::Binaries;
use crate::interrupt::{track_namespace, track_path};
use crate::wait;

/// The host's /64, on its bridge.
pub(crate) const PREFIX: &str = "2001:db8:1::/64";
/// The host's address on the bridge: router, DNS server.
pub(crate) const HOST_V6: &str = "2001:db8:1::1";
/// The host's one IPv4 address.
pub(crate) const HOST_V4: &str = "192.0.2.1";
/// The internet's router towards the host.
const UPLINK_GATEWAY: &str = "192.0.2.254";
/// The IPv4-only web server, in the internet namespace.
pub(crate) const WEB_V4: &str = "192.88.99.80";
/// The IPv4-only client.
const CLIENT_V4: &str = "203.0.113.10";
/// The internet's router towards the client.
const CLIENT_GATEWAY: &str = "203.0.113.1";
/// The NAT64 prefix, the well-known one (RFC 6052 section 2.1).
pub(crate) const NAT64: &str = "64:ff9b::/96";
/// The translator's dynamic pool, masqueraded to [`HOST_V4`].
const POOL: &str = "192.168.255.0/24";
/// The translator's own IPv4 address, in the pool.
const XLAT_V4: &str = "192.168.255.1";
/// The translator's own IPv6 address (the source of its ICMPv6 errors).
const XLAT_V6: &str = "2001:db8:1::2";
/// The MAC address of the VM's interface, as QEMU gives one.
pub(crate) const VM_MAC: &str = "52:54:00:12:34:56";
/// A name with only an A record: the IPv4-only web server.
pub(crate) const V4ONLY_NAME: &str = "www.ipv4only.example";
/// A dual-stack name: the VM's site, an A record for the host's relay and
/// a AAAA record for the VM itself.
pub(crate) const VM_NAME: &str = "www.vm.example";

/// How long a daemon or a server may take to start.
const START: Duration = Duration::from_secs(15);

/// The advertisement of the classic IPv6-first host, in radvd.conf
/// syntax, with the intervals as short as RFC 4861 allows.
const RADVD_CONF: &str = "\
interface br0 {
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

/// The masquerading of the translator's pool to the host's IPv4 address.
const NAT_RULES: &str = "\
table ip v6kit_lab {
    chain postrouting {
        type nat hook postrouting priority 100;
        ip saddr 192.168.255.0/24 oifname \"eth0\" masquerade
    }
}
";

/// The lab's namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The IPv6-first host.
    Host,
    /// The IPv6-only virtual machine.
    Vm,
    /// The IPv4-only internet.
    Internet,
    /// The IPv4-only client.
    Client,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Vm => "vm",
            Role::Internet => "internet",
            Role::Client => "client",
        }
    }
}

/// A daemon or server of the lab, its output kept in a log file.
#[derive(Debug)]
pub(crate) struct Daemon {
    /// The program's name.
    pub(crate) name: String,
    /// The namespace it runs in.
    pub(crate) role: Role,
    /// The log file.
    pub(crate) log: PathBuf,
    process: Process,
}

/// Everything the lab created. Fields drop in order: processes first, then
/// the namespaces (with their interfaces, the TUN device and the nftables
/// table), then the files.
#[derive(Debug)]
pub(crate) struct Lab {
    /// The daemons and servers, in the order they started.
    pub(crate) daemons: Vec<Daemon>,
    /// `v6 ra dump` in the VM, until the advertisement is checked.
    ra_dump: Option<Process>,
    /// The IPv6-first host.
    pub(crate) host: Netns,
    /// The IPv6-only virtual machine.
    pub(crate) vm: Netns,
    /// The IPv4-only internet, with a web server.
    pub(crate) internet: Netns,
    /// The IPv4-only client.
    pub(crate) client: Netns,
    /// `/etc/netns/<vm>`, where the VM's resolv.conf is.
    vm_etc: EtcNetns,
    /// The configuration files and logs.
    pub(crate) dir: RemovedOnDrop,
    /// The programs.
    pub(crate) bins: Binaries,
}

/// A directory removed with its content on drop.
#[derive(Debug)]
pub(crate) struct RemovedOnDrop(pub(crate) PathBuf);

impl RemovedOnDrop {
    fn new(path: PathBuf) -> Result<Self, String> {
        track_path(path.clone());
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(RemovedOnDrop(path))
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        let path = self.0.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

impl Drop for RemovedOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The directory of a namespace's files under /etc/netns, removed on
/// drop, and /etc/netns too if the lab created it.
#[derive(Debug)]
struct EtcNetns {
    dir: Option<RemovedOnDrop>,
    created_parent: bool,
}

impl EtcNetns {
    const PARENT: &str = "/etc/netns";

    fn new(name: &str) -> Result<Self, String> {
        let created_parent = !Path::new(Self::PARENT).exists();
        let dir = RemovedOnDrop::new(Path::new(Self::PARENT).join(name))?;
        Ok(EtcNetns {
            dir: Some(dir),
            created_parent,
        })
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        self.dir.as_ref().ok_or("removed")?.write(name, text)
    }
}

impl Drop for EtcNetns {
    fn drop(&mut self) {
        drop(self.dir.take());
        if self.created_parent {
            // Only if empty: another program may have put files there.
            let _ = std::fs::remove_dir(Self::PARENT);
        }
    }
}

fn namespace(role: Role) -> Netns {
    let ns = Netns::new(role.name());
    track_namespace(ns.name());
    ns
}

impl Lab {
    /// Creates the namespaces, links, addresses and routes, the TUN device
    /// and the masquerading; starts nothing yet. Returns the lab and what
    /// it holds.
    pub(crate) fn build(bins: Binaries) -> Result<(Lab, Vec<String>), String> {
        let dir = RemovedOnDrop::new(
            std::env::temp_dir().join(format!("v6kit-lab-{}", std::process::id())),
        )?;
        let (host, vm, internet, client) = (
            namespace(Role::Host),
            namespace(Role::Vm),
            namespace(Role::Internet),
            namespace(Role::Client),
        );
        let vm_etc = EtcNetns::new(vm.name())?;

        // Settings for the interfaces yet to come.
        host.sysctl("net.ipv4.ip_forward=1");
        host.sysctl("net.ipv6.conf.all.forwarding=1");
        host.sysctl("net.ipv6.conf.default.accept_dad=0");
        vm.sysctl("net.ipv6.conf.default.accept_dad=0");
        vm.sysctl("net.ipv6.conf.default.router_solicitation_delay=0");
        // Routes of any length from route information options (RFC 4191).
        vm.sysctl("net.ipv6.conf.default.accept_ra_rt_info_max_plen=128");
        for ns in [&internet, &client] {
            ns.sysctl("net.ipv6.conf.all.disable_ipv6=1");
            ns.sysctl("net.ipv6.conf.default.disable_ipv6=1");
        }
        internet.sysctl("net.ipv4.ip_forward=1");

        // The VM on the host's bridge, with a MAC address of its own.
        veth(&host, "vm0", &vm, "eth0");
        vm.ip(&["link", "set", "eth0", "down"]);
        vm.ip(&["link", "set", "eth0", "address", VM_MAC]);
        vm.ip(&["link", "set", "eth0", "up"]);
        bridge(&host, "br0", &["vm0"]);
        host.ip(&[
            "addr",
            "add",
            &format!("{HOST_V6}/64"),
            "dev",
            "br0",
            "nodad",
        ]);

        // The host's uplink and the IPv4 internet.
        veth(&host, "eth0", &internet, "h0");
        host.ip(&["addr", "add", &format!("{HOST_V4}/24"), "dev", "eth0"]);
        host.ip(&["route", "add", "default", "via", UPLINK_GATEWAY]);
        internet.ip(&["addr", "add", &format!("{UPLINK_GATEWAY}/24"), "dev", "h0"]);
        internet.ip(&["addr", "add", &format!("{WEB_V4}/32"), "dev", "lo"]);
        veth(&client, "eth0", &internet, "c0");
        internet.ip(&["addr", "add", &format!("{CLIENT_GATEWAY}/24"), "dev", "c0"]);
        client.ip(&["addr", "add", &format!("{CLIENT_V4}/24"), "dev", "eth0"]);
        client.ip(&["route", "add", "default", "via", CLIENT_GATEWAY]);

        let lab = Lab {
            daemons: Vec::new(),
            ra_dump: None,
            host,
            vm,
            internet,
            client,
            vm_etc,
            dir,
            bins,
        };

        // What a Tayga host does before it starts the translator: the TUN
        // device, the routes into it, the masquerading of the pool.
        let out = lab.v6xlatd().arg("--mktun").output();
        let out = out.map_err(|e| format!("cannot run v6xlatd --mktun: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "v6xlatd --mktun failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        lab.host.ip(&["link", "set", "nat64", "up"]);
        lab.host.ip(&["route", "add", NAT64, "dev", "nat64"]);
        lab.host.ip(&["route", "add", POOL, "dev", "nat64"]);
        lab.host
            .ip(&["route", "add", &format!("{XLAT_V6}/128"), "dev", "nat64"]);
        let rules = lab.dir.write("nat.nft", NAT_RULES)?;
        lab.host.run("nft", &["-f", &rules.to_string_lossy()]);

        let said = vec![
            format!(
                "host {}: eth0 {HOST_V4}/24, br0 {HOST_V6}/64, nat64 (TUN) for {NAT64} and pool {POOL}, masqueraded to {HOST_V4}",
                lab.host.name()
            ),
            format!(
                "vm {}: eth0 {VM_MAC} on the host's br0, IPv6 only, no address yet",
                lab.vm.name()
            ),
            format!(
                "internet {}: router {UPLINK_GATEWAY} and {CLIENT_GATEWAY}, web server {WEB_V4}, IPv4 only",
                lab.internet.name()
            ),
            format!(
                "client {}: eth0 {CLIENT_V4}/24, IPv4 only",
                lab.client.name()
            ),
        ];
        Ok((lab, said))
    }

    /// `v6xlatd` with the translator's configuration, in the host.
    fn v6xlatd(&self) -> Command {
        let mut cmd = self.host.command(&self.bins.v6xlatd.to_string_lossy());
        cmd.args([
            "--tun-device",
            "nat64",
            "--ipv4-addr",
            XLAT_V4,
            "--ipv6-addr",
            XLAT_V6,
            "--prefix",
            NAT64,
            "--dynamic-pool",
            POOL,
            "--data-dir",
        ])
        .arg(self.dir.0.join("v6xlatd"));
        cmd
    }

    /// The zone v6dns64d answers from: an IPv4-only name and the VM's
    /// dual-stack name, with the VM's SLAAC address.
    fn zone(&self) -> Result<String, String> {
        let prefix = PREFIX.parse().map_err(|e| format!("{PREFIX}: {e}"))?;
        let mac = VM_MAC.parse().map_err(|e| format!("{VM_MAC}: {e}"))?;
        let vm = v6core::eui64::slaac(prefix, mac).map_err(|e| e.to_string())?;
        Ok(format!(
            "$ORIGIN example.\n\
             $TTL 300\n\
             @ IN SOA ns.example. hostmaster.example. 1 3600 600 86400 300\n\
             @ IN NS ns.example.\n\
             ns IN A {HOST_V4}\n\
             {V4ONLY_NAME}. IN A {WEB_V4}\n\
             {VM_NAME}. IN A {HOST_V4}\n\
             {VM_NAME}. IN AAAA {vm}\n"
        ))
    }

    /// Starts `cmd` as daemon `name` in the namespace of `role`, its
    /// output in `<name>.log`.
    fn spawn(&mut self, role: Role, name: &str, cmd: &mut Command) -> Result<(), String> {
        let log = self.dir.0.join(format!("{name}.log"));
        let file = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file.try_clone().map_err(|e| e.to_string())?;
        cmd.stdout(file).stderr(err);
        let process = Process::spawn(cmd);
        self.daemons.push(Daemon {
            name: name.to_owned(),
            role,
            log,
            process,
        });
        Ok(())
    }

    /// Fails when daemon `name` has exited, with the end of its log.
    fn still_running(&mut self, name: &str) -> Result<(), String> {
        let Some(d) = self.daemons.iter_mut().find(|d| d.name == name) else {
            return Err(format!("{name} was not started"));
        };
        if d.process.is_running() {
            Ok(())
        } else {
            Err(format!("{name} exited: {}", tail(&d.log, 5).join(" | ")))
        }
    }

    /// Waits until something in `ns` listens on `proto` port `port`.
    fn wait_listening(
        &mut self,
        role: Role,
        proto: &str,
        port: u16,
        name: &str,
    ) -> Result<(), String> {
        let args = [proto, &format!("sport = :{port}")];
        let mut up = false;
        wait(START, || {
            let out = self.ns(role).output("ss", &args);
            up = !String::from_utf8_lossy(&out.stdout).trim().is_empty();
            up || self.still_running(name).is_err()
        });
        self.still_running(name)?;
        if up {
            Ok(())
        } else {
            Err(format!("{name} does not listen on port {port}"))
        }
    }

    fn ns(&self, role: Role) -> &Netns {
        match role {
            Role::Host => &self.host,
            Role::Vm => &self.vm,
            Role::Internet => &self.internet,
            Role::Client => &self.client,
        }
    }

    /// Starts the web sites, `v6 ra dump` in the VM (so that it hears the
    /// first advertisement), then the host's daemons, each checked to be
    /// up. Returns what runs where.
    pub(crate) fn start(&mut self) -> Result<Vec<String>, String> {
        let lab_bin = self.bins.lab.to_string_lossy().into_owned();
        let mut web = self.internet.command(&lab_bin);
        web.args(["web", "0.0.0.0:80", "the IPv4-only server"]);
        self.spawn(Role::Internet, "web-internet", &mut web)?;
        let mut site = self.vm.command(&lab_bin);
        site.args(["web", "[::]:80", "the VM's site"]);
        self.spawn(Role::Vm, "web-vm", &mut site)?;
        self.wait_listening(Role::Internet, "-Hltn", 80, "web-internet")?;
        self.wait_listening(Role::Vm, "-Hltn", 80, "web-vm")?;

        // The VM's HTTPS site, with a certificate and key only it uses.
        let (cert, key) = (self.vm_certificate(), self.dir.0.join("vm-key.pem"));
        v6kit_testkit::self_signed_certificate(&cert, &key, &[VM_NAME]);
        let mut tls = self.vm.command("openssl");
        tls.args(["s_server", "-accept", "[::]:443", "-www", "-quiet", "-cert"])
            .arg(&cert)
            .arg("-key")
            .arg(&key);
        self.spawn(Role::Vm, "tls-vm", &mut tls)?;
        self.wait_listening(Role::Vm, "-Hltn", 443, "tls-vm")?;

        // The advertisement as the VM hears it, read by the next step.
        let mut dump = self.vm.command(&self.bins.v6.to_string_lossy());
        dump.args(["ra", "dump", "--json", "-n", "1", "eth0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let dump = Process::spawn(&mut dump);
        self.ra_dump = Some(dump);
        let vm = &self.vm;
        wait(START, || {
            let out = vm.output("ss", &["-Hwan"]);
            !String::from_utf8_lossy(&out.stdout).trim().is_empty()
        });

        // The translator, ready when it says so (sd_notify).
        let notify_path = self.dir.0.join("notify.sock");
        let notify = UnixDatagram::bind(&notify_path).map_err(|e| e.to_string())?;
        notify
            .set_read_timeout(Some(START))
            .map_err(|e| e.to_string())?;
        let mut xlat = self.v6xlatd();
        xlat.env("NOTIFY_SOCKET", &notify_path);
        self.spawn(Role::Host, "v6xlatd", &mut xlat)?;
        let mut buf = [0u8; 64];
        let ready = notify.recv(&mut buf).map(|n| &buf[..n] == b"READY=1");
        self.still_running("v6xlatd")?;
        if !matches!(ready, Ok(true)) {
            return Err("v6xlatd did not say it was ready".into());
        }

        let zone = self.dir.write("example.zone", &self.zone()?)?;
        let mut dns = self.host.command(&self.bins.v6dns64d.to_string_lossy());
        dns.args([
            "--listen",
            &format!("[{HOST_V6}]:53"),
            "--listen",
            "[::1]:53",
        ])
        .args(["--prefix", NAT64, "--static"])
        .arg(&zone);
        self.spawn(Role::Host, "v6dns64d", &mut dns)?;
        self.wait_listening(Role::Host, "-Hlun", 53, "v6dns64d")?;

        let mut relay = self.host.command(&self.bins.v6proxyd.to_string_lossy());
        relay.args([
            "relay",
            "--listen",
            &format!("{HOST_V4}:80"),
            "--listen",
            &format!("{HOST_V4}:443"),
            "--backend-prefix",
            PREFIX,
            "--resolver",
            &format!("[{HOST_V6}]:53"),
        ]);
        self.spawn(Role::Host, "v6proxyd", &mut relay)?;
        self.wait_listening(Role::Host, "-Hltn", 80, "v6proxyd")?;
        self.wait_listening(Role::Host, "-Hltn", 443, "v6proxyd")?;

        let conf = self.dir.write("radvd.conf", RADVD_CONF)?;
        let mut rad = self.host.command(&self.bins.v6rad.to_string_lossy());
        rad.arg("-C").arg(&conf);
        self.spawn(Role::Host, "v6rad", &mut rad)?;
        std::thread::sleep(Duration::from_millis(300));
        self.still_running("v6rad")?;

        Ok(vec![
            format!("host: v6rad -C {}", conf.display()),
            format!(
                "host: v6dns64d --listen [{HOST_V6}]:53 --listen [::1]:53 --prefix {NAT64} --static {}",
                zone.display()
            ),
            format!(
                "host: v6xlatd --tun-device nat64 --ipv4-addr {XLAT_V4} --ipv6-addr {XLAT_V6} --prefix {NAT64} --dynamic-pool {POOL} (ready)"
            ),
            format!(
                "host: v6proxyd relay --listen {HOST_V4}:80 --listen {HOST_V4}:443 --backend-prefix {PREFIX} --resolver [{HOST_V6}]:53"
            ),
            format!(
                "internet: web server on {WEB_V4}:80; vm: web site on [::]:80, HTTPS site (openssl s_server) on [::]:443"
            ),
        ])
    }

    /// The VM's self-signed certificate, for the client to trust.
    pub(crate) fn vm_certificate(&self) -> PathBuf {
        self.dir.0.join("vm-cert.pem")
    }

    /// Takes the running `v6 ra dump` of the VM.
    pub(crate) fn take_ra_dump(&mut self) -> Option<Process> {
        self.ra_dump.take()
    }

    /// Writes the VM's resolv.conf, which `ip netns exec` puts in place of
    /// /etc/resolv.conf for the programs it runs in the VM.
    pub(crate) fn set_vm_resolver(&self, server: &str) -> Result<PathBuf, String> {
        self.vm_etc
            .write("resolv.conf", &format!("nameserver {server}\n"))
    }

    /// The pool address v6xlatd leased to `v6`, from the leases it keeps
    /// in its data-dir (Tayga's `dynamic.map`: `ipv4 ipv6 last-use`).
    pub(crate) fn xlat_lease(&self, v6: Ipv6Addr) -> Option<Ipv4Addr> {
        let path = self.dir.0.join("v6xlatd").join("dynamic.map");
        let text = std::fs::read_to_string(path).ok()?;
        text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
            let mut words = l.split_whitespace();
            let v4 = words.next()?.parse().ok()?;
            (words.next()?.parse::<Ipv6Addr>().ok()? == v6).then_some(v4)
        })
    }

    /// The last lines of every daemon's log, for a failure report.
    pub(crate) fn logs(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for d in &self.daemons {
            let t = tail(&d.log, 8);
            if !t.is_empty() {
                lines.push(format!("{} ({}):", d.name, d.role.name()));
                lines.extend(t.into_iter().map(|l| format!("  {l}")));
            }
        }
        lines
    }
}

/// The last `n` lines of file `path`.
fn tail(path: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}
