//! Access to the shared benchmark sets (GSM8K, SVAMP, MATH-500, Game of 24).
//!
//! They are read from `$THINKSCALE_DATA`, by default `../shared/data` beside the repository, and
//! never copied into it. A missing file fails the test loudly: these tests must not pass vacuously.

use std::path::PathBuf;

/// The data directory.
pub(crate) fn dir() -> PathBuf {
    std::env::var_os("THINKSCALE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

/// The rows of a JSON-lines file.
pub(crate) fn jsonl(name: &str) -> Vec<serde_json::Value> {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); set THINKSCALE_DATA to the shared data directory",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
