//! What an analysis says: findings and their severities, how reading the response ended, and
//! the analysis as a whole.

use serde::Serialize;

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
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
    #[serde(rename = "level")]
    pub severity: Severity,
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
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Fault)
    }

    pub fn has(&self, id: &str) -> bool {
        self.findings
            .iter()
            .any(|f| f.id == id && f.severity != Severity::Good)
    }
}

/// Findings as they are made.
#[derive(Default)]
pub(super) struct Notes(Vec<Finding>);

impl Notes {
    pub(super) fn add(&mut self, severity: Severity, id: &'static str, message: String) {
        self.0.push(Finding {
            severity,
            id,
            message,
        });
    }

    pub(super) fn into_findings(self) -> Vec<Finding> {
        self.0
    }
}
