//! The daemons the lab runs are binaries of other packages of the
//! workspace: it takes them from the directory it was built into, and
//! builds them there with cargo (same profile) when it was started by
//! cargo — so they are never older than the source — or when they are
//! missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Each binary and the package that builds it.
const BINARIES: &[(&str, &str)] = &[
    ("v6rad", "v6ra"),
    ("v6dns64d", "v6dns64"),
    ("v6xlatd", "v6xlat"),
    ("v6proxyd", "v6proxy"),
    ("v6", "v6cli"),
];

/// Where each program of the lab is.
#[derive(Debug)]
pub(crate) struct Binaries {
    /// The `v6` command.
    pub(crate) v6: PathBuf,
    /// The router advertisement daemon.
    pub(crate) v6rad: PathBuf,
    /// The DNS64 server.
    pub(crate) v6dns64d: PathBuf,
    /// The NAT64 translator.
    pub(crate) v6xlatd: PathBuf,
    /// The relay and NDP proxy.
    pub(crate) v6proxyd: PathBuf,
    /// The lab itself, which also serves the web sites.
    pub(crate) lab: PathBuf,
}

/// Finds the daemons next to the lab's executable, building them first
/// unless `no_build`; returns them and what was done.
pub(crate) fn find_or_build(no_build: bool) -> Result<(Binaries, Vec<String>), String> {
    let lab = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| format!("cannot find the lab's own executable: {e}"))?;
    let dir = lab
        .parent()
        .ok_or("the lab's executable has no directory")?;
    let missing: Vec<&str> = BINARIES
        .iter()
        .map(|(bin, _)| *bin)
        .filter(|bin| !dir.join(bin).is_file())
        .collect();
    let started_by_cargo = std::env::var_os("CARGO").is_some();
    let mut how = "as they were";
    if !no_build && (started_by_cargo || !missing.is_empty()) {
        match build_command(dir) {
            Some(mut cmd) => {
                let line = describe(&cmd);
                println!("  {line}");
                let status = cmd
                    .status()
                    .map_err(|e| format!("cannot run {line}: {e}"))?;
                if !status.success() {
                    return Err(format!("{line} failed: {status}"));
                }
                how = "built or up to date";
            }
            None if missing.is_empty() => {}
            None => {
                return Err(format!(
                    "{} not in {} and cargo or the workspace is not available to build them",
                    missing.join(", "),
                    dir.display()
                ));
            }
        }
    }
    let find = |bin: &str| {
        let path = dir.join(bin);
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{bin} is not in {}", dir.display()))
        }
    };
    let binaries = Binaries {
        v6: find("v6")?,
        v6rad: find("v6rad")?,
        v6dns64d: find("v6dns64d")?,
        v6xlatd: find("v6xlatd")?,
        v6proxyd: find("v6proxyd")?,
        lab: lab.clone(),
    };
    let names: Vec<&str> = BINARIES.iter().map(|(bin, _)| *bin).collect();
    let found = format!("{}: {} ({how})", dir.display(), names.join(", "));
    Ok((binaries, vec![found]))
}

/// `cargo build` of the daemons in the profile of directory `dir`
/// (`target/release` → `--release`), or `None` when cargo or the
/// workspace's source cannot be found.
fn build_command(dir: &Path) -> Option<Command> {
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .or_else(|| v6kit_testkit::which("cargo"))?;
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()?
        .join("Cargo.toml");
    if !manifest.is_file() {
        return None;
    }
    let mut cmd = Command::new(cargo);
    cmd.arg("build").arg("--manifest-path").arg(manifest);
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(profile) => {
            cmd.args(["--profile", profile]);
        }
        None => return None,
    }
    for (bin, package) in BINARIES {
        cmd.args(["-p", package, "--bin", bin]);
    }
    Some(cmd)
}

/// The command line, with the program's name only.
fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    format!("{program} {}", args.join(" "))
}
