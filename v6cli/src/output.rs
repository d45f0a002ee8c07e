//! Writing results: one buffered stdout for every subcommand, in human or
//! JSON form.
//!
//! Human output is either bare lines (one value per line, for scripts) or a
//! table of `name  value` rows. JSON output is one document per run, written
//! with serde_json; `v6 split` streams its array through [`JsonArray`].

use std::io::{self, BufWriter, StdoutLock, Write};

use serde::Serialize;

/// The size of the stdout buffer: large, so that `v6 split` makes few
/// write calls.
const BUFFER: usize = 256 * 1024;

/// Buffered standard output and the format the user asked for.
pub(crate) struct Output {
    out: BufWriter<StdoutLock<'static>>,
    json: bool,
}

impl Output {
    /// Locks stdout; `json` selects JSON output.
    pub(crate) fn new(json: bool) -> Self {
        Output {
            out: BufWriter::with_capacity(BUFFER, io::stdout().lock()),
            json,
        }
    }

    /// Whether the user asked for JSON (`--json`).
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// The underlying writer, for output that is formatted by hand.
    pub(crate) fn writer(&mut self) -> &mut impl Write {
        &mut self.out
    }

    /// Writes one line of text.
    pub(crate) fn line(&mut self, text: impl std::fmt::Display) -> io::Result<()> {
        writeln!(self.out, "{text}")
    }

    /// Writes `value` as a pretty-printed JSON document and a newline.
    pub(crate) fn json(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    /// Writes rows of `name  value`, the names padded to one column.
    pub(crate) fn table(&mut self, rows: &[(&str, String)]) -> io::Result<()> {
        let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, value) in rows {
            writeln!(self.out, "{name:<width$}  {value}")?;
        }
        Ok(())
    }

    /// Flushes what is still buffered; errors here are reported, not lost
    /// as they would be when the buffer is dropped.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A JSON array written one element at a time, so that a long list is never
/// held in memory.
pub(crate) struct JsonArray<'a, W: Write> {
    out: &'a mut W,
    empty: bool,
}

impl<'a, W: Write> JsonArray<'a, W> {
    /// Writes the opening bracket.
    pub(crate) fn start(out: &'a mut W) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(JsonArray { out, empty: true })
    }

    /// Writes one element, on a line of its own.
    pub(crate) fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.empty { b"\n  " } else { b",\n  " })?;
        self.empty = false;
        serde_json::to_writer(&mut *self.out, value)?;
        Ok(())
    }

    /// Writes the closing bracket and a newline.
    pub(crate) fn finish(self) -> io::Result<()> {
        self.out
            .write_all(if self.empty { b"]\n" } else { b"\n]\n" })
    }
}
