//! `httplab check`: grade any web server against the assignment and HTTP/1.1, check by
//! check, with the bytes as evidence.
//!
//! A check is data (a stable id, a title, a level, a reference) plus a function that talks to
//! the server through a [`Context`] and returns a [`Judgement`], which the check's level
//! grades into a [`Verdict`]. The [`runner`] decides the order (wire format first; checks
//! that hold a connection open or may kill the server last and alone), notices when the
//! server stops answering, and collects the [`report`].

mod assignment;
pub mod catalogue;
pub mod context;
mod expect;
mod http_connections;
mod http_semantics;
pub mod report;
mod robust;
pub mod runner;
mod security;
mod wire_format;

use serde::Serialize;

pub use context::{Context, Docroot, Reply, SendOptions};
pub use runner::{Suite, SuiteConfig, run};

/// How much a check matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// What the textbook's assignment asks, including its multithreaded part.
    Assignment,
    /// An RFC MUST: a failure breaks real clients.
    Must,
    /// An RFC SHOULD, or good practice: a failure is a warning.
    Should,
}

/// When a check may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Cannot hurt a server: runs first, so even a fragile server is graded on its wire format.
    Safe,
    /// Holds a connection open or opens many: runs alone, after the safe ones.
    Alone,
    /// May kill a careless server: runs last, alone, followed by a check that it still answers.
    Risky,
}

/// A check's definition.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub level: Level,
    /// The assignment clause or the RFC section it holds the server to.
    pub reference: &'static str,
    pub phase: Phase,
    /// Files (docroot paths) the check needs; it is skipped when one is missing.
    pub needs: &'static [&'static str],
    pub run: fn(&Context) -> Judgement,
}

impl Check {
    /// The area: the id's prefix (`wire` for `wire.crlf`).
    pub fn area(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }
}

/// What a check found: a pass (with a note), a failure (expected, got, and the bytes as
/// evidence) or a skip (and why). Graded into a [`Verdict`] by the check's level.
#[derive(Clone, Debug)]
pub enum Judgement {
    Pass {
        note: Option<String>,
    },
    Fail {
        expected: String,
        got: String,
        evidence: Vec<u8>,
    },
    Skip {
        why: String,
    },
}

impl Judgement {
    pub fn pass() -> Judgement {
        Judgement::Pass { note: None }
    }

    pub fn pass_with(note: impl Into<String>) -> Judgement {
        Judgement::Pass {
            note: Some(note.into()),
        }
    }

    pub fn fail(expected: impl Into<String>, got: impl Into<String>, evidence: &[u8]) -> Judgement {
        Judgement::Fail {
            expected: expected.into(),
            got: got.into(),
            evidence: evidence.to_vec(),
        }
    }

    pub fn skip(why: impl Into<String>) -> Judgement {
        Judgement::Skip { why: why.into() }
    }

    /// A failure with more said about its circumstances: `expected` and `got` get the
    /// suffixes; other judgements pass through.
    pub fn explained(self, expected_suffix: &str, got_suffix: &str) -> Judgement {
        match self {
            Judgement::Fail {
                expected,
                got,
                evidence,
            } => Judgement::Fail {
                expected: expected + expected_suffix,
                got: got + got_suffix,
                evidence,
            },
            other => other,
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Judgement::Pass { .. })
    }
}

/// The graded result of a check, as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// A `should` check that failed.
    Warn,
    Skip,
}
