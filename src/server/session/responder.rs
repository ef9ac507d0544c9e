//! How a request becomes the bytes a session queues: the [`Responder`] a session is made
//! with. The real server's is [`Site`] (`respond`, and the exact HTTP/1.1 encoding);
//! `serve --flaw` wraps it (`flaw::Flawed`), so that no flaw lives in the session or in a
//! driver.

use std::fs::File;
use std::io::Read;

use super::Env;
use crate::http::{Body, Response};
use crate::respond::{Outcome, respond};

/// A file up to this size is copied behind its head, so both leave in one write; a larger
/// one is sent from the disk (sendfile), never held in memory.
const COALESCE_LIMIT: u64 = 64 * 1024;

/// How a response becomes the bytes the session queues.
pub struct Encoded {
    /// A large file body, sent after the bytes written (with sendfile), and its length.
    pub file: Option<(File, u64)>,
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
        respond(input, env.view, env.date, env.limits)
    }

    fn encode(&mut self, response: Response, out: &mut Vec<u8>) -> Encoded {
        encode(response, out)
    }
}

/// The exact wire form: the head, then a body in memory or a small file copied behind it (one
/// write for both); a large file is handed over to be sent from the disk.
pub fn encode(response: Response, out: &mut Vec<u8>) -> Encoded {
    response.write_head(out);
    let mut encoded = Encoded {
        file: None,
        body_len: response.body.len(),
        broken: false,
    };
    match response.body {
        Body::Empty => {}
        Body::Bytes(bytes) => out.extend_from_slice(&bytes),
        Body::Shared(bytes) => out.extend_from_slice(&bytes),
        Body::File { file, len } if len <= COALESCE_LIMIT => {
            let before = out.len();
            let read = file.take(len).read_to_end(out);
            let got = (out.len() - before) as u64;
            if read.is_err() || got != len {
                // It shrank or failed under us: what was read goes out, then the close.
                encoded.body_len = got;
                encoded.broken = true;
            }
        }
        Body::File { file, len } => encoded.file = Some((file, len)),
    }
    encoded
}
