//! A run's data: each check's result, the server's deaths or silence, and the root causes —
//! what every rendering reads. `runner` and `client` fill it; `diagnosis` finds its causes.

use std::time::Duration;

use super::{Check, Judgement, Part, Verdict};
use crate::wire::transcript::Transcript;

/// One check's result.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub check: &'static Check,
    pub judgement: Judgement,
    pub verdict: Verdict,
    pub transcripts: Vec<Transcript>,
    pub elapsed: Duration,
    /// The server died during this check: an index into [`Suite::deaths`].
    pub death: Option<usize>,
}

/// The server died (or stopped answering) during a check.
#[derive(Clone, Debug)]
pub struct Death {
    pub during: &'static str,
    /// How it ended: "exited with status 1", "killed by signal 9", or "stopped answering"
    /// when nothing supervised it.
    pub how: String,
    /// What it wrote to stderr meanwhile (the traceback), when it was supervised.
    pub stderr: Option<String>,
    /// It was started again and the run went on.
    pub restarted: bool,
    /// Why it could not be started again, when it could not.
    pub restart_error: Option<String>,
    /// The bound httplab stopped it for (too many processes, too much memory...), when it
    /// did not die by itself.
    pub limit: Option<crate::supervise::LimitHit>,
    /// Its exit code, when it ended by itself (0: the program simply reached its end).
    pub exit_code: Option<i32>,
}

/// Why the server never answered the first request.
#[derive(Clone, Debug)]
pub struct Silence {
    pub why: String,
    /// It answered once the client half-closed: it reads until the client closes.
    pub reads_until_close: bool,
    /// The conversation that showed it.
    pub transcript: Transcript,
}

/// Which program a run grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Graded {
    /// A server (`check`): httplab is the client.
    Server,
    /// A client (`check-client`): httplab is the server.
    Client,
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct Suite {
    pub target: String,
    pub graded: Graded,
    /// The command that runs it again (`httplab check 127.0.0.1:6789 --part 1`).
    pub command: String,
    /// In catalogue order.
    pub results: Vec<CheckResult>,
    /// The check after which the server stopped answering for good (the checks after it
    /// were skipped).
    pub died_after: Option<&'static str>,
    /// Every time the server died, in order.
    pub deaths: Vec<Death>,
    /// Nothing listened on the port at all (then `results` is empty).
    pub unreachable: Option<String>,
    /// The server `grade` ran never listened: `unreachable` says why (as `check --run`
    /// says it, exiting 1).
    pub never_started: bool,
    /// The server took the connection but never answered the first request (then every
    /// check is skipped, and the run fails).
    pub silent: Option<Silence>,
    /// The root causes of the failures, in the order to fix them.
    pub causes: Vec<Cause>,
    pub part_two: bool,
    pub strict: bool,
    pub elapsed: Duration,
}

impl Suite {
    /// The report of a server that never listened, so no check ran: `why` says what
    /// happened (what it wrote, its traceback), `command` how to run the check again.
    pub fn not_started(command: String, why: String, part_two: bool) -> Suite {
        Suite {
            target: String::new(),
            graded: Graded::Server,
            command,
            results: Vec::new(),
            died_after: None,
            deaths: Vec::new(),
            unreachable: Some(why),
            never_started: true,
            silent: None,
            causes: Vec::new(),
            part_two,
            strict: false,
            elapsed: Duration::ZERO,
        }
    }

    /// The recorded conversation an evidence was taken from: the silence's, or one of its
    /// check's whose bytes are the evidence's.
    pub fn transcript_of(&self, evidence: &Evidence) -> Option<&Transcript> {
        if evidence.check.is_empty() {
            return self.silent.as_ref().map(|s| &s.transcript);
        }
        self.results
            .iter()
            .filter(|r| r.check.id == evidence.check)
            .flat_map(|r| r.transcripts.iter())
            .find(|t| t.client_bytes() == evidence.request && t.server_bytes() == evidence.response)
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Whether a failure in `part` fails the run.
    pub fn counts(&self, part: Part) -> bool {
        match part {
            Part::One | Part::Three => true,
            Part::Two => self.part_two,
            Part::Beyond => self.strict,
        }
    }

    /// The parts this run grades, in order.
    pub fn parts(&self) -> Vec<Part> {
        let mut parts: Vec<Part> = self.results.iter().map(|r| r.check.part).collect();
        if parts.is_empty() {
            parts = vec![Part::One, Part::Two, Part::Beyond];
        }
        parts.sort();
        parts.dedup();
        parts
    }

    /// The checks of `part` that failed (not those that only warn).
    pub fn failed_in(&self, part: Part) -> usize {
        self.results
            .iter()
            .filter(|r| r.check.part == part && r.verdict == Verdict::Fail)
            .count()
    }

    /// Whether the work `part` asks for is done: its checks ran, the server lived through
    /// them, and none failed.
    pub fn done(&self, part: Part) -> bool {
        self.silent.is_none()
            && self.died_after.is_none()
            && self.failed_in(part) == 0
            && self
                .results
                .iter()
                .any(|r| r.check.part == part && r.verdict != Verdict::Skip)
    }

    /// The exit status: 0 when nothing that counts failed (the assignment's parts; with
    /// `--strict` the RFC MUSTs beyond it too), 1 when something did or the server run never
    /// started, 3 when nothing listens.
    pub fn exit_code(&self) -> u8 {
        if self.never_started {
            1
        } else if self.unreachable.is_some() {
            3
        } else if self.silent.is_some()
            || self.died_after.is_some()
            || self
                .results
                .iter()
                .any(|r| r.verdict == Verdict::Fail && self.counts(r.check.part))
        {
            1
        } else {
            0
        }
    }
}

/// One root cause, and what it explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// A shared cause's id (`bare-lf`, `crash`, ...) or, for a check that is its own cause,
    /// the check's id.
    pub id: String,
    /// What the server does wrong.
    pub title: String,
    /// Why it breaks a client.
    pub why: String,
    /// What to change.
    pub fix: String,
    /// The part of the work it belongs to: the most required part among its checks.
    pub part: Part,
    /// Every check it explains only warns (a SHOULD).
    pub warning: bool,
    /// The checks whose failure it explains.
    pub checks: Vec<&'static str>,
    /// The checks that could not run because of it (the server was down).
    pub blocked: Vec<&'static str>,
    /// One conversation that shows it.
    pub evidence: Option<Evidence>,
    /// More to know: the server's traceback, for a crash.
    pub detail: Option<String>,
}

/// The bytes of one conversation: what httplab sent and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The check it comes from (empty for the first request of the run).
    pub check: &'static str,
    pub request: Vec<u8>,
    pub response: Vec<u8>,
    /// Where in the response the fault shows (the first bare LF, the Content-Length line,
    /// the end of the body): a short rendering shows that place.
    pub focus: usize,
}
