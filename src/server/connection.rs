//! One connection: read until a head is complete, answer, repeat while the connection
//! persists. Requests that arrive together (pipelining) are answered in order without
//! another read; a request that arrives a byte at a time is simply read until it is whole.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Instant, SystemTime};

use super::flaw::{self, Flaw, Flaws};
use super::listener::Shared;
use super::sendfile::sendfile;
use crate::http::request::{self, Parsed, first_line_for_log};
use crate::http::{Body, Response};
use crate::respond::{Answer, Outcome, respond, timeout_response};

/// Bytes asked of the kernel per read.
const READ_CHUNK: usize = 16 * 1024;
/// A small body is copied behind the head so both leave in one write.
const COALESCE_LIMIT: usize = 64 * 1024;

/// Why a connection waits for bytes.
enum Waiting {
    /// No byte of the next request yet on a kept-alive connection.
    Idle,
    /// Part of a head has arrived (or the connection is new).
    Head,
}

pub(super) fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    accepted: Instant,
    shared: &Shared,
) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(shared.config.timeouts.write));
    let mut connection = Connection {
        stream,
        peer,
        shared,
        input: Vec::with_capacity(READ_CHUNK),
        start: 0,
        out: Vec::with_capacity(1024),
        received_any: false,
        single_recv_taken: false,
    };
    connection.run(accepted);
}

struct Connection<'a> {
    stream: TcpStream,
    peer: SocketAddr,
    shared: &'a Shared,
    /// Bytes received; the unanswered ones are `input[start..]`.
    input: Vec<u8>,
    start: usize,
    /// The response being written (head, and a small body behind it).
    out: Vec<u8>,
    /// Whether any byte ever arrived (for the die-on-empty flaw).
    received_any: bool,
    /// single-recv flaw: the one read for this request has happened.
    single_recv_taken: bool,
}

