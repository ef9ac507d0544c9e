//! What a student is told when the server refuses a request (400 and its kin) or gives up
//! waiting for one (408): what arrived and what was expected. Pure: the client's bytes and
//! the facts of the refusal in, one line of text out. That line is the response's body (after
//! `408 Request Timeout: `) and the access log's `↳ why:` line, so it never holds a line
//! break.
//!
//! Nothing but the client's own bytes is shown, made visible (`\r`, `\n` and every invisible
//! byte spelled out), and at most [`SHOWN_BYTES`] of them in one place, with the count when
//! more arrived: a huge head does not make a huge answer or a huge log line.

mod refusal;
mod timeout;

use std::time::Duration;

use crate::render::visible;

pub use refusal::{explain_refusal, explain_target};
pub use timeout::{explain_incomplete_head, explain_unfinished_body};

/// At most this many of the client's bytes are shown in one place.
pub const SHOWN_BYTES: usize = 200;

/// `bytes` made visible on one line, in quotes; past [`SHOWN_BYTES`], the first ones and
/// the count.
pub(crate) fn shown(bytes: &[u8]) -> String {
    shown_within(bytes, SHOWN_BYTES)
}

/// Like [`shown`], at most `budget` bytes.
fn shown_within(bytes: &[u8], budget: usize) -> String {
    if bytes.len() <= budget {
        return quoted(bytes);
    }
    format!(
        "{}... ({} bytes in all, the first {budget} shown)",
        quoted(&bytes[..budget]),
        bytes.len()
    )
}

/// Like [`shown`], but a long run keeps its first and its last bytes: where a head stopped
/// matters as much as how it began.
fn shown_ends(bytes: &[u8]) -> String {
    if bytes.len() <= SHOWN_BYTES {
        return quoted(bytes);
    }
    let half = SHOWN_BYTES / 2;
    format!(
        "{} ... {} (the first and the last {half} of {} bytes shown)",
        quoted(&bytes[..half]),
        quoted(&bytes[bytes.len() - half..]),
        bytes.len()
    )
}

/// In quotes, on one line: `visible` follows each `\n` it spells out with a real line
/// break, which is dropped here (every other invisible byte it already escapes).
fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", visible(bytes).replace('\n', ""))
}

/// The lines of a head, each with its line end (the last one may have none).
fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split_inclusive(|b| *b == b'\n')
}

/// A line without its line end (`\r\n` or a bare `\n`).
fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `1 byte`, `20 bytes`.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `10 s`, or `1500 ms` when it is not a whole number of seconds.
fn seconds(waited: Duration) -> String {
    if waited.subsec_millis() == 0 {
        format!("{} s", waited.as_secs())
    } else {
        format!("{} ms", waited.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_bytes_are_one_visible_line_and_bounded() {
        assert_eq!(shown(b"GET /\r\n\x1b"), "\"GET /\\r\\n\\x1b\"");
        let long = vec![b'a'; 1000];
        let text = shown(&long);
        assert!(
            text.starts_with(&format!("\"{}\"...", "a".repeat(200))),
            "{text}"
        );
        assert!(text.ends_with("(1000 bytes in all, the first 200 shown)"));
        let ends = shown_ends(&[b"GET /".as_slice(), &[b'a'; 500], b"\r\nX"].concat());
        assert!(ends.contains("aa\\r\\nX\" (the first and the last 100 of 508 bytes shown)"));
        assert!(!ends.contains('\n'));
    }

    #[test]
    fn waits_are_said_in_seconds() {
        assert_eq!(seconds(Duration::from_secs(10)), "10 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1500 ms");
    }
}
