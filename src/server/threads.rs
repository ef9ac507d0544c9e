//! The thread-per-connection model, the assignment's multithreaded server: a blocking accept
//! loop, and a thread per connection (bounded). Simple to read; the event model is the fast
//! default.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::connection::serve_connection;
use super::flaw::Flawed;
use super::session::{Responder, Session, Site};
use super::shared::Shared;
use super::socket::refuse_overload;

/// Stack of a connection thread: respond needs little, and 1024 threads must stay cheap.
const CONNECTION_STACK: usize = 256 * 1024;

/// Accepts until the server is stopped, then waits (bounded) for the connections still open;
/// returns how many were abandoned.
pub(super) fn run(listener: TcpListener, shared: &Arc<Shared>) -> usize {
    // A stop must wake accept(), which blocks: a connection of our own does.
    let _waker = listener
        .local_addr()
        .map(|addr| shared.wake_on_stop(move || connect_to_wake(addr)));
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => admit(stream, shared),
            Err(error) => {
                // Out of file descriptors and the like: say so, breathe, go on.
                eprintln!("httplab: accept failed: {error}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    drop(listener);
    let deadline = Instant::now() + shared.config.timeouts.shutdown_grace;
    while shared.active.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    shared.active.load(Ordering::Acquire)
}

/// Serves a new connection on its own thread, or answers 503 past the connection limit.
fn admit(stream: TcpStream, shared: &Arc<Shared>) {
    let Ok(peer) = stream.peer_addr() else {
        return; // already gone
    };
    if !shared.has_room() {
        refuse_overload(stream, (shared.config.clock)());
        return;
    }
    shared.active.fetch_add(1, Ordering::AcqRel);
    let for_thread = shared.clone();
    let spawned = thread::Builder::new()
        .name("httplab-conn".into())
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let shared = for_thread;
            let result = catch_unwind(AssertUnwindSafe(|| {
                if shared.config.flaws.is_empty() {
                    serve(stream, peer, Site, &shared);
                } else {
                    let flawed = Flawed::new(&shared.config.flaws, shared.view.root());
                    serve(stream, peer, flawed, &shared);
                }
            }));
            if result.is_err() {
                eprintln!(
                    "httplab: the connection from {peer} failed inside the server (a bug); the server goes on"
                );
            }
            shared.active.fetch_sub(1, Ordering::AcqRel);
        });
    if let Err(error) = spawned {
        eprintln!("httplab: cannot start a thread for {peer}: {error}");
        shared.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection until it ends; a stop wakes its blocking read.
fn serve<R: Responder>(stream: TcpStream, peer: SocketAddr, responder: R, shared: &Shared) {
    let waker = stream
        .try_clone()
        .map(|handle| shared.wake_on_stop(move || drop(handle.shutdown(Shutdown::Read))));
    let date = (shared.config.clock)();
    let env = shared.config.env(Instant::now(), &date, &shared.view);
    let session = Session::new(peer.ip(), responder, &env);
    let mut record = shared.record.as_ref().and_then(|sink| {
        let local = stream.local_addr().ok()?;
        Some(sink.connection(local, peer))
    });
    serve_connection(stream, session, shared, record.as_mut());
    // The waker holds a copy of the socket: gone, the socket closes (the FIN leaves).
    drop(waker);
    if let Some(record) = record {
        record.finish();
    }
}

fn connect_to_wake(mut addr: SocketAddr) {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => [127, 0, 0, 1].into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
}
