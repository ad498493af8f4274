//! Local tooling: tables from the template, and local token keys. The table definitions live once, in `template.yaml`; this crate reads
//! them from there, so local tables and deployed tables cannot drift.

pub mod tables;

use std::path::PathBuf;

/// The repository's `template.yaml`.
pub fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("template.yaml")
}
