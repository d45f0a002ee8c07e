//! `--user NAME`: a daemon started as root opens what needs root (its TUN
//! device, raw and packet sockets, netlink, ports below 1024), then gives
//! up root for an unprivileged user, keeping only the capabilities it
//! still uses while it runs.
//!
//! The switch follows the order setuid(2) and capabilities(7) require:
//! the supplementary groups (initgroups(3)) and the group go first, while
//! the process may still change them; the user last. Real, effective and
//! saved ids all change, so root cannot be taken back. Capabilities the
//! daemon keeps survive the change of user through `PR_SET_KEEPCAPS`
//! (prctl(2)) and are then narrowed to exactly that set with capset(2);
//! the bounding set loses every other capability first, so that no program
//! the daemon might run gains them back.
//!
//! In two steps, so that a daemon rejects a bad `--user` before it starts
//! anything: [`Account::lookup`] when the arguments are read, and
//! [`drop_to`] once the privileged resources are open.

use std::collections::HashSet;
use std::ffi::CString;
use std::fmt;
use std::path::Path;

use caps::{CapSet, Capability as Cap};
use nix::unistd::{Gid, Group, Uid, User};

/// A capability a daemon may keep after giving up root (capabilities(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `CAP_NET_ADMIN`: routes, neighbor proxy entries, interface flags,
    /// sysctls under /proc/sys/net.
    NetAdmin,
    /// `CAP_NET_RAW`: raw and packet sockets.
    NetRaw,
    /// `CAP_NET_BIND_SERVICE`: binding ports below 1024.
    NetBindService,
}

impl Capability {
    fn to_caps(self) -> Cap {
        match self {
            Capability::NetAdmin => Cap::CAP_NET_ADMIN,
            Capability::NetRaw => Cap::CAP_NET_RAW,
            Capability::NetBindService => Cap::CAP_NET_BIND_SERVICE,
        }
    }
}

/// Why the daemon cannot switch to the user it was given.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// No such user in the system's user database.
    UnknownUser(String),
    /// No such group in the system's group database.
    UnknownGroup(String),
    /// Only root can switch to another user.
    NotRoot(String),
    /// The user database could not be read.
    Lookup(String, nix::Error),
    /// A system call of the switch failed; the process must not go on.
    Switch(&'static str, std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownUser(u) => write!(f, "--user {u}: no such user"),
            Error::UnknownGroup(g) => write!(f, "--group {g}: no such group"),
            Error::NotRoot(u) => write!(
                f,
                "--user {u}: only root can switch users (started as uid {})",
                Uid::effective()
            ),
            Error::Lookup(u, e) => write!(f, "--user {u}: cannot read the user database: {e}"),
            Error::Switch(what, e) => write!(f, "cannot switch users: {what}: {e}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether the error is in the arguments (exit status 2) rather than
    /// in the system.
    pub fn is_bad_argument(&self) -> bool {
        matches!(
            self,
            Error::UnknownUser(_) | Error::UnknownGroup(_) | Error::NotRoot(_)
        )
    }
}

/// The user (and group) to run as, looked up and checked.
#[derive(Debug, Clone)]
pub struct Account {
    name: CString,
    uid: Uid,
    gid: Gid,
}

impl Account {
    /// Looks up `user`, and `group` if given (otherwise the user's own
    /// group), and checks that this process may switch to them: it runs as
    /// root.
    pub fn lookup(user: &str, group: Option<&str>) -> Result<Account, Error> {
        let u = User::from_name(user)
            .map_err(|e| Error::Lookup(user.to_owned(), e))?
            .ok_or_else(|| Error::UnknownUser(user.to_owned()))?;
        let gid = match group {
            None => u.gid,
            Some(g) => {
                Group::from_name(g)
                    .map_err(|e| Error::Lookup(g.to_owned(), e))?
                    .ok_or_else(|| Error::UnknownGroup(g.to_owned()))?
                    .gid
            }
        };
        if !Uid::effective().is_root() {
            return Err(Error::NotRoot(user.to_owned()));
        }
        let name = CString::new(u.name).map_err(|_| Error::UnknownUser(user.to_owned()))?;
        Ok(Account {
            name,
            uid: u.uid,
            gid,
        })
    }

    /// Reads a daemon's `--user` argument, if given, as [`Account::lookup`]
    /// does; on failure prints `program: error` to stderr and gives the
    /// exit status of a bad argument, 2, for `main` to return.
    pub fn from_arg(
        program: &str,
        user: Option<&str>,
        group: Option<&str>,
    ) -> Result<Option<Account>, std::process::ExitCode> {
        user.map(|u| Account::lookup(u, group))
            .transpose()
            .map_err(|e| {
                eprintln!("{program}: {e}");
                std::process::ExitCode::from(2)
            })
    }

    /// The user's id.
    pub fn uid(&self) -> u32 {
        self.uid.as_raw()
    }

    /// The group's id.
    pub fn gid(&self) -> u32 {
        self.gid.as_raw()
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        self.name.to_str().unwrap_or_default()
    }

    /// Creates directory `dir` (and its missing parents) owned by this
    /// account, for a daemon that keeps its state there after [`drop_to`];
    /// a directory that exists is left as it is.
    pub fn create_dir(&self, dir: &Path) -> std::io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        std::os::unix::fs::chown(dir, Some(self.uid()), Some(self.gid()))
    }
}