impl Connection<'_> {
    fn run(&mut self, accepted: Instant) {
        let timeouts = &self.shared.config.timeouts;
        let mut head_deadline = accepted + timeouts.head;
        let mut idle_deadline = None;
        loop {
            // Answer every complete request already received.
            while self.start < self.input.len() {
                let Some(answer) = self.next_answer() else {
                    break;
                };
                let request_line = self.log_line();
                let status = answer.response.status;
                let sent = match self.send(answer.response) {
                    Ok(sent) => sent,
                    Err(_) => return, // the client is gone or stopped reading
                };
                self.shared.log.record(
                    self.peer.ip(),
                    SystemTime::now(),
                    &request_line,
                    status.code(),
                    sent.body_bytes,
                );
                if answer.close || !sent.complete {
                    self.close_gracefully();
                    return;
                }
                self.start += answer.consumed;
                if self.discard(answer.discard, head_deadline).is_err() {
                    return;
                }
                let now = Instant::now();
                head_deadline = now + timeouts.head;
                idle_deadline = Some(now + timeouts.idle);
            }
            self.compact();
            if self.shared.stopping() {
                return;
            }
            let waiting = if self.input.is_empty() && idle_deadline.is_some() {
                Waiting::Idle
            } else {
                Waiting::Head
            };
            let deadline = match (&waiting, idle_deadline) {
                (Waiting::Idle, Some(idle)) => idle.min(head_deadline),
                _ => head_deadline,
            };
            match self.read_more(deadline) {
                Ok(0) => {
                    if !self.received_any && self.flaws().has(Flaw::DieOnEmpty) {
                        eprintln!(
                            "httplab (flaw die-on-empty): IndexError: list index out of range; the server exits"
                        );
                        std::process::exit(1);
                    }
                    return; // the client closed
                }
                Ok(_) if self.flaws().has(Flaw::SingleRecv) => {
                    self.received_any = true;
                    self.single_recv_taken = true;
                }
                Ok(_) => self.received_any = true,
                Err(error) if is_timeout(&error) => {
                    // A partial head gets a 408; an idle connection is closed without a word,
                    // since the client may be sending its next request right now.
                    if matches!(waiting, Waiting::Head) && !self.input.is_empty() {
                        let _ = self.send(timeout_response((self.shared.config.clock)()));
                        self.shared.log.record(
                            self.peer.ip(),
                            SystemTime::now(),
                            &self.log_line(),
                            408,
                            0,
                        );
                        self.close_gracefully();
                    }
                    return;
                }
                Err(_) => return,
            }
        }
    }

    fn flaws(&self) -> &Flaws {
        &self.shared.config.flaws
    }

    /// The answer to the request at the front of the input, if it is complete.
    fn next_answer(&mut self) -> Option<Answer> {
        let now = (self.shared.config.clock)();
        let input = &self.input[self.start..];
        self.shared.panic_if_asked(input);
        if self.flaws().has(Flaw::NoTraversalGuard)
            && let Parsed::Complete(request) = request::parse(input, &self.shared.config.limits)
            && let Some(response) =
                flaw::unguarded_file(self.shared.view.root(), request.target, now)
        {
            return Some(Answer {
                response,
                consumed: request.head_len,
                discard: 0,
                close: true,
            });
        }
        match respond(input, &self.shared.view, now, &self.shared.config.limits) {
            Outcome::Answer(mut answer) => {
                if self.single_recv_taken {
                    // The one recv() was the whole request: answer it, then hang up.
                    if !answer.close {
                        answer.response.push_header("Connection", "close");
                    }
                    answer.close = true;
                }
                Some(answer)
            }
            Outcome::Incomplete if self.single_recv_taken => {
                // What one recv() brought is taken as the whole request.
                self.input.extend_from_slice(b"\r\n\r\n");
                self.next_answer()
            }
            Outcome::Incomplete => None,
        }
    }

    fn log_line(&self) -> String {
        if self.shared.log.enabled {
            first_line_for_log(&self.input[self.start..])
        } else {
            String::new()
        }
    }

    /// Moves unanswered bytes to the front of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.input.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads what has arrived, waiting until `deadline` at most.
    fn read_more(&mut self, deadline: Instant) -> io::Result<usize> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(io::Error::from(ErrorKind::TimedOut));
        }
        self.stream.set_read_timeout(Some(remaining))?;
        let filled = self.input.len();
        // The single-recv flaw reads at most 1024 bytes, like recv(1024).
        let chunk = if self.flaws().has(Flaw::SingleRecv) {
            1024
        } else {
            READ_CHUNK
        };
        self.input.resize(filled + chunk, 0);
        let result = self.stream.read(&mut self.input[filled..]);
        self.input.truncate(filled + *result.as_ref().unwrap_or(&0));
        result
    }

    /// Throws away `count` request body bytes: first those already received, then from the socket.
    fn discard(&mut self, count: u64, deadline: Instant) -> io::Result<()> {
        let buffered =
            (self.input.len() - self.start).min(usize::try_from(count).unwrap_or(usize::MAX));
        self.start += buffered;
        let mut remaining = count - buffered as u64;
        let mut sink = [0u8; 8192];
        while remaining > 0 {
            let wait = deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() {
                return Err(io::Error::from(ErrorKind::TimedOut));
            }
            self.stream.set_read_timeout(Some(wait))?;
            let want = sink
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            match self.stream.read(&mut sink[..want])? {
                0 => return Err(io::Error::from(ErrorKind::UnexpectedEof)),
                n => remaining -= n as u64,
            }
        }
        Ok(())
    }

    /// Writes a response: the head and a small body in one write, a large file streamed
    /// (sendfile on Linux).
    fn send(&mut self, response: Response) -> io::Result<Sent> {
        if self.flaws().rewrites_responses() {
            let flawed = flaw::flawed_bytes(self.flaws(), response)?;
            if self.flaws().has(Flaw::BytePerSend) {
                for byte in &flawed.bytes {
                    self.stream.write_all(std::slice::from_ref(byte))?;
                }
            } else {
                self.stream.write_all(&flawed.bytes)?;
            }
            return Ok(Sent {
                body_bytes: flawed.body_len,
                complete: !flawed.close,
            });
        }
        self.out.clear();
        response.write_head(&mut self.out);
        let (body_bytes, complete) = match response.body {
            Body::Empty => {
                self.stream.write_all(&self.out)?;
                (0, true)
            }
            Body::Bytes(bytes) => self.send_in_memory(&bytes)?,
            Body::Shared(bytes) => self.send_in_memory(&bytes)?,
            Body::File { file, len } if len <= COALESCE_LIMIT as u64 => {
                let read = file.take(len).read_to_end(&mut self.out)?;
                self.stream.write_all(&self.out)?;
                (read as u64, read as u64 == len)
            }
            Body::File { file, len } => {
                self.stream.write_all(&self.out)?;
                let mut offset = 0;
                let mut copied = 0u64;
                while copied < len {
                    match sendfile(&self.stream, &file, &mut offset, len - copied)? {
                        0 => break, // the file shrank: the response is cut short, and closed
                        n => copied += n as u64,
                    }
                }
                (copied, copied == len)
            }
        };
        Ok(Sent {
            body_bytes,
            complete,
        })
    }

    fn send_in_memory(&mut self, body: &[u8]) -> io::Result<(u64, bool)> {
        if body.len() <= COALESCE_LIMIT {
            self.out.extend_from_slice(body);
            self.stream.write_all(&self.out)?;
        } else {
            self.stream.write_all(&self.out)?;
            self.stream.write_all(body)?;
        }
        Ok((body.len() as u64, true))
    }

    /// Ends the connection after its last response: stop sending, then read and drop what
    /// the client still sends (bounded), so that our close does not reset the connection and
    /// destroy a response the client has not read yet.
    fn close_gracefully(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = Instant::now() + self.shared.config.timeouts.linger;
        let mut sink = [0u8; 8192];
        let mut drained = 0usize;
        while drained < 1024 * 1024 {
            let wait = deadline.saturating_duration_since(Instant::now());
            if wait.is_zero() || self.stream.set_read_timeout(Some(wait)).is_err() {
                return;
            }
            match self.stream.read(&mut sink) {
                Ok(0) | Err(_) => return,
                Ok(n) => drained += n,
            }
        }
    }
}

/// What went out for one response.
struct Sent {
    body_bytes: u64,
    /// False when a file delivered fewer bytes than its Content-Length promised (it shrank
    /// while being sent): the connection must close, since the framing is broken.
    complete: bool,
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}
