//! What is right and wrong with the bytes a server sent back, in plain words.
//!
//! The reader is lenient on purpose (it finds the head even when lines end in a bare LF or
//! junk comes before `HTTP/`) so that it can name the fault instead of giving up.

use serde::Serialize;

use super::message::{self, BodyFraming};
use crate::http::Status;
use crate::render::visible;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// As it should be.
    Good,
    /// Worth knowing, not wrong.
    Note,
    /// Allowed, but misleading or against a SHOULD.
    Warning,
    /// Against a MUST, or breaks clients.
    Fault,
}

/// One observation, with a stable id (`bare-lf`, `leading-bytes`, ...) for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub level: Level,
    pub id: &'static str,
    pub message: String,
}

/// How reading the response ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Its framing (Content-Length, chunked, no body) was satisfied.
    Complete,
    /// The server closed the connection.
    Closed,
    /// The server reset the connection.
    Reset,
    /// Nothing more arrived in time.
    TimedOut,
}

#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// The first line, as sent (made visible).
    pub status_line: Option<String>,
    pub code: Option<u16>,
    pub reason: Option<String>,
    /// `name: value` of each field, as sent.
    pub fields: Vec<(String, String)>,
    /// Bytes of the head, through its empty line, when it has one.
    pub head_len: Option<usize>,
    /// Bytes after the head that belong to this response.
    pub body_len: usize,
    /// Bytes received after the end the framing gives (a body longer than declared).
    pub extra_len: usize,
    pub findings: Vec<Finding>,
}

impl Analysis {
    pub fn faults(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.level == Level::Fault)
    }

    pub fn has(&self, id: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.id == id && f.level != Level::Good)
    }
}

