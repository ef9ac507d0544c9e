//! One event-loop worker: a mio `Poll` over the shared listener and its own connections, a
//! tick for deadlines, and a clean stop.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use super::conn::{Conn, Ctx, Next};
use crate::http::DateCache;
use crate::server::cache::CachedView;
use crate::server::shared::Shared;
use crate::server::socket::refuse_overload;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
/// Connection tokens start here.
const FIRST_CONN: usize = 2;
/// How often deadlines are checked.
const TICK: Duration = Duration::from_millis(100);

/// Runs one worker until the server stops; returns how many connections it abandoned when
/// the shutdown grace ran out.
pub(super) fn run(listener: std::net::TcpListener, shared: &Arc<Shared>) -> io::Result<usize> {
    let poll = Poll::new()?;
    let waker = Waker::new(poll.registry(), WAKER)?;
    let _waker = shared.wake_on_stop(move || drop(waker.wake()));
    let mut listener = TcpListener::from_std(listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let view = CachedView::new(&shared.view);
    let mut worker = Worker {
        poll,
        listener: Some(listener),
        shared,
        conns: Vec::new(),
        free: Vec::new(),
        turns: VecDeque::new(),
    };
    Ok(worker.run(&view))
}

struct Worker<'s> {
    poll: Poll,
    /// `None` once the server stops: closed, so that new connections are refused.
    listener: Option<TcpListener>,
    shared: &'s Shared,
    /// Connections by token - FIRST_CONN; `None` slots are free (listed in `free`).
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// Connections that used up their turn with more to send, in the order they yielded.
    turns: VecDeque<usize>,
}

impl Worker<'_> {
    fn run(&mut self, view: &CachedView) -> usize {
        let mut events = Events::with_capacity(1024);
        let mut last_tick = Instant::now();
        let mut grace_until: Option<Instant> = None;
        let mut date = DateCache::new((self.shared.config.clock)());
        loop {
            // Connections waiting for another turn: look at the sockets without sleeping.
            let wait = if self.turns.is_empty() {
                TICK
            } else {
                Duration::ZERO
            };
            if let Err(error) = self.poll.poll(&mut events, Some(wait))
                && error.kind() != ErrorKind::Interrupted
            {
                eprintln!("httplab: a worker's poll failed: {error}");
                return self.open_count();
            }
            date.set((self.shared.config.clock)());
            let ctx = Ctx {
                shared: self.shared,
                view,
                now: Instant::now(),
                date: &date,
            };
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(&ctx),
                    WAKER => {}
                    Token(token) => {
                        let slot = token - FIRST_CONN;
                        let next = match self.conns.get_mut(slot).and_then(Option::as_mut) {
                            Some(conn) => guarded(conn, |conn| conn.on_ready(&ctx)),
                            None => continue,
                        };
                        self.settle(slot, next);
                    }
                }
            }
            for _ in 0..self.turns.len() {
                let Some(slot) = self.turns.pop_front() else {
                    break;
                };
                let next = match self.conns.get_mut(slot).and_then(Option::as_mut) {
                    Some(conn) => {
                        conn.in_turns = false;
                        if !conn.yielded {
                            continue;
                        }
                        guarded(conn, |conn| conn.on_ready(&ctx))
                    }
                    None => continue,
                };
                self.settle(slot, next);
            }
            if self.shared.stopping() {
                let until = *grace_until.get_or_insert_with(|| {
                    self.begin_stop(&ctx);
                    ctx.now + self.shared.config.timeouts.shutdown_grace
                });
                if self.open_count() == 0 || ctx.now >= until {
                    let abandoned = self.open_count();
                    for slot in 0..self.conns.len() {
                        self.close(slot);
                    }
                    return abandoned;
                }
            }
            if ctx.now.duration_since(last_tick) >= TICK {
                last_tick = ctx.now;
                for slot in 0..self.conns.len() {
                    if let Some(conn) = self.conns[slot].as_mut() {
                        let next = guarded(conn, |conn| conn.on_tick(&ctx));
                        self.settle(slot, next);
                    }
                }
            }
        }
    }

    fn open_count(&self) -> usize {
        self.conns.iter().filter(|c| c.is_some()).count()
    }

    /// Accepts every waiting connection (another worker may take some first).
    fn accept(&mut self, ctx: &Ctx) {
        while let Some(listener) = &self.listener {
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(error) => {
                    // Out of file descriptors and the like: the tick comes back to it.
                    eprintln!("httplab: accept failed: {error}");
                    return;
                }
            };
            if !self.shared.has_room() {
                refuse_overload(stream, ctx.date);
                continue;
            }
            if cfg!(not(target_os = "linux")) {
                // Linux: inherited from the listener.
                let _ = stream.set_nodelay(true);
            }
            let slot = self.free.pop().unwrap_or_else(|| {
                self.conns.push(None);
                self.conns.len() - 1
            });
            let mut conn = Conn::new(stream, peer, ctx);
            if self
                .poll
                .registry()
                .register(
                    &mut conn.stream,
                    Token(slot + FIRST_CONN),
                    Interest::READABLE,
                )
                .is_err()
            {
                self.free.push(slot);
                continue;
            }
            self.shared.active.fetch_add(1, Ordering::AcqRel);
            // With deferred accept the request is usually here already: answer it now rather
            // than after another round of poll.
            let next = guarded(&mut conn, |conn| conn.on_ready(ctx));
            self.conns[slot] = Some(conn);
            self.settle(slot, next);
        }
    }

    /// Closes the connection, or updates what it is registered for.
    fn settle(&mut self, slot: usize, next: Next) {
        if next == Next::Close {
            self.close(slot);
            return;
        }
        let Some(conn) = self.conns[slot].as_mut() else {
            return;
        };
        if conn.yielded && !conn.in_turns {
            conn.in_turns = true;
            self.turns.push_back(slot);
        }
        let interest = if conn.wants_write {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if conn.registered_writable != conn.wants_write {
            if self
                .poll
                .registry()
                .reregister(&mut conn.stream, Token(slot + FIRST_CONN), interest)
                .is_err()
            {
                self.close(slot);
                return;
            }
            conn.registered_writable = conn.wants_write;
        }
    }

    fn close(&mut self, slot: usize) {
        // Closing the socket takes it out of epoll too: no deregister call needed.
        if self.conns[slot].take().is_some() {
            self.free.push(slot);
            self.shared.active.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Stop accepting; close idle connections; let the busy ones finish.
    fn begin_stop(&mut self, ctx: &Ctx) {
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        for slot in 0..self.conns.len() {
            if let Some(conn) = self.conns[slot].as_mut() {
                let next = guarded(conn, |conn| conn.on_stop(ctx));
                self.settle(slot, next);
            }
        }
    }
}

/// Runs `step` on a connection; a panic in it (a bug) ends that connection only, never the
/// worker and the other connections it serves.
fn guarded(conn: &mut Conn, step: impl FnOnce(&mut Conn) -> Next) -> Next {
    match catch_unwind(AssertUnwindSafe(|| step(conn))) {
        Ok(next) => next,
        Err(_) => {
            eprintln!(
                "httplab: a connection failed inside the server (a bug); it is closed, the server goes on"
            );
            Next::Close
        }
    }
}
