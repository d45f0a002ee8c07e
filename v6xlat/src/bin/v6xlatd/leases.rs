//! The leases of the dynamic pool in `data-dir`, in Tayga's `dynamic.map`.

use std::io::{self, Write as _};
use std::path::Path;

use v6xlat::pool::{self, DynamicPool, LEASE_FILE};

/// Takes the leases saved in `dir` back into `pool`. A missing file is an
/// empty one; malformed lines are logged and skipped, as Tayga does.
pub(crate) fn load(dir: &Path, pool: &DynamicPool) -> io::Result<()> {
    let path = dir.join(LEASE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let (leases, errors) = pool::parse_leases(&text);
    for e in errors {
        tracing::warn!("{}:{e}; ignored", path.display());
    }
    let r = pool.restore(leases);
    tracing::info!(
        "loaded {} dynamic map(s) from {} ({} ignored)",
        r.loaded,
        path.display(),
        r.ignored
    );
    Ok(())
}

/// Writes the pool's leases to `dir`, through a temporary file renamed
/// over the old one so that a crash leaves one or the other whole.
pub(crate) fn save(dir: &Path, pool: &DynamicPool) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let text = pool::format_leases(&pool.leases());
    let tmp = dir.join(format!("{LEASE_FILE}~~"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(LEASE_FILE))
}
