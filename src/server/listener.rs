//! The server as a whole: bind, run one of the two connection models, stop cleanly.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

use super::record::RecordSink;
use super::shared::Shared;
use super::{Model, ServeError, ServerConfig, events, threads};
use crate::site::DiskView;

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
        let record =
            match &config.record {
                Some(dir) => Some(RecordSink::start(dir, local_addr).map_err(|source| {
                    ServeError::Record {
                        path: dir.clone(),
                        source,
                    }
                })?),
                None => None,
            };
        let mut shared = Shared::new(view, config);
        shared.record = record;
        Ok(Server {
            listener,
            local_addr,
            shared: Arc::new(shared),
        })
    }

    /// The address actually bound (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether `--record` captures packets, or why not (`None` when not recording).
    pub fn record_capturing(&self) -> Option<Result<(), String>> {
        self.shared.record.as_ref().map(|sink| sink.capturing())
    }

    /// The connection model this server will run.
    pub fn model(&self) -> Model {
        self.shared.config.effective_model()
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            shared: self.shared.clone(),
        }
    }

    /// Accepts and serves until stopped, then waits (bounded) for responses in flight.
    pub fn run(self) -> RunSummary {
        let shared = self.shared;
        let abandoned = match shared.config.effective_model() {
            Model::Threads => threads::run(self.listener, &shared),
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
        self.shared.stop();
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
