//! End-to-end: the lab, run as an operator runs it, passes every step and
//! leaves nothing behind — after a normal run and after a signal. Needs
//! root (network namespaces); skipped without it, failing under CI.
//!
//! Under `cargo test --workspace` the daemons were built beside the lab
//! by the same command, so the lab is told to use them as they are
//! (`--no-build`) rather than run cargo again; when one is missing it
//! builds them itself.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use v6kit_testkit::{Process, root_or_skip, run};

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Every step the lab prints, in order.
const STEPS: [&str; 10] = [
    "install what the lab needs",
    "build the daemons",
    "build the host, the VM, the internet and the client",
    "start the daemons",
    "the VM hears the router advertisement",
    "the VM's address is the EUI-64 address v6 eui64 computes",
    "the VM resolves an IPv4-only name through DNS64",
    "the VM fetches a page from the IPv4-only server through NAT64",
    "the IPv4-only client fetches the VM's site through the relay",
    "the IPv4-only client reaches the VM's HTTPS site through the relay",
];

fn lab() -> Command {
    let mut cmd = Command::new(LAB);
    let dir = Path::new(LAB).parent().unwrap();
    if ["v6", "v6rad", "v6dns64d", "v6xlatd", "v6proxyd"]
        .iter()
        .all(|bin| dir.join(bin).is_file())
    {
        cmd.arg("--no-build");
    }
    cmd
}

/// The run's process id, from the lab's first line.
fn run_id(stdout: &str) -> String {
    stdout
        .split("(run ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("the first line names the run")
        .to_owned()
}

/// Fails if anything of run `id` is left: a namespace, its files.
fn assert_nothing_left(id: &str) {
    let list = run(Command::new("ip").args(["netns", "list"]));
    let tag = format!("-{id}-");
    assert!(
        !list
            .lines()
            .any(|l| l.starts_with("v6k-") && l.contains(&tag)),
        "namespaces left behind: {list}"
    );
    let dir = std::env::temp_dir().join(format!("v6kit-lab-{id}"));
    assert!(!dir.exists(), "{} left behind", dir.display());
    if let Ok(entries) = std::fs::read_dir("/etc/netns") {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(!name.contains(&tag), "/etc/netns/{name} left behind");
        }
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_lab_passes_every_step_and_removes_everything() {
    if !root_or_skip("the_lab_passes_every_step_and_removes_everything", &[]) {
        return;
    }
    let out = lab().stdin(Stdio::null()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{}\n{stdout}\n{stderr}", out.status);
    // Each step's title, what it checked, then "ok".
    let blocks: Vec<&str> = stdout.split("\n[").skip(1).collect();
    assert_eq!(blocks.len(), STEPS.len(), "{stdout}");
    for (i, (block, step)) in blocks.iter().zip(STEPS).enumerate() {
        let title = format!("{}/{}] {step}\n", i + 1, STEPS.len());
        assert!(block.starts_with(&title), "step {}: {block}", i + 1);
        let lines: Vec<&str> = block.lines().collect();
        let ok = lines.iter().position(|l| *l == "  ok");
        assert!(
            ok.is_some_and(|ok| ok >= 2),
            "step {} says what it checked, then ok: {block}",
            i + 1
        );
    }
    assert!(stdout.contains("all 10 steps passed"), "{stdout}");
    // What the steps found, as the issue of each path asks.
    for found in [
        "2001:db8:1:0:5054:ff:fe12:3456/64 from the advertisement (SLAAC): the same",
        "answer: 64:ff9b::c058:6350",
        "your address is 192.0.2.1\"",
        "your address is 2001:db8:1::1\"",
        "and verified the certificate of www.vm.example",
    ] {
        assert!(stdout.contains(found), "{found}: {stdout}");
    }
    assert_nothing_left(&run_id(&stdout));
}

#[test]
fn a_kept_lab_is_removed_at_sigterm() {
    if !root_or_skip("a_kept_lab_is_removed_at_sigterm", &[]) {
        return;
    }
    let mut cmd = lab();
    cmd.arg("--keep")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut lab = Process::spawn(&mut cmd);
    let stdout = lab.child_mut().stdout.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("press Ctrl-C") {
            break;
        }
    }
    assert!(seen.contains("all 10 steps passed"), "{seen}");
    let id = run_id(&seen);
    let vm = format!("v6k-vm-{id}-1");
    assert!(
        seen.contains(&format!("ip netns exec {vm} bash")),
        "how to enter the VM: {seen}"
    );
    // The lab is still up: the VM reaches the IPv4-only server by name.
    let page = run(Command::new("ip").args([
        "netns",
        "exec",
        &vm,
        "curl",
        "-sS",
        "-m",
        "10",
        "http://www.ipv4only.example/",
    ]));
    assert!(page.contains("the IPv4-only server"), "{page}");

    lab.signal("TERM");
    let status = lab
        .wait_timeout(Duration::from_secs(20))
        .expect("the lab exits");
    assert_eq!(status.code(), Some(130), "{status}");
    assert_nothing_left(&id);
}

#[test]
fn a_bad_argument_exits_2() {
    let out = Command::new(LAB).arg("--bogus").output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--bogus"), "{stderr}");
}

#[test]
fn without_root_it_exits_2_and_says_why() {
    if !root_or_skip("without_root_it_exits_2_and_says_why", &["setpriv"]) {
        return;
    }
    // A copy that user 65534 may run wherever the checkout is.
    let dir = std::env::temp_dir().join(format!("v6kit-lab-noroot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("lab");
    std::fs::copy(LAB, &copy).unwrap();
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&copy)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = out.unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("needs root"), "{stderr}");
    assert!(stdout.is_empty(), "nothing was started: {stdout}");
}
