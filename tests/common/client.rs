//! A raw client for the tests: connect, the request bytes of a GET, reading until the server
//! closes, and a whole fetch on a fresh connection (its one response read by
//! [`super::split_response`]). Loopback only; every read has a deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The fixtures' `/helloWorld.html`.
#[allow(dead_code)]
pub const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";

/// A connection to `addr` (within 3 s), reads and writes bounded by 10 s, no Nagle delay.
#[allow(dead_code)]
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

/// `GET path`, kept alive.
#[allow(dead_code)]
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// `GET path` with `Connection: close`.
pub fn get_and_close(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").into_bytes()
}

/// How reading a connection to its end ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEnd {
    /// The server closed it (end-of-file).
    Closed,
    /// The server reset it.
    Reset,
    /// It was still open when the time was up.
    TimedOut,
}

/// Reads until the server closes or resets the connection, or `within` passes; returns the
/// bytes and how it ended. Panics on any other read error.
pub fn read_until_end(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, ConnectionEnd) {
    let deadline = Instant::now() + within;
    let mut all = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (all, ConnectionEnd::TimedOut);
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut chunk) {
            Ok(0) => return (all, ConnectionEnd::Closed),
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (all, ConnectionEnd::TimedOut);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                return (all, ConnectionEnd::Reset);
            }
            Err(e) => panic!("read failed after {} bytes: {e}", all.len()),
        }
    }
}

/// Reads until the server closes (end-of-file or reset) or `within` passes; returns the bytes
/// and whether the connection really closed.
#[allow(dead_code)]
pub fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let (bytes, end) = read_until_end(stream, within);
    (bytes, end != ConnectionEnd::TimedOut)
}

/// Reads until the server closes (end-of-file or reset) and returns everything; fails the test
/// if it has not closed within 10 s.
#[allow(dead_code)]
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let (bytes, end) = read_until_end(stream, Duration::from_secs(10));
    assert!(
        end != ConnectionEnd::TimedOut,
        "no close within 10 s, after {:?}",
        String::from_utf8_lossy(&bytes)
    );
    bytes
}

/// What [`fetch_within`] got.
pub struct Fetched {
    pub code: u16,
    pub body: Vec<u8>,
    /// From before the connect to the server's close.
    pub took: Duration,
    /// The server ended the connection with a reset rather than a close.
    pub reset: bool,
}

impl Fetched {
    /// (status, body, time taken), or an error when the server reset the connection instead of
    /// closing it.
    #[allow(dead_code)]
    pub fn unless_reset(self) -> Result<(u16, Vec<u8>, Duration), String> {
        if self.reset {
            return Err(format!(
                "reset after {} {:?}",
                self.code,
                String::from_utf8_lossy(&self.body)
            ));
        }
        Ok((self.code, self.body, self.took))
    }
}

/// One fresh connection, `GET path` with `Connection: close`, read until the server closes (or
/// resets) it, all within `within`: exactly one whole response, or what went wrong (no
/// connection, no close in time, bytes that are not exactly one response).
pub fn fetch_within(addr: SocketAddr, path: &str, within: Duration) -> Result<Fetched, String> {
    let started = Instant::now();
    let mut stream =
        TcpStream::connect_timeout(&addr, within).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).unwrap();
    stream
        .write_all(&get_and_close(path))
        .map_err(|e| format!("write: {e}"))?;
    let left = within.saturating_sub(started.elapsed());
    let (bytes, end) = read_until_end(&mut stream, left);
    let took = started.elapsed();
    if end == ConnectionEnd::TimedOut {
        return Err(format!(
            "no close within {within:?}, after {:?}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    match super::split_response(&bytes, false)? {
        Some((response, used)) if used == bytes.len() => Ok(Fetched {
            code: response.code,
            body: response.body,
            took,
            reset: end == ConnectionEnd::Reset,
        }),
        _ => Err(format!(
            "not exactly one response: {:?}",
            String::from_utf8_lossy(&bytes)
        )),
    }
}

/// [`fetch_within`] 8 s, where anything but one whole response fails the test (a reset after
/// it does not): (status, body, time taken).
#[allow(dead_code)]
pub fn fetch(addr: SocketAddr, path: &str) -> (u16, Vec<u8>, Duration) {
    let fetched = fetch_within(addr, path, Duration::from_secs(8))
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    (fetched.code, fetched.body, fetched.took)
}

/// "n=… min=… p50=… p90=… p99=… max=… ms" of a set of durations.
#[allow(dead_code)]
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
