//! A response and its exact wire encoding (RFC 9112 §4 and §5).
//!
//! The head is written byte for byte as it goes on the wire: `HTTP/1.1 NNN Reason` CRLF, one
//! `Name: value` CRLF per field in the order they were added, then an empty line. The body is
//! kept apart so that the socket layer can stream a file instead of holding it in memory.

use std::fmt;
use std::fs::File;
use std::io;
use std::ops::Deref;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use super::Status;
pub use super::multipart::BodyPiece;

/// A header field's value. Most values need no allocation of their own: a fixed text, a
/// number written at encoding time, or text shared with a cache (the `Date` of this second,
/// a file's `Last-Modified`).
#[derive(Clone, Debug)]
pub enum FieldValue {
    Static(&'static str),
    Number(u64),
    Shared(Arc<str>),
    Owned(String),
}

impl FieldValue {
    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            FieldValue::Static(text) => out.extend_from_slice(text.as_bytes()),
            FieldValue::Number(n) => {
                out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes())
            }
            FieldValue::Shared(text) => out.extend_from_slice(text.as_bytes()),
            FieldValue::Owned(text) => out.extend_from_slice(text.as_bytes()),
        }
    }

    /// The value as text (a number is formatted).
    pub fn to_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            FieldValue::Static(text) => (*text).into(),
            FieldValue::Number(n) => n.to_string().into(),
            FieldValue::Shared(text) => text.deref().into(),
            FieldValue::Owned(text) => text.as_str().into(),
        }
    }
}

/// Values are equal when they put the same text on the wire, however they are held.
impl PartialEq for FieldValue {
    fn eq(&self, other: &FieldValue) -> bool {
        self.to_text() == other.to_text()
    }
}

impl Eq for FieldValue {}

impl From<&'static str> for FieldValue {
    fn from(text: &'static str) -> FieldValue {
        FieldValue::Static(text)
    }
}

impl From<String> for FieldValue {
    fn from(text: String) -> FieldValue {
        FieldValue::Owned(text)
    }
}

impl From<Arc<str>> for FieldValue {
    fn from(text: Arc<str>) -> FieldValue {
        FieldValue::Shared(text)
    }
}

impl From<u64> for FieldValue {
    fn from(n: u64) -> FieldValue {
        FieldValue::Number(n)
    }
}

impl From<usize> for FieldValue {
    fn from(n: usize) -> FieldValue {
        FieldValue::Number(n as u64)
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// What follows the head.
#[derive(Debug)]
pub enum Body {
    /// No body bytes (HEAD, 304, or a response whose length is zero).
    Empty,
    /// Bytes built for this response (error pages, listings).
    Bytes(Vec<u8>),
    /// Bytes shared with a cache or an in-memory view; cloning the response does not copy them.
    Shared(Arc<[u8]>),
    /// `len` bytes of an open file from `offset`: the whole file, or the range a `206` sends.
    /// The socket layer streams it (sendfile); it is never read into memory.
    File { file: File, offset: u64, len: u64 },
    /// Small texts and ranges of one open file, in order: a `multipart/byteranges` body whose
    /// file bytes stream like a whole file's.
    FileParts { file: File, pieces: Vec<BodyPiece> },
}

impl Body {
    /// The number of bytes this body puts on the wire.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::Shared(bytes) => bytes.len() as u64,
            Body::File { len, .. } => *len,
            Body::FileParts { pieces, .. } => pieces.iter().map(BodyPiece::len).sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body's bytes when they are already in memory.
    pub fn in_memory(&self) -> Option<&[u8]> {
        match self {
            Body::Empty => Some(&[]),
            Body::Bytes(bytes) => Some(bytes),
            Body::Shared(bytes) => Some(bytes),
            Body::File { .. } | Body::FileParts { .. } => None,
        }
    }

    /// Appends the body's bytes to `out`, reading a file's from the disk. For tests, small
    /// bodies and `serve --flaw`; the server streams files instead. A file that shrank under
    /// it is an error (`UnexpectedEof`), with what could be read appended.
    pub fn read_into(self, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Body::Empty => Ok(()),
            Body::Bytes(bytes) => {
                out.extend_from_slice(&bytes);
                Ok(())
            }
            Body::Shared(bytes) => {
                out.extend_from_slice(&bytes);
                Ok(())
            }
            Body::File { file, offset, len } => read_range(&file, offset, len, out),
            Body::FileParts { file, pieces } => {
                for piece in pieces {
                    match piece {
                        BodyPiece::Text(text) => out.extend_from_slice(&text),
                        BodyPiece::Range(range) => read_range(&file, range.start, range.len, out)?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// Appends `len` bytes of `file` from `offset` to `out` (pread: the file's position is not
/// used, so one open file serves several ranges). On an error, what was read stays in `out`.
pub fn read_range(file: &File, offset: u64, len: u64, out: &mut Vec<u8>) -> io::Result<()> {
    let len = usize::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "range too large for memory"))?;
    let start = out.len();
    out.resize(start + len, 0);
    let mut done = 0;
    while done < len {
        match file.read_at(&mut out[start + done..], offset + done as u64) {
            Ok(0) => {
                out.truncate(start + done);
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while it was being read",
                ));
            }
            Ok(read) => done += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                out.truncate(start + done);
                return Err(error);
            }
        }
    }
    Ok(())
}

/// A status, its header fields in wire order, and a body.
#[derive(Debug)]
pub struct Response {
    pub status: Status,
    pub headers: Vec<(&'static str, FieldValue)>,
    pub body: Body,
    /// Why a refusal refuses, in words (its body says the same), kept for the access log's
    /// `↳ why:` line — also when the body is left out, as for HEAD. Never on the wire.
    pub why: Option<String>,
}

impl Response {
    pub fn new(status: Status) -> Response {
        Response {
            status,
            // A file's 200 has up to nine fields (with ETag, Cache-Control, Accept-Ranges).
            headers: Vec::with_capacity(10),
            body: Body::Empty,
            why: None,
        }
    }

    /// Appends a header field; fields go on the wire in the order they were added.
    pub fn with_header(mut self, name: &'static str, value: impl Into<FieldValue>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    pub fn push_header(&mut self, name: &'static str, value: impl Into<FieldValue>) {
        self.headers.push((name, value.into()));
    }

    /// The value of the first field with this name (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_text())
    }

    /// Writes the status line, the fields and the empty line that ends the head.
    pub fn write_head(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 ");
        let mut code = itoa::Buffer::new();
        out.extend_from_slice(code.format(self.status.code()).as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.status.reason().as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            value.write_to(out);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }

    pub fn head_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_head(&mut out);
        out
    }

    /// The whole response as it goes on the wire, reading a file body into memory. For tests
    /// and small bodies; the server streams files instead.
    pub fn into_bytes(self) -> io::Result<Vec<u8>> {
        let mut out = self.head_bytes();
        self.body.read_into(&mut out)?;
        Ok(out)
    }
}
