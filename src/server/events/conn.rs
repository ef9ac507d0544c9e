//! One connection in the event model: bytes in, `respond`, bytes out, never blocking. Its
//! state says what it waits for; the worker calls it when the socket is ready and on a
//! periodic tick for its deadlines.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::{Instant, SystemTime};

use mio::net::TcpStream;

use crate::http::request::first_line_for_log;
use crate::http::{Body, DateCache, Response};
use crate::respond::{Outcome, respond, timeout_response};
use crate::server::cache::CachedView;
use crate::server::listener::Shared;
use crate::server::sendfile::sendfile;

/// Input buffered beyond the head limit before reading pauses.
const READ_CHUNK: usize = 16 * 1024;
/// A connection's first receive buffer; it doubles as needed, up to the head limit.
const INITIAL_BUFFER: usize = 2 * 1024;
/// Responses are queued (pipelining) only while less than this is waiting to be written.
const OUT_HIGH: usize = 64 * 1024;
/// A file up to this size is copied behind its head, so both leave in one write.
const COALESCE_LIMIT: u64 = 64 * 1024;
/// Bytes of a large file sent in one turn; then the worker serves the other connections
/// before this one goes on, so fifty downloads share the worker fairly. Measured on 1 MiB
/// files, 50 clients: no turns, p99 36–72 ms; 256 KiB, 35–39 ms; 64 KiB, 19–21 ms (lighttpd
/// 26–30 ms) with the most throughput; 32 KiB loses a quarter of it.
const FILE_TURN: u64 = 64 * 1024;
/// After the last response, at most this much input is drained before closing.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// What the worker does with a connection after calling it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    Keep,
    Close,
}

/// Everything a connection needs from its worker for one call.
pub(super) struct Ctx<'a, 'v> {
    pub shared: &'a Shared,
    pub view: &'a CachedView<'v>,
    pub now: Instant,
    /// The time, with its `Date` text formatted once a second.
    pub date: &'a DateCache,
}

/// A large file being sent after the head, with sendfile.
struct FileSend {
    file: File,
    offset: libc::off_t,
    remaining: u64,
}

pub(super) struct Conn {
    pub stream: TcpStream,
    peer: SocketAddr,
    /// The receive buffer: zeroed once when it grows, never per read (that showed in
    /// profiles). The unanswered bytes are `input[start..end]`.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// Request body bytes still to throw away before the next request.
    discard: u64,
    /// Bytes to write, from `out_pos` on.
    out: Vec<u8>,
    out_pos: usize,
    /// A large file body, sent once `out` is written.
    file: Option<FileSend>,
    /// Close once everything queued is written.
    close_after: bool,
    /// ...after draining what the client still sends (see `lingering`).
    linger: bool,
    /// Everything is sent and nothing more is expected: close now.
    done: bool,
    /// Writing is shut down; input is drained until end-of-file or this deadline.
    lingering: Option<Instant>,
    drained: usize,
    /// The client sent end-of-file.
    peer_closed: bool,
    head_deadline: Instant,
    /// Set once a response has been sent: a kept-alive connection waiting for its next request.
    idle_deadline: Option<Instant>,
    /// Set while a write is blocked: the client must read by then.
    write_deadline: Option<Instant>,
    /// A response was queued and its deadlines restart once it is written.
    responded: bool,
    /// Wants writable events (its output is blocked).
    pub wants_write: bool,
    /// What it is registered for now.
    registered_writable: bool,
    /// It used up its turn with more to send: the worker comes back to it without waiting
    /// for an event.
    pub yielded: bool,
    /// It is in the worker's queue of turns (at most once).
    pub in_turns: bool,
}

impl Conn {
    pub fn new(stream: TcpStream, peer: SocketAddr, ctx: &Ctx) -> Conn {
        Conn {
            stream,
            peer,
            input: Vec::new(),
            start: 0,
            end: 0,
            discard: 0,
            out: Vec::new(),
            out_pos: 0,
            file: None,
            close_after: false,
            linger: true,
            done: false,
            lingering: None,
            drained: 0,
            peer_closed: false,
            head_deadline: ctx.now + ctx.shared.config.timeouts.head,
            idle_deadline: None,
            write_deadline: None,
            responded: false,
            wants_write: false,
            registered_writable: false,
            yielded: false,
            in_turns: false,
        }
    }

    pub fn registered_writable(&self) -> bool {
        self.registered_writable
    }

    pub fn set_registered_writable(&mut self, writable: bool) {
        self.registered_writable = writable;
    }

    fn output_pending(&self) -> bool {
        self.out_pos < self.out.len() || self.file.is_some()
    }

