//! The fuzz targets' invariants on every commit: each file of the checked-in seed corpus
//! (`tests/fuzz/seeds/<target>/`) is replayed through the same checks the fuzzer runs
//! (`tests/fuzz/src/lib.rs`, included here as a module), and every input a fuzzer found a
//! bug with is a test of its own below, its bytes inline.

#[path = "fuzz/src/lib.rs"]
mod fuzz;

use std::path::Path;

/// Runs the fuzz target called `target` (through `fuzz::run`, by its name) on every file of
/// `tests/fuzz/seeds/<target>/`, naming the one that fails.
fn replay(target: &str) {
    replay_with(target, |data| fuzz::run(target, data));
}

/// Runs `check` on every file of `tests/fuzz/seeds/<target>/`, naming the one that fails.
fn replay_with(target: &str, check: impl Fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
        assert!(
            outcome.is_ok(),
            "seed {} breaks an invariant",
            file.display()
        );
    }
}

#[test]
fn every_target_has_seeds() {
    for target in fuzz::TARGETS {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fuzz/seeds")
                .join(target)
                .is_dir(),
            "tests/fuzz/seeds/{target}/ is missing"
        );
    }
}

#[test]
fn parse_seeds() {
    replay("parse");
}

#[test]
fn respond_seeds() {
    replay("respond");
}

#[test]
fn request_seeds() {
    replay("request");
}

#[test]
fn path_seeds() {
    replay("path");
}

#[test]
fn disk_seeds() {
    // A trap of its own, removed at the end (the fuzzer's stays for the process's life).
    let trap = fuzz::make_trap();
    replay_with("disk", |data| fuzz::disk_in(&trap, data));
}
