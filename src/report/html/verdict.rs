//! The verdict: whether each part of the assignment is done — in the words of the text
//! report — with its causes to fix, linked, in order; then the exit status and what it means.

use std::fmt::Write;

use super::{cause_mark, escape, mark};
use crate::check::Part;
use crate::check::diagnosis::Cause;
use crate::check::runner::Suite;
use crate::report::verdict::{part_verdict, rerun_skipped};

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
    if let (Some(dead), Some(command)) = (suite.died_after, rerun_skipped(suite)) {
        let _ = writeln!(
            out,
            "<p class=\"fail\"><span class=\"mark\">✗</span> The server stopped answering after \
             <a href=\"#check-{0}\"><code>{0}</code></a>; the checks after it were skipped. \
             Restart it and run them again: <code>{1}</code> (or let <code>check --run</code> \
             restart it for you).</p>",
            escape(dead),
            escape(&command)
        );
    }
    out.push_str("<dl class=\"parts\">\n");
    for part in suite.parts() {
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
        _ if suite.never_started => "the server did not start",
        0 => "nothing that counts failed",
        3 => "nothing listens on the port",
        _ => "something that counts failed",
    };
    let _ = writeln!(
        out,
        "<p class=\"exit\">Exit status <strong>{code}</strong>: {meaning}.</p>"
    );
}
