//! The event model (the default): a few worker threads, each an epoll loop (through mio)
//! serving many connections, none of them ever blocking. The same session decides everything
//! per connection; what changes is only how bytes move: no thread, no context switch and no stack per
//! connection, so a thousand idle keep-alive connections cost a few kilobytes each.

mod conn;
mod worker;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use super::shared::Shared;
use super::socket::set_tcp_option;

/// Runs `shared.config.workers` workers on clones of `listener` until the server stops;
/// returns how many connections were abandoned when the shutdown grace ran out.
pub(super) fn run(listener: TcpListener, shared: &Arc<Shared>) -> usize {
    if let Err(error) = listener.set_nonblocking(true) {
        eprintln!("httplab: cannot make the listener non-blocking: {error}");
        return 0;
    }
    set_nodelay(&listener);
    set_notsent_lowat(&listener);
    set_defer_accept(&listener);
    let workers = shared.config.workers.max(1);
    let mut handles = Vec::with_capacity(workers);
    for index in 0..workers {
        let listener = match listener.try_clone() {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("httplab: cannot share the listener with worker {index}: {error}");
                break;
            }
        };
        let shared = shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("httplab-worker-{index}"))
            .spawn(move || worker::run(listener, &shared));
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(error) => eprintln!("httplab: cannot start worker {index}: {error}"),
        }
    }
    // Only the workers hold the listener now: when they stop, it closes, and new connections
    // are refused instead of waiting in the backlog.
    drop(listener);
    let mut abandoned = 0;
    for handle in handles {
        match handle.join() {
            Ok(Ok(count)) => abandoned += count,
            Ok(Err(error)) => eprintln!("httplab: a worker could not start: {error}"),
            Err(_) => eprintln!("httplab: a worker failed (a bug)"),
        }
    }
    abandoned
}

/// TCP_DEFER_ACCEPT (what nginx's `listen ... deferred` sets): the kernel hands over a
/// connection together with its first bytes, so accepting and answering take one wakeup, not
/// two (measured: 1.3x the connections per second of a plain accept). A connection that sends
/// nothing reaches the server only after a second or so, and costs it nothing meanwhile:
/// a browser's speculative preconnects, say.
fn set_defer_accept(listener: &TcpListener) {
    set_tcp_option(listener, libc::TCP_DEFER_ACCEPT, 1);
}

/// TCP_NODELAY on the listener: on Linux every accepted connection inherits it, which saves a
/// setsockopt per connection (workers set it per connection elsewhere).
fn set_nodelay(listener: &TcpListener) {
    set_tcp_option(listener, libc::TCP_NODELAY, 1);
}

/// TCP_NOTSENT_LOWAT on the listener (inherited by accepted connections): a socket counts as
/// writable, and takes more, only while less than this is queued and not yet sent. Without
/// it one sendfile call queued a whole 1 MiB file; the client's kernel, acknowledging late,
/// set off thousands of tail-loss-probe retransmissions a second, and 50 clients of 1 MiB
/// files got 0.43× lighttpd. With 16 KiB: no more than lighttpd's probes, and the same
/// throughput (tests/bench/RESULTS.md).
fn set_notsent_lowat(listener: &TcpListener) {
    set_tcp_option(listener, libc::TCP_NOTSENT_LOWAT, 16 * 1024);
}
