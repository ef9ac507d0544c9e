//! `httplab serve`: the server around [`respond`](crate::respond()).
//!
//! - `session`: THE per-connection policy, pure — buffering, pipelining, keep-alive or close,
//!   every deadline, the lingering close, the access-log record. Nothing else decides
//!   anything per connection.
//! - Two thin drivers over it, which move bytes and time and know nothing of HTTP:
//!   `threads` + `connection` (a thread per connection, blocking calls: the assignment's
//!   multithreaded server, written to be read) and `events` (a few epoll workers: the fast
//!   default).
//! - `flaw`: student bugs on purpose (`serve --flaw`), a wrapper around the session's
//!   responder, outside both drivers.
//! - `listener` binds and runs a model and stops it; `shared` is what all connections share;
//!   `socket` the few socket calls std lacks; `cache` the event workers' file cache;
//!   `access_log` the log line; `record` writes each connection's side (`serve --record`).

mod access_log;
mod cache;
mod connection;
mod error;
mod events;
pub mod flaw;
mod listener;
pub mod record;
pub mod session;
mod shared;
mod socket;
mod threads;

use std::path::PathBuf;
use std::time::Instant;

use crate::http::Now;
use crate::respond::Rules;
use crate::site::FileView;

pub use access_log::{Arrived, LogRecord, format_entry, format_line, request_line};
pub use error::ServeError;
pub use listener::{RunSummary, RunningServer, Server, Stopper};
pub use session::{Env, Timeouts};

/// How connections are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// A few event-loop workers (epoll through mio), each serving many connections: the
    /// default, because it is the fast one.
    Events,
    /// A thread per connection: the assignment's multithreaded server, easy to read.
    Threads,
}

/// Everything `httplab serve` can be told.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The folder to serve.
    pub root: PathBuf,
    /// Address and port to listen on; port 0 picks a free one.
    pub bind: std::net::SocketAddr,
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    pub model: Model,
    /// Event-loop workers (event model only).
    pub workers: usize,
    pub timeouts: Timeouts,
    /// The bounds on a request, and the cache policy (`--cache-control`).
    pub rules: Rules,
    /// No access log.
    pub quiet: bool,
    /// Each request head as it arrived, on stderr under its access-log line
    /// (`serve --show-requests`); `quiet` silences it too.
    pub show_requests: bool,
    /// Student bugs reproduced on purpose (`serve --flaw`); empty for the real server.
    pub flaws: flaw::Flaws,
    /// Write each connection's transcript and packets into this folder (`serve --record`).
    pub record: Option<PathBuf>,
    /// Where `Date` comes from: the system clock, or a fixed time in byte-exact tests.
    pub clock: fn() -> std::time::SystemTime,
    /// Test-only: a request for exactly this target panics inside its connection, to prove
    /// that a bug in one connection never takes the server down. The CLI never sets it.
    #[doc(hidden)]
    pub panic_on_target: Option<String>,
}

/// Raises this process's soft limit on open files to its hard limit: every connection is a
/// file descriptor, and the usual soft limit (1024) is below what `--max-connections`
/// allows. Returns the limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return Some(raised.rlim_cur as u64);
            }
        }
        Some(limit.rlim_cur as u64)
    }
}

/// One event-loop worker per core but one, at least one: httplab usually shares its
/// machine with the clients that test it (a browser, `check`, a load tool), and on a
/// two-core machine one worker measured faster than two (tests/bench/RESULTS.md).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

impl ServerConfig {
    /// The connection model a run uses: flaws are reproduced, and connections recorded, in
    /// the thread model only (where a student would have written them; off the fast path).
    pub fn effective_model(&self) -> Model {
        if self.flaws.is_empty() && self.record.is_none() {
            self.model
        } else {
            Model::Threads
        }
    }

    /// What a session is told for one call at `now`.
    pub fn env<'a>(&'a self, now: Instant, date: &'a dyn Now, view: &'a dyn FileView) -> Env<'a> {
        Env {
            now,
            date,
            view,
            rules: &self.rules,
            timeouts: &self.timeouts,
            log: !self.quiet,
            show_requests: self.show_requests && !self.quiet,
            panic_on_target: self.panic_on_target.as_deref(),
        }
    }

    /// The defaults: port 6789 on loopback, 1024 connections.
    pub fn new(root: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            root: root.into(),
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 6789)),
            max_connections: 1024,
            model: Model::Events,
            workers: default_workers(),
            timeouts: Timeouts::default(),
            rules: Rules::default(),
            quiet: false,
            show_requests: false,
            flaws: flaw::Flaws::default(),
            record: None,
            clock: std::time::SystemTime::now,
            panic_on_target: None,
        }
    }
}
