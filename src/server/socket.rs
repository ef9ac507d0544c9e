//! The few socket calls std does not offer, shared by both drivers: sendfile, a send that lets
//! the FIN ride along, TCP options, and the 503 a connection past the limit gets.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use crate::http::Now;
use crate::respond::overload_response;

/// Sends up to `count` bytes of `file`, from `offset` on, to the socket: the bytes go from the
/// page cache to the socket without passing through the server, which is how a 1 GiB download
/// leaves the server's memory at a few MiB. `Ok(0)` means the file ended early (it shrank). On
/// a non-blocking socket a full send buffer is `ErrorKind::WouldBlock`; on a blocking one
/// with a write timeout, the timeout's error.
pub fn sendfile(socket: &impl AsRawFd, file: &File, offset: u64, count: u64) -> io::Result<usize> {
    let count = usize::try_from(count.min(1 << 30)).unwrap_or(1 << 30);
    let mut offset = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset too large"))?;
    loop {
        // SAFETY: both descriptors are open for the call; `offset` points to a valid off_t.
        let sent =
            unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut offset, count) };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// `send` with MSG_MORE: the kernel holds the bytes for a moment, so that the FIN of the
/// close right after travels with them (one packet fewer per connection).
pub fn send_before_close(socket: &impl AsRawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: a valid socket, and a buffer of the length given.
    let sent = unsafe {
        libc::send(
            socket.as_raw_fd(),
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_MORE | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(sent as usize)
    }
}

/// Waits (2 ms at most) until the kernel has passed every byte written to the socket down to
/// the network. A flawed server that sends a byte per `send()` calls it after each: on
/// loopback, Linux would otherwise merge the bytes queued behind one not yet gone
/// (autocorking), and the capture would not show the one segment per send a network shows.
pub fn wait_until_sent(socket: &impl AsRawFd) {
    /// `SIOCOUTQNSD` (linux/sockios.h): bytes written but not yet sent.
    const SIOCOUTQNSD: libc::c_ulong = 0x894B;
    for _ in 0..100 {
        let mut unsent: libc::c_int = 0;
        // SAFETY: a valid socket and a pointer to an int, as the ioctl expects.
        let rc = unsafe { libc::ioctl(socket.as_raw_fd(), SIOCOUTQNSD as _, &mut unsent) };
        if rc != 0 || unsent == 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_micros(20));
    }
}

/// An integer TCP option; set on a listener, accepted connections inherit it (Linux).
pub fn set_tcp_option(socket: &impl AsRawFd, option: libc::c_int, value: libc::c_int) {
    // SAFETY: a valid socket and a pointer to an int of the size given.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Answers 503 to a connection accepted past the connection limit, without keeping it: what
/// the client already sent is read (so the close is not a reset), the answer fits in the
/// empty send buffer of a new connection, and the write side is shut.
pub fn refuse_overload<S: Read + Write + AsRawFd>(mut stream: S, now: impl Now) {
    // Never wait for this client: only what has already arrived is read.
    // SAFETY: fcntl on a valid descriptor.
    unsafe {
        let flags = libc::fcntl(stream.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(stream.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut request = [0u8; 4096];
    let _ = stream.read(&mut request);
    let mut bytes = Vec::with_capacity(256);
    let _ = crate::server::session::encode(overload_response(now), &mut bytes);
    let _ = stream.write_all(&bytes);
    // SAFETY: a valid socket.
    unsafe { libc::shutdown(stream.as_raw_fd(), libc::SHUT_WR) };
}
