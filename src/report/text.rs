//! The teaching report, `check`'s default: the verdict for each part of the assignment first,
//! then one block per root cause in the order to fix them (what is wrong, why it breaks a
//! client, how to fix it, the checks it explains, and one conversation as evidence — shown
//! once), the causes beyond the assignment in brief, and the passing checks a line each.
//! `--verbose` gives every check's own detail instead (`verbose.rs`).

use std::fmt::Write;

use crate::check::diagnosis::{Cause, Evidence};
use crate::check::runner::Suite;
use crate::check::{Part, Verdict};
use crate::render::{hexdump, visible};
use crate::report::verdict::{part_verdict, rerun_skipped};
use crate::wire::report::Style;

/// Width the prose is wrapped to.
const WIDTH: usize = 100;
/// Lines of a crash's traceback shown (its end: where the exception was raised).
const DETAIL_LINES: usize = 6;

/// The report as text.
pub fn render(suite: &Suite, style: Style) -> String {
    let mut out = String::new();
    if let Some(why) = &suite.unreachable {
        let _ = writeln!(out, "httplab check {}: {why}", suite.target);
        return out;
    }
    let ran = suite
        .results
        .iter()
        .filter(|r| r.verdict != Verdict::Skip)
        .count();
    let _ = writeln!(
        out,
        "{} — {ran} of {} checks ran, {:.1} s\n",
        suite.command,
        suite.results.len(),
        suite.elapsed.as_secs_f64()
    );
    summary(&mut out, suite, style);
    let numbered: Vec<&Cause> = suite
        .causes
        .iter()
        .filter(|c| c.part != Part::Beyond)
        .collect();
    let mut shown: Vec<(Vec<u8>, usize)> = Vec::new();
    for (index, cause) in numbered.iter().enumerate() {
        cause_block(&mut out, index + 1, cause, &mut shown, style);
    }
    beyond(&mut out, suite, style);
    passed(&mut out, suite, style);
    out
}

/// The verdict of each part, and the causes to fix, in order.
fn summary(out: &mut String, suite: &Suite, style: Style) {
    let mut number = 0;
    for part in suite.parts() {
        let (verdict, text) = part_verdict(suite, part);
        let text = match verdict {
            Verdict::Pass => style.paint("32", &format!("{text} ✓")),
            Verdict::Fail => style.paint("31", &text),
            Verdict::Warn => style.paint("33", &text),
            Verdict::Skip => text,
        };
        let _ = writeln!(out, "{}: {text}", style.bold(part.title()));
        if part == Part::Beyond {
            continue;
        }
        for cause in suite.causes.iter().filter(|c| c.part == part) {
            number += 1;
            let warning = if cause.warning { " (warning)" } else { "" };
            let _ = writeln!(
                out,
                "  {number}. {}{warning}  [{}]",
                cause.title,
                explained(cause)
            );
        }
    }
    if let Some(command) = rerun_skipped(suite) {
        let _ = writeln!(
            out,
            "The server stopped answering: restart it and run the rest with\n  {command}"
        );
        if suite.deaths.iter().all(|d| d.stderr.is_none()) {
            let _ = writeln!(
                out,
                "  (or let `httplab check --run 'python3 server.py'` start and restart it for you)"
            );
        }
    }
    out.push('\n');
}

/// One cause: title and checks, why, the fix, the traceback of a crash, and the evidence —
/// or where it was shown before.
fn cause_block(
    out: &mut String,
    number: usize,
    cause: &Cause,
    shown: &mut Vec<(Vec<u8>, usize)>,
    style: Style,
) {
    let warning = if cause.warning { " (a warning)" } else { "" };
    let heading = format!("{number}. {}{warning}", cause.title);
    let _ = writeln!(out, "{}  [{}]", style.bold(&heading), explained(cause));
    if cause.warning {
        // A warning: what and how to fix it; the bytes are in --verbose.
        paragraph(out, "Fix: ", &cause.fix);
        out.push('\n');
        return;
    }
    paragraph(out, "Why: ", &cause.why);
    paragraph(out, "Fix: ", &cause.fix);
    if let Some(detail) = &cause.detail {
        // The first line says what happened (wrapped); the rest is the traceback, whose end
        // names the exception.
        let mut lines = detail.lines();
        let mut said = String::new();
        paragraph(&mut said, "", lines.next().unwrap_or_default());
        for line in said.lines() {
            let _ = writeln!(out, "   │ {}", line.trim_start());
        }
        let rest: Vec<&str> = lines.collect();
        let from = rest.len().saturating_sub(DETAIL_LINES);
        for line in &rest[from..] {
            let _ = writeln!(out, "   │ {}", cut(line, WIDTH - 5));
        }
    }
    if let Some(evidence) = &cause.evidence {
        match shown
            .iter()
            .find(|(request, _)| *request == evidence.request)
        {
            Some((_, first)) if !evidence.request.is_empty() => {
                let _ = writeln!(out, "   Evidence: the conversation of {first}.");
            }
            _ => {
                shown.push((evidence.request.clone(), number));
                conversation(out, evidence);
            }
        }
    }
    out.push('\n');
}

