//! Why a run of `v6` failed, and the exit status each reason gives.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// A failed run of `v6`.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The user's input was wrong: a message naming the bad token and why.
    /// Exit status 2, like a usage error.
    Input(String),
    /// Reading input or writing output failed.
    Io(io::Error),
}

impl Failure {
    /// An input failure for `token`, which should have been a `what`.
    pub(crate) fn invalid(what: &str, token: &str, why: impl fmt::Display) -> Self {
        Failure::Input(format!("invalid {what} {token:?}: {why}"))
    }

    /// The exit status for this failure; broken pipes are not failures of
    /// the command (the reader went away, as `v6 split … | head` does).
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Failure::Input(_) => ExitCode::from(2),
            Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Failure::Io(_) => ExitCode::FAILURE,
        }
    }

    /// The one line to print on stderr, or `None` for a broken pipe.
    pub(crate) fn message(&self) -> Option<String> {
        match self {
            Failure::Input(m) => Some(m.clone()),
            Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => None,
            Failure::Io(e) => Some(format!("I/O error: {e}")),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Io(e.into())
    }
}
