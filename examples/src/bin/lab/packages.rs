//! The programs the lab runs besides v6kit's own, and the Debian packages
//! that hold them: installed with apt-get when they are missing, as
//! `scripts/test.sh` does.

use std::process::Command;

use v6kit_testkit::which;

/// Each program the lab needs and the Debian package that has it.
const NEEDED: &[(&str, &str)] = &[
    ("ip", "iproute2"),
    ("ss", "iproute2"),
    ("sysctl", "procps"),
    ("kill", "procps"),
    ("nft", "nftables"),
    ("curl", "curl"),
    ("dig", "dnsutils"),
    ("openssl", "openssl"),
];

/// Makes sure every program of [`NEEDED`] is installed; returns what was
/// checked or done.
pub(crate) fn ensure() -> Result<Vec<String>, String> {
    let mut missing: Vec<&str> = NEEDED
        .iter()
        .filter(|(program, _)| which(program).is_none())
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    let programs: Vec<&str> = NEEDED.iter().map(|(p, _)| *p).collect();
    if missing.is_empty() {
        return Ok(vec![format!("installed: {}", programs.join(", "))]);
    }
    if which("apt-get").is_none() {
        return Err(format!(
            "missing: {} (the Debian packages; apt-get is not available to install them)",
            missing.join(" ")
        ));
    }
    println!("  installing {} with apt-get", missing.join(" "));
    apt_get(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt_get(&install)?;
    if let Some((program, package)) = NEEDED.iter().find(|(p, _)| which(p).is_none()) {
        return Err(format!(
            "{program} is still missing after installing {package}"
        ));
    }
    Ok(vec![
        format!("installed {} with apt-get", missing.join(" ")),
        format!("installed: {}", programs.join(", ")),
    ])
}

fn apt_get(args: &[&str]) -> Result<(), String> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("apt-get {} failed: {status}", args.join(" ")))
    }
}
