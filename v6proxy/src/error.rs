//! The crate's errors.

use std::fmt;

/// Why a relay configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line of the configuration (or a command-line flag) is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A bad configuration line or flag, with where it came from and the token
/// that is wrong.
///
/// Displayed as `file:line: token: reason` for a file, and as
/// `--flag: token: reason` for a command-line flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or the flag (such as `--route`) the line came from.
    pub source: String,
    /// The line number in the file (from 1); 0 for a flag.
    pub line: usize,
    /// The offending token.
    pub token: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: ", self.source, self.line)?;
        } else {
            write!(f, "{}: ", self.source)?;
        }
        write!(f, "{:?}: {}", self.token, self.reason)
    }
}

impl std::error::Error for ConfigError {}
