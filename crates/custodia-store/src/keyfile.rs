//! The journal signing key on disk: 64 hex digits of a 32-byte Ed25519 seed, created on first use
//! with owner-only permissions. Shared by the command line and the server.

use std::io::Write;
use std::path::Path;

/// File in the data directory holding the journal signing key.
pub const KEY_FILE: &str = "journal-signing.key";

/// Why the key cannot be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file is not 64 hex digits.
    #[error("{0}: signing key must be 64 hex digits (a 32-byte Ed25519 seed)")]
    Malformed(String),
    /// Reading or writing failed.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// No randomness.
    #[error("no system randomness: {0}")]
    Random(String),
}

fn parse_seed(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let hex = std::str::from_utf8(pair).ok()?;
        *seed.get_mut(i)? = u8::from_str_radix(hex, 16).ok()?;
    }
    Some(seed)
}

/// Reads the seed at `path`; when the file does not exist and `create` is true, generates one.
pub fn load_or_create(path: &Path, create: bool) -> Result<[u8; 32], KeyError> {
    let shown = || path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => parse_seed(text.trim()).ok_or_else(|| KeyError::Malformed(shown())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => generate(path),
        Err(e) => Err(KeyError::Io(shown(), e)),
    }
}

fn generate(path: &Path) -> Result<[u8; 32], KeyError> {
    let io = |e| KeyError::Io(path.display().to_string(), e);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(format!("{hex}\n").as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(seed)
}
