//! An in-memory tree: every byte and every date fixed, for snapshots and property tests.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use crate::http::FieldValue;
use crate::http::conditional::file_etag;
use crate::http::date::last_modified_text;

use super::{
    Entry, FileContent, FileData, FileView, FolderEntry, Forbidden, SitePath, ViewError, media_type,
};

#[derive(Clone, Debug)]
enum Node {
    File {
        bytes: Arc<[u8]>,
        modified: SystemTime,
        media_type: FieldValue,
        last_modified: FieldValue,
        etag: FieldValue,
    },
    Folder,
    /// Stands for an entry the view refuses (a symlink leading out, an unreadable file).
    Forbidden(Forbidden),
}

/// A tree of files held in memory. Paths are written `/folder/file.html`; folders are
/// created as files are added.
#[derive(Clone, Debug)]
pub struct MemoryView {
    nodes: BTreeMap<Vec<Vec<u8>>, Node>,
}

impl Default for MemoryView {
    fn default() -> MemoryView {
        MemoryView::new()
    }
}

fn split(path: &str) -> Vec<Vec<u8>> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

impl MemoryView {
    pub fn new() -> MemoryView {
        let mut nodes = BTreeMap::new();
        nodes.insert(Vec::new(), Node::Folder);
        MemoryView { nodes }
    }

    /// Adds a file (and its folders) at `path`.
    pub fn with_file(
        mut self,
        path: &str,
        bytes: impl Into<Vec<u8>>,
        modified: SystemTime,
    ) -> MemoryView {
        // Made once here, as a cache would: the media type and the Last-Modified text.
        let name = path.rsplit('/').next().unwrap_or_default().as_bytes();
        let bytes: Arc<[u8]> = Arc::from(bytes.into());
        let node = Node::File {
            etag: FieldValue::Shared(file_etag(bytes.len() as u64, modified).into()),
            bytes,
            modified,
            media_type: media_type(name),
            last_modified: last_modified_text(modified),
        };
        self.insert(path, node);
        self
    }

    /// Adds an entry that the view refuses with `reason`.
    pub fn with_forbidden(mut self, path: &str, reason: Forbidden) -> MemoryView {
        self.insert(path, Node::Forbidden(reason));
        self
    }

    fn insert(&mut self, path: &str, node: Node) {
        let segments = split(path);
        for depth in 0..segments.len() {
            self.nodes
                .entry(segments[..depth].to_vec())
                .or_insert(Node::Folder);
        }
        self.nodes.insert(segments, node);
    }

    fn node(&self, path: &SitePath) -> Result<&Node, ViewError> {
        match self.nodes.get(path.segments()) {
            Some(Node::Forbidden(reason)) => Err(ViewError::Forbidden(*reason)),
            Some(node) => Ok(node),
            None => Err(ViewError::NotFound),
        }
    }
}

impl FileView for MemoryView {
    fn open(&self, path: &SitePath) -> Result<Entry, ViewError> {
        match self.node(path)? {
            Node::File {
                bytes,
                modified,
                media_type,
                last_modified,
                etag,
            } => Ok(Entry::File(FileContent {
                data: FileData::Shared(bytes.clone()),
                len: bytes.len() as u64,
                modified: Some(*modified),
                media_type: Some(media_type.clone()),
                last_modified: Some(last_modified.clone()),
                etag: Some(etag.clone()),
            })),
            _ => Ok(Entry::Folder),
        }
    }

    fn list(&self, path: &SitePath) -> Result<Vec<FolderEntry>, ViewError> {
        if !matches!(self.node(path)?, Node::Folder) {
            return Err(ViewError::NotFound);
        }
        let depth = path.segments().len();
        Ok(self
            .nodes
            .iter()
            .filter(|(key, _)| key.len() == depth + 1 && key.starts_with(path.segments()))
            .map(|(key, node)| FolderEntry {
                name: key[depth].clone(),
                is_folder: matches!(node, Node::Folder),
            })
            .collect())
    }
}
