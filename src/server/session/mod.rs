//! THE per-connection policy, written once and pure: what one connection does with the bytes
//! that arrive and the time that passes. Both connection models are thin drivers over it —
//! `threads` (blocking sockets, the server a student reads) and `events` (epoll) — and move
//! only bytes and time: they tell the session what happened ([`Session::received`],
//! [`Session::sent`], [`Session::tick`], [`Session::stop`]) and ask it what to do next
//! ([`Session::transmit`], [`Session::read_buffer`], [`Session::deadline`],
//! [`Session::is_closed`]).
//!
//! The session never touches a socket, a clock or a file descriptor's readiness: `now` comes
//! in with every call ([`Env`]), and every deadline is a value computed from it — so it is
//! tested without sockets (tests/session.rs). The shape follows h11's `Connection` (bytes in,
//! actions out) and quinn-proto (`now` always an argument, the phase one enum).
//!
//! What it owns: the input buffer, pipelining (several requests answered in order from one
//! read), the request bodies thrown away, the keep-alive or close decision, the head, idle,
//! write and linger deadlines, the lingering close, and the access-log records.

mod buffers;
mod env;
mod logged;
mod responder;

use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use self::buffers::{Input, Output, Unsent};
use self::logged::Logged;
use super::access_log::{LogRecord, request_line};
use crate::http::explain::{explain_incomplete_head, explain_unfinished_body};
use crate::http::{Response, Status};
use crate::respond::{Answer, Outcome, refusal, timeout_response};

pub use buffers::Transmit;
pub use env::{Env, Timeouts};
pub use responder::{Encoded, Responder, Site, StreamedFile, encode};

/// Input buffered beyond the head limit (pipelined requests) before reading pauses.
const READ_CHUNK: usize = 16 * 1024;
/// While lingering, at most this much input is read and dropped before closing anyway.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Where a connection is in its life. Whether it waits for a head, idles between requests or
/// writes is not a phase: it follows from what is buffered (see [`Session::deadline`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Requests are read and answered in order (pipelined); the connection persists.
    Open,
    /// The last answer is queued: it is written, then the connection closes — after a
    /// lingering close when `linger` (the client may still be sending).
    Closing { linger: bool },
    /// Our side is shut (FIN sent); the client's input is read and dropped until it closes
    /// or `until`, so that our close does not become a reset that destroys the response
    /// before the client has read it (RFC 9112 §9.6).
    Lingering { until: Instant },
    /// Nothing more to do: the driver closes the socket.
    Closed,
}

/// One connection's state.
pub struct Session<R: Responder = Site> {
    peer: IpAddr,
    responder: R,
    phase: Phase,
    input: Input,
    /// Request body bytes still to read and drop before the next request starts.
    discard: u64,
    output: Output,
    deadlines: Deadlines,
    /// Bytes dropped while lingering.
    drained: usize,
}

/// Whether a response ends the connection.
#[derive(Clone, Copy, Debug)]
enum Ending {
    KeepOpen,
    /// Close after it; `linger`: drain the client's input first.
    Close {
        linger: bool,
    },
}

/// The deadlines, each an instant computed from the `now` of some call.
struct Deadlines {
    /// The request head being received must be complete by then: from accept for a first
    /// request; from the end of the previous response, or from the first byte after an
    /// idle wait, for the next ones. One fixed deadline: bytes trickled in do not move it.
    head: Instant,
    /// Set once a response has gone out, until a byte of the next request comes: a
    /// kept-alive connection waits this long at most for that byte.
    idle: Option<Instant>,
    /// Set while output waits: the client must take some of it by then.
    write: Option<Instant>,
    /// A response was queued: head and idle restart when the output has all gone out.
    restart_when_sent: bool,
}

