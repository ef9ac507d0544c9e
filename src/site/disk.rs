//! A real folder on disk, served read-only, never outside its root.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Entry, FileContent, FileData, FileView, FolderEntry, Forbidden, SitePath, ViewError};

/// Serves the folder `root`. Every path is resolved (symlinks included) and must still lie
/// inside the canonical root, so a symlink cannot lead a client out of it.
#[derive(Clone, Debug)]
pub struct DiskView {
    root: PathBuf,
}

impl DiskView {
    /// Opens a view of `root`, which must be an existing folder.
    pub fn new(root: impl AsRef<Path>) -> io::Result<DiskView> {
        let root = fs::canonicalize(root.as_ref())?;
        if !fs::metadata(&root)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::NotADirectory, "not a folder"));
        }
        Ok(DiskView { root })
    }

    /// The canonical root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path `path` names, after symlinks, checked to be inside the root.
    fn locate(&self, path: &SitePath) -> Result<PathBuf, ViewError> {
        let mut joined = self.root.clone();
        for segment in path.segments() {
            joined.push(OsStr::from_bytes(segment));
        }
        let real = fs::canonicalize(&joined).map_err(|e| classify(&e))?;
        if !real.starts_with(&self.root) {
            return Err(ViewError::Forbidden(Forbidden::OutsideRoot));
        }
        Ok(real)
    }
}

/// Maps an I/O error to what the client is told.
fn classify(error: &io::Error) -> ViewError {
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::InvalidFilename => {
            ViewError::NotFound
        }
        // ELOOP: a symlink cycle names nothing that can be served.
        _ if error.raw_os_error() == Some(libc::ELOOP) => ViewError::NotFound,
        io::ErrorKind::PermissionDenied => ViewError::Forbidden(Forbidden::PermissionDenied),
        _ => ViewError::Unavailable(error.to_string()),
    }
}

impl FileView for DiskView {
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError> {
        let real = self.locate(path)?;
        let metadata = fs::metadata(&real).map_err(|e| classify(&e))?;
        if metadata.is_dir() {
            return Ok(Entry::Folder);
        }
        if !metadata.is_file() {
            return Err(ViewError::Forbidden(Forbidden::NotRegularFile));
        }
        // Non-blocking: if the name was swapped for a FIFO since the check above, opening it
        // must not wait for a writer (it would hang the connection, or a whole worker).
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&real)
            .map_err(|e| classify(&e))?;
        // The type, length and age of what was opened, not of what the name was a moment ago.
        let metadata = file.metadata().map_err(|e| classify(&e))?;
        if !metadata.is_file() {
            return Err(ViewError::Forbidden(Forbidden::NotRegularFile));
        }
        Ok(Entry::File(FileContent {
            data: FileData::Disk(file),
            len: metadata.len(),
            modified: metadata.modified().ok(),
            media_type: None,
            last_modified: None,
            etag: None,
        }))
    }

    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError> {
        let real = self.locate(path)?;
        let mut entries = Vec::new();
        for entry in fs::read_dir(&real).map_err(|e| classify(&e))? {
            let entry = entry.map_err(|e| classify(&e))?;
            let is_folder = fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
            entries.push(FolderEntry {
                name: entry.file_name().as_bytes().to_vec(),
                is_folder,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
}
