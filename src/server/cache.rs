//! A small cache in front of the disk, passed to `respond` as its view: what a path names
//! (a folder, or a small file's bytes) is remembered for a second, so a busy server does not
//! resolve, stat, open, read and close the same file thousands of times a second. After a
//! second the entry is checked against the disk again (and so are its symlinks), so an
//! edited file is served new within a second — what nginx's open_file_cache and lighttpd's
//! stat cache do. One cache per event worker: no locks.

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rustc_hash::FxHashMap;

use crate::http::FieldValue;
use crate::http::conditional::file_etag;
use crate::http::date::last_modified_text;
use crate::site::{
    DiskView, Entry, FileContent, FileData, FileView, FolderEntry, SitePath, ViewError, media_type,
};

/// Files up to this size are held in memory.
const MAX_FILE: u64 = 64 * 1024;
/// The cache holds at most this many bytes of files; past it, it starts over.
const MAX_BYTES: usize = 8 * 1024 * 1024;
/// How long an entry is trusted before the disk is asked again.
const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Clone)]
enum Cached {
    Folder,
    File {
        bytes: Arc<[u8]>,
        modified: Option<SystemTime>,
        media_type: FieldValue,
        last_modified: Option<FieldValue>,
        etag: Option<FieldValue>,
    },
}

pub struct CachedView<'a> {
    disk: &'a DiskView,
    /// Keyed with FxHash (rustc-hash, the compiler's own hasher): SipHash showed as 3% of the
    /// server's instructions per request. Safe from hash flooding here, since only paths
    /// that name real files or folders are ever inserted.
    entries: RefCell<FxHashMap<SitePath, (Cached, Instant)>>,
    bytes: Cell<usize>,
}

impl<'a> CachedView<'a> {
    pub fn new(disk: &'a DiskView) -> CachedView<'a> {
        CachedView {
            disk,
            entries: RefCell::new(FxHashMap::default()),
            bytes: Cell::new(0),
        }
    }

    fn remember(&self, path: &SitePath, entry: Cached) {
        let mut entries = self.entries.borrow_mut();
        if let Cached::File { bytes, .. } = &entry {
            if self.bytes.get() + bytes.len() > MAX_BYTES {
                entries.clear();
                self.bytes.set(0);
            }
            self.bytes.set(self.bytes.get() + bytes.len());
        }
        if let Some((Cached::File { bytes, .. }, _)) =
            entries.insert(path.clone(), (entry, Instant::now()))
        {
            self.bytes.set(self.bytes.get() - bytes.len());
        }
    }
}

impl FileView for CachedView<'_> {
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError> {
        if let Some((entry, since)) = self.entries.borrow().get(path)
            && since.elapsed() < FRESH_FOR
        {
            return Ok(to_entry(entry));
        }
        match self.disk.open(path)? {
            Entry::Folder => {
                self.remember(path, Cached::Folder);
                Ok(Entry::Folder)
            }
            Entry::File(FileContent {
                data: FileData::Disk(file),
                len,
                modified,
                ..
            }) if len <= MAX_FILE => {
                let mut bytes = Vec::with_capacity(len as usize);
                file.take(len)
                    .read_to_end(&mut bytes)
                    .map_err(|e| ViewError::Unavailable(e.to_string()))?;
                // The tag of what was read (the file may have changed since its metadata).
                let etag = modified.map(|m| file_etag(bytes.len() as u64, m));
                let cached = Cached::File {
                    bytes: bytes.into(),
                    modified,
                    media_type: media_type(path.file_name()),
                    last_modified: modified.map(last_modified_text),
                    etag: etag.map(|tag| FieldValue::Shared(tag.into())),
                };
                let entry = to_entry(&cached);
                self.remember(path, cached);
                Ok(entry)
            }
            other => Ok(other),
        }
    }

    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError> {
        self.disk.list(path)
    }
}

fn to_entry(cached: &Cached) -> Entry {
    match cached {
        Cached::Folder => Entry::Folder,
        Cached::File {
            bytes,
            modified,
            media_type,
            last_modified,
            etag,
        } => Entry::File(FileContent {
            data: FileData::Shared(bytes.clone()),
            len: bytes.len() as u64,
            modified: *modified,
            media_type: Some(media_type.clone()),
            last_modified: last_modified.clone(),
            etag: etag.clone(),
        }),
    }
}
