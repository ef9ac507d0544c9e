//! One connection in the event model: a non-blocking socket driven by readiness. Like the
//! thread model's loop, it only moves bytes between the socket and the session and tells it
//! the time; the worker calls it when the socket is ready, on a tick for the session's
//! deadlines, and when the server stops.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

use mio::net::TcpStream;

use crate::http::DateCache;
use crate::server::cache::CachedView;
use crate::server::session::{Env, Session, Site, Transmit};
use crate::server::shared::Shared;
use crate::server::socket::{send_before_close, sendfile};

/// Bytes of a large file sent in one turn; then the worker serves the other connections
/// before this one goes on, so fifty downloads share the worker fairly. Measured on 1 MiB
/// files, 50 clients: no turns, p99 36–72 ms; 256 KiB, 35–39 ms; 64 KiB, 19–21 ms (lighttpd
/// 26–30 ms) with the most throughput; 32 KiB loses a quarter of it.
const FILE_TURN: u64 = 64 * 1024;

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

impl Ctx<'_, '_> {
    fn env(&self) -> Env<'_> {
        self.shared.config.env(self.now, self.date, self.view)
    }
}

pub(super) struct Conn {
    pub stream: TcpStream,
    session: Session<Site>,
    /// Its output is blocked: it waits for the socket to be writable.
    pub wants_write: bool,
    /// Whether it is registered for writable events now.
    pub registered_writable: bool,
    /// It used up its turn with more of a file to send: the worker comes back to it without
    /// waiting for an event.
    pub yielded: bool,
    /// It is in the worker's queue of turns (at most once).
    pub in_turns: bool,
}

impl Conn {
    pub fn new(stream: TcpStream, peer: SocketAddr, ctx: &Ctx) -> Conn {
        Conn {
            stream,
            session: Session::new(peer.ip(), Site, &ctx.env()),
            wants_write: false,
            registered_writable: false,
            yielded: false,
            in_turns: false,
        }
    }

    /// The socket is readable or writable (or both, or closed): move what can move.
    pub fn on_ready(&mut self, ctx: &Ctx) -> Next {
        self.yielded = false;
        let env = ctx.env();
        loop {
            let moved = self
                .read_available(&env)
                .and_then(|full| Ok((full, self.write_available(&env)?)));
            match moved {
                Err(_) => self.session.abort(),
                // Go round again only if something can still move: input was left unread
                // (the buffer was full) and writing made room, or our side was just shut
                // and the client's input is now to be drained.
                Ok((full, Written::Some)) if full => continue,
                Ok((_, Written::ShutDown)) => continue,
                Ok(_) => {}
            }
            break;
        }
        self.finish_call(ctx)
    }

    /// Deadlines: the worker calls this a few times a second.
    pub fn on_tick(&mut self, ctx: &Ctx) -> Next {
        let env = ctx.env();
        self.session.tick(&env);
        // A 408 may have been queued.
        if self.write_available(&env).is_err() {
            self.session.abort();
        }
        self.finish_call(ctx)
    }

    /// The server is stopping: the session finishes a response in flight, or closes.
    pub fn on_stop(&mut self, ctx: &Ctx) -> Next {
        self.session.stop();
        self.finish_call(ctx)
    }

    fn finish_call(&mut self, ctx: &Ctx) -> Next {
        for record in self.session.take_log() {
            ctx.shared.log.write(&record);
        }
        if self.session.is_closed() {
            Next::Close
        } else {
            Next::Keep
        }
    }

    /// Reads what has arrived. `Ok(true)` when reading stopped because the session took no
    /// more for now (bytes may still wait in the socket).
    fn read_available(&mut self, env: &Env) -> io::Result<bool> {
        loop {
            let Some(buffer) = self.session.read_buffer(env) else {
                return Ok(true);
            };
            let room = buffer.len();
            match self.stream.read(buffer) {
                Ok(count) => {
                    self.session.received(count, env);
                    // A short read means the socket is drained for now; epoll says when
                    // more comes.
                    if count < room {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes what the session has queued, as far as the socket takes it and a large file's
    /// turn allows.
    fn write_available(&mut self, env: &Env) -> io::Result<Written> {
        let mut written = Written::Nothing;
        let mut turn = FILE_TURN;
        while let Some(transmit) = self.session.transmit() {
            let result = match transmit {
                Transmit::Bytes { bytes, last: true } => send_before_close(&self.stream, bytes),
                Transmit::Bytes { bytes, last: false } => self.stream.write(bytes),
                Transmit::File { .. } if turn == 0 => {
                    self.yielded = true;
                    return Ok(written);
                }
                Transmit::File { file, offset, len } => {
                    sendfile(&self.stream, file, offset, len.min(turn)).inspect(|sent| {
                        turn = turn.saturating_sub(*sent as u64);
                    })
                }
                Transmit::Shutdown => {
                    let _ = self.stream.shutdown(Shutdown::Write);
                    self.session.shut_down(env);
                    return Ok(Written::ShutDown);
                }
            };
            match result {
                Ok(0) => return Err(ErrorKind::WriteZero.into()), // a file that ended early
                Ok(count) => {
                    self.session.sent(count, env);
                    written = Written::Some;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.wants_write = true;
                    return Ok(written);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.wants_write = false;
        Ok(written)
    }
}

/// What a round of writing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Nothing,
    Some,
    /// Everything went out and our side is shut: the client's input is to be drained.
    ShutDown,
}
