//! The server as a whole: bind, run one of the two connection models, stop cleanly.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::access_log::AccessLog;
use super::{Model, ServeError, ServerConfig, events, threads};
use crate::site::DiskView;

/// State every connection, thread and worker shares.
pub(super) struct Shared {
    pub view: DiskView,
    pub config: ServerConfig,
    pub log: AccessLog,
    stopping: AtomicBool,
    /// Connections open now, across all threads or workers.
    pub active: AtomicUsize,
    pub next_id: AtomicU64,
    /// Thread model: a handle on every open connection, so that a shutdown can wake the
    /// idle ones.
    pub open: Mutex<HashMap<u64, TcpStream>>,
    /// Event model: one waker per worker, to tell it to stop.
    pub wakers: Mutex<Vec<Arc<mio::Waker>>>,
}

impl Shared {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Test-only: panics when `input` asks for the configured target (see
    /// `ServerConfig::panic_on_target`).
    pub fn panic_if_asked(&self, input: &[u8]) {
        if let Some(target) = &self.config.panic_on_target
            && crate::http::request::first_line_for_log(input)
                .split(' ')
                .nth(1)
                == Some(target.as_str())
        {
            panic!("test-only panic for {target}");
        }
    }

    /// The connection model this run uses: flaws need the thread model, where they live.
    pub fn model(&self) -> Model {
        if self.config.flaws.is_empty() {
            self.config.model
        } else {
            Model::Threads
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
                wakers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The address actually bound (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The connection model this server will run.
    pub fn model(&self) -> Model {
        self.shared.model()
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
        let abandoned = match shared.model() {
            Model::Threads => {
                threads::accept_loop(self.listener, &shared);
                let deadline = Instant::now() + shared.config.timeouts.shutdown_grace;
                while shared.active.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(10));
                }
                shared.active.load(Ordering::Acquire)
            }
            Model::Events => events::run(self.listener, &shared),
        };
        RunSummary { abandoned }
    }

    /// Runs on a new thread; the returned handle stops it when dropped.
    pub fn spawn(self) -> RunningServer {
        let addr = self.local_addr;
        let stopper = self.stopper();
        let thread = thread::Builder::new()
            .name("httplab-server".into())
            .spawn(move || self.run())
            .expect("spawning the server thread");
        RunningServer {
            addr,
            stopper,
            thread: Some(thread),
        }
    }
}

impl Stopper {
    /// Stops accepting, wakes every connection waiting for a request so it closes, and lets
    /// responses in flight finish. Safe to call more than once.
    pub fn stop(&self) {
        if self.shared.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        for waker in lock(&self.shared.wakers).iter() {
            let _ = waker.wake();
        }
        for stream in lock(&self.shared.open).values() {
            // A blocked read returns end-of-file; a write in progress is untouched.
            let _ = stream.shutdown(Shutdown::Read);
        }
        if self.shared.model() == Model::Threads {
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
