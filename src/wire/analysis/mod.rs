//! What is right and wrong with the bytes a server sent back, in plain words.
//!
//! The reader is lenient on purpose (it finds the head even when lines end in a bare LF or
//! junk comes before `HTTP/`) so that it can name the fault instead of giving up.

use serde::Serialize;

use super::message;
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
            Level::Fault,
            "no-response",
            format!("no response: the server {how} without sending a byte"),
        );
        analysis.findings = notes.0;
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
    }
    analysis.findings = notes.0;
    analysis
}

/// Findings as they are made.
#[derive(Default)]
struct Notes(Vec<Finding>);

mod body;
mod head;

use body::framing;
use head::{fields, line_ends, status_line};

impl Notes {
    fn add(&mut self, level: Level, id: &'static str, message: String) {
        self.0.push(Finding { level, id, message });
    }
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
