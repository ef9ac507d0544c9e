//! Robustness: hostile input, slow and greedy clients, faults, each proven by a bounded test
//! against a real server in both connection models (the event loop and a thread per
//! connection). Loopback only; every wait has a deadline; every process, thread and socket a
//! test starts is stopped when it ends (servers run as the real binary are killed by PID on
//! drop).
//!
//! Where a test needs the server's own figures (open files, memory, threads) it runs the
//! binary and reads `/proc/PID/{fd,status}`; where it needs the test-only panic trigger, it
//! runs the server in-process. The full-scale attacks (1,000 slow clients, slowhttptest) are
//! in `tests/stress.rs`, run by `just stress`.
//!
//! Timing-sensitive tests (latency of a normal client under attack) must not share the two
//! cores with CPU-heavy ones: [`measures_latency`] and [`heavy`] keep them apart.
//!
//! The two trickle tests found a bug in the event model (a read with nothing to send moved
//! the head deadline, so a client trickling bytes was never cut); they now hold both models
//! to one fixed deadline.

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use httplab::server::{Model, raise_open_file_limit};

const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";
const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Keeping timing-sensitive tests away from CPU-heavy ones (the machine may have two cores).

static GATE: RwLock<()> = RwLock::new(());

/// For tests that measure a latency and are light themselves: they may run together.
fn measures_latency() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For tests that load the CPU (or measure latency while doing so): they run alone among the
/// gated tests.
fn heavy() -> RwLockWriteGuard<'static, ()> {
    GATE.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The server binary as its own process, so its open files, memory and threads can be counted.

/// `httplab serve DIR/site --port 0 --quiet --model M ARGS`, the real binary, serving a fresh
/// copy of the fixtures in a temp dir. Killed (by PID) when dropped. Its stderr goes to
/// `DIR/stderr.log`.
struct Served {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    _stdout: BufReader<ChildStdout>,
}

fn model_arg(model: Model) -> &'static str {
    match model {
        Model::Events => "events",
        Model::Threads => "threads",
    }
}

