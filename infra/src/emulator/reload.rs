//! Hot reload: the functions' sources are polled once a second (a few hundred files, so no
//! file-watch limits to hit), and a change makes each function rebuild on its next call.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The sources the function binaries are built from, and how to rebuild one.
pub struct Sources {
    root: PathBuf,
    generation: AtomicU64,
    /// One cargo at a time: concurrent builds would only wait on cargo's own lock.
    building: tokio::sync::Mutex<()>,
}

/// What is polled, relative to the workspace root: the code of every function.
const WATCHED: [&str; 4] = ["functions", "shared", "Cargo.toml", "Cargo.lock"];

impl Sources {
    /// Sources under `root`, assumed built as they are now (`make dev` builds every function
    /// before the emulator starts).
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            generation: AtomicU64::new(0),
            building: tokio::sync::Mutex::new(()),
        }
    }

    /// Bumped on every change seen.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Polls the sources until the process ends.
    pub async fn watch(&self) {
        let mut last = fingerprint(&self.root);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = fingerprint(&self.root);
            if now != last {
                last = now;
                self.generation.fetch_add(1, Ordering::SeqCst);
                tracing::info!("sources changed: each function is rebuilt on its next call");
            }
        }
    }

    /// `cargo build` of one function binary; its output goes to the emulator's log.
    pub async fn build(&self, function: &str) -> bool {
        let _one_at_a_time = self.building.lock().await;
        tracing::info!(function, "building");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = tokio::process::Command::new(cargo)
            .current_dir(&self.root)
            .args(["build", "--quiet", "-p", "functions", "--bin", function])
            .status()
            .await;
        match status {
            Ok(status) if status.success() => true,
            other => {
                tracing::error!(function, status = ?other, "build failed; the function answers 500 until it builds");
                false
            }
        }
    }
}

/// A hash of every watched file's path, size and modification time.
fn fingerprint(root: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    for entry in WATCHED {
        visit(&root.join(entry), &mut hasher);
    }
    hasher.finish()
}

fn visit(path: &Path, hasher: &mut DefaultHasher) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    if metadata.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        children.sort();
        for child in children {
            let hidden = child
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden {
                visit(&child, hasher);
            }
        }
    } else {
        path.hash(hasher);
        metadata.len().hash(hasher);
        metadata.modified().ok().hash(hasher);
    }
}
