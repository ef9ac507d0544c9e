//! The body of a response against its framing (RFC 9112 §6.3).

use super::findings::{Analysis, Ending, Notes, Severity};
use crate::render::visible;
use crate::wire::message::{self, BodyFraming};

/// The body against its framing: Content-Length, chunked, or until the close.
pub(super) fn framing(
    bytes: &[u8],
    head: &[u8],
    head_len: usize,
    request_was_head: bool,
    ending: Ending,
    analysis: &mut Analysis,
    notes: &mut Notes,
) {
    let after = &bytes[head_len..];
    content_length_fields(head, notes);
    content_type(head, after, request_was_head, analysis, notes);
    match message::body_framing(head, request_was_head) {
        BodyFraming::None => no_body(after, analysis, notes),
        BodyFraming::Length(declared) => declared_length(after, declared, ending, analysis, notes),
        BodyFraming::Chunked => chunked(after, analysis, notes),
        BodyFraming::UntilClose => until_close(after, ending, analysis, notes),
    }
}

/// Content-Length fields that disagree, or are not a number.
fn content_length_fields(head: &[u8], notes: &mut Notes) {
    let lengths: Vec<&[u8]> = message::fields(head)
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"content-length"))
        .map(|(_, v)| v)
        .collect();
    if lengths.windows(2).any(|w| w[0] != w[1]) {
        notes.add(
            Severity::Fault,
            "content-length",
            "conflicting Content-Length fields (RFC 9112 §6.3)".to_string(),
        );
    }
    if let Some(value) = lengths.first()
        && std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .is_none()
    {
        notes.add(
            Severity::Fault,
            "content-length",
            format!(
                "Content-Length {:?} is not a number (RFC 9110 §8.6)",
                visible(value)
            ),
        );
    }
}

/// A body without a Content-Type.
fn content_type(
    head: &[u8],
    after: &[u8],
    request_was_head: bool,
    analysis: &Analysis,
    notes: &mut Notes,
) {
    let has_body = analysis
        .code
        .is_some_and(|c| c >= 200 && c != 204 && c != 304)
        && !request_was_head;
    if has_body && message::field(head, "content-type").is_none() && !after.is_empty() {
        notes.add(
            Severity::Warning,
            "content-type",
            "a body without Content-Type: the client must guess (RFC 9110 §8.3)".to_string(),
        );
    }
}

/// A response that has no body (HEAD, 1xx, 204, 304): anything after the head is extra.
fn no_body(after: &[u8], analysis: &mut Analysis, notes: &mut Notes) {
    analysis.extra_len = after.len();
    if !after.is_empty() {
        notes.add(
            Severity::Fault,
            "extra-bytes",
            format!("{} byte(s) after a response that has no body", after.len()),
        );
    }
}

/// A body of `declared` bytes (Content-Length): cut off, too long, or right.
fn declared_length(
    after: &[u8],
    declared: u64,
    ending: Ending,
    analysis: &mut Analysis,
    notes: &mut Notes,
) {
    let declared_usize = usize::try_from(declared).unwrap_or(usize::MAX);
    let got = after.len().min(declared_usize);
    analysis.body_len = got;
    analysis.extra_len = after.len().saturating_sub(declared_usize);
    if after.len() < declared_usize {
        let why = match ending {
            Ending::TimedOut => "then nothing more came",
            Ending::Reset => "then the server reset the connection",
            _ => "then the server closed the connection",
        };
        notes.add(
            Severity::Fault,
            "body-short",
            format!(
                "the body is cut off: {} of the {declared} bytes Content-Length declares arrived, {why}",
                after.len()
            ),
        );
    } else if after.len() > declared_usize {
        notes.add(Severity::Fault, "body-long", body_too_long(after, declared));
    } else {
        notes.add(
            Severity::Good,
            "content-length",
            format!("body: {got} bytes, as Content-Length says"),
        );
    }
}

/// What to say of more bytes than Content-Length declares, and whether the declared length
/// is the body's length in characters.
fn body_too_long(after: &[u8], declared: u64) -> String {
    let declared_usize = usize::try_from(declared).unwrap_or(usize::MAX);
    let chars = std::str::from_utf8(after).map(|s| s.chars().count()).ok();
    let mut message = format!(
        "{} byte(s) more than Content-Length: {declared} arrived after the body; a client takes them for the start of the next response",
        after.len() - declared_usize
    );
    if chars == Some(declared_usize) {
        message.push_str(&format!(
            "; {declared} is the body's length in characters, but it has {} bytes: Content-Length counts bytes (RFC 9110 §8.6)",
            after.len()
        ));
    }
    message
}

/// A chunked body: complete when its last (zero-size) chunk arrived.
fn chunked(after: &[u8], analysis: &mut Analysis, notes: &mut Notes) {
    match message::chunked_end(after) {
        Some(end) => {
            analysis.body_len = end;
            analysis.extra_len = after.len() - end;
            notes.add(
                Severity::Good,
                "content-length",
                format!("chunked body: {end} bytes on the wire, complete"),
            );
        }
        None => {
            analysis.body_len = after.len();
            notes.add(
                Severity::Fault,
                "body-short",
                "the chunked body never reached its last (zero-size) chunk".to_string(),
            );
        }
    }
}

/// No length at all: the body runs until the server closes.
fn until_close(after: &[u8], ending: Ending, analysis: &mut Analysis, notes: &mut Notes) {
    analysis.body_len = after.len();
    let severity = if ending == Ending::Closed {
        Severity::Note
    } else {
        Severity::Fault
    };
    notes.add(
        severity,
        "no-length",
        format!(
            "no Content-Length: the body ({} bytes) ends only when the server closes, so the connection cannot be reused (RFC 9112 §6.3)",
            after.len()
        ),
    );
}