/// Analyses the bytes received for one response. `bytes` may run past the response (what
/// came after its declared end is reported as extra).
pub fn analyse(bytes: &[u8], request_was_head: bool, ending: Ending) -> Analysis {
    let mut findings = Vec::new();
    let mut add = |level, id, message: String| findings.push(Finding { level, id, message });

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
        add(
            Level::Fault,
            "no-response",
            format!("no response: the server {how} without sending a byte"),
        );
        analysis.findings = findings;
        return analysis;
    }

    let head_end = message::head_end(bytes);
    let head = &bytes[..head_end.unwrap_or(bytes.len())];
    let lines = message::head_lines(head);
    let first = lines.first().copied().unwrap_or_default();
    analysis.status_line = Some(visible(first));

    // Status line: HTTP-version SP 3DIGIT SP [reason] CRLF, and nothing before it.
    match first.windows(5).position(|w| w == b"HTTP/") {
        None => add(
            Level::Fault,
            "no-status-line",
            format!(
                "the first line is not a status line: {:?} (RFC 9112 §4)",
                visible(first)
            ),
        ),
        Some(0) => {}
        Some(n) => add(
            Level::Fault,
            "leading-bytes",
            format!(
                "{n} byte(s) before HTTP/ ({:?}): the status line must start with HTTP/ (RFC 9112 §4); \
                 strict clients reject the response",
                visible(&first[..n])
            ),
        ),
    }
    if let Some(at) = first.windows(5).position(|w| w == b"HTTP/") {
        let line = &first[at..];
        let mut parts = line.splitn(3, |b| *b == b' ');
        let version = parts.next().unwrap_or_default();
        let code = parts.next().unwrap_or_default();
        let reason = parts.next();
        let version_ok = matches!(version, [b'H', b'T', b'T', b'P', b'/', a, b'.', b] if a.is_ascii_digit() && b.is_ascii_digit());
        let code_ok = code.len() == 3 && code.iter().all(u8::is_ascii_digit);
        if !version_ok {
            add(
                Level::Fault,
                "status-line",
                format!(
                    "the version {:?} is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)",
                    visible(version)
                ),
            );
        }
        if !code_ok {
            add(
                Level::Fault,
                "status-line",
                format!(
                    "the status code {:?} is not three digits (RFC 9112 §4)",
                    visible(code)
                ),
            );
        } else {
            let number: u16 = std::str::from_utf8(code)
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            analysis.code = Some(number);
            match reason {
                None => add(
                    Level::Fault,
                    "status-line",
                    "no space after the status code (RFC 9112 §4 requires it even with no reason phrase)".to_string(),
                ),
                Some(reason) => {
                    let reason = String::from_utf8_lossy(reason).to_string();
                    match Status(number).canonical_reason() {
                        Some(canonical) if !reason.eq_ignore_ascii_case(canonical) => add(
                            Level::Warning,
                            "reason",
                            format!("the reason phrase {reason:?} is not {canonical:?}, the one registered for {number} (RFC 9110 §15); clients ignore it, people do not"),
                        ),
                        _ => {}
                    }
                    analysis.reason = Some(reason);
                }
            }
            if version_ok && code_ok && at == 0 {
                add(
                    Level::Good,
                    "status-line",
                    format!("status line: {}", visible(first)),
                );
            }
        }
    }

    // Line ends and the end of the head.
    let bare_lf = count_bare_lf(head);
    if bare_lf > 0 {
        add(
            Level::Fault,
            "bare-lf",
            format!(
                "{bare_lf} line(s) of the head end in a bare LF (\\n) instead of CRLF (\\r\\n) (RFC 9112 §2.1)"
            ),
        );
    }
    match head_end {
        None => add(
            Level::Fault,
            "no-head-end",
            "the head never ends: no empty line (CRLF CRLF) after the header fields (RFC 9112 §2.1)".to_string(),
        ),
        Some(end) => {
            analysis.head_len = Some(end);
            if bare_lf == 0 {
                add(Level::Good, "crlf", "every head line ends in CRLF and an empty line ends the head".to_string());
            }
        }
    }

    // Fields.
    for line in lines.iter().skip(1) {
        match line.iter().position(|b| *b == b':') {
            None => add(
                Level::Fault,
                "field-syntax",
                format!(
                    "a head line without a colon: {:?} (RFC 9112 §5)",
                    visible(line)
                ),
            ),
            Some(colon) => {
                let name = &line[..colon];
                if name.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                    add(
                        Level::Fault,
                        "field-syntax",
                        format!(
                            "whitespace before the colon in {:?} (RFC 9112 §5.1)",
                            visible(line)
                        ),
                    );
                }
                if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                    add(
                        Level::Warning,
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
    let field = |name: &str| message::field(head, name);
    if head_end.is_some() && analysis.code.is_some_and(|c| c >= 200) {
        if field("date").is_none() {
            add(
                Level::Warning,
                "date",
                "no Date field: an origin server with a clock must send one (RFC 9110 §6.6.1)"
                    .to_string(),
            );
        } else if field("date")
            .and_then(|d| std::str::from_utf8(d).ok())
            .is_none_or(|d| httpdate::parse_http_date(d).is_err())
        {
            add(
                Level::Warning,
                "date",
                "the Date field is not an HTTP date (RFC 9110 §5.6.7)".to_string(),
            );
        }
    }

    // The body against its framing.
    if let Some(head_len) = head_end {
        let after = &bytes[head_len..];
        let lengths: Vec<&[u8]> = message::fields(head)
            .filter(|(n, _)| n.eq_ignore_ascii_case(b"content-length"))
            .map(|(_, v)| v)
            .collect();
        if lengths.windows(2).any(|w| w[0] != w[1]) {
            add(
                Level::Fault,
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
            add(
                Level::Fault,
                "content-length",
                format!(
                    "Content-Length {:?} is not a number (RFC 9110 §8.6)",
                    visible(value)
                ),
            );
        }
        let has_body = analysis
            .code
            .is_some_and(|c| c >= 200 && c != 204 && c != 304)
            && !request_was_head;
        if has_body && field("content-type").is_none() && !after.is_empty() {
            add(
                Level::Warning,
                "content-type",
                "a body without Content-Type: the client must guess (RFC 9110 §8.3)".to_string(),
            );
        }
        match message::body_framing(head, request_was_head) {
            BodyFraming::None => {
                analysis.extra_len = after.len();
                if !after.is_empty() {
                    add(
                        Level::Fault,
                        "extra-bytes",
                        format!("{} byte(s) after a response that has no body", after.len()),
                    );
                }
            }
            BodyFraming::Length(declared) => {
                let declared_usize = usize::try_from(declared).unwrap_or(usize::MAX);
                let got = after.len().min(declared_usize);
                analysis.body_len = got;
                analysis.extra_len = after.len().saturating_sub(declared_usize);
                let chars = std::str::from_utf8(after).map(|s| s.chars().count()).ok();
                if after.len() < declared_usize {
                    let why = match ending {
                        Ending::TimedOut => "then nothing more came",
                        Ending::Reset => "then the server reset the connection",
                        _ => "then the server closed the connection",
                    };
                    add(
                        Level::Fault,
                        "body-short",
                        format!(
                            "the body is cut off: {} of the {declared} bytes Content-Length declares arrived, {why}",
                            after.len()
                        ),
                    );
                } else if after.len() > declared_usize {
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
                    add(Level::Fault, "body-long", message);
                } else {
                    add(
                        Level::Good,
                        "content-length",
                        format!("body: {got} bytes, as Content-Length says"),
                    );
                }
            }
            BodyFraming::Chunked => match message::chunked_end(after) {
                Some(end) => {
                    analysis.body_len = end;
                    analysis.extra_len = after.len() - end;
                    add(
                        Level::Good,
                        "content-length",
                        format!("chunked body: {end} bytes on the wire, complete"),
                    );
                }
                None => {
                    analysis.body_len = after.len();
                    add(
                        Level::Fault,
                        "body-short",
                        "the chunked body never reached its last (zero-size) chunk".to_string(),
                    );
                }
            },
            BodyFraming::UntilClose => {
                analysis.body_len = after.len();
                let level = if ending == Ending::Closed {
                    Level::Note
                } else {
                    Level::Fault
                };
                add(
                    level,
                    "no-length",
                    format!(
                        "no Content-Length: the body ({} bytes) ends only when the server closes, so the connection cannot be reused (RFC 9112 §6.3)",
                        after.len()
                    ),
                );
            }
        }
    }
    analysis.findings = findings;
    analysis
}

/// Lines of the head that end in LF without a CR before it.
fn count_bare_lf(head: &[u8]) -> usize {
    head.iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' && (*i == 0 || head[i - 1] != b'\r'))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(a: &Analysis) -> Vec<&'static str> {
        a.findings
            .iter()
            .filter(|f| f.level != Level::Good)
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
