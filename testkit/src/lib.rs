//! Test hosts for v6kit's end-to-end tests: Linux network namespaces joined
//! by veth pairs, and the processes that run inside them.
//!
//! Everything a test creates is owned by a guard and removed when the guard
//! is dropped — at the end of the test and also when it panics — so a failed
//! test leaves no namespace, interface or process behind. Traffic stays
//! inside the test's own namespaces.
//!
//! These tests need root. [`root_or_skip`] lets a test say it was skipped
//! when it is not root, except under CI (the `CI` environment variable is
//! set), where a test that cannot run fails instead.
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Whether this process runs as root (effective user id 0).
pub fn is_root() -> bool {
    // /proc/self/status has "Uid: real effective saved fs".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

/// Whether the tests run under CI, where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Returns `true` when `test` can run: it is root and every program in
/// `tools` is installed. Otherwise prints `skipped: <test>: <why>` and
/// returns `false` — or, under CI, panics, since CI must run every test.
pub fn root_or_skip(test: &str, tools: &[&str]) -> bool {
    let why = if !is_root() {
        Some("needs root (network namespaces)".to_owned())
    } else {
        tools
            .iter()
            .find(|t| which(t).is_none())
            .map(|t| format!("{t} is not installed"))
    };
    match why {
        None => true,
        Some(why) if under_ci() => panic!("{test}: {why}, and CI must not skip it"),
        Some(why) => {
            eprintln!("skipped: {test}: {why}");
            false
        }
    }
}

/// The full path of program `name` on `PATH` (and in the sbin directories,
/// which a non-login root shell may lack).
pub fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"])
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// Runs `cmd` and returns its output; panics with the command line and its
/// standard error when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = output(cmd);
    if !out.status.success() {
        panic!(
            "{cmd:?} failed with {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes a self-signed certificate for the DNS `names` (the first is
/// also its common name), valid for a day, to `cert`, and its P-256 key
/// to `key`, with openssl; panics when openssl fails.
pub fn self_signed_certificate(cert: &Path, key: &Path, names: &[&str]) {
    let alt: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec"])
        .args([
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
        ])
        .arg("-subj")
        .arg(format!("/CN={}", names[0]))
        .arg("-addext")
        .arg(format!("subjectAltName={}", alt.join(",")))
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert));
}

/// Runs `cmd` and returns its output, whether it succeeded or not.
pub fn output(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Polls `check` every 50 ms until it returns `true` or `timeout` passes;
/// returns whether it did.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A scratch directory unique to this process, removed with everything in
/// it on drop.
#[derive(Debug)]
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Creates `PREFIX-PID-N` in the system's temporary directory.
    pub fn new(prefix: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", p.display()));
        TempDir(p)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `name` inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> std::path::PathBuf {
        self.0.join(name)
    }

    /// Writes `text` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.join(name);
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Prometheus text a daemon serves at `http://ADDR/metrics`, fetched
/// with curl inside `ns`; panics when it cannot be fetched.
pub fn scrape(ns: &Netns, addr: &str) -> String {
    let url = format!("http://{addr}/metrics");
    let out = ns.output("curl", &["-s", "-m", "5", &url]);
    assert!(out.status.success(), "{url}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of `series` (a metric's name with its labels, as the daemon
/// writes them) in Prometheus `text`; 0 when absent.
pub fn metric(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A network namespace, deleted (with every process still in it) on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates a namespace named after `role` and unique to this process,
    /// with its loopback interface up.
    pub fn new(role: &str) -> Netns {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("v6k-{role}-{}-{n}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// The namespace's name, as `ip netns` knows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command that runs `program` inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Runs `program args…` in the namespace; panics if it fails.
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        run(self.command(program).args(args))
    }

    /// Runs `program args…` in the namespace and returns its output,
    /// whether it succeeded or not.
    pub fn output(&self, program: &str, args: &[&str]) -> Output {
        output(self.command(program).args(args))
    }

    /// Runs `ip args…` in the namespace; panics if it fails.
    pub fn ip(&self, args: &[&str]) -> String {
        run(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// Sets a sysctl inside the namespace, such as
    /// `net.ipv6.conf.all.forwarding=1`.
    pub fn sysctl(&self, setting: &str) {
        self.run("sysctl", &["-q", "-w", setting]);
    }

    /// Starts `cmd` (made with [`Netns::command`]) in the background; the
    /// process is killed when the returned guard is dropped.
    pub fn spawn(&self, cmd: &mut Command) -> Process {
        Process::spawn(cmd)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Kill what still runs inside, then delete the namespace, which
        // also deletes its interfaces (and so the veth peers elsewhere).
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// Joins `a` and `b` with a veth pair: interface `a_if` in `a`, `b_if` in
/// `b`, both up. Deleting either namespace removes the pair.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    run(Command::new("ip").args([
        "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ]));
    a.ip(&["link", "set", a_if, "up"]);
    b.ip(&["link", "set", b_if, "up"]);
}

/// Creates bridge `name` in `ns` with the interfaces `ports` of `ns` as its
/// ports, all up: a host's bridge for its virtual machines. Without
/// spanning tree and with multicast flooded (no snooping), it forwards at
/// once, neighbor discovery and router advertisements included.
pub fn bridge(ns: &Netns, name: &str, ports: &[&str]) {
    ns.ip(&[
        "link",
        "add",
        name,
        "type",
        "bridge",
        "stp_state",
        "0",
        "forward_delay",
        "0",
        "mcast_snooping",
        "0",
    ]);
    for port in ports {
        ns.ip(&["link", "set", port, "master", name]);
        ns.ip(&["link", "set", port, "up"]);
    }
    ns.ip(&["link", "set", name, "up"]);
}

/// A background process, killed and reaped when dropped.
#[derive(Debug)]
pub struct Process {
    child: Child,
}

impl Process {
    /// Starts `cmd` with its standard input closed.
    pub fn spawn(cmd: &mut Command) -> Process {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Process { child }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (a name such as `TERM` or `HUP`) to the process.
    pub fn signal(&self, signal: &str) {
        run(Command::new("kill").args([&format!("-{signal}"), &self.id().to_string()]));
    }

    /// Waits up to `timeout` for the process to exit; returns its exit
    /// status if it did.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The underlying child, to take its output pipes.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }
}

/// Checks that process `pid` runs as `user` and that user's group: its
/// real, effective, saved and file-system ids in `/proc/<pid>/status` are
/// those that `id` gives. The error says what the kernel holds.
pub fn runs_as(pid: u32, user: &str) -> Result<(), String> {
    let uid = run(Command::new("id").args(["-u", user]));
    let gid = run(Command::new("id").args(["-g", user]));
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("process {pid}: {e}"))?;
    for (field, want) in [("Uid:", uid.trim()), ("Gid:", gid.trim())] {
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .ok_or_else(|| format!("process {pid}: no {field} line"))?;
        let ids: Vec<&str> = line.split_whitespace().skip(1).collect();
        if ids.len() != 4 || ids.iter().any(|id| *id != want) {
            return Err(format!("process {pid}: {line}, not {user}'s {want}"));
        }
    }
    Ok(())
}

/// The value of `field` (such as `CapEff`) in `/proc/<pid>/status`.
pub fn proc_status(pid: u32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let value = l.strip_prefix(field)?.strip_prefix(':')?;
        Some(value.trim().to_owned())
    })
}

/// The arguments of util-linux's `setpriv` that start a program the way
/// systemd starts a unit with `DynamicUser=` and `AmbientCapabilities=`:
/// as user `nobody`, holding only `caps` (such as `net_raw,net_admin`).
/// Run `setpriv` with them, then the program and its arguments.
pub fn unit_setpriv_args(caps: &str) -> Vec<String> {
    let caps: Vec<String> = caps.split(',').map(|c| format!("+{c}")).collect();
    let caps = caps.join(",");
    vec![
        "--reuid=nobody".to_owned(),
        "--regid=nogroup".to_owned(),
        "--init-groups".to_owned(),
        format!("--inh-caps=-all,{caps}"),
        format!("--ambient-caps=-all,{caps}"),
        format!("--bounding-set=-all,{caps}"),
    ]
}

/// The launcher of [`unit_setpriv_args`] under strace, which writes every
/// system call of the program and its threads to `trace`: `strace`, then
/// its arguments, then `setpriv` and its own. Run the program after them;
/// [`traced_child`] finds its process, [`system_calls_outside`] checks
/// what it called.
pub fn traced_unit_launcher(caps: &str, trace: &Path) -> Vec<String> {
    let mut args: Vec<String> = ["strace", "-f", "-qq", "-o"].map(String::from).to_vec();
    args.push(trace.display().to_string());
    args.push("setpriv".to_owned());
    args.extend(unit_setpriv_args(caps));
    args
}

/// The process that process `pid` (such as strace) started, once it has.
pub fn traced_child(pid: u32) -> u32 {
    let mut child = None;
    wait_until(Duration::from_secs(10), || {
        child = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok());
        child.is_some()
    });
    child.unwrap_or_else(|| panic!("process {pid} started no program"))
}

/// The system calls that the `SystemCallFilter=` lines of systemd unit
/// file `unit` allow, with systemd's groups (`@system-service`...)
/// expanded by `systemd-analyze syscall-filter`. As systemd.exec(5) says,
/// the first line makes an allow list; later lines starting with `~`
/// take calls out, others put them back.
pub fn unit_allowed_system_calls(unit: &Path) -> std::collections::BTreeSet<String> {
    use std::collections::BTreeSet;
    fn expand(name: &str, out: &mut BTreeSet<String>) {
        if !name.starts_with('@') {
            out.insert(name.to_owned());
            return;
        }
        let text =
            run(Command::new("systemd-analyze").args(["syscall-filter", "--no-pager", name]));
        for line in text.lines().skip(1).map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                expand(line, out);
            }
        }
    }
    let text = std::fs::read_to_string(unit)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", unit.display()));
    let mut allowed = BTreeSet::new();
    for value in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("SystemCallFilter="))
    {
        let (remove, names) = match value.strip_prefix('~') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let mut set = BTreeSet::new();
        for name in names.split_whitespace() {
            expand(name, &mut set);
        }
        if remove {
            allowed.retain(|c| !set.contains(c));
        } else {
            allowed.extend(set);
        }
    }
    allowed
}

/// The system calls in strace's `trace` that the traced program made
/// (those after its last successful execve, so not its launchers') and
/// that are not in `allowed`.
pub fn system_calls_outside(
    trace: &Path,
    allowed: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let text = std::fs::read_to_string(trace)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", trace.display()));
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.contains(" execve(") && l.trim_end().ends_with("= 0"))
        .unwrap_or_else(|| panic!("no program started in {}", trace.display()));
    let mut outside: Vec<String> = lines[start + 1..]
        .iter()
        .filter_map(|l| {
            // "PID name(args) = result" or "PID <... name resumed>".
            let rest = l.split_once(' ')?.1.trim_start();
            let rest = rest.strip_prefix("<... ").unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .filter(|name| {
            // exit and exit_group are always allowed; strace also notes
            // restarts of interrupted calls.
            !matches!(name.as_str(), "exit" | "exit_group" | "restart_syscall")
                && !allowed.contains(name)
        })
        .collect();
    outside.sort();
    outside.dedup();
    outside
}

/// A stand-in for systemd's notification socket, for a daemon started
/// with `NOTIFY_SOCKET` set to its path.
#[derive(Debug)]
pub struct NotifySocket {
    sock: std::os::unix::net::UnixDatagram,
}

impl NotifySocket {
    /// Binds the socket at `path`, writable by all as systemd's is, so
    /// that a daemon that gave up root still reaches it.
    pub fn bind(path: &Path) -> NotifySocket {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::remove_file(path);
        let sock = std::os::unix::net::UnixDatagram::bind(path)
            .unwrap_or_else(|e| panic!("cannot bind {}: {e}", path.display()));
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        NotifySocket { sock }
    }

    /// The next message (such as `READY=1`), waiting up to ten seconds.
    pub fn recv(&self) -> Result<String, std::io::Error> {
        let mut buf = [0u8; 4096];
        loop {
            match self.sock.recv(&mut buf) {
                // A signal to the test process cuts the wait short.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
                Ok(n) => return Ok(String::from_utf8_lossy(&buf[..n]).into_owned()),
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_read_by_its_name_and_labels() {
        let text = "# TYPE x_total counter\nx_total{p=\"a\"} 3\nx_total{p=\"b\"} 5\n";
        assert_eq!(metric(text, "x_total{p=\"b\"}"), 5);
        assert_eq!(metric(text, "x_total{p=\"c\"}"), 0);
    }

    #[test]
    fn a_temporary_directory_is_removed_on_drop() {
        let dir = TempDir::new("v6kit-testkit");
        std::fs::write(dir.join("file"), "x").unwrap();
        let path = dir.path().to_owned();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn two_namespaces_ping_over_veth_and_are_removed() {
        if !root_or_skip("two_namespaces_ping_over_veth_and_are_removed", &["ping"]) {
            return;
        }
        let (a_name, b_name);
        {
            let a = Netns::new("a");
            let b = Netns::new("b");
            a_name = a.name().to_owned();
            b_name = b.name().to_owned();
            veth(&a, "eth0", &b, "eth0");
            a.ip(&["addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad"]);
            b.ip(&["addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad"]);
            let out = a.output("ping", &["-c", "1", "-W", "2", "2001:db8::2"]);
            assert!(out.status.success(), "{out:?}");
            let mut sleeper = b.spawn(b.command("sleep").arg("60"));
            assert!(sleeper.is_running());
        }
        let list = run(Command::new("ip").args(["netns", "list"]));
        assert!(!list.contains(&a_name) && !list.contains(&b_name), "{list}");
    }

    #[test]
    fn two_namespaces_ping_across_a_bridge() {
        if !root_or_skip("two_namespaces_ping_across_a_bridge", &["ping"]) {
            return;
        }
        let host = Netns::new("br");
        let a = Netns::new("a");
        let b = Netns::new("b");
        veth(&host, "port-a", &a, "eth0");
        veth(&host, "port-b", &b, "eth0");
        bridge(&host, "br0", &["port-a", "port-b"]);
        a.ip(&["addr", "add", "2001:db8::1/64", "dev", "eth0", "nodad"]);
        b.ip(&["addr", "add", "2001:db8::2/64", "dev", "eth0", "nodad"]);
        let up = wait_until(Duration::from_secs(5), || {
            a.output("ping", &["-c", "1", "-W", "1", "2001:db8::2"])
                .status
                .success()
        });
        assert!(up, "no answer across the bridge");
        let ports = host.ip(&["link", "show", "master", "br0"]);
        assert!(
            ports.contains("port-a") && ports.contains("port-b"),
            "{ports}"
        );
    }

    #[test]
    fn this_process_runs_as_its_own_user() {
        let me = run(Command::new("id").arg("-un"));
        runs_as(std::process::id(), me.trim()).unwrap();
        if is_root() {
            let e = runs_as(std::process::id(), "nobody").unwrap_err();
            assert!(e.contains("not nobody's"), "{e}");
        }
    }

    #[test]
    fn system_calls_are_those_after_the_program_started() {
        let trace = std::env::temp_dir().join(format!("testkit-{}.strace", std::process::id()));
        std::fs::write(
            &trace,
            "10 execve(\"/usr/bin/setpriv\", [\"setpriv\"], 0x1 /* 1 var */) = 0\n\
             10 setresuid(65534, 65534, -1)       = 0\n\
             10 execve(\"/x/v6rad\", [\"v6rad\"], 0x1 /* 1 var */) = 0\n\
             10 openat(AT_FDCWD, \"/etc/radvd.conf\", O_RDONLY) = 3\n\
             11 recvmsg(3,  <unfinished ...>\n\
             10 capset({_LINUX_CAPABILITY_VERSION_3, 0}, {}) = 0\n\
             11 <... recvmsg resumed>{...}, 0) = 80\n\
             10 --- SIGTERM {si_signo=SIGTERM} ---\n\
             10 exit_group(0)                     = ?\n",
        )
        .unwrap();
        let allowed = ["openat", "recvmsg"].map(String::from).into();
        let outside = system_calls_outside(&trace, &allowed);
        let _ = std::fs::remove_file(&trace);
        assert_eq!(outside, ["capset"]);
    }

    #[test]
    fn skip_is_refused_under_ci() {
        // Only meaningful where the test would be skipped.
        if is_root() {
            return;
        }
        let r = std::panic::catch_unwind(|| root_or_skip("x", &[]));
        assert_eq!(r.is_err(), under_ci());
    }
}
