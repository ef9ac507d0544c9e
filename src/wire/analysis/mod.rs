//! What is right and wrong with the bytes a server sent back, in plain words.
//!
//! The reader is lenient on purpose (it finds the head even when lines end in a bare LF or
//! junk comes before `HTTP/`) so that it can name the fault instead of giving up.

mod body;
mod findings;
mod head;
mod partial;
mod segments;
mod status_line;

use super::message;
use crate::render::visible;
use body::framing;
use findings::Notes;
pub use findings::{Analysis, Ending, Finding, Severity};
use head::{fields, line_ends, status_line};
pub use segments::{in_tiny_segments, tiny_segments_captured, tiny_sends};
pub use status_line::StatusLine;

/// Analyses the bytes received for one response. `bytes` may run past the response (what
/// came after its declared end is reported as extra).
pub fn analyse(bytes: &[u8], request_was_head: bool, ending: Ending) -> Analysis {
    let mut notes = Notes::default();

    let mut analysis = Analysis {
        status_line: None,
        code: None,
        reason: None,
        fields: Vec::new(),
        head_len: None,
        body_len: 0,
        extra_len: 0,
        findings: Vec::new(),
    };
    if bytes.is_empty() {
        let how = match ending {
            Ending::Reset => "reset the connection",
            Ending::TimedOut => "stayed silent until the timeout",
            _ => "closed the connection",
        };
        notes.add(
            Severity::Fault,
            "no-response",
            format!("no response: the server {how} without sending a byte"),
        );
        analysis.findings = notes.into_findings();
        return analysis;
    }

    let head_end = message::head_end(bytes);
    let head = &bytes[..head_end.unwrap_or(bytes.len())];
    let lines = message::head_lines(head);
    let first = lines.first().copied().unwrap_or_default();
    analysis.status_line = Some(visible(first));

    status_line(first, &mut analysis, &mut notes);
    line_ends(head, head_end, &mut analysis, &mut notes);
    fields(head, &lines, head_end.is_some(), &mut analysis, &mut notes);
    if let Some(head_len) = head_end {
        framing(
            bytes,
            head,
            head_len,
            request_was_head,
            ending,
            &mut analysis,
            &mut notes,
        );
        let body_end = head_len + analysis.body_len.min(bytes.len() - head_len);
        let body = &bytes[head_len..body_end];
        let payload = match message::body_framing(head, request_was_head) {
            message::BodyFraming::Chunked => message::dechunk(body).unwrap_or_default(),
            _ => body.to_vec(),
        };
        partial::partial(head, &payload, &analysis, &mut notes);
    }
    analysis.findings = notes.into_findings();
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(a: &Analysis) -> Vec<&'static str> {
        a.findings
            .iter()
            .filter(|f| f.severity != Severity::Good)
            .map(|f| f.id)
            .collect()
    }

    #[test]
    fn a_correct_response_has_no_faults() {
        let a = analyse(
            b"HTTP/1.1 200 OK\r\nDate: Wed, 25 Nov 2026 15:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 3\r\n\r\nabc",
            false,
            Ending::Complete,
        );
        assert!(ids(&a).is_empty(), "{:?}", a.findings);
        assert_eq!(a.code, Some(200));
        assert_eq!(a.body_len, 3);
    }

    #[test]
    fn partial_and_conditional_answers_are_read_by_their_own_framing() {
        let partial = |head: &str, body: &str| {
            let date = "Date: Wed, 25 Nov 2026 15:00:00 GMT";
            let response = format!("HTTP/1.1 {head}\r\n{date}\r\n\r\n{body}");
            analyse(response.as_bytes(), false, Ending::Complete)
        };
        let good = partial(
            "206 Partial Content\r\nContent-Length: 3\r\nContent-Range: bytes 2-4/10\r\nContent-Type: text/plain",
            "cde",
        );
        assert!(ids(&good).is_empty(), "{:?}", good.findings);
        let liar = partial(
            "206 Partial Content\r\nContent-Length: 3\r\nContent-Range: bytes 2-5/10\r\nContent-Type: text/plain",
            "cde",
        );
        assert_eq!(ids(&liar), ["partial"]);
        let unlabelled = partial(
            "206 Partial Content\r\nContent-Length: 3\r\nContent-Type: text/plain",
            "cde",
        );
        assert_eq!(ids(&unlabelled), ["partial"]);
        let parts = "--B\r\nContent-Range: bytes 0-0/9\r\n\r\na\r\n--B\r\nContent-Range: bytes 8-8/9\r\n\r\ni\r\n--B--\r\n";
        let multipart = partial(
            &format!(
                "206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=B\r\nContent-Length: {}",
                parts.len()
            ),
            parts,
        );
        assert!(ids(&multipart).is_empty(), "{:?}", multipart.findings);
        let bare_416 = partial("416 Range Not Satisfiable\r\nContent-Length: 0", "");
        assert_eq!(ids(&bare_416), ["partial"]);
        let good_416 = partial(
            "416 Range Not Satisfiable\r\nContent-Range: bytes */10\r\nContent-Length: 0",
            "",
        );
        assert!(ids(&good_416).is_empty(), "{:?}", good_416.findings);
        let not_modified = partial("304 Not Modified\r\nETag: \"x\"", "");
        assert!(ids(&not_modified).is_empty(), "{:?}", not_modified.findings);
        let bad_tag = partial("304 Not Modified\r\nETag: x", "");
        assert_eq!(ids(&bad_tag), ["etag"]);
    }

    #[test]
    fn the_seed_servers_faults_are_named() {
        let body = "Grüße";
        let response = format!(
            " HTTP/1.1 200 OK\nConnection: close\nContent-Type: text/html\nContent-Length: {}\n\n{body}",
            body.chars().count()
        );
        let a = analyse(response.as_bytes(), false, Ending::Closed);
        let found = ids(&a);
        for id in ["leading-bytes", "bare-lf", "date", "body-long"] {
            assert!(found.contains(&id), "{id} in {found:?}");
        }
        assert!(
            a.findings
                .iter()
                .any(|f| f.message.contains("in characters"))
        );

        let a = analyse(b" HTTP/1.1 404 Found", false, Ending::Closed);
        let found = ids(&a);
        for id in ["leading-bytes", "reason", "no-head-end"] {
            assert!(found.contains(&id), "{id} in {found:?}");
        }
    }
}