/// The checks a cause explains, for a heading.
fn explained(cause: &Cause) -> String {
    if cause.checks.is_empty() && !cause.blocked.is_empty() {
        format!("no check could run ({})", cause.blocked.len())
    } else if cause.blocked.is_empty() && cause.checks.len() > 4 {
        format!(
            "{} and {} more",
            cause.checks[..3].join(", "),
            cause.checks.len() - 3
        )
    } else if cause.blocked.is_empty() {
        cause.checks.join(", ")
    } else {
        format!(
            "{}; {} check(s) could not run after it",
            cause.checks.join(", "),
            cause.blocked.len()
        )
    }
}

/// The request sent and the response received, each as a line of text and a row of hex:
/// the request from its start, the response where the fault shows.
fn conversation(out: &mut String, evidence: &Evidence) {
    side(out, "Sent", &evidence.request, 0);
    side(out, "Got ", &evidence.response, evidence.focus);
}

fn side(out: &mut String, label: &str, bytes: &[u8], focus: usize) {
    if bytes.is_empty() {
        let _ = writeln!(out, "   {label}  nothing");
        return;
    }
    // The line around `focus`, and the 16-byte row of hex that holds it.
    let start = bytes[..focus]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[focus..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| focus + i + 1);
    let lines =
        bytes.iter().filter(|b| **b == b'\n').count() + usize::from(!bytes.ends_with(b"\n"));
    let before = if start > 0 { "… " } else { "" };
    let after = if end < bytes.len() { " …" } else { "" };
    let text = visible(&bytes[start..end]);
    let _ = writeln!(
        out,
        "   {label}  {before}{}{after}   ({} bytes, {lines} line(s))",
        cut(text.trim_end_matches('\n'), WIDTH - 40),
        bytes.len()
    );
    let row = focus / 16 * 16;
    if let Some(line) = hexdump(&bytes[row..bytes.len().min(row + 16)])
        .lines()
        .next()
    {
        let _ = writeln!(out, "         {row:08x}{}", &line[8..]);
    }
}

/// The causes beyond the assignment, by check id (`--verbose` has their fixes and bytes).
fn beyond(out: &mut String, suite: &Suite, style: Style) {
    let causes: Vec<&Cause> = suite
        .causes
        .iter()
        .filter(|c| c.part == Part::Beyond)
        .collect();
    if causes.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        style.bold("Beyond the assignment (--verbose gives each its fix and the bytes):")
    );
    for (warning, label) in [(false, "✗ to fix:   "), (true, "! warnings: ")] {
        let ids: Vec<&str> = causes
            .iter()
            .filter(|c| c.warning == warning)
            .flat_map(|c| c.checks.iter().copied())
            .collect();
        if !ids.is_empty() {
            let mut list = String::new();
            paragraph(&mut list, label, &ids.join(", "));
            out.push_str(&list);
        }
    }
    out.push('\n');
}

fn passed(out: &mut String, suite: &Suite, style: Style) {
    let passed: Vec<_> = suite
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .collect();
    let skipped = suite.count(Verdict::Skip);
    if !passed.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!("Passed ({}):", passed.len()))
        );
    }
    let width = passed.iter().map(|r| r.check.id.len()).max().unwrap_or(0);
    for result in passed {
        let line = format!("  ✓ {:<width$}  {}", result.check.id, result.check.title);
        let _ = writeln!(out, "{}", cut(&line, WIDTH));
    }
    if skipped > 0 {
        let _ = writeln!(out, "Skipped: {skipped} (--verbose says why)");
    }
}

/// `label` and `text`, wrapped to the report's width, indented under the label.
fn paragraph(out: &mut String, label: &str, text: &str) {
    let indent = " ".repeat(3 + label.chars().count());
    let mut line = format!("   {label}");
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            let _ = writeln!(out, "{line}");
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{line}");
}

fn cut(line: &str, max: usize) -> String {
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let kept: String = line.chars().take(max - 1).collect();
        kept + "…"
    }
}
