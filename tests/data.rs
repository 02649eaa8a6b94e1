//! Access to the shared benchmark sets (GSM8K, SVAMP, MATH-500, Game of 24).
//!
//! They are read from `$THINKSCALE_DATA`, by default `../shared/data` beside the repository (or
//! `/work/shared/data` when the checkout lives elsewhere), and never copied into it. A missing file
//! fails the test loudly: these tests must not pass vacuously.

use std::path::PathBuf;

/// The data directory: `$THINKSCALE_DATA`, else `shared/data` beside the repository.
pub(crate) fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("THINKSCALE_DATA") {
        return PathBuf::from(dir);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let workplace = PathBuf::from("/work/shared/data");
    if !beside.exists() && workplace.exists() { workplace } else { beside }
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
