//! The head of a response: its status line, its line ends, its fields.

use super::findings::{Analysis, Notes, Severity};
use super::status_line::StatusLine;
use crate::http::Status;
use crate::http::date::date_form;
use crate::http::grammar::count_bare_lf;
use crate::render::visible;
use crate::wire::message;

/// HTTP-version SP 3DIGIT SP [reason] CRLF, and nothing before it (RFC 9112 §4).
pub(super) fn status_line(first: &[u8], analysis: &mut Analysis, notes: &mut Notes) {
    let Some(line) = StatusLine::read(first) else {
        notes.add(
            Severity::Fault,
            "no-status-line",
            format!(
                "the first line is not a status line: {:?} (RFC 9112 §4)",
                visible(first)
            ),
        );
        return;
    };
    leading_bytes(line.leading, notes);
    if !line.version_ok() {
        notes.add(
            Severity::Fault,
            "status-line",
            format!(
                "the version {:?} is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)",
                visible(line.version)
            ),
        );
    }
    let Some(code) = line.code() else {
        notes.add(
            Severity::Fault,
            "status-line",
            format!(
                "the status code {:?} is not three digits (RFC 9112 §4)",
                visible(line.code)
            ),
        );
        return;
    };
    analysis.code = Some(code);
    match line.reason {
        None => notes.add(
            Severity::Fault,
            "status-line",
            "no space after the status code (RFC 9112 §4 requires it even with no reason phrase)"
                .to_string(),
        ),
        Some(reason) => reason_phrase(code, reason, analysis, notes),
    }
    if line.version_ok() && line.leading.is_empty() {
        notes.add(
            Severity::Good,
            "status-line",
            format!("status line: {}", visible(first)),
        );
    }
}

/// Bytes before `HTTP/` on the status line.
fn leading_bytes(leading: &[u8], notes: &mut Notes) {
    if !leading.is_empty() {
        notes.add(
            Severity::Fault,
            "leading-bytes",
            format!(
                "{} byte(s) before HTTP/ ({:?}): the status line must start with HTTP/ (RFC 9112 §4); \
                 strict clients reject the response",
                leading.len(),
                visible(leading)
            ),
        );
    }
}

/// The reason phrase against the one registered for the code (RFC 9110 §15).
fn reason_phrase(code: u16, reason: &[u8], analysis: &mut Analysis, notes: &mut Notes) {
    let reason = String::from_utf8_lossy(reason).to_string();
    let status = Status(code);
    if !status.matches_reason(&reason) {
        notes.add(
            Severity::Warning,
            "reason",
            format!(
                "the reason phrase {reason:?} is not {:?}, the one registered for {code} (RFC 9110 §15); \
                 clients ignore it, people do not",
                status.reason()
            ),
        );
    }
    analysis.reason = Some(reason);
}

/// Line ends (CRLF, not a bare LF) and the empty line that ends the head (RFC 9112 §2.1).
pub(super) fn line_ends(
    head: &[u8],
    head_end: Option<usize>,
    analysis: &mut Analysis,
    notes: &mut Notes,
) {
    let bare_lf = count_bare_lf(head);
    if bare_lf > 0 {
        notes.add(
            Severity::Fault,
            "bare-lf",
            format!(
                "{bare_lf} line(s) of the head end in a bare LF (\\n) instead of CRLF (\\r\\n) (RFC 9112 §2.1)"
            ),
        );
    }
    match head_end {
        None => notes.add(
            Severity::Fault,
            "no-head-end",
            "the head never ends: no empty line (CRLF CRLF) after the header fields (RFC 9112 §2.1)".to_string(),
        ),
        Some(end) => {
            analysis.head_len = Some(end);
            if bare_lf == 0 {
                notes.add(Severity::Good, "crlf", "every head line ends in CRLF and an empty line ends the head".to_string());
            }
        }
    }
}

/// The header fields: their syntax, and Date.
pub(super) fn fields(
    head: &[u8],
    lines: &[&[u8]],
    head_complete: bool,
    analysis: &mut Analysis,
    notes: &mut Notes,
) {
    for line in lines.iter().skip(1) {
        match line.iter().position(|b| *b == b':') {
            None => notes.add(
                Severity::Fault,
                "field-syntax",
                format!(
                    "a head line without a colon: {:?} (RFC 9112 §5)",
                    visible(line)
                ),
            ),
            Some(colon) => {
                let name = &line[..colon];
                if name.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                    notes.add(
                        Severity::Fault,
                        "field-syntax",
                        format!(
                            "whitespace before the colon in {:?} (RFC 9112 §5.1)",
                            visible(line)
                        ),
                    );
                }
                if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                    notes.add(
                        Severity::Warning,
                        "field-syntax",
                        format!(
                            "a folded line {:?} (obs-fold, RFC 9112 §5.2)",
                            visible(line)
                        ),
                    );
                }
                analysis.fields.push((
                    String::from_utf8_lossy(message::trim(name)).to_string(),
                    String::from_utf8_lossy(message::trim(&line[colon + 1..])).to_string(),
                ));
            }
        }
    }
    if head_complete && analysis.code.is_some_and(|c| c >= 200) {
        date_field(head, notes);
    }
}

/// A final response's Date field: there, and an HTTP date.
fn date_field(head: &[u8], notes: &mut Notes) {
    let Some(date) = message::field(head, "date") else {
        notes.add(
            Severity::Warning,
            "date",
            "no Date field: an origin server with a clock must send one (RFC 9110 §6.6.1)"
                .to_string(),
        );
        return;
    };
    if std::str::from_utf8(date)
        .ok()
        .is_none_or(|d| date_form(d).is_none())
    {
        notes.add(
            Severity::Warning,
            "date",
            "the Date field is not an HTTP date (RFC 9110 §5.6.7)".to_string(),
        );
    }
}
