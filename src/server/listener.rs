//! Accepting connections, bounding them, and stopping cleanly.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::access_log::AccessLog;
use super::connection::serve_connection;
use super::flaw::Flaw;
use super::{ServeError, ServerConfig};
use crate::respond::overload_response;
use crate::site::DiskView;

/// Stack of a connection thread: respond needs little, and 1024 threads must stay cheap.
const CONNECTION_STACK: usize = 256 * 1024;

/// State every connection thread shares.
pub(super) struct Shared {
    pub view: DiskView,
    pub config: ServerConfig,
    pub log: AccessLog,
    stopping: AtomicBool,
    active: AtomicUsize,
    next_id: AtomicU64,
    /// A handle on every open connection, so that a shutdown can wake the idle ones.
    open: Mutex<HashMap<u64, TcpStream>>,
}

impl Shared {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
}

/// Stops a running server from another thread (a signal handler, a test).
#[derive(Clone)]
pub struct Stopper {
    shared: Arc<Shared>,
    local_addr: SocketAddr,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Connections still open when the shutdown grace period ran out.
    pub abandoned: usize,
}

/// A server running on its own thread (for tests and embedding).
pub struct RunningServer {
    pub addr: SocketAddr,
    stopper: Stopper,
    thread: Option<thread::JoinHandle<RunSummary>>,
}

impl Server {
    /// Checks the folder and binds the address; nothing is accepted until [`Server::run`].
    pub fn bind(config: ServerConfig) -> Result<Server, ServeError> {
        let view = DiskView::new(&config.root).map_err(|source| ServeError::Folder {
            path: config.root.clone(),
            source,
        })?;
        std::fs::read_dir(view.root()).map_err(|source| ServeError::Folder {
            path: config.root.clone(),
            source,
        })?;
        let listener = TcpListener::bind(config.bind).map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: config.bind,
            source,
        })?;
        let log = AccessLog {
            enabled: !config.quiet,
        };
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(Shared {
                view,
                config,
                log,
                stopping: AtomicBool::new(false),
                active: AtomicUsize::new(0),
                next_id: AtomicU64::new(0),
                open: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The address actually bound (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            shared: self.shared.clone(),
            local_addr: self.local_addr,
        }
    }

    /// Accepts and serves until stopped, then waits (bounded) for responses in flight.
    pub fn run(self) -> RunSummary {
        let shared = self.shared;
        for incoming in self.listener.incoming() {
            if shared.stopping() {
                break;
            }
            match incoming {
                Ok(stream) => admit(stream, &shared),
                Err(error) => {
                    // Out of file descriptors and the like: say so, breathe, go on.
                    eprintln!("httplab: accept failed: {error}");
                    thread::sleep(Duration::from_millis(10));
                }
            }
        }
        drop(self.listener);
        let deadline = Instant::now() + shared.config.timeouts.shutdown_grace;
        while shared.active.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        RunSummary {
            abandoned: shared.active.load(Ordering::Acquire),
        }
    }

    /// Runs on a new thread; the returned handle stops it when dropped.
    pub fn spawn(self) -> RunningServer {
        let addr = self.local_addr;
        let stopper = self.stopper();
        let thread = thread::Builder::new()
            .name("httplab-accept".into())
            .spawn(move || self.run())
            .expect("spawning the accept thread");
        RunningServer {
            addr,
            stopper,
            thread: Some(thread),
        }
    }
}

/// Serves a new connection on its own thread, or answers 503 past the connection limit.
fn admit(stream: TcpStream, shared: &Arc<Shared>) {
    let peer = match stream.peer_addr() {
        Ok(peer) => peer,
        Err(_) => return, // already gone
    };
    if shared.active.load(Ordering::Acquire) >= shared.config.max_connections {
        refuse_overload(stream, (shared.config.clock)());
        return;
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    if let Ok(handle) = stream.try_clone() {
        lock(&shared.open).insert(id, handle);
    }
    shared.active.fetch_add(1, Ordering::AcqRel);
    let guard = ConnectionGuard {
        shared: shared.clone(),
        id,
    };
    let accepted = Instant::now();
    if shared.config.flaws.has(Flaw::SingleThread) {
        // The assignment's first server: the next connection waits until this one is done.
        let result = catch_unwind(AssertUnwindSafe(|| {
            serve_connection(stream, peer, accepted, &guard.shared)
        }));
        if result.is_err() {
            eprintln!(
                "httplab: the connection from {peer} failed inside the server (a bug); the server goes on"
            );
        }
        return;
    }
    let spawned = thread::Builder::new()
        .name("httplab-conn".into())
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let guard = guard;
            let result = catch_unwind(AssertUnwindSafe(|| {
                serve_connection(stream, peer, accepted, &guard.shared);
            }));
            if result.is_err() {
                eprintln!("httplab: the connection from {peer} failed inside the server (a bug); the server goes on");
            }
        });
    if let Err(error) = spawned {
        eprintln!("httplab: cannot start a thread for {peer}: {error}");
    }
}

/// Answers 503 without a thread: the response is small enough for an empty send buffer.
fn refuse_overload(mut stream: TcpStream, now: SystemTime) {
    let _ = stream.set_nonblocking(true);
    let mut request = [0u8; 4096];
    let _ = stream.read(&mut request);
    let response = overload_response(now);
    let mut bytes = response.head_bytes();
    if let Some(body) = response.body.in_memory() {
        bytes.extend_from_slice(body);
    }
    let _ = stream.write_all(&bytes);
    let _ = stream.shutdown(Shutdown::Write);
}

/// Counts the connection out and forgets its handle, even if its thread panicked.
struct ConnectionGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        lock(&self.shared.open).remove(&self.id);
        self.shared.active.fetch_sub(1, Ordering::AcqRel);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Stopper {
    /// Stops accepting, wakes every connection waiting for a request so it closes, and lets
    /// responses in flight finish. Safe to call more than once.
    pub fn stop(&self) {
        if self.shared.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        for stream in lock(&self.shared.open).values() {
            // A blocked read returns end-of-file; a write in progress is untouched.
            let _ = stream.shutdown(Shutdown::Read);
        }
        // Wake the accept loop, which is blocked in accept().
        let mut wake = self.local_addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => [127, 0, 0, 1].into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }
}

impl RunningServer {
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Stops the server and waits for it to finish.
    pub fn stop(mut self) -> RunSummary {
        self.stopper.stop();
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or(RunSummary { abandoned: 0 })
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
