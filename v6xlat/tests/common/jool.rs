//! Reading Jool's graybox vectors: `pairs.tsv`, the packets, and the
//! byte-by-byte comparison with ignored offsets that upstream's harness
//! does. The vectors are GPL-2.0 data kept outside this repository, in
//! `../shared/conformance/jool-graybox/`; a test fails when they are
//! missing rather than passing vacuously.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Where the vectors are.
pub const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/conformance/jool-graybox"
);

/// One row of `pairs.tsv`.
pub struct Pair {
    /// The test group (`udp64`, `ptb`, `7915` ...).
    pub group: String,
    /// The node that sends the input (`n6`, `n4`, `n4+n6`).
    pub send_from: String,
    /// The node that receives the expected packets.
    pub expect_at: String,
    /// The input file(s); several are joined by " then ".
    pub input: String,
    /// The expected files, in arrival order.
    pub expected: Vec<String>,
    /// Byte offsets that may differ.
    pub ignore: BTreeSet<usize>,
    /// The configuration change from the baseline, or a note.
    pub delta: String,
}

/// The rows of `suite` (`siit` or `nat64`), in the order upstream runs them.
pub fn pairs(dir: &Path, suite: &str) -> Vec<Pair> {
    let tsv = dir.join("pairs.tsv");
    let text = fs::read_to_string(&tsv)
        .unwrap_or_else(|e| panic!("the Jool vectors are missing ({}: {e})", tsv.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c[0] == suite)
        .map(|c| {
            assert_eq!(c.len(), 8, "pairs.tsv row with {} columns: {c:?}", c.len());
            let ignore = if c[6] == "-" {
                BTreeSet::new()
            } else {
                c[6].split(',').map(|o| o.parse().unwrap()).collect()
            };
            Pair {
                group: c[1].to_owned(),
                send_from: c[2].to_owned(),
                expect_at: c[3].to_owned(),
                input: c[4].to_owned(),
                expected: c[5].split(';').map(str::to_owned).collect(),
                ignore,
                delta: c[7].to_owned(),
            }
        })
        .collect()
}

/// A vector file.
pub fn read(dir: &Path, name: &str) -> Vec<u8> {
    let path: PathBuf = dir.join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compares what arrived with the expected files of `pair`, as upstream's
/// receiver does: same count, same lengths, same bytes except the ignored
/// offsets.
pub fn compare(dir: &Path, pair: &Pair, got: &[&[u8]]) -> Result<(), String> {
    if got.len() != pair.expected.len() {
        return Err(format!(
            "{} packet(s) instead of {}",
            got.len(),
            pair.expected.len()
        ));
    }
    for (i, (got, name)) in got.iter().zip(&pair.expected).enumerate() {
        let want = read(dir, name);
        if got.len() != want.len() {
            return Err(format!(
                "packet {i}: {} bytes instead of {}",
                got.len(),
                want.len()
            ));
        }
        let diff: Vec<usize> = (0..want.len())
            .filter(|o| got[*o] != want[*o] && !pair.ignore.contains(o))
            .collect();
        if !diff.is_empty() {
            let shown: Vec<String> = diff
                .iter()
                .take(8)
                .map(|&o| format!("{o}: {:02x} not {:02x}", got[o], want[o]))
                .collect();
            return Err(format!(
                "packet {i}: {} byte(s) differ: {}",
                diff.len(),
                shown.join(", ")
            ));
        }
    }
    Ok(())
}

/// Checks the failed rows of a run, as (input, expected files, reason),
/// against those `allowed` to fail: every failure must be allowed, and
/// every allowed failure must still fail, so that the list cannot go stale.
pub fn check_failures(failures: &[(String, String, String)], allowed: &[(&str, &str, &str)]) {
    let unexpected: Vec<_> = failures
        .iter()
        .filter(|(i, e, _)| !allowed.iter().any(|(ai, ae, _)| ai == i && ae == e))
        .collect();
    let stale: Vec<_> = allowed
        .iter()
        .filter(|(ai, ae, _)| !failures.iter().any(|(i, e, _)| ai == i && ae == e))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected failures: {unexpected:#?}"
    );
    assert!(
        stale.is_empty(),
        "allowed failures that now pass: {stale:#?}"
    );
}
