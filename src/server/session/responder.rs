//! How a request becomes the bytes a session queues: the [`Responder`] a session is made
//! with. The real server's is [`Site`] (`respond`, and the exact HTTP/1.1 encoding);
//! `serve --flaw` wraps it (`flaw::Flawed`), so that no flaw lives in the session or in a
//! driver.

use std::fs::File;

use super::Env;
use crate::http::multipart::BodyPiece;
use crate::http::range::ByteRange;
use crate::http::response::read_range;
use crate::http::{Body, Response};
use crate::respond::{Outcome, respond};

/// A file body (or the file bytes of a multipart body) up to this size is copied behind its
/// head, so both leave in one write; a larger one is sent from the disk (sendfile), never
/// held in memory.
const COALESCE_LIMIT: u64 = 64 * 1024;

/// A body sent from the disk after the bytes written: ranges of one open file (the whole
/// file is one range), with small texts between them (a multipart body's boundaries).
#[derive(Debug)]
pub struct StreamedFile {
    pub file: File,
    pub pieces: Vec<BodyPiece>,
}

impl StreamedFile {
    /// The bytes it puts on the wire.
    pub fn len(&self) -> u64 {
        self.pieces.iter().map(BodyPiece::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a response becomes the bytes the session queues.
pub struct Encoded {
    /// A large body, sent from the disk (with sendfile) after the bytes written.
    pub file: Option<StreamedFile>,
    /// Body bytes, for the access log.
    pub body_len: u64,
    /// The framing is broken (a file shrank while it was read, a flawed response): the
    /// connection must close after these bytes.
    pub broken: bool,
}

/// The two steps between a request and its bytes, and how reads and writes are sized.
pub trait Responder {
    /// The answer to the request at the front of `input`, or `Incomplete`.
    fn answer(&mut self, input: &[u8], env: &Env) -> Outcome;
    /// Writes `response` into `out` (and hands over a large file body).
    fn encode(&mut self, response: Response, out: &mut Vec<u8>) -> Encoded;
    /// The largest read to ask for at once; `None`: as much as the buffer takes.
    fn read_limit(&self) -> Option<usize> {
        None
    }
    /// The largest write to ask for at once; `None`: everything queued.
    fn send_limit(&self) -> Option<usize> {
        None
    }
    /// `count` bytes arrived; 0 is the end of the client's input.
    fn received(&mut self, _count: usize) {}
}

/// The real server: `respond`, and the exact HTTP/1.1 encoding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Site;

impl Responder for Site {
    fn answer(&mut self, input: &[u8], env: &Env) -> Outcome {
        respond(input, env.view, env.date, env.rules)
    }

    fn encode(&mut self, response: Response, out: &mut Vec<u8>) -> Encoded {
        encode(response, out)
    }
}

/// The exact wire form: the head, then a body in memory or a small file (or small ranges)
/// copied behind it (one write for both); a large file or range is handed over to be sent
/// from the disk.
pub fn encode(response: Response, out: &mut Vec<u8>) -> Encoded {
    response.write_head(out);
    let mut encoded = Encoded {
        file: None,
        body_len: response.body.len(),
        broken: false,
    };
    let streamed = match response.body {
        Body::File { file, offset, len } => StreamedFile {
            file,
            pieces: vec![BodyPiece::Range(ByteRange { start: offset, len })],
        },
        Body::FileParts { file, pieces } => StreamedFile { file, pieces },
        in_memory => {
            let _ = in_memory.read_into(out); // Bytes in memory: no read can fail.
            return encoded;
        }
    };
    let from_disk: u64 = streamed
        .pieces
        .iter()
        .map(|piece| match piece {
            BodyPiece::Range(range) => range.len,
            BodyPiece::Text(_) => 0,
        })
        .sum();
    if from_disk > COALESCE_LIMIT {
        encoded.file = Some(streamed);
        return encoded;
    }
    let before = out.len();
    if copy_pieces(&streamed, out).is_err() {
        // It shrank or failed under us: what was read goes out, then the close.
        encoded.body_len = (out.len() - before) as u64;
        encoded.broken = true;
    }
    encoded
}

/// Appends a small streamed body to `out`, reading its ranges from the file.
fn copy_pieces(streamed: &StreamedFile, out: &mut Vec<u8>) -> std::io::Result<()> {
    for piece in &streamed.pieces {
        match piece {
            BodyPiece::Text(text) => out.extend_from_slice(text),
            BodyPiece::Range(range) => read_range(&streamed.file, range.start, range.len, out)?,
        }
    }
    Ok(())
}
