//! One line per request on stderr, in the Common Log Format that every log tool reads:
//! `127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] "GET /helloWorld.html HTTP/1.1" 200 47`.

use std::io::Write;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::http::request::skip_empty_lines;

/// One line of the access log: who asked what, the answer's status, and the body bytes
/// that went out. The session makes it; a driver writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub peer: IpAddr,
    /// When the request was answered.
    pub time: SystemTime,
    /// The request line as it arrived, escaped and bounded ([`request_line`]).
    pub request_line: String,
    pub status: u16,
    pub body_bytes: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct AccessLog {
    pub enabled: bool,
}

impl AccessLog {
    /// Writes one line (one `write` call, so lines from many threads never interleave).
    pub fn write(&self, record: &LogRecord) {
        if !self.enabled {
            return;
        }
        let line = format_line(record);
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

pub fn format_line(record: &LogRecord) -> String {
    let size = if record.body_bytes == 0 {
        "-".to_string()
    } else {
        record.body_bytes.to_string()
    };
    format!(
        "{} - - [{}] \"{}\" {} {size}\n",
        record.peer,
        clf_time(record.time),
        record.request_line,
        record.status
    )
}

/// The first line of a request as it arrived, for the log: printable ASCII kept, the rest
/// escaped (`\x0d`), quotes and backslashes escaped, at most 512 bytes — a client cannot
/// forge log lines or flood the log.
pub fn request_line(input: &[u8]) -> String {
    let line = skip_empty_lines(input);
    let end = line
        .iter()
        .position(|b| *b == b'\n' || *b == b'\r')
        .unwrap_or(line.len());
    let line = &line[..end.min(512)];
    let mut out = String::with_capacity(line.len());
    for &b in line {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `25/Nov/2026:15:00:00 +0000`, rearranged from the IMF-fixdate httpdate writes
/// (`Wed, 25 Nov 2026 15:00:00 GMT`), so no calendar arithmetic is written here.
fn clf_time(now: SystemTime) -> String {
    let imf = httpdate::fmt_http_date(now);
    let parts: Vec<&str> = imf.split(' ').collect();
    match parts.as_slice() {
        [_, day, month, year, time, _] => format!("{day}/{month}/{year}:{time} +0000"),
        _ => imf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn common_log_format() {
        let now = UNIX_EPOCH + Duration::from_secs(1_795_618_800); // 2026-11-25 15:00:00 UTC
        let line = format_line(&LogRecord {
            peer: [127, 0, 0, 1].into(),
            time: now,
            request_line: "GET /helloWorld.html HTTP/1.1".into(),
            status: 200,
            body_bytes: 47,
        });
        assert_eq!(
            line,
            "127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] \"GET /helloWorld.html HTTP/1.1\" 200 47\n"
        );
    }

    #[test]
    fn request_lines_cannot_forge_log_lines() {
        assert_eq!(
            request_line(b"\r\nGET / HTTP/1.1\r\nHost: x"),
            "GET / HTTP/1.1"
        );
        assert_eq!(
            request_line(b"GET /\"a\\\x1b HTTP/1.1\n"),
            "GET /\\\"a\\\\\\x1b HTTP/1.1"
        );
        assert_eq!(request_line(&[b'a'; 600]).len(), 512);
    }
}
