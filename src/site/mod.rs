//! The read-only filesystem view the server answers from.
//!
//! `respond` never touches the disk itself: it asks a [`FileView`]. [`DiskView`] serves a
//! real folder and is the only place that knows about symlinks and permissions;
//! [`MemoryView`] is an in-memory tree, so tests and property tests can pin every byte.

pub mod disk;
pub mod memory;
pub mod path;

use std::fmt;
use std::fs::File;
use std::sync::Arc;
use std::time::SystemTime;

use crate::http::FieldValue;

pub use disk::DiskView;
pub use memory::MemoryView;
pub use path::{PathError, SitePath};

/// A read-only tree of files and folders.
pub trait FileView {
    /// What is at `path`: an opened file, or a folder.
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError>;

    /// The entries of the folder at `path`, sorted by name.
    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError>;
}

impl<V: FileView + ?Sized> FileView for &V {
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError> {
        (**self).open(path)
    }
    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError> {
        (**self).list(path)
    }
}

impl<V: FileView + ?Sized> FileView for Arc<V> {
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError> {
        (**self).open(path)
    }
    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError> {
        (**self).list(path)
    }
}

#[derive(Debug)]
pub enum Entry {
    File(FileContent),
    Folder,
}

/// An opened file: its bytes (or a handle to stream them from), its length and its age.
#[derive(Debug)]
pub struct FileContent {
    pub data: FileData,
    pub len: u64,
    pub modified: Option<SystemTime>,
    /// The `Content-Type`, when the view already knows it (a cache); else `respond` derives
    /// it from the name.
    pub media_type: Option<FieldValue>,
    /// `modified` as `Last-Modified` text, when the view already made it (a cache).
    pub last_modified: Option<FieldValue>,
    /// The strong `ETag` of `len` and `modified` (`http::conditional::file_etag`), when the
    /// view already made it (a cache); else `respond` makes it.
    pub etag: Option<FieldValue>,
}

#[derive(Debug)]
pub enum FileData {
    Shared(Arc<[u8]>),
    Disk(File),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderEntry {
    pub name: Vec<u8>,
    pub is_folder: bool,
}

/// Why a path cannot be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewError {
    NotFound,
    Forbidden(Forbidden),
    /// The file exists but could not be read for a reason that is not the client's fault.
    Unavailable(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forbidden {
    /// A symlink whose target lies outside the served folder.
    OutsideRoot,
    /// The operating system refused to open it.
    PermissionDenied,
    /// A device, socket or pipe: nothing a static server should stream.
    NotRegularFile,
}

impl fmt::Display for Forbidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Forbidden::OutsideRoot => "it leads outside the served folder",
            Forbidden::PermissionDenied => "the server may not read it",
            Forbidden::NotRegularFile => "it is not a regular file",
        })
    }
}

/// The media type for a file name: from its extension (mime_guess), text types in UTF-8.
pub fn media_type(name: &[u8]) -> FieldValue {
    let name = String::from_utf8_lossy(name);
    match mime_guess::from_path(name.as_ref()).first_raw() {
        Some(mime) if mime.starts_with("text/") => match mime {
            "text/html" => FieldValue::Static("text/html; charset=utf-8"),
            "text/css" => FieldValue::Static("text/css; charset=utf-8"),
            "text/plain" => FieldValue::Static("text/plain; charset=utf-8"),
            "text/javascript" => FieldValue::Static("text/javascript; charset=utf-8"),
            other => FieldValue::Owned(format!("{other}; charset=utf-8")),
        },
        Some(mime) => FieldValue::Static(mime),
        None => FieldValue::Static("application/octet-stream"),
    }
}