    /// The socket is readable or writable (or both, or closed).
    pub fn on_ready(&mut self, ctx: &Ctx) -> Next {
        self.yielded = false;
        if self.lingering.is_some() {
            return self.drain();
        }
        loop {
            let read_more = self.read_available(ctx);
            let Ok(read_more) = read_more else {
                return Next::Close;
            };
            let answered = self.answer(ctx);
            if self.flush(ctx).is_err() {
                return Next::Close;
            }
            if self.lingering.is_some() {
                return self.drain();
            }
            if self.done {
                return Next::Close;
            }
            // Go round again only if something can still move: more input was left unread
            // (the buffer was full) and answering freed room for it.
            if !(read_more && answered) {
                break;
            }
        }
        if self.peer_closed && !self.output_pending() {
            return Next::Close;
        }
        Next::Keep
    }

    /// Reads what has arrived. `Ok(true)` when reading stopped with bytes possibly left
    /// unread (the unanswered input reached its bound).
    fn read_available(&mut self, ctx: &Ctx) -> io::Result<bool> {
        if self.peer_closed {
            return Ok(false);
        }
        let bound = ctx.shared.config.limits.max_head_bytes + READ_CHUNK;
        loop {
            let unanswered = self.end - self.start;
            if unanswered >= bound || self.output_pending() && unanswered >= READ_CHUNK {
                return Ok(true);
            }
            self.compact();
            if self.end == self.input.len() {
                let grown = (self.input.len() * 2).clamp(INITIAL_BUFFER, bound);
                self.input.resize(grown, 0);
            }
            let room = self.input.len() - self.end;
            if room == 0 {
                return Ok(true);
            }
            match self.stream.read(&mut self.input[self.end..]) {
                Ok(0) => {
                    self.peer_closed = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    // A short read means the socket is drained for now; epoll says when
                    // more comes.
                    if n < room {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the unanswered input to the front of the buffer; an idle connection gives its
    /// buffer back, so a thousand idle keep-alive connections hold almost nothing.
    fn compact(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.input.len() > INITIAL_BUFFER {
                self.input = Vec::new();
            }
        } else if self.start > 0 {
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Answers every complete request received, while there is room to queue the answers.
    /// Returns whether anything was answered.
    fn answer(&mut self, ctx: &Ctx) -> bool {
        let mut answered = false;
        while !self.close_after && self.file.is_none() && self.out.len() - self.out_pos < OUT_HIGH {
            if self.discard > 0 {
                let take = (self.end - self.start)
                    .min(usize::try_from(self.discard).unwrap_or(usize::MAX));
                self.start += take;
                self.discard -= take as u64;
                if self.discard > 0 {
                    break;
                }
            }
            if self.start >= self.end {
                break;
            }
            let input = &self.input[self.start..self.end];
            ctx.shared.panic_if_asked(input);
            let answer = match respond(input, ctx.view, ctx.date, &ctx.shared.config.limits) {
                Outcome::Incomplete => break,
                Outcome::Answer(answer) => answer,
            };
            if ctx.shared.log.enabled {
                let line = first_line_for_log(input);
                let body = answer.response.body.len();
                ctx.shared.log.record(
                    self.peer.ip(),
                    SystemTime::now(),
                    &line,
                    answer.response.status.code(),
                    body,
                );
            }
            let status = answer.response.status.code();
            self.queue(answer.response);
            self.start += answer.consumed;
            self.discard = answer.discard;
            self.close_after = answer.close;
            if answer.close {
                // Linger only if the client may still be sending: the rest of a refused
                // request, a body, or bytes after the last request.
                self.linger = status >= 400 || self.start < self.end || self.discard > 0;
            }
            answered = true;
        }
        answered
    }

    /// Puts a response in the output: its head, and its body in memory or as a file to send.
    fn queue(&mut self, response: Response) {
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        }
        response.write_head(&mut self.out);
        self.responded = true;
        match response.body {
            Body::Empty => {}
            Body::Bytes(bytes) => self.out.extend_from_slice(&bytes),
            Body::Shared(bytes) => self.out.extend_from_slice(&bytes),
            Body::File { file, len } if len <= COALESCE_LIMIT => {
                let before = self.out.len();
                if file.take(len).read_to_end(&mut self.out).is_err()
                    || (self.out.len() - before) as u64 != len
                {
                    // The file shrank or failed under us: the framing is broken, so close.
                    self.close_after = true;
                }
            }
            Body::File { file, len } => {
                self.file = Some(FileSend {
                    file,
                    offset: 0,
                    remaining: len,
                });
            }
        }
    }

    /// Writes what is queued, as far as the socket takes it.
    fn flush(&mut self, ctx: &Ctx) -> io::Result<()> {
        // The last response before a close is sent with MSG_MORE: the close that follows then
        // goes out in the same segment as the data (one packet fewer per connection).
        let last = self.close_after && !self.linger && self.file.is_none();
        while self.out_pos < self.out.len() {
            let pending = &self.out[self.out_pos..];
            let written = if last {
                send_more(&self.stream, pending)
            } else {
                self.stream.write(pending)
            };
            match written {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.out_pos += n;
                    self.write_deadline = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.blocked(ctx);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        if let Some(send) = &mut self.file {
            let mut turn = FILE_TURN;
            while send.remaining > 0 {
                if turn == 0 {
                    self.yielded = true;
                    return Ok(());
                }
                match sendfile(
                    &self.stream,
                    &send.file,
                    &mut send.offset,
                    send.remaining.min(turn),
                ) {
                    Ok(0) => return Err(ErrorKind::UnexpectedEof.into()), // the file shrank
                    Ok(n) => {
                        send.remaining -= n as u64;
                        turn = turn.saturating_sub(n as u64);
                        self.write_deadline = None;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.blocked(ctx);
                        return Ok(());
                    }
                    Err(e) => return Err(e),
                }
            }
            self.file = None;
        }
        self.wants_write = false;
        self.write_deadline = None;
        if self.close_after && self.linger {
            let _ = self.stream.shutdown(Shutdown::Write);
            self.lingering = Some(ctx.now + ctx.shared.config.timeouts.linger);
        } else if self.close_after {
            // Everything is in the socket's buffer, and the client sends nothing more: the
            // close goes out behind the response.
            self.done = true;
        } else if self.responded {
            // A response has just gone out: the next request's deadlines start now. Only
            // then — a flush with nothing to send (a trickled byte arriving) must not move
            // them, or a client sending a byte at a time would never be cut off.
            self.responded = false;
            self.head_deadline = ctx.now + ctx.shared.config.timeouts.head;
            self.idle_deadline = Some(ctx.now + ctx.shared.config.timeouts.idle);
        }
        Ok(())
    }

    /// The socket's send buffer is full: wait for writable, and start the write deadline.
    fn blocked(&mut self, ctx: &Ctx) {
        self.wants_write = true;
        if self.write_deadline.is_none() {
            self.write_deadline = Some(ctx.now + ctx.shared.config.timeouts.write);
        }
    }

    /// After the last response: read and drop what the client still sends, until it closes.
    fn drain(&mut self) -> Next {
        let mut sink = [0u8; 8192];
        loop {
            match self.stream.read(&mut sink) {
                Ok(0) => return Next::Close,
                Ok(n) => {
                    self.drained += n;
                    if self.drained > DRAIN_LIMIT {
                        return Next::Close;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Keep,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
    }

    /// Deadlines: the worker calls this a few times a second.
    pub fn on_tick(&mut self, ctx: &Ctx) -> Next {
        if let Some(until) = self.lingering {
            return if ctx.now >= until {
                Next::Close
            } else {
                Next::Keep
            };
        }
        if self.output_pending() {
            return match self.write_deadline {
                Some(deadline) if ctx.now >= deadline => Next::Close, // the client stopped reading
                _ => Next::Keep,
            };
        }
        let partial = self.start < self.end || self.discard > 0;
        if partial {
            if ctx.now < self.head_deadline {
                return Next::Keep;
            }
            // Part of a request, and its time is up: 408, then close.
            if ctx.shared.log.enabled {
                let line = first_line_for_log(&self.input[self.start..self.end]);
                ctx.shared
                    .log
                    .record(self.peer.ip(), SystemTime::now(), &line, 408, 0);
            }
            self.queue(timeout_response(ctx.date));
            self.close_after = true;
            self.linger = true;
            self.start = 0;
            self.end = 0;
            self.discard = 0;
            return match self.flush(ctx) {
                Ok(()) if !self.done => Next::Keep,
                _ => Next::Close,
            };
        }
        // Nothing of a next request yet: a silent close, as the client may be about to send.
        let deadline = match self.idle_deadline {
            Some(idle) => idle.min(self.head_deadline),
            None => self.head_deadline,
        };
        if ctx.now >= deadline {
            Next::Close
        } else {
            Next::Keep
        }
    }

    /// The server is stopping: an idle or half-received connection closes now; one with a
    /// response in flight finishes it, then closes.
    pub fn on_stop(&mut self) -> Next {
        if self.output_pending() {
            self.close_after = true;
            self.linger = false;
            Next::Keep
        } else {
            Next::Close
        }
    }
}

/// `send` with MSG_MORE: the kernel holds the bytes for a moment, so that the FIN of the
/// close right after travels with them.
fn send_more(stream: &TcpStream, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: a valid socket, and a buffer of the length given.
    let sent = unsafe {
        libc::send(
            stream.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_MORE | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(sent as usize)
    }
}
