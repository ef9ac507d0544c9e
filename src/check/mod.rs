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
pub mod causes;
pub mod client;
pub mod context;
pub mod diagnosis;
mod expect;
mod http_connections;
mod http_semantics;
mod http_validators;
mod robust;
pub mod runner;
mod security;
pub mod student_server;
pub mod suite;
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

/// Which part of the work a check belongs to: what the assignment asks (its two server
/// parts, including the message format chapter 2 teaches), or HTTP/1.1 beyond it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Part 1: a server that answers GET with the file, or 404, in the format of chapter 2.
    One,
    /// Part 2: a multithreaded server.
    Two,
    /// Part 3: the client, `client.py server_host server_port filename`.
    Three,
    /// HTTP/1.1 as RFC 9110 and 9112 state it, beyond what chapter 2 and the assignment ask:
    /// counted only with `--strict`.
    Beyond,
}

impl Part {
    pub fn title(self) -> &'static str {
        match self {
            Part::One => "Part 1 — the web server",
            Part::Two => "Part 2 — the multithreaded server",
            Part::Three => "Part 3 — the client",
            Part::Beyond => "Beyond the assignment — HTTP/1.1 as the RFCs state it",
        }
    }
}

/// One root cause a set of failures can have (the server's in `causes`, the client's in
/// `client::catalogue`).
#[derive(Debug)]
pub struct CauseDef {
    /// Stable id, in JSON and in `Judgement::because`.
    pub id: &'static str,
    /// What the server does wrong, in one line.
    pub title: &'static str,
    /// Why that breaks a client.
    pub why: &'static str,
    /// What to change.
    pub fix: &'static str,
}

/// What a check is, for every report: its id, what it holds the program to, and how to fix
/// a failure.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub title: &'static str,
    pub level: Level,
    /// The assignment clause or the RFC section it holds the program to.
    pub reference: &'static str,
    pub part: Part,
    /// How to make it pass, in socket-programming terms: the fix of its own cause, when no
    /// cause shared with other checks explains its failure.
    pub fix: &'static str,
}

/// A check of a server: what it is, and how it runs against one.
#[derive(Debug)]
pub struct ServerCheck {
    pub check: Check,
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
        /// The root cause this failure is a symptom of (a [`causes::CAUSES`] id), when the
        /// check can tell; else the check is its own cause.
        cause: Option<&'static str>,
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
            cause: None,
        }
    }

    /// Names the root cause of a failure (a [`causes::CAUSES`] id); other judgements pass
    /// through.
    pub fn because(self, cause: &'static str) -> Judgement {
        match self {
            Judgement::Fail {
                expected,
                got,
                evidence,
                ..
            } => Judgement::Fail {
                expected,
                got,
                evidence,
                cause: Some(cause),
            },
            other => other,
        }
    }

    /// Names a cause only when none is named yet.
    pub fn or_because(self, cause: &'static str) -> Judgement {
        match &self {
            Judgement::Fail { cause: None, .. } => self.because(cause),
            _ => self,
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
                cause,
            } => Judgement::Fail {
                expected: expected + expected_suffix,
                got: got + got_suffix,
                evidence,
                cause,
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