impl<R: Responder> Session<R> {
    /// A connection accepted at `env.now`.
    pub fn new(peer: IpAddr, responder: R, env: &Env) -> Session<R> {
        Session {
            peer,
            responder,
            phase: Phase::Open,
            input: Input::default(),
            discard: 0,
            output: Output::default(),
            deadlines: Deadlines {
                head: env.now + env.timeouts.head,
                idle: None,
                write: None,
                restart_when_sent: false,
            },
            drained: 0,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The responder sends in small pieces on purpose (`--flaw byte-per-send`).
    pub fn sends_in_pieces(&self) -> bool {
        self.responder.send_limit().is_some()
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Where the next read should put its bytes, or `None` when the session reads nothing
    /// now: closed, the client's input ended, or enough is buffered until answers go out.
    pub fn read_buffer(&mut self, env: &Env) -> Option<&mut [u8]> {
        if self.input.ended {
            return None;
        }
        match self.phase {
            Phase::Closed => None,
            Phase::Lingering { .. } => {
                // A sink: what arrives now is read only to be dropped.
                self.input.clear();
                Some(self.input.room(READ_CHUNK))
            }
            Phase::Open | Phase::Closing { .. } => {
                let bound = env.rules.limits.max_head_bytes + READ_CHUNK;
                let unanswered = self.input.end - self.input.start;
                if unanswered >= bound || !self.output.is_empty() && unanswered >= READ_CHUNK {
                    return None;
                }
                let limit = self.responder.read_limit();
                let room = self.input.room(bound);
                let len = limit.map_or(room.len(), |limit| room.len().min(limit));
                Some(&mut room[..len])
            }
        }
    }

    /// `count` bytes were read into the buffer [`Session::read_buffer`] gave; 0 means the
    /// client's input ended. Answers what became complete.
    pub fn received(&mut self, count: usize, env: &Env) {
        self.responder.received(count);
        if count == 0 {
            self.input.ended = true;
        }
        match self.phase {
            Phase::Closed => {}
            Phase::Lingering { .. } => {
                self.drained += count;
                if count == 0 || self.drained > DRAIN_LIMIT {
                    self.phase = Phase::Closed;
                }
            }
            Phase::Open | Phase::Closing { .. } => {
                if count > 0 && !self.partial_request() && self.deadlines.idle.take().is_some() {
                    // The first byte after an idle wait: the head's time starts now.
                    self.deadlines.head = env.now + env.timeouts.head;
                }
                self.input.end = (self.input.end + count).min(self.input.bytes.len());
                self.answer_ready(env);
            }
        }
        self.settle();
    }

    /// What to send next, if anything.
    pub fn transmit(&self) -> Option<Transmit<'_>> {
        match self.phase {
            Phase::Closed | Phase::Lingering { .. } => None,
            Phase::Closing { linger: true } if self.output.is_empty() => Some(Transmit::Shutdown),
            Phase::Closing { linger } => self.output.transmit(!linger, self.responder.send_limit()),
            Phase::Open => self.output.transmit(false, self.responder.send_limit()),
        }
    }

    /// `count` bytes of what [`Session::transmit`] gave went out. Answers what waited for
    /// room in the output.
    pub fn sent(&mut self, count: usize, env: &Env) {
        self.output.advance(count);
        if count > 0 {
            self.deadlines.write = Some(env.now + env.timeouts.write);
        }
        if self.output.is_empty() {
            self.deadlines.write = None;
            if self.deadlines.restart_when_sent && self.phase == Phase::Open {
                // A response has just gone out: the next request's time starts now. Only
                // then — a byte trickled in must never move these deadlines.
                self.deadlines.restart_when_sent = false;
                self.deadlines.head = env.now + env.timeouts.head;
                self.deadlines.idle = Some(env.now + env.timeouts.idle);
            }
            self.answer_ready(env);
        }
        self.settle();
    }

    /// The driver shut the write side down, as [`Transmit::Shutdown`] asked.
    pub fn shut_down(&mut self, env: &Env) {
        if let Phase::Closing { .. } = self.phase {
            self.input.clear();
            self.discard = 0;
            self.phase = Phase::Lingering {
                until: env.now + env.timeouts.linger,
            };
        }
    }

    /// When the session next needs [`Session::tick`], if ever: the lingering bound; the
    /// write deadline while output waits; the head deadline while part of a request is
    /// here; else the idle deadline (or the head deadline, for a first request).
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Closed => None,
            Phase::Lingering { until } => Some(until),
            _ if !self.output.is_empty() => self.deadlines.write,
            Phase::Closing { .. } => None,
            Phase::Open if self.partial_request() => Some(self.deadlines.head),
            Phase::Open => Some(self.deadlines.idle.unwrap_or(self.deadlines.head)),
        }
    }

    /// Time passed: acts on a deadline that has come. Part of a request whose time is up
    /// gets a 408 that says what had arrived and what was missing; an idle connection is
    /// closed without a word (the client may be sending its next request right now); a
    /// client that stopped reading is dropped.
    pub fn tick(&mut self, env: &Env) {
        let Some(deadline) = self.deadline() else {
            return;
        };
        if env.now < deadline {
            return;
        }
        match self.phase {
            Phase::Open if self.output.is_empty() && self.partial_request() => {
                let partial = self.input.unanswered();
                // The 408 says what had arrived and what was missing: a body still owed,
                // or the head so far.
                let why = if self.discard > 0 {
                    explain_unfinished_body(self.discard, env.timeouts.head)
                } else {
                    explain_incomplete_head(partial, env.timeouts.head)
                };
                let logged = Logged::of(partial, env);
                self.input.clear();
                self.discard = 0;
                let ending = Ending::Close { linger: true };
                self.queue_response(timeout_response(&why, env.date), logged, ending, env);
            }
            Phase::Open | Phase::Lingering { .. } => {
                self.output.abandon();
                self.phase = Phase::Closed;
            }
            Phase::Closing { .. } => self.abort(),
            Phase::Closed => {}
        }
        self.settle();
    }

