//! `check --json`: the run for programs — each check with its verdict, part, cause and
//! evidence; the causes in the order to fix them; the verdict of each part; the exit status.

use serde::Serialize;

use crate::check::diagnosis::{Cause, Evidence};
use crate::check::runner::Suite;
use crate::check::{Judgement, Level, Part, Verdict};
use crate::render::visible;

#[derive(Serialize)]
struct JsonReport<'a> {
    target: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    unreachable: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    silent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    died_after: Option<&'a str>,
    parts: JsonParts,
    causes: Vec<JsonCause<'a>>,
    checks: Vec<JsonCheck<'a>>,
    deaths: Vec<JsonDeath<'a>>,
    passed: usize,
    failed: usize,
    warnings: usize,
    skipped: usize,
    exit_status: u8,
    seconds: f64,
}

/// Whether each part of the assignment is done; `null` for part 2 under `--part 1`.
#[derive(Serialize)]
struct JsonParts {
    one: bool,
    two: Option<bool>,
    /// Checks beyond the assignment that failed (not counting warnings).
    beyond_failed: usize,
    strict: bool,
}

#[derive(Serialize)]
struct JsonCause<'a> {
    id: &'a str,
    title: &'a str,
    why: &'a str,
    fix: &'a str,
    part: Part,
    warning: bool,
    checks: &'a [&'static str],
    blocked: &'a [&'static str],
    evidence: Option<JsonConversation>,
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonConversation {
    check: &'static str,
    request: JsonBytes,
    response: JsonBytes,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    id: &'a str,
    level: Level,
    part: Part,
    result: Verdict,
    title: &'a str,
    reference: &'a str,
    /// The id of the cause that explains its failure (a cause in `causes`).
    cause: Option<&'a str>,
    expected: Option<&'a str>,
    got: Option<&'a str>,
    evidence: Option<JsonBytes>,
    note: Option<&'a str>,
    seconds: f64,
}

#[derive(Serialize)]
struct JsonDeath<'a> {
    during: &'a str,
    how: &'a str,
    stderr: Option<&'a str>,
    restarted: bool,
    /// The bound httplab stopped it for, when it did not die by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_for: Option<String>,
}

#[derive(Serialize)]
struct JsonBytes {
    hex: String,
    text: String,
}

impl JsonBytes {
    fn of(bytes: &[u8]) -> JsonBytes {
        JsonBytes {
            hex: hex::encode(bytes),
            text: visible(bytes),
        }
    }
}

/// The machine-readable report.
pub fn render(suite: &Suite) -> String {
    let report = JsonReport {
        target: &suite.target,
        unreachable: suite.unreachable.as_deref(),
        silent: suite.silent.as_ref().map(|s| s.why.as_str()),
        died_after: suite.died_after,
        parts: JsonParts {
            one: suite.done(Part::One),
            two: suite.part_two.then(|| suite.done(Part::Two)),
            beyond_failed: suite.failed_in(Part::Beyond),
            strict: suite.strict,
        },
        causes: suite.causes.iter().map(cause).collect(),
        checks: checks(suite),
        deaths: suite
            .deaths
            .iter()
            .map(|d| JsonDeath {
                during: d.during,
                how: &d.how,
                stderr: d.stderr.as_deref(),
                restarted: d.restarted,
                stopped_for: d.limit.map(|limit| limit.to_string()),
            })
            .collect(),
        passed: suite.count(Verdict::Pass),
        failed: suite.count(Verdict::Fail),
        warnings: suite.count(Verdict::Warn),
        skipped: suite.count(Verdict::Skip),
        exit_status: suite.exit_code(),
        seconds: suite.elapsed.as_secs_f64(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

fn cause(cause: &Cause) -> JsonCause<'_> {
    JsonCause {
        id: &cause.id,
        title: &cause.title,
        why: &cause.why,
        fix: &cause.fix,
        part: cause.part,
        warning: cause.warning,
        checks: &cause.checks,
        blocked: &cause.blocked,
        evidence: cause.evidence.as_ref().map(conversation),
        detail: cause.detail.as_deref(),
    }
}

fn conversation(evidence: &Evidence) -> JsonConversation {
    JsonConversation {
        check: evidence.check,
        request: JsonBytes::of(&evidence.request),
        response: JsonBytes::of(&evidence.response),
    }
}

fn checks(suite: &Suite) -> Vec<JsonCheck<'_>> {
    suite
        .results
        .iter()
        .map(|r| {
            let cause = suite
                .causes
                .iter()
                .find(|c| c.checks.contains(&r.check.id))
                .map(|c| c.id.as_str());
            let (expected, got, evidence, note) = match &r.judgement {
                Judgement::Pass { note } => (None, None, None, note.as_deref()),
                Judgement::Skip { why } => (None, None, None, Some(why.as_str())),
                Judgement::Fail {
                    expected,
                    got,
                    evidence,
                    ..
                } => (
                    Some(expected.as_str()),
                    Some(got.as_str()),
                    (!evidence.is_empty()).then(|| JsonBytes::of(evidence)),
                    None,
                ),
            };
            JsonCheck {
                id: r.check.id,
                level: r.check.level,
                part: r.check.part,
                result: r.verdict,
                title: r.check.title,
                reference: r.check.reference,
                cause,
                expected,
                got,
                evidence,
                note,
                seconds: r.elapsed.as_secs_f64(),
            }
        })
        .collect()
}
