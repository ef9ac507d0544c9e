//! One line per request on stderr, in the Common Log Format that every log tool reads:
//! `127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] "GET /helloWorld.html HTTP/1.1" 200 47`.
//! A refusal's explanation follows on the next line (`  ↳ why: …`), and with
//! `serve --show-requests` the request head as it arrived, made visible (and dumped in hex
//! when it is not text).

use std::fmt::Write as _;
use std::io::Write;
use std::net::IpAddr;
use std::time::SystemTime;

use crate::http::request::skip_empty_lines;
use crate::render::{hexdump, visible};

/// At most this many bytes of a request head are kept and shown by `--show-requests`.
pub const SHOWN_HEAD: usize = 1024;

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
    /// Why a refusal refused (the text of its body): what arrived, what was expected.
    pub why: Option<String>,
    /// The request's head as it arrived, kept only for `--show-requests`.
    pub arrived: Option<Arrived>,
}

/// The first bytes of a request head as they arrived (at most [`SHOWN_HEAD`]), and how many
/// there were in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrived {
    pub bytes: Vec<u8>,
    pub len: usize,
}

impl Arrived {
    pub fn new(head: &[u8]) -> Arrived {
        Arrived {
            bytes: head[..head.len().min(SHOWN_HEAD)].to_vec(),
            len: head.len(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct AccessLog {
    pub enabled: bool,
    /// Show each request head under its line (`serve --show-requests`).
    pub show_requests: bool,
}

impl AccessLog {
    /// Writes one record — its line, its explanation, its head — in one `write` call, so
    /// that records from many threads never interleave. Both connection models write
    /// through here.
    pub fn write(&self, record: &LogRecord) {
        if !self.enabled {
            return;
        }
        let entry = format_entry(record, self.show_requests);
        let _ = std::io::stderr().lock().write_all(entry.as_bytes());
    }
}

/// A record as the log shows it: the Common Log Format line; for a refusal, `  ↳ why: …` on
/// the next line; with `show_requests`, the head as it arrived.
pub fn format_entry(record: &LogRecord, show_requests: bool) -> String {
    let mut entry = format_line(record);
    if let Some(why) = &record.why {
        // Never a line break of the client's making: the log cannot be forged.
        let _ = writeln!(entry, "  \u{21b3} why: {}", why.replace(['\r', '\n'], " "));
    }
    if show_requests && let Some(arrived) = &record.arrived {
        format_arrived(&mut entry, arrived);
    }
    entry
}

/// The head made visible, `\r` and `\n` spelled out, each line behind `    | `; a hex dump
/// too when it is not text; the count when it was cut.
fn format_arrived(out: &mut String, arrived: &Arrived) {
    let text = is_text(&arrived.bytes);
    let _ = writeln!(
        out,
        "  \u{21b3} the request as it arrived, {} byte{}{}:",
        arrived.len,
        if arrived.len == 1 { "" } else { "s" },
        if text { "" } else { ", not text" }
    );
    for line in visible(&arrived.bytes).lines() {
        let _ = writeln!(out, "    | {line}");
    }
    if !text {
        for line in hexdump(&arrived.bytes).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if arrived.len > arrived.bytes.len() {
        let _ = writeln!(
            out,
            "    ... ({} bytes in all, the first {} shown)",
            arrived.len,
            arrived.bytes.len()
        );
    }
}

/// UTF-8 text without control bytes but CR, LF and tab (a character cut at the end of a
/// cut head still counts as text).
fn is_text(bytes: &[u8]) -> bool {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(cut) if cut.error_len().is_none() => {
            std::str::from_utf8(&bytes[..cut.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    text.chars()
        .all(|c| !c.is_control() || matches!(c, '\r' | '\n' | '\t'))
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
            why: None,
            arrived: None,
        });
        assert_eq!(
            line,
            "127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] \"GET /helloWorld.html HTTP/1.1\" 200 47\n"
        );
    }

    #[test]
    fn a_refusal_says_why_on_the_next_line_and_never_breaks_it() {
        let record = LogRecord {
            peer: [127, 0, 0, 1].into(),
            time: UNIX_EPOCH,
            request_line: "GET /".into(),
            status: 400,
            body_bytes: 10,
            why: Some("a\nb\rc".into()),
            arrived: Some(Arrived::new(b"GET /\n")),
        };
        let entry = format_entry(&record, false);
        assert!(
            entry.ends_with("\"GET /\" 400 10\n  \u{21b3} why: a b c\n"),
            "{entry}"
        );
        let shown = format_entry(&record, true);
        assert!(
            shown.ends_with("  \u{21b3} the request as it arrived, 6 bytes:\n    | GET /\\n\n"),
            "{shown}"
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
