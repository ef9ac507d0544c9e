//! The shared harness: the gate that keeps timing-sensitive tests apart from CPU-heavy ones,
//! the server binary run as its own process ([`Served`], which reads `/proc/PID/{fd,status}`),
//! raw clients (connect, fetch, a response parser) and patterned large files.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use httplab::server::Model;

use crate::common;

pub const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";
pub const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Keeping timing-sensitive tests away from CPU-heavy ones (the machine may have two cores).

static GATE: RwLock<()> = RwLock::new(());

/// For tests that measure a latency and are light themselves: they may run together.
pub fn measures_latency() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For tests that load the CPU (or measure latency while doing so): they run alone among the
/// gated tests.
pub fn heavy() -> RwLockWriteGuard<'static, ()> {
    GATE.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The server binary as its own process, so its open files, memory and threads can be counted.

/// `httplab serve DIR/site --port 0 --quiet --model M ARGS`, the real binary, serving a fresh
/// copy of the fixtures in a temp dir. Killed (by PID) when dropped. Its stderr goes to
/// `DIR/stderr.log`.
pub struct Served {
    pub child: Child,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    _stdout: BufReader<ChildStdout>,
}

pub fn model_arg(model: Model) -> &'static str {
    match model {
        Model::Events => "events",
        Model::Threads => "threads",
    }
}

impl Served {
    pub fn start(model: Model, args: &[&str], prepare: impl FnOnce(&Path)) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        httplab::fixtures::write_to(&site).unwrap();
        prepare(&site);
        let log = File::create(dir.path().join("stderr.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_httplab"))
            .arg("serve")
            .arg(&site)
            .args(["--port", "0", "--quiet", "--model", model_arg(model)])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let (port, stdout) = common::port_from_banner(&mut child).unwrap_or_else(|banner| {
            panic!(
                "no port in the banner {banner:?}; stderr: {}",
                std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
            )
        });
        Served {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
            _stdout: stdout,
        }
    }

    pub fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Open file descriptors of the server process.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    /// A field of /proc/PID/status, as a number (kB for the Vm* fields).
    pub fn status(&self, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        text.lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name == field).then(|| value.split_whitespace().next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }

    pub fn rss_kib(&self) -> u64 {
        self.status("VmRSS")
    }

    pub fn peak_rss_kib(&self) -> u64 {
        self.status("VmHWM")
    }

    pub fn threads(&self) -> u64 {
        self.status("Threads")
    }

    /// Waits (bounded) until the open-file count is at most `target`; returns the last count.
    pub fn settle_fds(&self, target: usize, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let now = self.fds();
            if now <= target || Instant::now() >= deadline {
                return now;
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// The open-file count once it has stopped moving (connections closing in the background,
    /// a lingering close, have finished): a baseline to come back to.
    pub fn quiet_fds(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = self.fds();
        let mut stable_since = Instant::now();
        while Instant::now() < deadline {
            sleep(Duration::from_millis(50));
            let now = self.fds();
            if now != last {
                last = now;
                stable_since = Instant::now();
            } else if stable_since.elapsed() >= Duration::from_millis(300) {
                break;
            }
        }
        last
    }

    pub fn terminate(&self) {
        // SAFETY: kill(2) on the PID of a child this test started and has not reaped.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(5));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// The server is still running and never reported a bug (a caught panic) on stderr.
    pub fn assert_healthy(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited; stderr: {}",
            self.stderr()
        );
        let stderr = self.stderr();
        assert!(!stderr.contains("a bug"), "stderr: {stderr}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Clients.

pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(3)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

pub fn get_and_close(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").into_bytes()
}

/// Reads until the server closes (end-of-file or reset) or `within` passes; returns the bytes
/// and whether the connection really closed.
pub fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + within;
    let mut all = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (all, false);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => return (all, true),
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (all, false);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (all, true), // reset
        }
    }
}

/// One fresh connection, `GET path` with `Connection: close`: (status, body, time taken).
pub fn fetch(addr: SocketAddr, path: &str) -> (u16, Vec<u8>, Duration) {
    let started = Instant::now();
    let mut stream = connect(addr);
    stream.write_all(&get_and_close(path)).unwrap();
    let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
    let took = started.elapsed();
    assert!(
        closed,
        "GET {path}: no close after {:?}",
        String::from_utf8_lossy(&bytes)
    );
    let responses = parse_responses(&bytes, &[false]);
    assert_eq!(
        responses.len(),
        1,
        "GET {path}: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    let response = responses.into_iter().next().unwrap();
    (response.code, response.body, took)
}

/// Sends `pieces` (with a short pause between them) and reads every answer until the close.
pub fn exchange(addr: SocketAddr, pieces: &[&[u8]]) -> (Vec<u8>, bool) {
    let mut stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let owned: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
    let sending = thread::spawn(move || {
        for (i, piece) in owned.iter().enumerate() {
            if i > 0 {
                sleep(Duration::from_millis(5));
            }
            // Past a refusal the server may stop reading and reset: a write may fail.
            if writer.write_all(piece).is_err() {
                return;
            }
        }
    });
    let result = read_until_closed(&mut stream, Duration::from_secs(8));
    let _ = sending.join();
    result
}

/// A parsed response.
#[derive(Debug)]
pub struct Parsed {
    pub code: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl Parsed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Every complete response in `bytes`, framed by Content-Length; `head_only[i]` for answers
/// to HEAD (the last flag repeats). Panics on bytes that are not a response.
pub fn parse_responses(bytes: &[u8], head_only: &[bool]) -> Vec<Parsed> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut fields);
        let head_len = match response.parse(rest) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a complete response ({other:?}) at {:?}",
                String::from_utf8_lossy(rest)
            ),
        };
        let code = response.code.unwrap();
        let length: usize = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
            .unwrap_or(0);
        let is_head = *head_only
            .get(out.len())
            .or(head_only.last())
            .unwrap_or(&false);
        let length = if is_head || code == 304 { 0 } else { length };
        assert!(
            rest.len() >= head_len + length,
            "a response cut short: {:?}",
            String::from_utf8_lossy(rest)
        );
        out.push(Parsed {
            code,
            head: String::from_utf8_lossy(&rest[..head_len]).into_owned(),
            body: rest[head_len..head_len + length].to_vec(),
        });
        rest = &rest[head_len + length..];
    }
    out
}

