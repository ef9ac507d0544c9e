//! When httparse refuses a head it says only which kind of token was wrong. This module
//! finds the line and names the exact fault (obs-fold, whitespace before a colon, a bare CR,
//! an HTTP/0.9 request line, a TLS handshake...), so that the 400 says what to fix.

use super::grammar::{is_forbidden_value_byte, is_target_byte, is_tchar};
use super::request_error::RequestError;
use super::version::Version;

/// httparse said the head is invalid; find the line and say exactly what is wrong with it.
/// `input` is everything received; `head` is the same from the request line on (the empty
/// lines a server ignores before it skipped).
pub(super) fn diagnose(
    input: &[u8],
    head: &[u8],
    error: httparse::Error,
    max_target_bytes: usize,
) -> RequestError {
    // A TLS record header: content type 22 (handshake), protocol version 3.x.
    if input.len() >= 2 && input[0] == 0x16 && input[1] == 0x03 {
        return RequestError::TlsHandshake;
    }
    let mut lines = head.split(|b| *b == b'\n');
    let request_line = lines.next().unwrap_or_default();
    if let Some(problem) = diagnose_request_line(request_line, max_target_bytes) {
        return problem;
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if let Some(problem) = diagnose_field_line(line) {
            return problem;
        }
    }
    // httparse saw something the scan above does not name; say what httparse said.
    match error {
        httparse::Error::HeaderName => RequestError::InvalidFieldNameByte(0),
        httparse::Error::HeaderValue => RequestError::ControlInFieldValue(0),
        httparse::Error::NewLine => RequestError::BareCr,
        httparse::Error::Version => RequestError::MalformedVersion,
        _ => RequestError::RequestLineSpacing,
    }
}

fn diagnose_request_line(line: &[u8], max_target_bytes: usize) -> Option<RequestError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.contains(&b'\r') {
        return Some(RequestError::BareCr);
    }
    if line.first().is_some_and(|b| b.is_ascii_whitespace()) {
        return Some(RequestError::LeadingWhitespace);
    }
    let method_end = line.iter().position(|b| *b == b' ').unwrap_or(line.len());
    let method = &line[..method_end];
    if method.is_empty() || !method.iter().all(|b| is_tchar(*b)) {
        return Some(RequestError::InvalidMethod);
    }
    let rest = &line[method_end..];
    if rest.is_empty() {
        return Some(RequestError::MissingVersion);
    }
    let parts: Vec<&[u8]> = rest[1..].split(|b| *b == b' ').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Some(
            if rest.ends_with(b" ") && parts.len() == 3 && parts[2].is_empty() {
                RequestError::TrailingWhitespaceInRequestLine
            } else {
                RequestError::RequestLineSpacing
            },
        );
    }
    let target = parts[0];
    if target.len() > max_target_bytes {
        return Some(RequestError::TargetTooLong {
            limit: max_target_bytes,
        });
    }
    if let Some(b) = target.iter().find(|b| !is_target_byte(**b)) {
        return Some(RequestError::InvalidTargetByte(*b));
    }
    match parts.len() {
        1 => Some(RequestError::MissingVersion),
        2 => diagnose_version(parts[1]),
        _ => Some(if parts[1].starts_with(b"HTTP/") {
            RequestError::TrailingWhitespaceInRequestLine
        } else {
            RequestError::InvalidTargetByte(b' ')
        }),
    }
}

fn diagnose_version(version: &[u8]) -> Option<RequestError> {
    match version {
        _ if Version::from_token(version).is_some() => None,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Some(RequestError::UnsupportedVersion(
                String::from_utf8_lossy(version).into_owned(),
            ))
        }
        _ if version.iter().any(|b| b.is_ascii_control() && *b != b'\t') => {
            Some(RequestError::BareCr)
        }
        _ => Some(RequestError::MalformedVersion),
    }
}

pub(super) fn diagnose_field_line(line: &[u8]) -> Option<RequestError> {
    if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return Some(RequestError::ObsFold);
    }
    let Some(colon) = line.iter().position(|b| *b == b':') else {
        if line.contains(&b'\r') {
            return Some(RequestError::BareCr);
        }
        return Some(RequestError::MissingColon);
    };
    let name = &line[..colon];
    if name.is_empty() {
        return Some(RequestError::EmptyFieldName);
    }
    if name.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
        return Some(RequestError::WhitespaceBeforeColon);
    }
    if let Some(b) = name.iter().find(|b| !is_tchar(**b)) {
        return Some(if *b == b'\r' {
            RequestError::BareCr
        } else {
            RequestError::InvalidFieldNameByte(*b)
        });
    }
    let value = &line[colon + 1..];
    if value.contains(&b'\r') {
        return Some(RequestError::BareCr);
    }
    value
        .iter()
        .find(|b| is_forbidden_value_byte(**b))
        .map(|b| RequestError::ControlInFieldValue(*b))
}
