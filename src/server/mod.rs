//! The thin socket layer: accept, one thread per connection (bounded), read until a head is
//! complete, call [`respond`](crate::respond()), write, keep alive, time out, shut down.
//!
//! It decides nothing about HTTP: every byte it sends comes from `respond` (or from the
//! `respond` helpers for 408 and 503). What it owns is resources: threads, deadlines, buffers.

mod access_log;
mod cache;
mod connection;
mod error;
mod events;
pub mod flaw;
mod listener;
mod sendfile;
mod threads;

use std::path::PathBuf;
use std::time::Duration;

use crate::http::Limits;

pub use error::ServeError;
pub use listener::{RunSummary, RunningServer, Server, Stopper};

/// Every deadline the server enforces on a client.
#[derive(Clone, Debug)]
pub struct Timeouts {
    /// A request head must be complete this long after accept, or after the end of the
    /// previous response on a kept-alive connection. One fixed deadline: a byte trickled in
    /// does not extend it.
    pub head: Duration,
    /// A kept-alive connection with no byte of a next request is closed after this long.
    pub idle: Duration,
    /// A write that makes no progress for this long drops the connection (a client that
    /// stopped reading).
    pub write: Duration,
    /// After Ctrl-C or SIGTERM, responses in flight get this long to finish.
    pub shutdown_grace: Duration,
    /// After the last response on a closing connection, input is drained for at most this
    /// long, so the close does not become a reset that destroys the response (RFC 9112 §9.6).
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(5),
            write: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            linger: Duration::from_secs(2),
        }
    }
}

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
    pub limits: Limits,
    /// No access log.
    pub quiet: bool,
    /// Student bugs reproduced on purpose (`serve --flaw`); empty for the real server.
    pub flaws: flaw::Flaws,
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
    /// The defaults: port 6789 on loopback, 1024 connections.
    pub fn new(root: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            root: root.into(),
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 6789)),
            max_connections: 1024,
            model: Model::Events,
            workers: default_workers(),
            timeouts: Timeouts::default(),
            limits: Limits::default(),
            quiet: false,
            flaws: flaw::Flaws::default(),
            clock: std::time::SystemTime::now,
            panic_on_target: None,
        }
    }
}