/// Checks, after [`drop_to`], that the process may create and replace
/// files in directory `dir` (access(2) with `W_OK | X_OK`).
pub fn check_writable(dir: &Path) -> std::io::Result<()> {
    use nix::unistd::AccessFlags;
    nix::unistd::access(dir, AccessFlags::W_OK | AccessFlags::X_OK).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{}: {e} for user {} (make it writable by that user)",
                dir.display(),
                User::from_uid(Uid::effective())
                    .ok()
                    .flatten()
                    .map_or_else(|| Uid::effective().to_string(), |u| u.name)
            ),
        )
    })
}

/// Switches the whole process to `account` and keeps only the
/// capabilities in `keep`, effective and permitted.
///
/// The user and groups change in every thread (the C library passes the
/// change on to all of them), and threads that run at the time lose every
/// capability. The kept capabilities stay with the calling thread and the
/// threads it starts afterwards; so when `keep` is not empty, this must be
/// called while the process has only one thread, and it refuses otherwise.
pub fn drop_to(account: &Account, keep: &[Capability]) -> Result<(), Error> {
    let sys = |what: &'static str| move |e: nix::Error| Error::Switch(what, e.into());
    let keep: HashSet<Cap> = keep.iter().map(|c| c.to_caps()).collect();
    if !keep.is_empty() {
        single_threaded("kept only by")?;
        // While root may still do it: no capability outside `keep` can be
        // gained again by running a program.
        for c in caps::runtime::thread_all_supported() {
            if !keep.contains(&c) {
                caps::drop(None, CapSet::Bounding, c).map_err(caps_err("bounding set"))?;
            }
        }
        nix::sys::prctl::set_keepcaps(true).map_err(sys("PR_SET_KEEPCAPS"))?;
    }
    nix::unistd::initgroups(&account.name, account.gid).map_err(sys("initgroups"))?;
    let g = account.gid;
    nix::unistd::setresgid(g, g, g).map_err(sys("setresgid"))?;
    let u = account.uid;
    nix::unistd::setresuid(u, u, u).map_err(sys("setresuid"))?;
    if !keep.is_empty() {
        nix::sys::prctl::set_keepcaps(false).map_err(sys("PR_SET_KEEPCAPS"))?;
    }
    // Narrow the permitted set first: capset(2) refuses an effective set
    // larger than the permitted one.
    caps::clear(None, CapSet::Inheritable).map_err(caps_err("inheritable set"))?;
    caps::set(None, CapSet::Permitted, &keep).map_err(caps_err("permitted set"))?;
    caps::set(None, CapSet::Effective, &keep).map_err(caps_err("effective set"))?;
    // Root must be gone for good.
    if !u.is_root() && nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(Error::Switch("setuid", other("root could be regained")));
    }
    tracing::info!(
        "running as user {} (uid {}, gid {}){}",
        account.name(),
        u,
        g,
        if keep.is_empty() {
            String::new()
        } else {
            let mut names: Vec<String> = keep.iter().map(|c| c.to_string()).collect();
            names.sort();
            format!(", keeping {}", names.join(" "))
        }
    );
    Ok(())
}

