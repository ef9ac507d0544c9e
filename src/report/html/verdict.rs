//! The verdict: whether each part of the assignment is done — in the words of the text
//! report — with its causes to fix, linked, in order; then the exit status and what it means.

use std::fmt::Write;

use super::{cause_mark, escape, mark};
use crate::check::diagnosis::Cause;
use crate::check::runner::Suite;
use crate::check::{Part, Verdict};

/// The verdict of each part, the causes of each (linked), and the exit status.
pub(super) fn verdict(out: &mut String, suite: &Suite) {
    out.push_str("<section id=\"verdict\">\n<h2>Verdict</h2>\n");
    if let Some(silence) = &suite.silent {
        let _ = writeln!(
            out,
            "<p class=\"fail\"><span class=\"mark\">✗</span> No check could run: {}.</p>",
            escape(&silence.why)
        );
    }
    if let Some(dead) = suite.died_after {
        let _ = writeln!(
            out,
            "<p class=\"fail\"><span class=\"mark\">✗</span> The server stopped answering after \
             <a href=\"#check-{0}\"><code>{0}</code></a>; the checks after it were skipped. \
             Restart it and run them again (<code>--only</code>).</p>",
            escape(dead)
        );
    }
    out.push_str("<dl class=\"parts\">\n");
    for part in [Part::One, Part::Two, Part::Beyond] {
        let (verdict, text) = part_verdict(suite, part);
        let (symbol, class) = mark(verdict);
        let _ = write!(
            out,
            "<dt>{}</dt>\n<dd><p class=\"{class}\"><span class=\"mark\">{symbol}</span> {}</p>",
            escape(part.title()),
            escape(&text)
        );
        cause_links(out, suite, part);
        out.push_str("</dd>\n");
    }
    out.push_str("</dl>\n");
    exit_status(out, suite);
    out.push_str("</section>\n");
}

/// What a part's verdict is, in the words of the text report.
fn part_verdict(suite: &Suite, part: Part) -> (Verdict, String) {
    let causes: Vec<&Cause> = suite.causes.iter().filter(|c| c.part == part).collect();
    let failing = causes.iter().filter(|c| !c.warning).count();
    let warnings = causes.len() - failing;
    let ran = suite
        .results
        .iter()
        .any(|r| r.check.part == part && r.verdict != Verdict::Skip);
    if part == Part::Beyond {
        let counted = if suite.strict {
            "counted (--strict)"
        } else {
            "not required by the assignment; --strict counts them"
        };
        return match (causes.len(), ran) {
            (0, false) => (Verdict::Skip, "not checked".into()),
            (0, true) => (Verdict::Pass, "all pass".into()),
            _ => (
                if failing > 0 && suite.strict {
                    Verdict::Fail
                } else {
                    Verdict::Warn
                },
                format!("{failing} to fix, {warnings} warning(s) — {counted}"),
            ),
        };
    }
    if part == Part::Two && !suite.part_two {
        return (
            Verdict::Skip,
            "not checked (--part 1: one connection at a time is right for part 1)".into(),
        );
    }
    if suite.done(part) && failing == 0 {
        return match warnings {
            0 => (Verdict::Pass, "done".into()),
            n => (Verdict::Pass, format!("done — {n} warning(s) worth fixing")),
        };
    }
    let also = match warnings {
        0 => String::new(),
        1 => " (and 1 warning)".into(),
        n => format!(" (and {n} warnings)"),
    };
    let text = match failing {
        0 => "not done yet: its checks could not run".to_string(),
        1 => format!("not done yet — 1 cause to fix{also}"),
        n => format!("not done yet — {n} causes to fix{also}, in this order"),
    };
    (Verdict::Fail, text)
}

/// The causes of a part, as links to their blocks.
fn cause_links(out: &mut String, suite: &Suite, part: Part) {
    let causes: Vec<(usize, &Cause)> = suite
        .causes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.part == part)
        .collect();
    if causes.is_empty() {
        return;
    }
    out.push_str("<ol class=\"cause-links\">");
    for (index, cause) in causes {
        let (symbol, class) = cause_mark(cause);
        let _ = write!(
            out,
            "<li value=\"{}\" class=\"{class}\"><span class=\"mark\">{symbol}</span> \
             <a href=\"#cause-{}\">{}</a>{}</li>",
            index + 1,
            index + 1,
            escape(&cause.title),
            if cause.warning { " (warning)" } else { "" }
        );
    }
    out.push_str("</ol>");
}

pub(super) fn exit_status(out: &mut String, suite: &Suite) {
    let code = suite.exit_code();
    let meaning = match code {
        0 => "nothing that counts failed",
        3 => "nothing listens on the port",
        _ => "something that counts failed",
    };
    let _ = writeln!(
        out,
        "<p class=\"exit\">Exit status <strong>{code}</strong>: {meaning}.</p>"
    );
}
