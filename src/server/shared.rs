//! What every connection, thread and worker of one server shares: the folder, the
//! configuration, the access log, the connection count, and how to wake everyone when the
//! server stops. It knows neither connection model; each registers what wakes it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::ServerConfig;
use super::access_log::AccessLog;
use super::record::RecordSink;
use crate::site::DiskView;

/// Something that wakes a waiting connection or worker so it sees that the server stops.
type Wake = Box<dyn Fn() + Send>;

pub(super) struct Shared {
    pub view: DiskView,
    pub config: ServerConfig,
    pub log: AccessLog,
    stopping: AtomicBool,
    /// Connections open now, across all threads or workers.
    pub active: AtomicUsize,
    next_waker: AtomicU64,
    wakers: Mutex<HashMap<u64, Wake>>,
    /// Where each connection is recorded (`serve --record`).
    pub record: Option<RecordSink>,
}

/// Unregisters its waker when dropped (see [`Shared::wake_on_stop`]).
pub(super) struct WakerGuard<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for WakerGuard<'_> {
    fn drop(&mut self) {
        lock(&self.shared.wakers).remove(&self.id);
    }
}

impl Shared {
    pub fn new(view: DiskView, config: ServerConfig) -> Shared {
        let log = AccessLog {
            enabled: !config.quiet,
            show_requests: config.show_requests,
        };
        Shared {
            view,
            config,
            log,
            stopping: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            next_waker: AtomicU64::new(0),
            wakers: Mutex::new(HashMap::new()),
            record: None,
        }
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Marks the server as stopping and wakes everything registered. Safe to call more than once.
    pub fn stop(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        for wake in lock(&self.wakers).values() {
            wake();
        }
    }

    /// Registers `wake`, called once when the server stops, until the guard is dropped.
    /// Register before checking [`Shared::stopping`], so that no stop falls in between.
    pub fn wake_on_stop(&self, wake: impl Fn() + Send + 'static) -> WakerGuard<'_> {
        let id = self.next_waker.fetch_add(1, Ordering::Relaxed);
        lock(&self.wakers).insert(id, Box::new(wake));
        WakerGuard { shared: self, id }
    }

    /// Whether one more connection may be served (else it gets 503).
    pub fn has_room(&self) -> bool {
        self.active.load(Ordering::Acquire) < self.config.max_connections
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
