//! The thread-per-connection model, the assignment's multithreaded server: a blocking
//! accept loop, and a thread per connection (bounded). Simple to read; the event model is
//! the fast default.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::connection::serve_connection;
use super::flaw::Flaw;
use super::listener::{Shared, lock};
use crate::respond::overload_response;

/// Stack of a connection thread: respond needs little, and 1024 threads must stay cheap.
const CONNECTION_STACK: usize = 256 * 1024;

/// Accepts until the server is stopped.
pub(super) fn accept_loop(listener: TcpListener, shared: &Arc<Shared>) {
    for incoming in listener.incoming() {
        if shared.stopping() {
            break;
        }
        match incoming {
            Ok(stream) => admit(stream, shared),
            Err(error) => {
                // Out of file descriptors and the like: say so, breathe, go on.
                eprintln!("httplab: accept failed: {error}");
                thread::sleep(Duration::from_millis(10));
            }
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
pub(super) fn refuse_overload(mut stream: TcpStream, now: SystemTime) {
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
