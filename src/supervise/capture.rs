//! A program's stdout and stderr, read by one thread each into bounded buffers that keep the
//! last bytes written (a Python traceback comes last) and count them all.
//!
//! A reader never blocks for long: it polls its pipe with a timeout, so it can be told to
//! finish even when a process that escaped the kill still holds the pipe open, and a
//! program that floods its output costs one buffer, not memory without bound.

use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One stream as captured so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapturedStream {
    /// The bytes kept (the last ones written), as text; invalid UTF-8 is replaced.
    pub text: String,
    /// The same bytes as written (to compare a client's output byte for byte).
    pub bytes: Vec<u8>,
    /// Every byte written, kept or not.
    pub total_bytes: u64,
    /// Whether earlier bytes were dropped to keep within the limit.
    pub truncated: bool,
}

/// Both streams.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub stdout: CapturedStream,
    pub stderr: CapturedStream,
}

/// A point in the program's output, to ask later what it wrote since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputMark {
    pub(super) stdout_bytes: u64,
    pub(super) stderr_bytes: u64,
}

/// The last `cap` bytes of a stream and the count of all of them.
#[derive(Debug)]
pub(super) struct Kept {
    bytes: VecDeque<u8>,
    cap: usize,
    total: u64,
}

impl Kept {
    pub fn new(cap: usize) -> Kept {
        Kept {
            bytes: VecDeque::new(),
            cap,
            total: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if chunk.len() >= self.cap {
            self.bytes.clear();
            self.bytes.extend(&chunk[chunk.len() - self.cap..]);
            return;
        }
        let excess = (self.bytes.len() + chunk.len()).saturating_sub(self.cap);
        self.bytes.drain(..excess);
        self.bytes.extend(chunk);
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The bytes written after the first `mark` ones, as far as they are kept, and how
    /// many of them were not kept.
    pub fn since(&self, mark: u64) -> (u64, Vec<u8>) {
        let first_kept = self.total - self.bytes.len() as u64;
        let start = mark.max(first_kept).min(self.total);
        let skip = (start - first_kept) as usize;
        (
            start - mark.min(start),
            self.bytes.range(skip..).copied().collect(),
        )
    }

    pub fn snapshot(&self) -> CapturedStream {
        let (dropped, bytes) = self.since(0);
        CapturedStream {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            total_bytes: self.total,
            truncated: dropped > 0,
        }
    }
}

/// After being told to finish, a reader drains what is already in the pipe for at most this
/// long.
const FINISH_BOUND: Duration = Duration::from_millis(300);

/// One stream's reader thread and buffer.
pub(super) struct Capture {
    pub kept: Arc<Mutex<Kept>>,
    finishing: Arc<AtomicBool>,
    eof: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Starts reading `pipe` on a thread named `name`.
    pub fn start(
        pipe: impl Read + AsRawFd + Send + 'static,
        cap: usize,
        name: &str,
    ) -> std::io::Result<Capture> {
        let kept = Arc::new(Mutex::new(Kept::new(cap)));
        let finishing = Arc::new(AtomicBool::new(false));
        let eof = Arc::new(AtomicBool::new(false));
        let thread = {
            let (kept, finishing, eof) = (kept.clone(), finishing.clone(), eof.clone());
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || {
                    read_until_done(pipe, &kept, &finishing);
                    eof.store(true, Ordering::SeqCst);
                })?
        };
        Ok(Capture {
            kept,
            finishing,
            eof,
            thread: Some(thread),
        })
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the reader has finished (end of file: every writer closed the pipe).
    pub fn at_eof(&self) -> bool {
        self.eof.load(Ordering::SeqCst)
    }

    /// Drains what is left and stops the reader; returns within about `FINISH_BOUND`.
    pub fn finish(&mut self) {
        self.finishing.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.finish();
    }
}

fn read_until_done(mut pipe: impl Read + AsRawFd, kept: &Mutex<Kept>, finishing: &AtomicBool) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut finish_by: Option<Instant> = None;
    loop {
        let wait_ms = if finishing.load(Ordering::SeqCst) {
            let deadline = *finish_by.get_or_insert_with(|| Instant::now() + FINISH_BOUND);
            if Instant::now() >= deadline {
                return;
            }
            20
        } else {
            100
        };
        match readable(pipe.as_raw_fd(), wait_ms) {
            Ok(true) => {}
            Ok(false) if finish_by.is_some() => return,
            Ok(false) => continue,
            Err(_) => return,
        }
        match pipe.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => kept
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Whether `fd` has data or its end (hang-up) within `wait_ms`.
fn readable(fd: RawFd, wait_ms: i32) -> std::io::Result<bool> {
    let mut poll_fd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, count 1.
    let ready = unsafe { libc::poll(&mut poll_fd, 1, wait_ms) };
    if ready < 0 {
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(error);
    }
    Ok(ready > 0 && poll_fd.revents != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_counts_all() {
        let mut kept = Kept::new(5);
        kept.push(b"abc");
        assert_eq!(kept.snapshot().text, "abc");
        assert!(!kept.snapshot().truncated);
        kept.push(b"defg");
        let snapshot = kept.snapshot();
        assert_eq!(snapshot.text, "cdefg");
        assert_eq!(snapshot.total_bytes, 7);
        assert!(snapshot.truncated);
        kept.push(b"0123456789");
        assert_eq!(kept.snapshot().text, "56789");
        assert_eq!(kept.total(), 17);
    }

    #[test]
    fn since_a_mark() {
        let mut kept = Kept::new(8);
        kept.push(b"before:");
        let mark = kept.total();
        kept.push(b"after");
        assert_eq!(kept.since(mark), (0, b"after".to_vec()));
        kept.push(b"-and-more");
        // 14 bytes were written after the mark; the last 8 are kept.
        assert_eq!(kept.since(mark), (6, b"and-more".to_vec()));
        assert_eq!(kept.since(kept.total()), (0, Vec::new()));
        assert_eq!(kept.since(kept.total() + 10), (0, Vec::new()));
    }
}
