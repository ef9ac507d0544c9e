//! The session's two buffers: what arrived and is not answered yet, and what waits to be
//! sent (with the access-log records of the responses in it).

use std::collections::VecDeque;
use std::fs::File;

use super::StreamedFile;
use crate::http::multipart::BodyPiece;
use crate::server::access_log::LogRecord;

/// A connection's first receive buffer; it doubles as needed, up to the bound the session gives.
const INITIAL_BUFFER: usize = 2 * 1024;
/// New answers are queued (pipelining) only while less than this waits to be written.
const OUT_HIGH: usize = 64 * 1024;

/// What the driver sends next.
#[derive(Debug)]
pub enum Transmit<'a> {
    /// Write these bytes. `last`: only the close follows them, so the driver may let the
    /// FIN ride in the same segment (`MSG_MORE`).
    Bytes { bytes: &'a [u8], last: bool },
    /// Send `len` bytes of `file` from `offset` (sendfile). A file that ends early is the
    /// driver's to report, with [`Session::abort`](super::Session::abort).
    File {
        file: &'a File,
        offset: u64,
        len: u64,
    },
    /// Everything is written: shut the write side down (FIN), then report it with
    /// [`Session::shut_down`](super::Session::shut_down) and go on reading.
    Shutdown,
}

/// The receive buffer: `bytes[start..end]` is received and unanswered, `bytes[end..]` room
/// for the next read. Zeroed once when it grows, never per read (that showed in profiles).
#[derive(Default)]
pub(super) struct Input {
    pub(super) bytes: Vec<u8>,
    pub(super) start: usize,
    pub(super) end: usize,
    /// The client sent end-of-file (or its half of the connection is otherwise over).
    pub(super) ended: bool,
}

impl Input {
    pub(super) fn unanswered(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    pub(super) fn consume(&mut self, count: usize) {
        self.start += count.min(self.end - self.start);
    }

    pub(super) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    /// Room to read into: the unanswered bytes move to the front; the buffer grows to
    /// `bound` at most. An idle connection gives its buffer back, so a thousand idle
    /// keep-alive connections hold almost nothing.
    pub(super) fn room(&mut self, bound: usize) -> &mut [u8] {
        if self.start == self.end {
            self.clear();
            if self.bytes.len() > INITIAL_BUFFER {
                self.bytes = Vec::new();
            }
        } else if self.start > 0 {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.bytes.len() {
            let grown = (self.bytes.len() * 2).clamp(INITIAL_BUFFER, bound.max(INITIAL_BUFFER));
            self.bytes.resize(grown, 0);
        }
        &mut self.bytes[self.end..]
    }
}

/// What waits to be sent: bytes (heads and small bodies, of one or several pipelined
/// responses), then at most one large body from the disk — a file, a range of it, or the
/// ranges of a multipart body, whose small texts join the bytes in turn. Counted as one stream, so that each
/// access-log record is written when its response has gone out.
#[derive(Default)]
pub(super) struct Output {
    pub(super) bytes: Vec<u8>,
    pub(super) pos: usize,
    pub(super) file: Option<FileBody>,
    /// Bytes of the stream ever queued, and ever sent.
    pub(super) queued: u64,
    pub(super) sent: u64,
    /// Records of responses not completely sent yet, in stream order.
    pub(super) unsent: VecDeque<Unsent>,
    /// Records of responses sent, for the driver to write.
    pub(super) done: Vec<LogRecord>,
}

/// The body being sent from the disk: the range now going out, and what follows it.
pub(super) struct FileBody {
    pub(super) file: File,
    pub(super) offset: u64,
    pub(super) remaining: u64,
    /// After this range: texts (queued as bytes when their turn comes) and more ranges.
    pub(super) after: VecDeque<BodyPiece>,
}

/// An access-log record waiting for its response to go out.
pub(super) struct Unsent {
    pub(super) record: LogRecord,
    /// Where the response's body starts and ends in the output stream.
    pub(super) body_start: u64,
    pub(super) end: u64,
}

impl Output {
    pub(super) fn is_empty(&self) -> bool {
        self.pos == self.bytes.len() && self.file.is_none()
    }

    /// Whether another answer may be queued behind what waits (bounded pipelining).
    pub(super) fn has_room(&self) -> bool {
        self.file.is_none() && self.bytes.len() - self.pos < OUT_HIGH
    }

    pub(super) fn transmit(&self, last: bool, limit: Option<usize>) -> Option<Transmit<'_>> {
        if self.pos < self.bytes.len() {
            let end = match limit {
                Some(limit) => self.bytes.len().min(self.pos + limit.max(1)),
                None => self.bytes.len(),
            };
            let last = last && self.file.is_none() && end == self.bytes.len();
            return Some(Transmit::Bytes {
                bytes: &self.bytes[self.pos..end],
                last,
            });
        }
        self.file.as_ref().map(|body| Transmit::File {
            file: &body.file,
            offset: body.offset,
            len: body.remaining,
        })
    }

    pub(super) fn advance(&mut self, mut count: usize) {
        self.sent += count as u64;
        let in_bytes = count.min(self.bytes.len() - self.pos);
        self.pos += in_bytes;
        count -= in_bytes;
        if self.pos == self.bytes.len() {
            self.bytes.clear();
            self.pos = 0;
        }
        if let Some(body) = &mut self.file {
            let from_file = (count as u64).min(body.remaining);
            body.offset += from_file;
            body.remaining -= from_file;
            if body.remaining == 0 {
                self.next_piece();
            }
        }
        while self.unsent.front().is_some_and(|u| u.end <= self.sent) {
            if let Some(unsent) = self.unsent.pop_front() {
                self.done.push(unsent.record);
            }
        }
    }

    /// Queues a body to send from the disk, behind the bytes queued.
    pub(super) fn stream(&mut self, streamed: StreamedFile) {
        self.file = Some(FileBody {
            file: streamed.file,
            offset: 0,
            remaining: 0,
            after: streamed.pieces.into(),
        });
        self.next_piece();
    }

    /// The current range is sent: texts up to the next range join the bytes; the next range
    /// becomes current; with none left, the file body is done.
    fn next_piece(&mut self) {
        let Some(body) = &mut self.file else {
            return;
        };
        while let Some(piece) = body.after.pop_front() {
            match piece {
                BodyPiece::Text(text) => self.bytes.extend_from_slice(&text),
                BodyPiece::Range(range) if range.len > 0 => {
                    body.offset = range.start;
                    body.remaining = range.len;
                    return;
                }
                BodyPiece::Range(_) => {}
            }
        }
        self.file = None;
    }

    /// The connection is over: records of responses cut short get the body bytes that did
    /// go out.
    pub(super) fn abandon(&mut self) {
        for mut unsent in self.unsent.drain(..) {
            let body_sent = self.sent.saturating_sub(unsent.body_start);
            unsent.record.body_bytes = unsent.record.body_bytes.min(body_sent);
            self.done.push(unsent.record);
        }
        self.bytes = Vec::new();
        self.pos = 0;
        self.file = None;
    }
}
