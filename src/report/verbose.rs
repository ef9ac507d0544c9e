//! `check --verbose`: every check with its own detail, h2spec-style, grouped by area —
//! expected, got, and the evidence bytes of each failure.

use std::fmt::Write;

use crate::check::runner::Suite;
use crate::check::{Check, Judgement, Level, Verdict};
use crate::render::{hexdump, visible};
use crate::wire::packets::ladder;
use crate::wire::report::Style;
use crate::wire::transcript::Transcript;

/// Areas in report order, with what each covers.
const AREAS: &[(&str, &str)] = &[
    ("assignment", "what the textbook's assignment asks"),
    ("wire", "the bytes of the response"),
    ("http", "HTTP/1.1 semantics"),
    ("robust", "inputs that break careless servers"),
    ("security", "nothing outside the served folder"),
];

/// Evidence shown under a failure is cut to this many bytes.
const EVIDENCE_LIMIT: usize = 320;

fn mark(style: Style, verdict: Verdict) -> String {
    let (code, text) = match verdict {
        Verdict::Pass => ("32", "✓"),
        Verdict::Fail => ("31", "✗"),
        Verdict::Warn => ("33", "!"),
        Verdict::Skip => ("2", "-"),
    };
    if style.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Assignment => "assignment",
        Level::Must => "MUST",
        Level::Should => "SHOULD",
    }
}

/// The text report.
pub fn render(suite: &Suite, style: Style) -> String {
    let mut out = String::new();
    if let Some(why) = &suite.unreachable {
        let _ = writeln!(out, "httplab check {}: {why}", suite.target);
        return out;
    }
    let _ = writeln!(
        out,
        "httplab check {} — {} checks\n",
        suite.target,
        suite.results.len()
    );
    let width = suite
        .results
        .iter()
        .map(|r| r.check.id.len())
        .max()
        .unwrap_or(0);
    for (area, about) in AREAS {
        render_area(&mut out, suite, area, about, width, style);
    }
    render_packets(&mut out, suite);
    render_ending(&mut out, suite);
    out
}

/// The TCP segments of each cause's evidence conversation, as a ladder (captured, or said
/// to be reconstructed).
fn render_packets(out: &mut String, suite: &Suite) {
    let mut shown: Vec<*const Transcript> = Vec::new();
    for (index, cause) in suite.causes.iter().enumerate() {
        let Some(transcript) = cause.evidence.as_ref().and_then(|e| suite.transcript_of(e)) else {
            continue;
        };
        let Some(packets) = &transcript.packets else {
            continue;
        };
        if shown.contains(&(transcript as *const Transcript)) {
            continue;
        }
        if shown.is_empty() {
            let _ = writeln!(out, "packets — the TCP segments of each cause's evidence\n");
        }
        shown.push(transcript);
        let _ = writeln!(out, "  cause {}. {}", index + 1, cause.title);
        for line in ladder::render(packets, transcript.recorded_by, true).lines() {
            let _ = writeln!(out, "    {line}");
        }
        out.push('\n');
    }
}

/// One area's heading and its checks, each with what it found.
fn render_area(
    out: &mut String,
    suite: &Suite,
    area: &str,
    about: &str,
    width: usize,
    style: Style,
) {
    let results: Vec<_> = suite
        .results
        .iter()
        .filter(|r| r.check.area() == area)
        .collect();
    if results.is_empty() {
        return;
    }
    let heading = format!("{area} — {about}");
    let _ = writeln!(
        out,
        "{}",
        if style.color {
            format!("\x1b[1m{heading}\x1b[0m")
        } else {
            heading
        }
    );
    for result in results {
        let check = result.check;
        let _ = writeln!(
            out,
            "  {} {:<width$}  {}",
            mark(style, result.verdict),
            check.id,
            check.title
        );
        match &result.judgement {
            Judgement::Pass { note: Some(note) } => {
                let _ = writeln!(out, "      {note}");
            }
            Judgement::Pass { note: None } => {}
            Judgement::Skip { why } => {
                let _ = writeln!(out, "      skipped: {why}");
            }
            Judgement::Fail {
                expected,
                got,
                evidence,
                ..
            } => render_failure(out, check, expected, got, evidence),
        }
    }
    out.push('\n');
}

/// A failure: the reference, what was expected, what came, and the bytes.
fn render_failure(out: &mut String, check: &Check, expected: &str, got: &str, evidence: &[u8]) {
    let _ = writeln!(
        out,
        "      {} ({})",
        check.reference,
        level_name(check.level)
    );
    let _ = writeln!(out, "      expected: {expected}");
    let _ = writeln!(out, "      got:      {got}");
    let _ = writeln!(out, "      fix:      {}", check.fix);
    if evidence.is_empty() {
        return;
    }
    let shown = &evidence[..evidence.len().min(EVIDENCE_LIMIT)];
    let cut = if evidence.len() > shown.len() {
        format!(", first {}", shown.len())
    } else {
        String::new()
    };
    let _ = writeln!(out, "      evidence ({} bytes{cut}):", evidence.len());
    for line in hexdump(shown).lines() {
        let _ = writeln!(out, "        {line}");
    }
    for line in visible(shown).lines() {
        let _ = writeln!(out, "        | {line}");
    }
}

/// Why checks did not run, if they did not, and the counts.
fn render_ending(out: &mut String, suite: &Suite) {
    if let Some(silence) = &suite.silent {
        let _ = writeln!(out, "No check could run: {}.\n", silence.why);
    }
    if let Some(dead) = suite.died_after {
        let _ = writeln!(
            out,
            "The server stopped answering after {dead}; the checks after it were skipped. Restart it and run the \
             skipped ones with --only.\n"
        );
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} warnings, {} skipped ({:.1} s)",
        suite.count(Verdict::Pass),
        suite.count(Verdict::Fail),
        suite.count(Verdict::Warn),
        suite.count(Verdict::Skip),
        suite.elapsed.as_secs_f64()
    );
}
