//! Every check of the run, by part, each folded under one line (mark, id, title, verdict):
//! open, its level and reference, what it expected and got, its note or why it was skipped,
//! the cause that explains it, and its conversations drawn as ladders.

use std::fmt::Write;

use super::{bytes, escape, mark};
use crate::check::runner::{CheckResult, Suite};
use crate::check::{Judgement, Level, Verdict};
use crate::render::visible;

/// Conversations drawn per check; a check that opens many (the concurrency checks) says how
/// many more it had.
const MAX_CONVERSATIONS: usize = 6;
/// Bytes of a failure's own evidence shown as text.
const EVIDENCE_LIMIT: usize = 512;

/// The section: one group per part, in catalogue order within it.
pub(super) fn every_check(out: &mut String, suite: &Suite) {
    out.push_str(
        "<section id=\"checks\">\n<h2>Every check</h2>\n<p class=\"hint\">Each line opens: its \
         reference, what was expected and what came, and every conversation of the check as a \
         ladder diagram.</p>\n",
    );
    for part in suite.parts() {
        let results: Vec<&CheckResult> = suite
            .results
            .iter()
            .filter(|r| r.check.part == part)
            .collect();
        if results.is_empty() {
            continue;
        }
        let count = |verdict| results.iter().filter(|r| r.verdict == verdict).count();
        let _ = write!(
            out,
            "<h3>{} <span class=\"counts\">{} check(s): {} ✓ · {} ✗ · {} ! · {} –</span></h3>\n\
             <div class=\"check-list\">\n",
            escape(part.title()),
            results.len(),
            count(Verdict::Pass),
            count(Verdict::Fail),
            count(Verdict::Warn),
            count(Verdict::Skip)
        );
        for result in results {
            check(out, suite, result);
        }
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

fn verdict_word(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "passed",
        Verdict::Fail => "failed",
        Verdict::Warn => "warning",
        Verdict::Skip => "skipped",
    }
}

fn level_words(level: Level) -> &'static str {
    match level {
        Level::Assignment => "what the assignment asks",
        Level::Must => "an RFC MUST: a failure breaks real clients",
        Level::Should => "an RFC SHOULD, or good practice: a failure is a warning",
    }
}

/// One check, folded.
fn check(out: &mut String, suite: &Suite, result: &CheckResult) {
    let check = result.check;
    let (symbol, class) = mark(result.verdict);
    let _ = write!(
        out,
        "<details class=\"check is-{class}\" id=\"check-{}\">\n<summary><span class=\"mark\">{symbol}</span> \
         <code>{}</code> <span class=\"title\">{}</span> <span class=\"verdict\">{}</span></summary>\n\
         <div class=\"body\">\n",
        escape(check.id),
        escape(check.id),
        escape(check.title),
        verdict_word(result.verdict),
    );
    judgement(out, &result.judgement);
    cause_link(out, suite, check.id);
    let took = result.elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "<dl class=\"facts\"><dt>Level</dt><dd>{}</dd><dt>Reference</dt><dd>{}</dd>\
         <dt>Took</dt><dd>{}</dd></dl>",
        level_words(check.level),
        escape(check.reference),
        if took < 1.0 {
            format!("{:.1} ms", took * 1000.0)
        } else {
            format!("{took:.2} s")
        }
    );
    if let Some(death) = result.death.and_then(|i| suite.deaths.get(i)) {
        let _ = writeln!(
            out,
            "<p class=\"fail\"><span class=\"mark\">✗</span> The server died during this check: it {}{}.</p>",
            escape(&death.how),
            if death.restarted {
                "; it was started again and the run went on"
            } else {
                ""
            }
        );
    }
    conversations(out, &result.transcripts);
    out.push_str("</div>\n</details>\n");
}

/// Expected and got, with the bytes the check kept; the note of a pass; why it was skipped.
fn judgement(out: &mut String, judgement: &Judgement) {
    match judgement {
        Judgement::Pass { note: Some(note) } => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
        }
        Judgement::Pass { note: None } => {}
        Judgement::Skip { why } => {
            let _ = writeln!(
                out,
                "<p class=\"note\">Skipped: {}.</p>",
                escape(why.trim_end_matches('.'))
            );
        }
        Judgement::Fail {
            expected,
            got,
            evidence,
            ..
        } => {
            let _ = writeln!(
                out,
                "<dl class=\"expected-got\"><dt>Expected</dt><dd>{}</dd><dt>Got</dt><dd>{}</dd></dl>",
                escape(expected),
                escape(got)
            );
            if !evidence.is_empty() {
                let shown = &evidence[..evidence.len().min(EVIDENCE_LIMIT)];
                let cut = if shown.len() < evidence.len() {
                    format!(", the first {} shown", shown.len())
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "<p>The bytes it is about ({} bytes{cut}):</p><pre class=\"visible\">{}</pre>",
                    evidence.len(),
                    escape(&visible(shown))
                );
            }
        }
    }
}

/// The cause that explains this check's failure, or that kept it from running.
fn cause_link(out: &mut String, suite: &Suite, id: &str) {
    for (index, cause) in suite.causes.iter().enumerate() {
        let how = if cause.checks.contains(&id) {
            "Explained by cause"
        } else if cause.blocked.contains(&id) {
            "Could not run because of cause"
        } else {
            continue;
        };
        let _ = writeln!(
            out,
            "<p class=\"cause-link\">{how} <a href=\"#cause-{0}\">{0}. {1}</a>.</p>",
            index + 1,
            escape(&cause.title)
        );
    }
}

/// The check's conversations, each as a ladder, at most [`MAX_CONVERSATIONS`].
fn conversations(out: &mut String, transcripts: &[crate::wire::transcript::Transcript]) {
    if transcripts.is_empty() {
        return;
    }
    for (index, transcript) in transcripts.iter().take(MAX_CONVERSATIONS).enumerate() {
        bytes::conversation(out, index + 1, transcript);
    }
    if transcripts.len() > MAX_CONVERSATIONS {
        let _ = writeln!(
            out,
            "<p class=\"cut\">{} more conversation(s) of this check are not drawn (it had {}).</p>",
            transcripts.len() - MAX_CONVERSATIONS,
            transcripts.len()
        );
    }
}
