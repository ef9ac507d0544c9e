//! A refusal's explanation: the rule that was broken (`RequestError::fault`), the evidence —
//! the offending line as it arrived, made visible and cut — and what was expected
//! (`RequestError::expected`). The evidence is found again from the input: refusals are
//! rare, and the parser's hot path stays as it is.

use super::{SHOWN_BYTES, content, count, lines, shown, shown_within};
use crate::http::diagnose::diagnose_field_line;
use crate::http::grammar::is_tchar;
use crate::http::request::skip_empty_lines;
use crate::http::request_error::{RequestError, byte_name};

/// At most this many lines are quoted as evidence (a duplicated Host, conflicting lengths).
const SHOWN_LINES: usize = 2;

/// The body of a refusal of `input` for `error`: what is wrong, what arrived, what was
/// expected. Without evidence to show, the rule alone.
pub fn explain_refusal(input: &[u8], error: &RequestError) -> String {
    match evidence(input, error) {
        Some(evidence) => format!(
            "{}: {evidence}; expected {}",
            error.fault(),
            error.expected()
        ),
        None => error.to_string(),
    }
}

/// A target refused on its way to a file (`SitePath`: an encoded slash, a NUL, a
/// backslash...): `why`, the target as it arrived, and what a target looks like.
pub fn explain_target(why: &str, target: &str) -> String {
    format!(
        "{why}: the target arrived as {}; expected a path such as /helloWorld.html or \
         /sub/index.html, with / between folders",
        shown(target.as_bytes())
    )
}

/// What arrived that shows the fault, if it can be found.
fn evidence(input: &[u8], error: &RequestError) -> Option<String> {
    use RequestError::*;
    let head = skip_empty_lines(input);
    let request_line = lines(head).next().unwrap_or(head);
    let arrived = |line: &[u8]| format!("the request line arrived as {}", shown(line));
    Some(match error {
        TlsHandshake => format!(
            "the first bytes are {}, a TLS record where a request line should be",
            hex(&input[..input.len().min(8)])
        ),
        InvalidMethod => match request_line.iter().find(|b| **b != b' ' && !is_tchar(**b)) {
            Some(b) if is_method_byte(request_line, *b) => format!(
                "{}, and {} cannot be in a method",
                arrived(request_line),
                byte_name(*b)
            ),
            _ => arrived(request_line),
        },
        LeadingWhitespace
        | RequestLineSpacing
        | MissingVersion
        | InvalidTargetByte(_)
        | MalformedVersion
        | UnsupportedVersion(_)
        | TrailingWhitespaceInRequestLine => arrived(request_line),
        TargetTooLong { .. } => format!("the target arrived as {}", shown(target_of(head))),
        BareCr => {
            let (n, line) = numbered(head).find(|(_, line)| content(line).contains(&b'\r'))?;
            format!("line {n} arrived as {}", shown(line))
        }
        ObsFold
        | WhitespaceBeforeColon
        | MissingColon
        | EmptyFieldName
        | InvalidFieldNameByte(_)
        | ControlInFieldValue(_) => {
            let faulty = |line: &[u8]| diagnose_field_line(content(line));
            let (n, line) = field_lines(head)
                .find(|(_, line)| faulty(line).as_ref() == Some(error))
                .or_else(|| field_lines(head).find(|(_, line)| faulty(line).is_some()))?;
            format!("line {n} arrived as {}", shown(line))
        }
        MissingHost => format!(
            "the head arrived as {}, with no Host line",
            shown(&head[..head_len(head)])
        ),
        DuplicateHost | InvalidHost => fields_named(head, &["host"])?,
        InvalidContentLength | ConflictingContentLength => fields_named(head, &["content-length"])?,
        LengthWithTransferEncoding => fields_named(head, &["content-length", "transfer-encoding"])?,
        TransferEncodingInHttp10 | ChunkedNotLast | UnsupportedTransferCoding(_) => {
            fields_named(head, &["transfer-encoding"])?
        }
        HeadTooLarge { .. } => format!("the head arrived as {}", shown(input)),
        TooManyFields { .. } => format!(
            "{} arrived",
            count(field_lines(head).count(), "header line")
        ),
    })
}

/// Whether `b`, the first byte of the request line that is neither a space nor a tchar,
/// lies in the method (before the first space).
fn is_method_byte(line: &[u8], b: u8) -> bool {
    let method_end = line.iter().position(|c| *c == b' ').unwrap_or(line.len());
    line[..method_end].contains(&b)
}

