//! The status line (RFC 9112 §4): `HTTP-version SP 3DIGIT SP [reason-phrase]`, nothing
//! before it. Read leniently, so that junk before `HTTP/` is named rather than fatal; the
//! analysis and `check` both judge a status line through [`StatusLine`].

use crate::wire::message;

/// A status line split into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// Bytes before `HTTP/` (a well-formed line has none).
    pub leading: &'a [u8],
    /// From `HTTP/` to the first space.
    pub version: &'a [u8],
    /// Between the first and the second space.
    pub code: &'a [u8],
    /// After the second space; `None` when there is no second space.
    pub reason: Option<&'a [u8]>,
}

impl<'a> StatusLine<'a> {
    /// Splits the first line of a response (without its line end); `None` when the line has
    /// no `HTTP/` at all.
    pub fn read(line: &'a [u8]) -> Option<StatusLine<'a>> {
        let at = message::http_start(line)?;
        let mut parts = line[at..].splitn(3, |b| *b == b' ');
        Some(StatusLine {
            leading: &line[..at],
            version: parts.next().unwrap_or_default(),
            code: parts.next().unwrap_or_default(),
            reason: parts.next(),
        })
    }

    /// The version is `HTTP/DIGIT.DIGIT` (RFC 9112 §2.3).
    pub fn version_ok(&self) -> bool {
        matches!(self.version, [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit())
    }

    /// The version is HTTP/1.x, the major version an HTTP/1.1 client reads.
    pub fn is_http1(&self) -> bool {
        self.version_ok() && self.version[5] == b'1'
    }

    /// The status code, when it is three digits.
    pub fn code(&self) -> Option<u16> {
        if self.code.len() != 3 || !self.code.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(self.code).ok()?.parse().ok()
    }

    /// A reason phrase follows the code's space, and holds no control byte but HTAB.
    pub fn reason_ok(&self) -> bool {
        self.reason
            .is_some_and(|reason| !reason.iter().any(|b| b.is_ascii_control() && *b != b'\t'))
    }

    /// Exactly `HTTP/1.x SP 3DIGIT SP reason`, with nothing before it.
    pub fn is_well_formed(&self) -> bool {
        self.leading.is_empty() && self.is_http1() && self.code().is_some() && self.reason_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn well_formed(line: &[u8]) -> bool {
        StatusLine::read(line).is_some_and(|s| s.is_well_formed())
    }

    #[test]
    fn the_grammar_of_a_status_line() {
        assert!(well_formed(b"HTTP/1.1 200 OK"));
        assert!(well_formed(b"HTTP/1.0 404 "));
        assert!(well_formed(b"HTTP/1.1 200 OK\tfine"));
        assert!(!well_formed(b" HTTP/1.1 200 OK"));
        assert!(!well_formed(b"HTTP/1.1 200"));
        assert!(!well_formed(b"HTTP/1.1  200 OK"));
        assert!(!well_formed(b"HTTP/2.0 200 OK"));
        assert!(!well_formed(b"HTTP/1.1 2000 OK"));
        assert!(!well_formed(b"HTTP/1.1 200 O\x01K"));
        assert!(!well_formed(b"<html>"));
        let junk = StatusLine::read(b"xx HTTP/1.1 404 Found").unwrap();
        assert_eq!(junk.leading, b"xx ");
        assert_eq!(junk.code(), Some(404));
        assert_eq!(junk.reason, Some(b"Found".as_slice()));
    }
}