/// Gives up what the daemon no longer needs once its privileged resources
/// are open, keeping the capabilities in `keep`: switches to `user` with
/// [`drop_to`] when there is one (`--user`), and otherwise narrows the
/// capabilities it was started with, with [`keep_only`].
pub fn give_up(user: Option<&Account>, keep: &[Capability]) -> Result<(), Error> {
    match user {
        Some(account) => drop_to(account, keep),
        None => keep_only(keep),
    }
}

/// For a daemon started without root but with capabilities (as systemd
/// starts a unit with `AmbientCapabilities=`): once the privileged
/// resources are open, keeps only the capabilities in `keep` and clears
/// the ambient and inheritable sets, so that no program it runs inherits
/// any. Root keeps its own, and a daemon that switches users uses
/// [`drop_to`] instead.
///
/// Capability sets belong to each thread (capabilities(7)): this narrows
/// those of the calling thread and of the threads it starts afterwards,
/// so it must be called before any other thread starts, and refuses to
/// run otherwise.
pub fn keep_only(keep: &[Capability]) -> Result<(), Error> {
    if Uid::effective().is_root() {
        return Ok(());
    }
    single_threaded("narrowed only in")?;
    let keep: HashSet<Cap> = keep.iter().map(|c| c.to_caps()).collect();
    let held = caps::read(None, CapSet::Permitted).map_err(caps_err("permitted set"))?;
    let kept: HashSet<Cap> = held.intersection(&keep).copied().collect();
    if caps::runtime::ambient_set_supported().is_ok() {
        caps::clear(None, CapSet::Ambient).map_err(caps_err("ambient set"))?;
    }
    caps::clear(None, CapSet::Inheritable).map_err(caps_err("inheritable set"))?;
    caps::set(None, CapSet::Effective, &kept).map_err(caps_err("effective set"))?;
    caps::set(None, CapSet::Permitted, &kept).map_err(caps_err("permitted set"))?;
    if held != kept {
        tracing::info!("gave up the capabilities it no longer needs");
    }
    Ok(())
}

/// Refuses to go on when the process runs more than one thread: a change
/// of capabilities reaches only the calling thread and those it starts
/// later. `how` completes "capabilities are ... a single-threaded process".
fn single_threaded(how: &str) -> Result<(), Error> {
    let threads = std::fs::read_dir("/proc/self/task")
        .map(Iterator::count)
        .map_err(|e| Error::Switch("/proc/self/task", e))?;
    if threads > 1 {
        return Err(Error::Switch(
            "capabilities",
            other(format!(
                "{threads} threads run; capabilities are {how} a single-threaded process"
            )),
        ));
    }
    Ok(())
}

/// Maps a failed change of the capability set `what` to [`Error::Switch`].
fn caps_err(what: &'static str) -> impl Fn(caps::errors::CapsError) -> Error {
    move |e| Error::Switch(what, other(e))
}

fn other(e: impl ToString) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_user_argument_exits_with_status_2() {
        let code = Account::from_arg("daemon", Some("no-such-user-v6kit"), None).unwrap_err();
        assert_eq!(code, std::process::ExitCode::from(2));
        assert!(Account::from_arg("daemon", None, None).unwrap().is_none());
    }

    #[test]
    fn an_unknown_user_is_a_bad_argument_naming_it() {
        let e = Account::lookup("no-such-user-v6kit", None).unwrap_err();
        assert!(e.is_bad_argument());
        assert_eq!(e.to_string(), "--user no-such-user-v6kit: no such user");
        let e = Account::lookup("root", Some("no-such-group-v6kit")).unwrap_err();
        assert!(e.is_bad_argument());
        assert_eq!(e.to_string(), "--group no-such-group-v6kit: no such group");
    }

    #[test]
    fn a_known_user_is_looked_up_or_refused_without_root() {
        match Account::lookup("root", None) {
            Ok(a) => {
                assert!(Uid::effective().is_root());
                assert_eq!((a.uid(), a.gid(), a.name()), (0, 0, "root"));
            }
            Err(e) => {
                assert!(!Uid::effective().is_root());
                assert!(e.is_bad_argument());
                assert!(e.to_string().starts_with("--user root: only root"), "{e}");
            }
        }
    }
}
