//! The 408's explanation: what part of a request had arrived when its time ran out, and what
//! was still missing. A client that sends `GET /helloWorld.html` and waits (the seed's
//! client) is told that its request line has no version and no line end, and what a whole
//! request looks like.

use std::time::Duration;

use super::{content, count, lines, seconds, shown_ends, shown_within};

/// The last line is named with at most this many of its bytes: the head around it is shown
/// already.
const LAST_LINE_BYTES: usize = 40;
use crate::http::grammar::count_bare_lf;
use crate::http::request::skip_empty_lines;

/// What a whole request looks like, for a client whose request line never ended.
const REQUEST_RULE: &str = "expected a request line such as \"GET /path HTTP/1.1\" ended by \
    \\r\\n, then the header lines, then an empty line that ends the head, as in \
    \"GET /path HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\"";

/// How a head ends, for a client whose lines ended but whose head did not.
const HEAD_END_RULE: &str = "expected \\r\\n at the end of each line, then an empty line \
    that ends the head: after the last header line send \\r\\n once more, so that the head \
    ends with \\r\\n\\r\\n";

/// Why a head that was still incomplete after `waited` gets a 408: how many bytes arrived,
/// which (made visible, cut), what they lack, and what a request looks like.
pub fn explain_incomplete_head(bytes: &[u8], waited: Duration) -> String {
    if bytes.is_empty() {
        return format!(
            "after {} not a byte of a request had arrived; {REQUEST_RULE}",
            seconds(waited)
        );
    }
    let head = skip_empty_lines(bytes);
    let rule = if head.contains(&b'\n') {
        HEAD_END_RULE
    } else {
        REQUEST_RULE
    };
    format!(
        "after {} the request head had not ended: {} arrived, {}, {}; {rule}",
        seconds(waited),
        count(bytes.len(), "byte"),
        shown_ends(bytes),
        what_is_missing(head)
    )
}

/// Why a request whose body never ended gets a 408: its Content-Length promised `missing`
/// more bytes than came.
pub fn explain_unfinished_body(missing: u64, waited: Duration) -> String {
    format!(
        "after {} the request body had not ended: its Content-Length announced {} more than \
         arrived; expected exactly as many body bytes as Content-Length says (and a GET needs \
         no body and no Content-Length)",
        seconds(waited),
        if missing == 1 {
            "1 byte".to_string()
        } else {
            format!("{missing} bytes")
        }
    )
}

/// What the head still lacks (`head` starts at the request line).
fn what_is_missing(head: &[u8]) -> String {
    let Some(last_lf) = head.iter().rposition(|b| *b == b'\n') else {
        return unfinished_request_line(head).to_string();
    };
    let (ended, rest) = head.split_at(last_lf + 1);
    let mut what = match rest {
        [] => match lines(ended).count() {
            1 => "a whole request line, but no empty line after it".to_string(),
            n => format!(
                "the request line and {}, but not the empty line that ends the head",
                count(n - 1, "header line")
            ),
        },
        [b'\r'] => {
            "the empty line that ends the head was cut: its \\r came, its \\n did not".to_string()
        }
        _ if rest.ends_with(b"\r") => format!(
            "the last line, {}, ends with \\r, but its \\n never came",
            shown_within(content(rest), LAST_LINE_BYTES)
        ),
        _ => format!(
            "the last line, {}, has no line end: the head stopped in the middle of a header line",
            shown_within(rest, LAST_LINE_BYTES)
        ),
    };
    let bare = count_bare_lf(ended);
    if bare > 0 {
        what.push_str(&format!(
            " ({} with a bare \\n, where HTTP's line end is \\r\\n)",
            if bare == 1 {
                "one line ends".to_string()
            } else {
                format!("{bare} lines end")
            }
        ));
    }
    what
}

/// What a request line that has not ended lacks.
fn unfinished_request_line(line: &[u8]) -> &'static str {
    if line.is_empty() {
        return "only empty lines, no request line";
    }
    if line.ends_with(b"\r") {
        return "a request line that ends with \\r, whose \\n never came";
    }
    match line.split(|b| *b == b' ').filter(|p| !p.is_empty()).count() {
        0 | 1 => "only the start of a request line: no target, no version and no line end",
        2 => "a request line with no HTTP version and no line end",
        _ => "a request line with no line end",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explain(bytes: &[u8]) -> String {
        explain_incomplete_head(bytes, Duration::from_secs(10))
    }

    #[test]
    fn the_seeds_client_is_told_its_request_line_has_no_version_and_no_line_end() {
        assert_eq!(
            explain(b"GET /helloWorld.html"),
            "after 10 s the request head had not ended: 20 bytes arrived, \
             \"GET /helloWorld.html\", a request line with no HTTP version and no line end; \
             expected a request line such as \"GET /path HTTP/1.1\" ended by \\r\\n, then \
             the header lines, then an empty line that ends the head, as in \
             \"GET /path HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n\""
        );
    }

    #[test]
    fn each_partial_head_names_what_is_missing() {
        let cases: &[(&[u8], &str)] = &[
            (b"\r\n", "only empty lines, no request line"),
            (b"GET", "only the start of a request line"),
            (b"GET / HTTP/1.1", "a request line with no line end"),
            (
                b"GET / HTTP/1.1\r",
                "a request line that ends with \\r, whose \\n never came",
            ),
            (
                b"GET / HTTP/1.1\r\n",
                "a whole request line, but no empty line after it",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n",
                "the request line and 2 header lines, but not the empty line",
            ),
            (
                b"GET / HTTP/1.1\nHost: x\n",
                "(2 lines end with a bare \\n, where HTTP's line end is \\r\\n)",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\n\r",
                "the empty line that ends the head was cut: its \\r came, its \\n did not",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r",
                "the last line, \"Host: x\", ends with \\r, but its \\n never came",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nAcc",
                "the last line, \"Acc\", has no line end: the head stopped in the middle",
            ),
        ];
        for (bytes, missing) in cases {
            let text = explain(bytes);
            assert!(text.contains(missing), "{bytes:?}: {text}");
            assert!(!text.contains('\n'), "one line: {text}");
        }
        assert!(!explain(b"GET /").contains(HEAD_END_RULE));
        assert!(explain(b"GET / HTTP/1.1\r\n").contains(HEAD_END_RULE));
        assert!(explain(b"").starts_with("after 10 s not a byte of a request had arrived"));
    }

    #[test]
    fn a_long_head_is_shown_cut_with_its_count() {
        let mut head = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..300 {
            head.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
        }
        let text = explain(&head);
        assert!(text.len() < 1000, "{} bytes: {text}", text.len());
        assert!(
            text.contains(&format!("of {} bytes shown", head.len())),
            "{text}"
        );
        assert!(
            text.contains("the request line and 300 header lines"),
            "{text}"
        );
    }

    #[test]
    fn an_unfinished_body_says_how_much_is_missing() {
        let text = explain_unfinished_body(8, Duration::from_millis(1500));
        assert!(text.starts_with("after 1500 ms the request body had not ended"));
        assert!(text.contains("8 bytes more than arrived"), "{text}");
    }
}