impl Served {
    fn start(model: Model, args: &[&str], prepare: impl FnOnce(&Path)) -> Served {
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
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        let _ = stdout.read_line(&mut banner);
        let port: u16 = banner
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                let _ = child.wait();
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

    fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Open file descriptors of the server process.
    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    /// A field of /proc/PID/status, as a number (kB for the Vm* fields).
    fn status(&self, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        text.lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name == field).then(|| value.split_whitespace().next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }

    fn rss_kib(&self) -> u64 {
        self.status("VmRSS")
    }

    fn peak_rss_kib(&self) -> u64 {
        self.status("VmHWM")
    }

    fn threads(&self) -> u64 {
        self.status("Threads")
    }

    /// Waits (bounded) until the open-file count is at most `target`; returns the last count.
    fn settle_fds(&self, target: usize, within: Duration) -> usize {
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
    fn quiet_fds(&self) -> usize {
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

    fn terminate(&self) {
        // SAFETY: kill(2) on the PID of a child this test started and has not reaped.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
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

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// The server is still running and never reported a bug (a caught panic) on stderr.
    fn assert_healthy(&mut self) {
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

fn connect(addr: SocketAddr) -> TcpStream {
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

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

fn get_and_close(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").into_bytes()
}

/// Reads until the server closes (end-of-file or reset) or `within` passes; returns the bytes
/// and whether the connection really closed.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
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
fn fetch(addr: SocketAddr, path: &str) -> (u16, Vec<u8>, Duration) {
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

/// A parsed response.
#[derive(Debug)]
struct Parsed {
    code: u16,
    head: String,
    body: Vec<u8>,
}

impl Parsed {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Every complete response in `bytes`, framed by Content-Length; `head_only[i]` for answers
/// to HEAD (the last flag repeats). Panics on bytes that are not a response.
fn parse_responses(bytes: &[u8], head_only: &[bool]) -> Vec<Parsed> {
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
fn reset_on_close(stream: &TcpStream) {
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
fn distribution(samples: &[Duration]) -> String {
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

fn max(samples: &[Duration]) -> Duration {
    samples.iter().copied().max().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Large files: 1 MiB blocks, each starting with its own number, so a byte out of place shows.

fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..MIB)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 9)) as u8)
            .collect()
    })
}

fn block_label(block: usize) -> [u8; 16] {
    let mut label = [b' '; 16];
    let text = format!("block {block:09}\n");
    label.copy_from_slice(text.as_bytes());
    label
}

/// Writes a file of `mib` patterned blocks.
fn write_patterned(path: &Path, mib: usize) {
    let mut file = std::io::BufWriter::new(File::create(path).unwrap());
    for block in 0..mib {
        file.write_all(&block_label(block)).unwrap();
        file.write_all(&pattern()[16..]).unwrap();
    }
    file.flush().unwrap();
}

/// A file of `mib` MiB with no data blocks (reads as zeros): cheap to make.
fn write_sparse(path: &Path, mib: usize) {
    File::create(path)
        .unwrap()
        .set_len((mib * MIB) as u64)
        .unwrap();
}

/// Whether `data`, found at `offset` of a patterned file, is what the file holds there.
fn matches_pattern(mut offset: usize, mut data: &[u8]) -> bool {
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
fn read_head(stream: &mut TcpStream) -> (Parsed, Vec<u8>) {
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

// =============================================================================================
// Slow clients.

/// 200 connections trickle a valid head one byte a second (it would take over a minute to
/// complete) while a normal client, on a fresh connection every 100 ms, must be answered in
/// under 100 ms throughout. The head deadline (10 s here) ends every slow one with 408 and a
/// close, on time: one fixed deadline from accept, not extended by the trickled bytes. The
/// server's open files show it held all 200 and then let them all go.
fn slow_clients_trickling_a_head_are_cut_at_the_deadline_and_others_are_served(model: Model) {
    const SLOW: usize = 200;
    const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
    const RUN: Duration = Duration::from_secs(15);
    let _gate = measures_latency();
    raise_open_file_limit();
    let mut server = Served::start(model, &["--head-timeout", "10"], |_| {});
    let addr = server.addr;
    let fds_before = server.quiet_fds();
    let threads_before = server.threads();
    let head = b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: trickle\r\nAccept: */*\r\n\r\n";

    struct Slow {
        stream: TcpStream,
        opened: Instant,
        sent: usize,
        got: Vec<u8>,
        answered: Option<Instant>,
        closed: Option<Instant>,
    }
    let started = Instant::now();
    let mut slow: Vec<Slow> = (0..SLOW)
        .map(|_| {
            let mut stream = connect(addr);
            let opened = Instant::now();
            stream.write_all(&head[..1]).unwrap();
            stream.set_nonblocking(true).unwrap();
            Slow {
                stream,
                opened,
                sent: 1,
                got: Vec::new(),
                answered: None,
                closed: None,
            }
        })
        .collect();
    let opening = started.elapsed();

    // The normal client, on its own thread.
    let normal = thread::spawn(move || {
        let mut samples = Vec::new();
        let begun = Instant::now();
        while begun.elapsed() < RUN {
            let slot = begun.elapsed();
            let (code, body, took) = fetch(addr, "/helloWorld.html");
            assert_eq!((code, body.as_slice()), (200, HELLO));
            samples.push((slot, took));
            let next = slot + Duration::from_millis(100);
            sleep(next.saturating_sub(begun.elapsed()));
        }
        samples
    });

    let mut next_byte = started + Duration::from_secs(1);
    let mut held = None;
    let mut chunk = [0u8; 4096];
    while started.elapsed() < RUN {
        let now = Instant::now();
        if now >= next_byte {
            next_byte += Duration::from_secs(1);
            for s in slow
                .iter_mut()
                .filter(|s| s.answered.is_none() && s.closed.is_none())
            {
                if s.sent < head.len() - 1 && s.stream.write(&head[s.sent..=s.sent]).is_ok() {
                    s.sent += 1;
                }
            }
        }
        for s in slow.iter_mut().filter(|s| s.closed.is_none()) {
            loop {
                match s.stream.read(&mut chunk) {
                    Ok(0) => {
                        s.closed = Some(Instant::now());
                        break;
                    }
                    Ok(n) => {
                        s.answered.get_or_insert_with(Instant::now);
                        s.got.extend_from_slice(&chunk[..n]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => {
                        s.closed = Some(Instant::now());
                        break;
                    }
                }
            }
        }
        if held.is_none() && started.elapsed() >= Duration::from_secs(5) {
            held = Some((server.fds(), server.threads()));
        }
        sleep(Duration::from_millis(10));
    }
    let samples = normal.join().expect("the normal client");
    let (fds_held, threads_held) = held.unwrap();
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(4));
    server.assert_healthy();

    let waits: Vec<Duration> = slow
        .iter()
        .filter_map(|s| Some(s.answered? - s.opened))
        .collect();
    let latencies: Vec<Duration> = samples.iter().map(|(_, took)| *took).collect();
    let during: Vec<Duration> = samples
        .iter()
        .filter(|(at, _)| *at < HEAD_TIMEOUT)
        .map(|(_, took)| *took)
        .collect();
    let sent: usize = slow.iter().map(|s| s.sent).sum();
    let worst_at = samples
        .iter()
        .max_by_key(|(_, took)| *took)
        .map(|(at, _)| *at)
        .unwrap_or_default();
    eprintln!(
        "slow clients ({model:?}): {SLOW} connections opened in {opening:?}, {sent} bytes trickled; \
         server held {} more fds ({} more threads) at 5 s; 408 after {} from accept; \
         normal client while they were held: {}; over the whole {RUN:?}: {} (the slowest at {worst_at:.1?}); \
         fds before {fds_before}, after {fds_after}",
        fds_held as i64 - fds_before as i64,
        threads_held as i64 - threads_before as i64,
        distribution(&waits),
        distribution(&during),
        distribution(&latencies),
    );
    for (i, s) in slow.iter().enumerate() {
        assert!(
            s.got.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
            "slow client {i}: {:?}",
            String::from_utf8_lossy(&s.got)
        );
        let parsed = parse_responses(&s.got, &[false]);
        assert_eq!(parsed.len(), 1, "slow client {i}: one response");
        assert_eq!(parsed[0].header("Connection"), Some("close"));
        let answered = s.answered.unwrap() - s.opened;
        assert!(
            answered >= HEAD_TIMEOUT - Duration::from_millis(50)
                && answered <= HEAD_TIMEOUT + Duration::from_secs(1),
            "slow client {i}: 408 after {answered:?}, the deadline is {HEAD_TIMEOUT:?}"
        );
        let closed = s.closed.expect("the server closes after the 408");
        assert!(
            closed - s.answered.unwrap() < Duration::from_millis(500),
            "slow client {i}: closed {:?} after its 408",
            closed - s.answered.unwrap()
        );
    }
    assert!(
        fds_held >= fds_before + SLOW,
        "the server held {} connections, not {SLOW}",
        fds_held - fds_before
    );
    assert!(
        fds_after <= fds_before,
        "open files {fds_before} before, {fds_after} after"
    );
    assert!(
        samples.len() >= 100,
        "the normal client got {} answers",
        samples.len()
    );
    assert!(
        max(&latencies) < Duration::from_millis(100),
        "a normal client waited {:?} ({})",
        max(&latencies),
        distribution(&latencies)
    );
}

/// A head trickled a byte every 200 ms gets 408 and a close one second after accept (the head
/// timeout here), not one second after its last byte; so does a GET whose 100-byte body (to be
/// discarded) is trickled the same way: it is answered, then cut at the same deadline.
fn a_trickled_head_or_body_is_cut_at_one_fixed_deadline(model: Model) {
    const HEAD_TIMEOUT: Duration = Duration::from_secs(1);
    let server = common::start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.timeouts.head = HEAD_TIMEOUT;
    });
    let head = b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: trickle\r\n\r\n";
    let mut with_body =
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n".to_vec();
    let body_from = with_body.len();
    with_body.extend_from_slice(&[b'x'; 100]);
    for (name, bytes, first_piece) in [("head", &head[..], 1), ("body", &with_body[..], body_from)]
    {
        let mut stream = connect(server.addr);
        let opened = Instant::now();
        stream.write_all(&bytes[..first_piece]).unwrap();
        let mut reader = stream.try_clone().unwrap();
        let rest = bytes[first_piece..].to_vec();
        let trickle = thread::spawn(move || {
            for byte in &rest {
                sleep(Duration::from_millis(200));
                if stream.write_all(std::slice::from_ref(byte)).is_err()
                    || opened.elapsed() > Duration::from_secs(4)
                {
                    return;
                }
            }
        });
        let (got, closed) = read_until_closed(&mut reader, Duration::from_secs(5));
        let after = opened.elapsed();
        drop(reader);
        let _ = trickle.join();
        let parsed = parse_responses(&got, &[false]);
        let codes: Vec<u16> = parsed.iter().map(|p| p.code).collect();
        eprintln!("trickled {name} ({model:?}): {codes:?}, closed after {after:?}");
        assert!(closed, "trickled {name}: still open after {after:?}");
        assert!(
            after >= HEAD_TIMEOUT - Duration::from_millis(50)
                && after < HEAD_TIMEOUT + Duration::from_millis(500),
            "trickled {name}: closed {after:?} after accept; the head deadline is {HEAD_TIMEOUT:?}"
        );
        if name == "head" {
            assert_eq!(codes, [408], "trickled head");
        } else {
            // Answered at once; the rest of the body then has until the same deadline.
            assert_eq!(codes[0], 200);
            assert!(
                codes[1..].iter().all(|c| *c == 408),
                "trickled body: {codes:?}"
            );
        }
    }
}

// =============================================================================================
// Greedy clients.

/// 1,000 kept-alive connections sit idle (each had one answer); a new client is still
/// answered at once, the 1,000 are all still served afterwards, and the server's open files,
/// threads and memory show what they cost.
fn a_thousand_idle_keep_alive_connections_do_not_stop_a_new_client(model: Model) {
    const IDLE: usize = 1000;
    let _gate = heavy();
    raise_open_file_limit();
    let mut server = Served::start(
        model,
        &["--idle-timeout", "60", "--head-timeout", "60"],
        |_| {},
    );
    let addr = server.addr;
    fetch(addr, "/helloWorld.html");
    let fds_before = server.quiet_fds();
    let rss_before = server.rss_kib();
    let threads_before = server.threads();
    let started = Instant::now();
    let mut idle: Vec<(TcpStream, Vec<u8>)> = (0..IDLE)
        .map(|_| {
            let mut stream = connect(addr);
            stream.write_all(&get("/helloWorld.html")).unwrap();
            let mut pending = Vec::new();
            let response = common::read_response(&mut stream, &mut pending, false);
            assert_eq!(response.code, 200);
            (stream, pending)
        })
        .collect();
    let opening = started.elapsed();
    sleep(Duration::from_millis(200));
    let fds_held = server.fds();
    let rss_held = server.rss_kib();
    let threads_held = server.threads();

    let mut latencies = Vec::new();
    for _ in 0..50 {
        let (code, body, took) = fetch(addr, "/helloWorld.html");
        assert_eq!((code, body.as_slice()), (200, HELLO));
        latencies.push(took);
        sleep(Duration::from_millis(10));
    }
    // Every idle connection is still open and served.
    for (i, (stream, _)) in idle.iter_mut().enumerate() {
        stream.write_all(&get("/unicode.html")).unwrap_or_else(|e| {
            panic!("idle connection {i} was dropped: {e}");
        });
    }
    for (stream, pending) in idle.iter_mut() {
        assert_eq!(common::read_response(stream, pending, false).code, 200);
    }
    drop(idle);
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(3));
    server.assert_healthy();
    eprintln!(
        "idle keep-alive ({model:?}): {IDLE} connections opened in {opening:?}; server fds {fds_before} -> {fds_held} -> {fds_after}, \
         threads {threads_before} -> {threads_held}, RSS {rss_before} -> {rss_held} KiB ({:.1} KiB per connection); \
         a new client meanwhile: {}",
        (rss_held as f64 - rss_before as f64) / IDLE as f64,
        distribution(&latencies)
    );
    assert!(
        fds_held >= fds_before + IDLE,
        "the server holds {} of the {IDLE}",
        fds_held - fds_before
    );
    assert!(fds_after <= fds_before, "fds {fds_before} -> {fds_after}");
    assert!(
        max(&latencies) < Duration::from_millis(100),
        "a new client waited {:?} ({})",
        max(&latencies),
        distribution(&latencies)
    );
}

/// Greedy clients that take every connection slot hold the server for no longer than the idle
/// timeout: past --max-connections a new client gets 503 at once, and as soon as the idle
/// timeout closes the hogs, it is served.
fn clients_holding_every_slot_are_let_go_at_the_idle_timeout(model: Model) {
    const SLOTS: usize = 20;
    const IDLE: Duration = Duration::from_secs(1);
    let server = common::start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.max_connections = SLOTS;
        c.timeouts.idle = IDLE;
    });
    let mut hogs: Vec<TcpStream> = (0..SLOTS)
        .map(|_| {
            let mut stream = connect(server.addr);
            stream.write_all(&get("/helloWorld.html")).unwrap();
            let response = common::read_response(&mut stream, &mut Vec::new(), false);
            assert_eq!(response.code, 200);
            stream
        })
        .collect();
    let last_answer = Instant::now();
    let (code, _, _) = fetch(server.addr, "/helloWorld.html");
    assert_eq!(code, 503, "every slot is taken");
    let served_after = loop {
        let (code, _, _) = fetch(server.addr, "/helloWorld.html");
        if code == 200 {
            break last_answer.elapsed();
        }
        assert_eq!(code, 503);
        assert!(
            last_answer.elapsed() < IDLE * 3,
            "still 503 after {:?}",
            last_answer.elapsed()
        );
        sleep(Duration::from_millis(50));
    };
    for (i, hog) in hogs.iter_mut().enumerate() {
        let (bytes, closed) = read_until_closed(hog, Duration::from_secs(2));
        assert!(
            closed && bytes.is_empty(),
            "hog {i}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    eprintln!(
        "slots ({model:?}): {SLOTS} idle hogs; a new client was served again {served_after:?} after their last answer (idle timeout {IDLE:?})"
    );
    assert!(
        served_after >= IDLE - Duration::from_millis(150),
        "served after {served_after:?}, before the idle timeout"
    );
}

/// Fifty connections that never send a byte are closed silently by the server, no later than
/// the head timeout (2 s here) plus the deferred accept of the event model (the kernel hands
/// such a connection over after a second or so). The thread model closes them at the head
/// deadline exactly; the event model may close them sooner.
fn connections_that_never_send_a_byte_are_closed_at_the_head_deadline(model: Model) {
    const SILENT: usize = 50;
    const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
    let server = common::start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.timeouts.head = HEAD_TIMEOUT;
    });
    let opened = Instant::now();
    let silent: Vec<TcpStream> = (0..SILENT).map(|_| connect(server.addr)).collect();
    let mut closed_after = Vec::new();
    for (i, mut stream) in silent.into_iter().enumerate() {
        let left = Duration::from_secs(8).saturating_sub(opened.elapsed());
        let (bytes, closed) = read_until_closed(&mut stream, left);
        assert!(
            closed && bytes.is_empty(),
            "silent connection {i}: {bytes:?}, closed {closed}"
        );
        closed_after.push(opened.elapsed());
    }
    let (code, _, _) = fetch(server.addr, "/helloWorld.html");
    assert_eq!(code, 200);
    eprintln!(
        "silent connections ({model:?}): {SILENT} closed after {} (head timeout {HEAD_TIMEOUT:?})",
        distribution(&closed_after)
    );
    let last = max(&closed_after);
    assert!(
        last < HEAD_TIMEOUT + Duration::from_secs(4),
        "the last closed after {last:?}"
    );
    if model == Model::Threads {
        let first = *closed_after.iter().min().unwrap();
        assert!(
            first >= HEAD_TIMEOUT - Duration::from_millis(50),
            "closed after {first:?}"
        );
    }
}

/// Ten clients ask for a 100 MiB file and never read. With --write-timeout 1 the server drops
/// each about a second after its writes stopped moving: its open files (and, in the thread
/// model, its threads) go back to where they were, a new client is answered meanwhile, and a
/// greedy client reading at last gets a few MiB (what the socket buffers held), then the close.
fn clients_that_never_read_a_100_mib_file_are_dropped_at_the_write_timeout(model: Model) {
    const GREEDY: usize = 10;
    let mut server = Served::start(model, &["--write-timeout", "1"], |site| {
        write_sparse(&site.join("big.bin"), 100);
    });
    let addr = server.addr;
    fetch(addr, "/helloWorld.html");
    let fds_before = server.quiet_fds();
    let threads_before = server.threads();
    let started = Instant::now();
    let mut greedy: Vec<TcpStream> = (0..GREEDY)
        .map(|_| {
            let mut stream = connect(addr);
            stream.write_all(&get("/big.bin")).unwrap();
            stream
        })
        .collect();
    sleep(Duration::from_millis(300));
    let fds_held = server.fds();
    let threads_held = server.threads();
    let (code, _, took) = fetch(addr, "/helloWorld.html");
    assert_eq!(code, 200);
    let freed_fds = server.settle_fds(fds_before, Duration::from_secs(5));
    let freed_after = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.threads() > threads_before && Instant::now() < deadline {
        sleep(Duration::from_millis(20));
    }
    let threads_after = server.threads();
    let (code, _, _) = fetch(addr, "/helloWorld.html");
    assert_eq!(code, 200, "the server answers after dropping them");
    let mut received = Vec::new();
    for stream in greedy.iter_mut() {
        let (bytes, closed) = read_until_closed(stream, Duration::from_secs(5));
        assert!(closed, "the server closed the greedy connection");
        received.push(bytes.len());
    }
    server.assert_healthy();
    eprintln!(
        "never-reading ({model:?}): {GREEDY} clients of a 100 MiB file; server fds {fds_before} -> {fds_held} -> {freed_fds}, \
         threads {threads_before} -> {threads_held} -> {threads_after}; all dropped {freed_after:?} after the requests \
         (write timeout 1 s); a new client meanwhile answered in {took:?}; each got {:.1}..{:.1} MiB of 100",
        *received.iter().min().unwrap() as f64 / MIB as f64,
        *received.iter().max().unwrap() as f64 / MIB as f64,
    );
    assert!(fds_held >= fds_before + GREEDY, "the server held them");
    assert!(freed_fds <= fds_before, "fds {fds_before} -> {freed_fds}");
    // The event model checks its write deadline every 100 ms. The thread model blocks in
    // write(2) with SO_SNDTIMEO: a blocked write that gets a few KiB out (the idle client's
    // receive window still opens a little) restarts the timeout, so it measured about 3 s for
    // a 1 s timeout (strace: writes of 4096 and 2048 bytes returned after 1 s each, then
    // EAGAIN after another second).
    let bound = match model {
        Model::Events => Duration::from_secs(2),
        Model::Threads => Duration::from_secs(5),
    };
    assert!(
        freed_after >= Duration::from_millis(900) && freed_after < bound,
        "dropped {freed_after:?} after the requests; the write timeout is 1 s"
    );
    assert!(
        threads_after <= threads_before,
        "threads {threads_before} -> {threads_after}"
    );
    for bytes in received {
        assert!(bytes < 100 * MIB, "a dropped client got {bytes} bytes");
    }
    assert!(took < Duration::from_millis(500), "{took:?}");
}

/// A request head of 1 MiB (one huge field, or thousands of small ones) gets 431; a 1 MiB
/// target gets 414; a megabyte of blank lines or of bytes without a line end is refused too.
/// Each time the connection closes, and 16 such clients at once leave the server's peak memory
/// within 5 MiB of where it was: nothing buffers a head past the limit.
fn a_one_mib_head_gets_refused_and_closed_with_memory_bounded(model: Model) {
    const CLIENTS: usize = 16;
    let _gate = heavy();
    let mut server = Served::start(model, &[], |_| {});
    let addr = server.addr;
    fetch(addr, "/helloWorld.html");
    let filler = "a".repeat(MIB);
    let many_fields: String = (0..MIB / 16).map(|i| format!("X-F{i:08}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, &[u8])> = vec![
        (
            "one 1 MiB field",
            format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nX-Big: {filler}\r\n\r\n")
                .into_bytes(),
            b"HTTP/1.1 431 ",
        ),
        (
            "65,536 small fields",
            format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\n{many_fields}\r\n").into_bytes(),
            b"HTTP/1.1 431 ",
        ),
        (
            "a 1 MiB target",
            format!("GET /{filler} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(),
            b"HTTP/1.1 414 ",
        ),
        (
            "1 MiB of blank lines",
            "\r\n".repeat(MIB / 2).into_bytes(),
            b"HTTP/1.1 431 ",
        ),
        (
            "1 MiB without a line end",
            filler.clone().into_bytes(),
            b"HTTP/1.1 431 ",
        ),
    ];
    let fds_before = server.quiet_fds();
    let rss_before = server.rss_kib();
    let peak_before = server.peak_rss_kib();
    for (name, request, expected) in &cases {
        let started = Instant::now();
        let outcomes: Vec<(Vec<u8>, bool, Duration)> = thread::scope(|scope| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|_| {
                    scope.spawn(|| {
                        let mut stream = connect(addr);
                        let mut writer = stream.try_clone().unwrap();
                        let request = request.clone();
                        let sending = thread::spawn(move || {
                            // The server stops reading at its limit: a write may fail.
                            let _ = writer.write_all(&request);
                        });
                        let begun = Instant::now();
                        let (bytes, closed) =
                            read_until_closed(&mut stream, Duration::from_secs(8));
                        let took = begun.elapsed();
                        drop(stream);
                        let _ = sending.join();
                        (bytes, closed, took)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let status = String::from_utf8_lossy(&outcomes[0].0)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        eprintln!(
            "huge head ({model:?}): {name}: {CLIENTS} clients got {status:?}, all closed within {:?}; batch took {:?}",
            outcomes.iter().map(|o| o.2).max().unwrap(),
            started.elapsed()
        );
        for (bytes, closed, _) in &outcomes {
            assert!(
                bytes.starts_with(expected),
                "{name}: {:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            );
            let parsed = parse_responses(bytes, &[false]);
            assert_eq!(parsed.len(), 1, "{name}: one response");
            assert_eq!(parsed[0].header("Connection"), Some("close"), "{name}");
            assert!(closed, "{name}: the connection closes");
        }
    }
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(4));
    let peak_after = server.peak_rss_kib();
    let rss_after = server.rss_kib();
    server.assert_healthy();
    eprintln!(
        "huge head ({model:?}): RSS {rss_before} -> {rss_after} KiB, peak {peak_before} -> {peak_after} KiB \
         after {} MiB of heads; fds {fds_before} -> {fds_after}",
        cases.len() * CLIENTS
    );
    assert!(
        peak_after < peak_before.max(rss_before) + 5 * 1024,
        "peak RSS {peak_before} -> {peak_after} KiB"
    );
    assert!(fds_after <= fds_before);
}

// =============================================================================================
// No leaks.

/// The kinds of connection the leak test cycles through.
const KINDS: [&str; 6] = [
    "keep-alive, closed by the client",
    "Connection: close",
    "reset mid-response",
    "closed without a byte",
    "half a head, then a close",
    "half a head, then a reset",
];

fn one_connection(addr: SocketAddr, kind: usize, buffer: &mut [u8]) {
    let mut stream = connect(addr);
    match kind {
        0 => {
            stream.write_all(&get("/helloWorld.html")).unwrap();
            let response = common::read_response(&mut stream, &mut Vec::new(), false);
            assert_eq!(response.code, 200);
        }
        1 => {
            stream.write_all(&get_and_close("/unicode.html")).unwrap();
            let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
            assert!(closed && bytes.starts_with(b"HTTP/1.1 200 OK\r\n"));
        }
        2 => {
            stream.write_all(&get("/big.bin")).unwrap();
            let n = stream.read(buffer).unwrap();
            assert!(n > 0);
            reset_on_close(&stream);
        }
        3 => {}
        4 => stream
            .write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
            .unwrap(),
        _ => {
            stream
                .write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
                .unwrap();
            reset_on_close(&stream);
        }
    }
}

/// 20,000 connections one after another, of six kinds (normal, reset in the middle of a 16 MiB
/// response, closed without a byte, half a head then a close or a reset), after a warm-up of
/// 1,200: the server's open files come back to their count before, exactly, and its memory
/// grows by less than 1 MiB (a leak of 64 bytes a connection would show).
fn twenty_thousand_mixed_connections_leak_no_file_and_no_memory(model: Model) {
    const WARM_UP: usize = 1200;
    const COUNT: usize = 20_000;
    let _gate = heavy();
    let mut server = Served::start(model, &[], |site| {
        // Larger than what the socket buffers of a loopback connection hold, so the reset
        // always comes in the middle of the response.
        write_sparse(&site.join("big.bin"), 16);
    });
    let addr = server.addr;
    let mut buffer = vec![0u8; 1024];
    for i in 0..WARM_UP {
        one_connection(addr, i % KINDS.len(), &mut buffer);
    }
    let fds_before = server.quiet_fds();
    let rss_before = server.rss_kib();
    let started = Instant::now();
    let mut peak_fds = 0;
    let mut per_kind = [Duration::ZERO; KINDS.len()];
    for i in 0..COUNT {
        let begun = Instant::now();
        one_connection(addr, i % KINDS.len(), &mut buffer);
        per_kind[i % KINDS.len()] += begun.elapsed();
        if i % 1000 == 999 {
            peak_fds = peak_fds.max(server.fds());
        }
    }
    let took = started.elapsed();
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(5));
    let rss_after = server.rss_kib();
    let (code, body, _) = fetch(addr, "/helloWorld.html");
    assert_eq!((code, body.as_slice()), (200, HELLO));
    server.assert_healthy();
    eprintln!(
        "no leaks ({model:?}): {COUNT} connections ({} kinds) in {took:?} ({:.0}/s); fds {fds_before} -> {fds_after} \
         (at most {peak_fds} on the way); RSS {rss_before} -> {rss_after} KiB ({:+} KiB)",
        KINDS.len(),
        COUNT as f64 / took.as_secs_f64(),
        rss_after as i64 - rss_before as i64
    );
    for (kind, total) in KINDS.iter().zip(per_kind) {
        eprintln!(
            "  {kind}: {:.0} µs each",
            total.as_secs_f64() * 1e6 / (COUNT / KINDS.len()) as f64
        );
    }
    assert!(
        fds_after <= fds_before,
        "open files {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after <= rss_before + 1024,
        "RSS {rss_before} -> {rss_after} KiB"
    );
}

// =============================================================================================
// Desync: a body is never read as a request.

/// A request the server must never answer: if it were, its 404 page would name it.
const SMUGGLED: &str = "GET /smuggled.html HTTP/1.1\r\nHost: x\r\n\r\n";
const LAST: &str = "GET /unicode.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

struct Desync {
    name: &'static str,
    bytes: Vec<u8>,
    /// The statuses expected, in order, and whether each answers a HEAD.
    expected: Vec<(u16, bool)>,
}

fn desync_cases() -> Vec<Desync> {
    let n = SMUGGLED.len();
    let with = |head: String, body: &str| {
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        bytes
    };
    let chunked = format!("{n:x}\r\n{SMUGGLED}\r\n0\r\n\r\n");
    let mut cases = vec![
        Desync {
            name: "GET with a Content-Length body, then a second request",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "HEAD with a Content-Length body, then a second request",
            bytes: with(
                format!("HEAD /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, true), (200, false)],
        },
        Desync {
            name: "a 404 with a Content-Length body, then a second request",
            bytes: with(
                format!("GET /missing.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(404, false), (200, false)],
        },
        Desync {
            name: "Content-Length with leading zeros, then a second request",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 000{n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "the same Content-Length twice, then a second request",
            bytes: with(
                format!(
                    "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\nContent-Length: {n}, {n}\r\n\r\n"
                ),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "Content-Length and Transfer-Encoding: chunked",
            bytes: with(
                format!(
                    "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                    chunked.len()
                ),
                &format!("{chunked}{SMUGGLED}"),
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: chunked, then Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                    .to_string(),
                &format!("0\r\n\r\n{SMUGGLED}"),
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Content-Length: 0 and Transfer-Encoding: chunked",
            bytes: with(
                "POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "two different Content-Length fields",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: {n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a Content-Length list that disagrees",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0, {n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Content-Length with a plus sign",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: +{n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a negative Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a Content-Length that overflows 64 bits",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n"
                    .to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a hexadecimal Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: chunked, identity",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: identity",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: gzip, chunked",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(501, false)],
        },
        Desync {
            name: "Transfer-Encoding in HTTP/1.0",
            bytes: with(
                "GET /helloWorld.html HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding folded onto a second line (obs-fold)",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n".to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "whitespace before the colon of Transfer-Encoding",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n".to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "GET with a chunked body (answered, then closed)",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
                &format!("{chunked}{LAST}"),
            ),
            expected: vec![(200, false)],
        },
        Desync {
            name: "POST with a Content-Length body (405, then closed)",
            bytes: with(
                format!("POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(405, false)],
        },
        Desync {
            name: "HTTP/1.0 with a Content-Length body (answered, then closed)",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.0\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false)],
        },
        Desync {
            name: "Connection: close, then more requests in the same write",
            bytes: with(get_and_close_string("/helloWorld.html"), &format!("{SMUGGLED}{LAST}")),
            expected: vec![(200, false)],
        },
    ];
    // A body over the 1 MiB the server discards: answered, then closed, never parsed.
    let big = MIB + 1;
    let mut body = SMUGGLED.repeat(big / SMUGGLED.len() + 1);
    body.truncate(big);
    cases.push(Desync {
        name: "a Content-Length body over 1 MiB, made of requests",
        bytes: with(
            format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\n\r\n"),
            &format!("{body}{LAST}"),
        ),
        expected: vec![(200, false)],
    });
    cases
}

fn get_and_close_string(path: &str) -> String {
    String::from_utf8(get_and_close(path)).unwrap()
}

/// Sends `pieces` (with a short pause between them) and reads every answer until the close.
fn exchange(addr: SocketAddr, pieces: &[&[u8]]) -> (Vec<u8>, bool) {
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

fn check_desync(case: &Desync, bytes: &[u8], closed: bool, how: &str) {
    let text = String::from_utf8_lossy(bytes);
    assert!(closed, "{} ({how}): no close after {text:?}", case.name);
    assert!(
        !text.contains("smuggled"),
        "{} ({how}): a body was answered as a request: {text:?}",
        case.name
    );
    let heads: Vec<bool> = case.expected.iter().map(|(_, head)| *head).collect();
    let parsed = parse_responses(bytes, &heads);
    let codes: Vec<u16> = parsed.iter().map(|p| p.code).collect();
    let expected: Vec<u16> = case.expected.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, expected, "{} ({how}): {text:?}", case.name);
    assert_eq!(
        parsed.last().unwrap().header("Connection"),
        Some("close"),
        "{} ({how}): the last answer says close",
        case.name
    );
    if case.expected[0] == (200, false) {
        assert_eq!(parsed[0].body, HELLO, "{} ({how})", case.name);
    }
}

/// Every desync case, sent in one write and in two (split after the head): exactly the
/// answers expected, in order, then a close; the smuggled request inside a body is never
/// answered. Refusals (400, 501, 405) close the connection.
fn a_body_is_never_answered_as_a_request(model: Model) {
    let server = common::start_server(&common::fixtures_dir(), |c| c.model = model);
    for case in desync_cases() {
        let (bytes, closed) = exchange(server.addr, &[&case.bytes]);
        check_desync(&case, &bytes, closed, "one write");
        let head_end = case
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + 4;
        let (head, body) = case.bytes.split_at(head_end);
        let (bytes, closed) = exchange(server.addr, &[head, body]);
        check_desync(&case, &bytes, closed, "head, then body");
    }
}

/// The first desync case (a GET whose Content-Length body is a whole request, then a second
/// request) cut in two at every byte: always the two right answers, never the smuggled one.
fn a_content_length_body_split_anywhere_is_still_discarded(model: Model) {
    let server = common::start_server(&common::fixtures_dir(), |c| c.model = model);
    let case = desync_cases().into_iter().next().unwrap();
    for cut in 1..case.bytes.len() {
        let (first, second) = case.bytes.split_at(cut);
        let (bytes, closed) = exchange(server.addr, &[first, second]);
        check_desync(&case, &bytes, closed, &format!("cut at byte {cut}"));
    }
}

// =============================================================================================
// Faults.

/// With the test-only trigger, a request for /boom panics inside its connection. In one worker
/// (event model) or one thread per connection, with --max-connections 8: a kept-alive
/// connection, a half-received head and a download in progress all carry on; 40 panics later
/// the slots are all free (no 503), the other connections are answered, and the server stops
/// cleanly with nothing abandoned.
fn a_panic_inside_one_connection_ends_only_that_connection(model: Model) {
    const PANICS: usize = 40;
    silence_test_only_panics();
    let dir = tempfile::tempdir().unwrap();
    httplab::fixtures::write_to(dir.path()).unwrap();
    write_patterned(&dir.path().join("big.bin"), 8);
    let server = common::start_server(dir.path(), |c| {
        c.model = model;
        c.workers = 1;
        c.max_connections = 8;
        c.panic_on_target = Some("/boom".into());
    });
    let addr = server.addr;
    let mut kept = connect(addr);
    kept.write_all(&get("/helloWorld.html")).unwrap();
    let mut kept_pending = Vec::new();
    assert_eq!(
        common::read_response(&mut kept, &mut kept_pending, false).code,
        200
    );
    let mut half = connect(addr);
    half.write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
        .unwrap();
    let mut download = connect(addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut body) = read_head(&mut download);
    assert_eq!(head.code, 200);

    let mut pipelined_answered = 0;
    for i in 0..PANICS {
        let request = if i % 2 == 0 {
            get("/boom")
        } else {
            // Pipelined behind a good request: the first is answered, then the panic.
            let mut both = get("/helloWorld.html");
            both.extend_from_slice(&get("/boom"));
            both
        };
        let (bytes, closed) = exchange(addr, &[&request]);
        assert!(closed, "panic {i}: the connection ends");
        // Never an answer to /boom. The good request before it is answered in the thread
        // model (each answer is written before the next request is looked at); the event
        // model queues answers and writes them together, so the panic takes the queued 200
        // down with its connection.
        let parsed = parse_responses(&bytes, &[false]);
        assert!(
            parsed.len() <= i % 2,
            "panic {i}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        if let Some(first) = parsed.first() {
            assert_eq!((first.code, first.body.as_slice()), (200, HELLO));
            pipelined_answered += 1;
        }
    }
    let (code, body_now, _) = fetch(addr, "/helloWorld.html");
    assert_eq!(
        (code, body_now.as_slice()),
        (200, HELLO),
        "no slot leaked (else 503)"
    );
    kept.write_all(&get("/unicode.html")).unwrap();
    assert_eq!(
        common::read_response(&mut kept, &mut kept_pending, false).code,
        200
    );
    half.write_all(b"st: x\r\n\r\n").unwrap();
    let response = common::read_response(&mut half, &mut Vec::new(), false);
    assert_eq!((response.code, response.body.as_slice()), (200, HELLO));
    let mut chunk = vec![0u8; 256 * 1024];
    while body.len() < 8 * MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0, "the download was cut at {} bytes", body.len());
        body.extend_from_slice(&chunk[..n]);
    }
    assert!(
        body.len() == 8 * MIB && matches_pattern(0, &body),
        "the download is intact"
    );
    drop((kept, half, download));
    let started = Instant::now();
    let summary = server.stop();
    eprintln!(
        "panics ({model:?}): {PANICS} panics with 8 connection slots; the good request pipelined before /boom was answered {pipelined_answered} of {} times; stop took {:?}",
        PANICS / 2,
        started.elapsed()
    );
    assert_eq!(summary.abandoned, 0);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// The trigger's panics are expected: keep their message (and, with RUST_BACKTRACE set, the
/// cost of a backtrace each) out of the output. Every other panic goes to the default hook.
fn silence_test_only_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.starts_with("test-only panic for ") {
                default(info);
            }
        }));
    });
}

/// SIGTERM while a client downloads 100 MiB (and has paused reading): new connections are
/// refused at once, an idle kept-alive connection is closed, the download finishes byte for
/// byte, and the process exits 0 right after, well within --shutdown-grace.
fn sigterm_during_a_100_mib_download_lets_it_finish_and_exits_0(model: Model) {
    const GRACE: Duration = Duration::from_secs(10);
    let _gate = heavy();
    let mut server = Served::start(model, &["--shutdown-grace", "10"], |site| {
        write_patterned(&site.join("big.bin"), 100);
    });
    let addr = server.addr;
    let mut idle = connect(addr);
    idle.write_all(&get("/helloWorld.html")).unwrap();
    assert_eq!(
        common::read_response(&mut idle, &mut Vec::new(), false).code,
        200
    );
    let mut download = connect(addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut first) = read_head(&mut download);
    assert_eq!(head.code, 200);
    assert_eq!(head.header("Content-Length"), Some("104857600"));
    let mut chunk = vec![0u8; 256 * 1024];
    while first.len() < 4 * MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0);
        first.extend_from_slice(&chunk[..n]);
    }
    assert!(matches_pattern(0, &first));
    let mut received = first.len();

    let signalled = Instant::now();
    server.terminate();
    // New connections: refused (the listener is closed).
    let mut accepted_meanwhile = 0;
    let refused_after = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break signalled.elapsed(),
            Err(e) => panic!("connect after SIGTERM: {e}"),
            Ok(mut early) => {
                // Connected before the signal took effect: it is served or closed, never left
                // hanging.
                accepted_meanwhile += 1;
                let _ = early.write_all(&get_and_close("/helloWorld.html"));
                let (_, closed) = read_until_closed(&mut early, Duration::from_secs(3));
                assert!(closed, "a connection accepted during the stop hangs");
            }
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "still accepting"
        );
        sleep(Duration::from_millis(5));
    };
    for _ in 0..5 {
        let error = TcpStream::connect(addr).expect_err("refused for good");
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
    }
    let (rest, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(2));
    let idle_closed_after = signalled.elapsed();
    assert!(
        idle_closed && rest.is_empty(),
        "the idle connection is closed without a word"
    );
    // The download waits a while (a slow reader), then takes the rest.
    sleep(Duration::from_millis(300).saturating_sub(signalled.elapsed()));
    download
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // ...and then reads at about 64 MiB/s: the rest takes about 1.5 s of the grace period.
    loop {
        match download.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                assert!(
                    matches_pattern(received, &chunk[..n]),
                    "byte {received} and on are not the file's"
                );
                received += n;
                sleep(Duration::from_micros(n as u64 / 64));
            }
            Err(e) => panic!("the download failed after {received} bytes: {e}"),
        }
    }
    let finished = signalled.elapsed();
    let status = server.wait_exit(GRACE + Duration::from_secs(2));
    let exited = signalled.elapsed();
    eprintln!(
        "SIGTERM ({model:?}): refused new connections {refused_after:?} after the signal ({accepted_meanwhile} accepted meanwhile), \
         idle connection closed after {idle_closed_after:?}, download of {received} bytes done after {finished:?}, \
         exit {status:?} after {exited:?}"
    );
    assert_eq!(received, 100 * MIB, "all 100 MiB arrive");
    let status = status.expect("the server exits");
    assert!(status.success(), "exit status {status:?}");
    assert!(exited < GRACE, "exited {exited:?} after SIGTERM");
    assert!(
        exited - finished < Duration::from_secs(1),
        "exited {:?} after the download ended",
        exited - finished
    );
    assert!(
        refused_after < Duration::from_millis(500),
        "{refused_after:?}"
    );
}

/// SIGTERM while a client has stopped reading a 100 MiB download: the server waits for it no
/// longer than --shutdown-grace (2 s), then exits 0 and says a connection was abandoned.
fn sigterm_with_a_stalled_download_exits_0_at_the_grace_bound(model: Model) {
    const GRACE: Duration = Duration::from_secs(2);
    let mut server = Served::start(
        model,
        &["--shutdown-grace", "2", "--write-timeout", "60"],
        |site| write_sparse(&site.join("big.bin"), 100),
    );
    let mut stalled = connect(server.addr);
    stalled.write_all(&get("/big.bin")).unwrap();
    let (head, _) = read_head(&mut stalled);
    assert_eq!(head.code, 200);
    sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    server.terminate();
    let status = server.wait_exit(GRACE + Duration::from_secs(3));
    let exited = signalled.elapsed();
    let (bytes, closed) = read_until_closed(&mut stalled, Duration::from_secs(5));
    eprintln!(
        "SIGTERM, stalled reader ({model:?}): exit {status:?} after {exited:?} (grace {GRACE:?}); the reader then got {:.1} MiB of 100; stderr: {:?}",
        bytes.len() as f64 / MIB as f64,
        server.stderr().trim()
    );
    let status = status.expect("the server exits");
    assert!(status.success(), "{status:?}");
    assert!(
        exited >= GRACE - Duration::from_millis(100)
            && exited < GRACE + Duration::from_millis(1500),
        "exited {exited:?} after SIGTERM, the grace is {GRACE:?}"
    );
    assert!(closed && bytes.len() < 100 * MIB);
    assert!(
        server.stderr().contains("1 connection(s) were still busy"),
        "{}",
        server.stderr()
    );
}

/// A file cut short while it is being sent (truncated from 32 MiB to 2 MiB after the client
/// read 1 MiB): the response ends early with a close — soon, not at the write timeout — and
/// the server goes on.
fn a_file_truncated_while_it_is_sent_ends_that_response_only(model: Model) {
    let mut server = Served::start(model, &[], |site| {
        write_patterned(&site.join("big.bin"), 32);
    });
    let mut download = connect(server.addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut body) = read_head(&mut download);
    assert_eq!(head.code, 200);
    let mut chunk = vec![0u8; 64 * 1024];
    while body.len() < MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0);
        body.extend_from_slice(&chunk[..n]);
    }
    File::options()
        .write(true)
        .open(server.site().join("big.bin"))
        .unwrap()
        .set_len(2 * MIB as u64)
        .unwrap();
    let truncated = Instant::now();
    let (rest, closed) = read_until_closed(&mut download, Duration::from_secs(10));
    let took = truncated.elapsed();
    body.extend_from_slice(&rest);
    let (code, _, _) = fetch(server.addr, "/helloWorld.html");
    server.assert_healthy();
    eprintln!(
        "truncated file ({model:?}): got {:.2} MiB of the 32 promised, closed {took:?} after the truncation",
        body.len() as f64 / MIB as f64
    );
    assert!(closed, "the connection closes");
    assert!(body.len() < 32 * MIB, "{} bytes", body.len());
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(code, 200);
}

/// Polls `GET path` until it answers `code` (the event model trusts what it knows of a path
/// for one second); returns how long that took.
fn until_status(addr: SocketAddr, path: &str, code: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (got, body, _) = fetch(addr, path);
        if got == code {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "GET {path}: still {got} after {:?}: {:?}",
            started.elapsed(),
            String::from_utf8_lossy(&body)
        );
        sleep(Duration::from_millis(50));
    }
}

/// The served folder deleted while serving: 404 for everything (within the second the event
/// model trusts its cache), no crash, and the folder's files are served again once it is back.
fn the_served_folder_deleted_while_serving_gives_404(model: Model) {
    let mut server = Served::start(model, &[], |_| {});
    let addr = server.addr;
    for path in ["/helloWorld.html", "/", "/sub/", "/logo.png"] {
        assert_eq!(fetch(addr, path).0, 200, "{path}");
    }
    std::fs::remove_dir_all(server.site()).unwrap();
    let mut took = Vec::new();
    for path in [
        "/helloWorld.html",
        "/",
        "/sub/",
        "/logo.png",
        "/missing.html",
    ] {
        took.push(until_status(addr, path, 404, Duration::from_secs(3)));
    }
    server.assert_healthy();
    httplab::fixtures::write_to(&server.site()).unwrap();
    let back = until_status(addr, "/helloWorld.html", 200, Duration::from_secs(3));
    server.assert_healthy();
    eprintln!(
        "folder deleted ({model:?}): 404 after {took:?}; served again {back:?} after it came back"
    );
}

/// The served folder replaced by a regular file: the names inside it are 404.
fn the_served_folder_replaced_by_a_file_gives_404(model: Model) {
    let mut server = Served::start(model, &[], |_| {});
    let addr = server.addr;
    assert_eq!(fetch(addr, "/helloWorld.html").0, 200);
    let site = server.site();
    std::fs::rename(&site, server.dir.path().join("moved")).unwrap();
    std::fs::write(&site, b"not a folder any more\n").unwrap();
    let took = until_status(addr, "/helloWorld.html", 404, Duration::from_secs(3));
    // Not even the root itself serves the file that took its place.
    for path in ["/sub/", "/", "/.", "/sub/..", "/%2e"] {
        let (code, body, _) = fetch(addr, path);
        assert_eq!(code, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("not a folder any more"));
    }
    server.assert_healthy();
    eprintln!("folder replaced by a file ({model:?}): 404 after {took:?}");
}

/// What makes a name unservable when the server runs as root (chmod does not stop root): a
/// FIFO, a Unix socket or a device node is 403 — answered at once: opening a FIFO would block —
/// a dangling symlink or a symlink loop is 404, a symlink to a device outside the folder 403.
/// A file that becomes a FIFO while served is 403 too (after the event model's one second).
fn entries_that_cannot_be_served_get_403_or_404_at_once(model: Model) {
    let mut server = Served::start(model, &[], |site| {
        mkfifo(&site.join("fifo"));
        // The socket file stays when the listener closes.
        drop(std::os::unix::net::UnixListener::bind(site.join("socket")).unwrap());
        std::os::unix::fs::symlink(site.join("gone"), site.join("dangling")).unwrap();
        std::os::unix::fs::symlink(site.join("loop-b"), site.join("loop-a")).unwrap();
        std::os::unix::fs::symlink(site.join("loop-a"), site.join("loop-b")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", site.join("zero")).unwrap();
        std::fs::write(site.join("becomes-fifo"), b"for now a file\n").unwrap();
    });
    let addr = server.addr;
    let device = mknod_null(&server.site().join("null-device"));
    let mut cases = vec![
        ("/fifo", 403),
        ("/socket", 403),
        ("/dangling", 404),
        ("/loop-a", 404),
        ("/zero", 403),
    ];
    if device {
        cases.push(("/null-device", 403));
    }
    let mut slowest = Duration::ZERO;
    for (path, code) in &cases {
        let (got, body, took) = fetch(addr, path);
        assert_eq!(got, *code, "{path}: {:?}", String::from_utf8_lossy(&body));
        slowest = slowest.max(took);
    }
    assert_eq!(fetch(addr, "/becomes-fifo").0, 200);
    let site = server.site();
    std::fs::remove_file(site.join("becomes-fifo")).unwrap();
    mkfifo(&site.join("becomes-fifo"));
    let took = until_status(addr, "/becomes-fifo", 403, Duration::from_secs(3));
    assert_eq!(fetch(addr, "/helloWorld.html").0, 200);
    server.assert_healthy();
    eprintln!(
        "unservable ({model:?}): {} names answered, the slowest in {slowest:?} (device node: {}); a file turned FIFO: 403 after {took:?}",
        cases.len(),
        if device {
            "tested"
        } else {
            "mknod not permitted here"
        }
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A character device like /dev/null (1, 3), if this process may make one.
fn mknod_null(path: &Path) -> bool {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; makedev of constants.
    unsafe { libc::mknod(name.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) == 0 }
}

/// Every test above, once per connection model. Attributes written before a name apply to its
/// event-model test only.
macro_rules! for_both_models {
    ($($(#[$events:meta])* $name:ident),* $(,)?) => {
        mod events {
            $($(#[$events])*
            #[test]
            fn $name() {
                super::$name(super::Model::Events)
            })*
        }
        mod threads {
            $(#[test]
            fn $name() {
                super::$name(super::Model::Threads)
            })*
        }
    };
}

for_both_models!(
    slow_clients_trickling_a_head_are_cut_at_the_deadline_and_others_are_served,
    a_trickled_head_or_body_is_cut_at_one_fixed_deadline,
    a_thousand_idle_keep_alive_connections_do_not_stop_a_new_client,
    clients_holding_every_slot_are_let_go_at_the_idle_timeout,
    connections_that_never_send_a_byte_are_closed_at_the_head_deadline,
    clients_that_never_read_a_100_mib_file_are_dropped_at_the_write_timeout,
    a_one_mib_head_gets_refused_and_closed_with_memory_bounded,
    twenty_thousand_mixed_connections_leak_no_file_and_no_memory,
    a_body_is_never_answered_as_a_request,
    a_content_length_body_split_anywhere_is_still_discarded,
    a_panic_inside_one_connection_ends_only_that_connection,
    sigterm_during_a_100_mib_download_lets_it_finish_and_exits_0,
    sigterm_with_a_stalled_download_exits_0_at_the_grace_bound,
    a_file_truncated_while_it_is_sent_ends_that_response_only,
    the_served_folder_deleted_while_serving_gives_404,
    the_served_folder_replaced_by_a_file_gives_404,
    entries_that_cannot_be_served_get_403_or_404_at_once,
);