    /// The server is stopping: a response in flight is finished, then the connection
    /// closes; an idle or half-received connection closes now.
    pub fn stop(&mut self) {
        if self.output.is_empty() {
            self.phase = Phase::Closed;
        } else if self.phase != Phase::Closed {
            self.phase = Phase::Closing { linger: false };
        }
    }

    /// The connection failed (the client vanished, a file ended early): closed now; the
    /// access log still gets every response, with the body bytes that went out.
    pub fn abort(&mut self) {
        self.output.abandon();
        self.phase = Phase::Closed;
    }

    /// The access-log records of responses that went out since the last call.
    pub fn take_log(&mut self) -> impl Iterator<Item = LogRecord> + '_ {
        self.output.done.drain(..)
    }

    fn partial_request(&self) -> bool {
        self.input.start < self.input.end || self.discard > 0
    }

    /// Answers every complete request received, in order, while the output has room.
    fn answer_ready(&mut self, env: &Env) {
        while self.phase == Phase::Open && self.output.has_room() {
            if self.discard > 0 {
                let take = self.input.unanswered().len() as u64;
                let take = take.min(self.discard);
                self.input.consume(take as usize);
                self.discard -= take;
                if self.discard > 0 {
                    break;
                }
            }
            let input = self.input.unanswered();
            if input.is_empty() {
                break;
            }
            let responder = &mut self.responder;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                panic_if_asked(input, env);
                responder.answer(input, env)
            }));
            let answer = match outcome {
                Ok(Outcome::Incomplete) => break,
                Ok(Outcome::Answer(answer)) => answer,
                // A bug inside the server (never a client's fault): the answers queued for
                // earlier requests still go out, this one gets a 500, and the connection
                // closes, since what it would have consumed is unknown.
                Err(_) => Answer {
                    response: refusal(
                        Status::INTERNAL_SERVER_ERROR,
                        "the server failed on this request (a bug in httplab)",
                        env.date,
                    ),
                    consumed: input.len(),
                    discard: 0,
                    close: true,
                    client_done: false,
                },
            };
            let logged = Logged::of(&input[..answer.consumed.min(input.len())], env);
            self.input.consume(answer.consumed);
            self.discard = answer.discard;
            let ending = if !answer.close {
                Ending::KeepOpen
            } else {
                // Linger unless the client is known to send nothing more: it asked for the
                // close, and nothing of another request is here.
                Ending::Close {
                    linger: !answer.client_done || self.partial_request(),
                }
            };
            self.queue_response(answer.response, logged, ending, env);
        }
    }

    /// Puts a response in the output, with its log record.
    fn queue_response(
        &mut self,
        mut response: Response,
        logged: Logged,
        ending: Ending,
        env: &Env,
    ) {
        let status = response.status.code();
        let why = response.why.take();
        let before = self.output.bytes.len();
        let encoded = self.responder.encode(response, &mut self.output.bytes);
        let file_len = encoded.file.as_ref().map_or(0, StreamedFile::len);
        let total = (self.output.bytes.len() - before) as u64 + file_len;
        let start = self.output.queued;
        self.output.queued += total;
        if let Some(streamed) = encoded.file {
            self.output.stream(streamed);
        }
        if env.log {
            self.output.unsent.push_back(Unsent {
                record: LogRecord {
                    peer: self.peer,
                    time: env.date.time(),
                    request_line: logged.request_line,
                    status,
                    body_bytes: encoded.body_len,
                    why,
                    arrived: logged.arrived,
                },
                body_start: start + total - encoded.body_len.min(total),
                end: start + total,
            });
        }
        self.deadlines.restart_when_sent = true;
        if self.deadlines.write.is_none() {
            self.deadlines.write = Some(env.now + env.timeouts.write);
        }
        match (ending, encoded.broken) {
            (Ending::Close { linger }, false) => self.phase = Phase::Closing { linger },
            (_, true) => self.phase = Phase::Closing { linger: true },
            (Ending::KeepOpen, false) => {}
        }
    }

    /// Moves to the phase that follows from what is left to do.
    fn settle(&mut self) {
        if !self.output.is_empty() {
            return;
        }
        match self.phase {
            Phase::Open if self.input.ended => self.phase = Phase::Closed,
            Phase::Closing { linger: false } => self.phase = Phase::Closed,
            Phase::Closing { linger: true } if self.input.ended => self.phase = Phase::Closed,
            _ => {}
        }
    }
}

/// Test-only: a request for `Env::panic_on_target` panics, to prove that a bug
/// inside the server ends only its own request.
fn panic_if_asked(input: &[u8], env: &Env) {
    if let Some(target) = env.panic_on_target
        && request_line(input).split(' ').nth(1) == Some(target)
    {
        panic!("test-only panic for {target}");
    }
}
