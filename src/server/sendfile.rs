//! sendfile(2): a file's bytes go from the page cache to the socket without passing through
//! the server, which is how a 1 GiB download leaves the server's memory at a few MiB.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// Sends up to `count` bytes of `file`, from `offset` on (advanced by what was sent), to the
/// socket. `Ok(0)` means the file ended early (it shrank). On a non-blocking socket a full
/// send buffer is `ErrorKind::WouldBlock`; on a blocking one with a write timeout, the
/// timeout's error.
pub fn sendfile(
    socket: &impl AsRawFd,
    file: &File,
    offset: &mut libc::off_t,
    count: u64,
) -> io::Result<usize> {
    let count = usize::try_from(count.min(1 << 30)).unwrap_or(1 << 30);
    loop {
        // SAFETY: both descriptors are open for the call; `offset` points to a valid off_t.
        let sent = unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), offset, count) };
        if sent >= 0 {
            return Ok(sent as usize);
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
