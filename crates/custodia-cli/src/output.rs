//! Output that is complete or absent: a file is written beside its destination and renamed into
//! place only when everything succeeded, so a failed run never leaves half a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::Failure;

const BUFFER_BYTES: usize = 1 << 20;

/// Standard output, or a file committed atomically.
#[derive(Debug)]
pub(crate) enum AtomicOutput {
    /// Standard output, buffered.
    Stdout(BufWriter<std::io::Stdout>),
    /// A temporary file renamed to `target` by [`AtomicOutput::commit`].
    File { writer: Option<BufWriter<File>>, temp: PathBuf, target: PathBuf },
}

impl AtomicOutput {
    /// Output to `path`, or to standard output when `None`.
    pub(crate) fn new(path: Option<&Path>) -> Result<Self, Failure> {
        let Some(target) = path else {
            return Ok(Self::Stdout(BufWriter::with_capacity(BUFFER_BYTES, std::io::stdout())));
        };
        let name =
            target.file_name().ok_or_else(|| Failure::Input(format!("--out {}: not a file name", target.display())))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".tmp-{}", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = File::create(&temp)
            .map_err(|e| Failure::Input(format!("--out {}: cannot create: {e}", target.display())))?;
        Ok(Self::File {
            writer: Some(BufWriter::with_capacity(BUFFER_BYTES, file)),
            temp,
            target: target.to_path_buf(),
        })
    }

    /// Writes bytes.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        match self {
            Self::Stdout(w) => w.write_all(bytes)?,
            Self::File { writer: Some(w), .. } => w.write_all(bytes)?,
            Self::File { writer: None, .. } => {}
        }
        Ok(())
    }

    /// Flushes; for a file, syncs it and renames it into place.
    pub(crate) fn commit(mut self) -> Result<(), Failure> {
        match &mut self {
            Self::Stdout(w) => w.flush()?,
            Self::File { writer, temp, target } => {
                if let Some(w) = writer.take() {
                    let file = w.into_inner().map_err(|e| e.into_error())?;
                    file.sync_all()?;
                }
                std::fs::rename(&*temp, &*target)?;
            }
        }
        Ok(())
    }
}

/// For writers that take any `Write` (the persons export); a failure is the caller's to report.
impl Write for AtomicOutput {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::Stdout(w) => w.write(bytes),
            Self::File { writer: Some(w), .. } => w.write(bytes),
            Self::File { writer: None, .. } => Ok(bytes.len()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::Stdout(w) => w.flush(),
            Self::File { writer: Some(w), .. } => w.flush(),
            Self::File { writer: None, .. } => Ok(()),
        }
    }
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if let Self::File { writer: Some(_), temp, .. } = self {
            // Not committed: leave nothing behind.
            let _ = std::fs::remove_file(temp);
        }
    }
}
