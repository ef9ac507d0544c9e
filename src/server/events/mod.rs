//! The event model (the default): a few worker threads, each an epoll loop (through mio)
//! serving many connections, none of them ever blocking. The same `respond` decides every
//! byte; what changes is only how bytes move: no thread, no context switch and no stack per
//! connection, so a thousand idle keep-alive connections cost a few kilobytes each.

mod conn;
mod worker;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread;

use super::listener::Shared;

/// Runs `shared.config.workers` workers on clones of `listener` until the server stops;
/// returns how many connections were abandoned when the shutdown grace ran out.
pub(super) fn run(listener: TcpListener, shared: &Arc<Shared>) -> usize {
    if let Err(error) = listener.set_nonblocking(true) {
        eprintln!("httplab: cannot make the listener non-blocking: {error}");
        return 0;
    }
    set_nodelay(&listener);
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

/// TCP_NODELAY on the listener: on Linux every accepted connection inherits it, which saves a
/// setsockopt per connection (workers set it per connection elsewhere).
fn set_nodelay(listener: &TcpListener) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket and a pointer to an int of the size given.
    unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
