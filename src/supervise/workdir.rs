//! A student's program runs in its own working folder: a fresh temporary copy of the folder
//! it came from, so that it cannot change the student's files, and whatever it writes goes
//! away with the run — also when the run is interrupted: a [`TempFolder`] is removed by its
//! drop, or by the Ctrl-C handler, which exits without running drops.

use std::io;
use std::path::Path;

/// Folders never copied from the student's folder: version control, caches, environments.
const SKIPPED: &[&str] = &[
    ".git",
    "__pycache__",
    "node_modules",
    "target",
    ".venv",
    "venv",
    ".idea",
];
/// The copy of the student's folder is bounded: a submission is a few files.
const MAX_FILES: usize = 2000;
const MAX_BYTES: u64 = 100 * 1024 * 1024;

/// A temporary folder, deleted when dropped or when Ctrl-C ends the process (an interrupted
/// `grade` of a class would otherwise leave a copy of every running submission in `/tmp`).
#[derive(Debug)]
pub struct TempFolder {
    folder: tempfile::TempDir,
}

impl TempFolder {
    /// A fresh empty folder in the system's temporary folder, its name starting with
    /// `prefix`.
    pub fn new(prefix: &str) -> io::Result<TempFolder> {
        let folder = tempfile::Builder::new().prefix(prefix).tempdir()?;
        super::registry::register_folder(folder.path());
        Ok(TempFolder { folder })
    }

    pub fn path(&self) -> &Path {
        self.folder.path()
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        super::registry::unregister_folder(self.folder.path());
    }
}

/// A fresh temporary folder (its name starts with `prefix`) holding a copy of `source`:
/// bounded; no version control, caches or environments; no symlinks, which could lead
/// anywhere. It is deleted when dropped.
pub fn working_copy(source: &Path, prefix: &str) -> io::Result<TempFolder> {
    let folder = TempFolder::new(prefix)?;
    let mut files = 0;
    let mut bytes = 0;
    copy_into(source, folder.path(), &mut files, &mut bytes)?;
    Ok(folder)
}

fn copy_into(source: &Path, target: &Path, files: &mut usize, bytes: &mut u64) -> io::Result<()> {
    for entry in std::fs::read_dir(source)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        if SKIPPED.iter().any(|s| name == *s) || kind.is_symlink() {
            continue;
        }
        let to = target.join(&name);
        if kind.is_dir() {
            std::fs::create_dir_all(&to)?;
            copy_into(&entry.path(), &to, files, bytes)?;
        } else if kind.is_file() {
            *files += 1;
            *bytes += entry.metadata()?.len();
            if *files > MAX_FILES || *bytes > MAX_BYTES {
                return Err(io::Error::other(format!(
                    "the folder holds more than {MAX_FILES} files or {} MiB: run httplab in the folder of your assignment",
                    MAX_BYTES >> 20
                )));
            }
            std::fs::copy(entry.path(), &to)?;
        }
    }
    Ok(())
}
