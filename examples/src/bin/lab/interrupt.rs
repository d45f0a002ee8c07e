//! Ctrl-C, SIGTERM and SIGHUP: whatever the lab is doing, it stops and
//! removes everything it created.
//!
//! The signal stops every process inside the lab's namespaces at once, so
//! that the step in progress fails quickly; the main thread then sees
//! [`interrupted`] and drops the lab as after any failure. Should it not
//! have finished 20 seconds later (or at a second signal), this thread
//! deletes the namespaces and files itself and exits.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static NAMESPACES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The exit status after an interruption (128 + SIGINT, as shells report it).
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

/// Whether a signal asked the lab to stop.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Remembers namespace `name`, to be emptied and deleted on a signal.
pub(crate) fn track_namespace(name: &str) {
    lock(&NAMESPACES).push(name.to_owned());
}

/// Remembers a file or directory the lab wrote, to be removed on a signal.
pub(crate) fn track_path(path: PathBuf) {
    lock(&PATHS).push(path);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts watching for SIGINT, SIGTERM and SIGHUP; the receiver gets a
/// message at the first one.
pub(crate) fn watch() -> std::io::Result<Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Registered here, before the lab creates anything.
    let (mut int, mut term, mut hup) = runtime.block_on(async {
        Ok::<_, std::io::Error>((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        ))
    })?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            stop_everything(&tx);
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
                _ = tokio::time::sleep(Duration::from_secs(20)) => {}
            }
            remove_everything();
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        })
    });
    Ok(rx)
}

/// Kills every process in the lab's namespaces and tells the main thread.
fn stop_everything(tx: &Sender<()>) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    eprintln!("\nlab: interrupted; removing the lab");
    for ns in lock(&NAMESPACES).iter() {
        kill_all_in(ns);
    }
    let _ = tx.send(());
}

fn kill_all_in(ns: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let _ = Command::new("kill").args(["-9", pid]).status();
        }
    }
}

/// The last resort when the main thread did not clean up in time.
fn remove_everything() {
    for ns in lock(&NAMESPACES).iter() {
        kill_all_in(ns);
        let _ = Command::new("ip").args(["netns", "del", ns]).status();
    }
    for path in lock(&PATHS).iter() {
        let _ = std::fs::remove_dir_all(path);
    }
}
