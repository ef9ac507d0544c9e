//! The verdict of each part of the assignment, in words: one definition for every
//! rendering (text, HTML).

use crate::check::diagnosis::Cause;
use crate::check::runner::Suite;
use crate::check::{Judgement, Part, Verdict};

/// What a part's verdict is: a verdict for its mark, and the words.
pub fn part_verdict(suite: &Suite, part: Part) -> (Verdict, String) {
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

/// The command that runs the checks a dead server could not answer (`--only` with their
/// ids), if any were skipped.
pub fn rerun_skipped(suite: &Suite) -> Option<String> {
    // A server that never answered ran no check: its cause says what to fix, and "the rest"
    // would be every check.
    if suite.silent.is_some() {
        return None;
    }
    let skipped: Vec<&str> = suite
        .results
        .iter()
        .filter(
            |r| matches!(&r.judgement, Judgement::Skip { why } if why.starts_with("server down")),
        )
        .map(|r| r.check.id)
        .collect();
    (!skipped.is_empty()).then(|| {
        format!(
            "httplab check {} --only {}",
            suite.target,
            skipped.join(",")
        )
    })
}
