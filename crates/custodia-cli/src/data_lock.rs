//! The lock of a data directory: `DATA_DIR/.lock`, held exclusively by `custodia serve` and
//! `custodia demo` for as long as they run, so `demo --reset` never deletes a register that
//! another process still serves. The operating system releases the lock when the process ends,
//! however it ends, so a crash leaves no stale lock behind.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::Failure;

/// The lock file's name inside the data directory.
pub(crate) const LOCK_FILE: &str = ".lock";

/// An exclusive lock on a data directory, released when dropped.
#[derive(Debug)]
pub(crate) struct DataDirLock {
    // Held open only to keep the lock.
    _file: File,
}

/// Takes the lock of `dir`, which must exist. Another process holding it is an error (exit 1)
/// naming the directory.
pub(crate) fn lock(dir: &Path) -> Result<DataDirLock, Failure> {
    let path: PathBuf = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Failure::Other(anyhow::anyhow!("cannot open the lock file {}: {e}", path.display())))?;
    // Called through the trait: newer toolchains have an inherent `File::try_lock` of their own.
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(fs4::TryLockError::WouldBlock) => Err(Failure::Other(anyhow::anyhow!(
            "{} is in use: another process (a running `custodia serve` or `custodia demo`) holds its lock {}",
            dir.display(),
            path.display()
        ))),
        Err(fs4::TryLockError::Error(e)) => Err(Failure::Other(anyhow::anyhow!("cannot lock {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_of_the_same_directory_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("custodia-lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = lock(&dir).unwrap();
        let Err(Failure::Other(e)) = lock(&dir) else { panic!("a second lock was granted") };
        assert!(e.to_string().contains("is in use"), "{e}");
        drop(first);
        assert!(lock(&dir).is_ok(), "the lock is free again");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
