//! Where a response ends, read leniently: a student's server may end lines with a bare LF,
//! put bytes before `HTTP/`, or never end its head. This module only finds boundaries;
//! [`analysis`](super::analysis) says what is wrong.

/// The end of the head: the index just past the first empty line (`\r\n\r\n`, or with bare
/// LFs `\n\n` / `\n\r\n`).
pub fn head_end(bytes: &[u8]) -> Option<usize> {
    let mut line_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            let line = &bytes[line_start..i];
            if (line.is_empty() || line == b"\r") && line_start > 0 {
                return Some(i + 1);
            }
            line_start = i + 1;
        }
    }
    None
}

/// The head's lines, without their line ends (CRLF or bare LF).
pub fn head_lines(head: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = head
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// The value of the first field called `name` (case-insensitive), trimmed.
pub fn field<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    fields(head)
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v)
}

/// Every `name: value` line of the head after the first line.
pub fn fields(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    head_lines(head).into_iter().skip(1).filter_map(|line| {
        let colon = line.iter().position(|b| *b == b':')?;
        Some((trim(&line[..colon]), trim(&line[colon + 1..])))
    })
}

pub fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end.max(start)]
}

/// Where `HTTP/` starts on a status line: after whatever junk a careless server put before it.
pub fn http_start(line: &[u8]) -> Option<usize> {
    line.windows(5).position(|w| w == b"HTTP/")
}

/// The status code on the first line, found leniently (after any junk before `HTTP/`).
pub fn status_code(head: &[u8]) -> Option<u16> {
    let first = head_lines(head).into_iter().next()?;
    let at = http_start(first)?;
    let rest = &first[at..];
    let code = rest
        .split(|b| *b == b' ')
        .find(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))?;
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// How the body of a response is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// HEAD, 1xx, 204 and 304 have no body whatever the fields say.
    None,
    Length(u64),
    Chunked,
    /// No length: the body runs until the server closes.
    UntilClose,
}

pub fn body_framing(head: &[u8], request_was_head: bool) -> BodyFraming {
    let code = status_code(head).unwrap_or(200);
    if request_was_head || (100..200).contains(&code) || code == 204 || code == 304 {
        return BodyFraming::None;
    }
    if field(head, "transfer-encoding").is_some_and(|v| {
        v.split(|b| *b == b',')
            .next_back()
            .is_some_and(|c| trim(c).eq_ignore_ascii_case(b"chunked"))
    }) {
        return BodyFraming::Chunked;
    }
    match field(head, "content-length")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        Some(length) => BodyFraming::Length(length),
        None => BodyFraming::UntilClose,
    }
}

/// The length of the first complete response in `bytes`, or `None` while it is incomplete
/// (a body that runs until close is never complete before the close).
pub fn complete_length(bytes: &[u8], request_was_head: bool) -> Option<usize> {
    let head = head_end(bytes)?;
    match body_framing(&bytes[..head], request_was_head) {
        BodyFraming::None => Some(head),
        BodyFraming::Length(length) => {
            let end = head.checked_add(usize::try_from(length).ok()?)?;
            (bytes.len() >= end).then_some(end)
        }
        BodyFraming::Chunked => chunked_end(&bytes[head..]).map(|n| head + n),
        BodyFraming::UntilClose => None,
    }
}

/// The length of a complete chunked body (through its trailer section), if it is complete.
pub fn chunked_end(body: &[u8]) -> Option<usize> {
    read_chunked(body).map(|(end, _)| end)
}

/// The payload of a complete chunked body (chunk data joined), for comparing with a file.
pub fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    read_chunked(body).map(|(_, payload)| payload)
}

/// Walks a chunked body (RFC 9112 §7.1) leniently (bare LFs allowed): its length through
/// the trailer section and its payload, or `None` while it is incomplete or unreadable.
fn read_chunked(body: &[u8]) -> Option<(usize, Vec<u8>)> {
    let line_after = |at: usize| -> Option<(&[u8], usize)> {
        let end = at + body.get(at..)?.iter().position(|b| *b == b'\n')?;
        Some((&body[at..end], end + 1))
    };
    let mut payload = Vec::new();
    let mut at = 0;
    loop {
        let (size_line, next) = line_after(at)?;
        let size_hex = trim(size_line)
            .split(|b| *b == b';')
            .next()
            .unwrap_or_default();
        let size = usize::from_str_radix(std::str::from_utf8(trim(size_hex)).ok()?, 16).ok()?;
        at = next;
        if size == 0 {
            // Trailer fields, then an empty line.
            loop {
                let (line, next) = line_after(at)?;
                at = next;
                if line.is_empty() || line == b"\r" {
                    return Some((at, payload));
                }
            }
        }
        payload.extend_from_slice(body.get(at..at.checked_add(size)?)?);
        // The line end after the chunk data.
        let (_, next) = line_after(at + size)?;
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_heads_with_any_line_ends() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), Some(25));
        assert_eq!(head_end(b" HTTP/1.1 200 OK\nA: b\n\nbody"), Some(23));
        assert_eq!(head_end(b"HTTP/1.1 404 Found"), None);
    }

    #[test]
    fn frames_bodies() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP";
        assert_eq!(complete_length(r, false), Some(41));
        assert_eq!(complete_length(r, true), Some(38));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(complete_length(chunked, false), Some(chunked.len()));
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert_eq!(complete_length(b"HTTP/1.0 200 OK\r\n\r\nabc", false), None);
        assert_eq!(status_code(b" HTTP/1.1 404 Found\n\n"), Some(404));
    }
}

/// Who sent a message: its version is the first word of a response's status line, the last
/// of a request's request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sender {
    Client,
    Server,
}

/// Whether the connection ends after this message (RFC 9112 §9.3): `Connection: close`, or
/// HTTP/1.0 without `keep-alive` — the one definition, `http::version`'s, applied to bytes
/// read leniently. A version httplab does not know closes only on `close`.
pub fn closes_connection(bytes: &[u8], sender: Sender) -> bool {
    use crate::http::version::{ConnectionOptions, Version};
    let head = &bytes[..head_end(bytes).unwrap_or(bytes.len())];
    let mut options = ConnectionOptions::default();
    for (name, value) in fields(head) {
        if name.eq_ignore_ascii_case(b"connection") {
            options.add(value);
        }
    }
    let first = head_lines(head).into_iter().next().unwrap_or_default();
    let token = match sender {
        Sender::Server => http_start(first)
            .and_then(|start| first[start..].split(|b| *b == b' ').next().map(trim)),
        Sender::Client => first.split(|b| *b == b' ').next_back().map(trim),
    };
    match token.and_then(Version::from_token) {
        Some(version) => !version.persists(options),
        None => options.close,
    }
}