/// SO_LINGER {on, 0}: closing the socket sends a reset instead of a FIN.
pub fn reset_on_close(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a pointer to a linger struct of the size given.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER)");
}

/// "n=… p50=… p90=… p99=… max=…" of a set of durations, in milliseconds.
pub fn distribution(samples: &[Duration]) -> String {
    let mut sorted: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if sorted.is_empty() {
        return "n=0".into();
    }
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "n={} min={:.2} p50={:.2} p90={:.2} p99={:.2} max={:.2} ms",
        sorted.len(),
        sorted[0],
        at(0.5),
        at(0.9),
        at(0.99),
        sorted[sorted.len() - 1]
    )
}

pub fn max(samples: &[Duration]) -> Duration {
    samples.iter().copied().max().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Large files: 1 MiB blocks, each starting with its own number, so a byte out of place shows.

pub fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..MIB)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 9)) as u8)
            .collect()
    })
}

pub fn block_label(block: usize) -> [u8; 16] {
    let mut label = [b' '; 16];
    let text = format!("block {block:09}\n");
    label.copy_from_slice(text.as_bytes());
    label
}

/// Writes a file of `mib` patterned blocks.
pub fn write_patterned(path: &Path, mib: usize) {
    let mut file = std::io::BufWriter::new(File::create(path).unwrap());
    for block in 0..mib {
        file.write_all(&block_label(block)).unwrap();
        file.write_all(&pattern()[16..]).unwrap();
    }
    file.flush().unwrap();
}

/// A file of `mib` MiB with no data blocks (reads as zeros): cheap to make.
pub fn write_sparse(path: &Path, mib: usize) {
    File::create(path)
        .unwrap()
        .set_len((mib * MIB) as u64)
        .unwrap();
}

/// Whether `data`, found at `offset` of a patterned file, is what the file holds there.
pub fn matches_pattern(mut offset: usize, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let block = offset / MIB;
        let at = offset % MIB;
        let take = data.len().min(MIB - at);
        let (piece, rest) = data.split_at(take);
        let label = block_label(block);
        let label_part = 16usize.saturating_sub(at).min(take);
        if label_part > 0 && piece[..label_part] != label[at..at + label_part] {
            return false;
        }
        if piece[label_part..] != pattern()[at + label_part..at + take] {
            return false;
        }
        offset += take;
        data = rest;
    }
    true
}

/// Reads a response head off `stream`; returns it with the body bytes that came with it.
pub fn read_head(stream: &mut TcpStream) -> (Parsed, Vec<u8>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut chunk).expect("reading a response head");
        assert!(
            n > 0,
            "closed before a head: {:?}",
            String::from_utf8_lossy(&buffer)
        );
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end + 4]).into_owned();
            let code = head[9..12].parse().unwrap();
            let body = buffer[end + 4..].to_vec();
            return (
                Parsed {
                    code,
                    head,
                    body: Vec::new(),
                },
                body,
            );
        }
    }
}
