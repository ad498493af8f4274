//! Local tooling: the emulator of API Gateway and Lambda, tables from the template, and local
//! token keys. Routes and table definitions live once, in `template.yaml`; this crate reads
//! them from there, so the local stack and the deployed one cannot drift.

pub mod emulator;
pub mod tables;

use std::path::PathBuf;

/// The repository's `template.yaml`.
pub fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("template.yaml")
}