/// The lines of the head numbered from 1 (the request line), up to the empty line.
fn numbered(head: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    lines(head)
        .take_while(|line| !content(line).is_empty())
        .enumerate()
        .map(|(i, line)| (i + 1, line))
}

/// The header lines, numbered as in [`numbered`].
fn field_lines(head: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    numbered(head).skip(1)
}

/// The header lines with one of these names (lowercase), quoted: `line 2 arrived as
/// "Host: a\r\n", line 3 as "Host: b\r\n"`.
fn fields_named(head: &[u8], names: &[&str]) -> Option<String> {
    let named: Vec<(usize, &[u8])> = field_lines(head)
        .filter(|(_, line)| {
            let name = line.split(|b| *b == b':').next().unwrap_or_default();
            names
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        })
        .collect();
    let budget = SHOWN_BYTES / named.len().clamp(1, SHOWN_LINES);
    let mut quoted = named
        .iter()
        .take(SHOWN_LINES)
        .enumerate()
        .map(|(i, (n, line))| {
            let verb = if i == 0 { " arrived" } else { "" };
            format!("line {n}{verb} as {}", shown_within(line, budget))
        });
    let mut text = quoted.next()?;
    for more in quoted {
        text.push_str(", ");
        text.push_str(&more);
    }
    if named.len() > SHOWN_LINES {
        text.push_str(&format!(" and {} more", named.len() - SHOWN_LINES));
    }
    Some(text)
}

/// The head up to and with its empty line (all of it when it has none).
fn head_len(head: &[u8]) -> usize {
    let mut len = 0;
    for line in lines(head) {
        len += line.len();
        if content(line).is_empty() {
            break;
        }
    }
    len
}

/// The target of a request line: after the method's space, up to the next space or the
/// line end.
fn target_of(head: &[u8]) -> &[u8] {
    let line = content(lines(head).next().unwrap_or(head));
    let Some(space) = line.iter().position(|b| *b == b' ') else {
        return &[];
    };
    let target = &line[space + 1..];
    let end = target
        .iter()
        .position(|b| *b == b' ')
        .unwrap_or(target.len());
    &target[..end]
}

/// Bytes in hex, `16 03 01 00`.
fn hex(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Limits, Parsed, request::parse};

    fn explain(input: &[u8]) -> String {
        match parse(input, &Limits::default()) {
            Parsed::Invalid(error) => explain_refusal(input, &error),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn the_offending_line_is_quoted_with_its_number() {
        assert_eq!(
            explain(b"GET / HTTP/1.1\r\nHost: x\r\nX-Y : a\r\n\r\n"),
            "whitespace between a header field name and its colon: line 3 arrived as \
             \"X-Y : a\\r\\n\"; expected the colon right after the name, as in \"Host: localhost\" \
             (RFC 9112 §5.1)"
        );
        assert!(
            explain(b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n")
                .contains("line 2 arrived as \"Host: x\\rX: y\\r\\n\"")
        );
        assert!(
            explain(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
                .contains("line 2 arrived as \"Host: a\\r\\n\", line 3 as \"Host: b\\r\\n\"")
        );
    }

    #[test]
    fn request_line_faults_quote_the_request_line_and_name_the_byte() {
        assert_eq!(
            explain(b"GET /path\r\n\r\n"),
            "the request line has no HTTP version: the request line arrived as \
             \"GET /path\\r\\n\"; expected the version after the target, as in \
             \"GET /path HTTP/1.1\" (a request line without one is HTTP/0.9, which is not \
             supported; RFC 9112 §3)"
        );
        assert!(
            explain(b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n")
                .contains("and byte 0x28 (\"(\") cannot be in a method")
        );
        assert!(
            explain(b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n")
                .contains("byte 0x20 (a space) is not allowed in a request target: the request line arrived as \"GET /a b HTTP/1.1\\r\\n\"; expected %20 in its place")
        );
    }

    #[test]
    fn a_missing_host_shows_the_head_and_tls_shows_its_first_bytes() {
        assert!(explain(b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n").contains(
            "the head arrived as \"GET / HTTP/1.1\\r\\nAccept: */*\\r\\n\\r\\n\", with no Host line"
        ));
        assert!(
            explain(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03")
                .contains("the first bytes are 16 03 01 00 a5 01 00 00")
        );
    }

    #[test]
    fn evidence_is_bounded() {
        let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
        let text = explain(long.as_bytes());
        assert!(
            text.contains("(9001 bytes in all, the first 200 shown)"),
            "{text}"
        );
        assert!(text.len() < 600, "{text}");
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        big.extend(std::iter::repeat_n(b'a', 20_000));
        let text = explain(&big);
        assert!(text.len() < 600, "{text}");
    }
}
