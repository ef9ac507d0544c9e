//! `check --html FILE`: the teaching report as one self-contained web page — what the text
//! report says (the verdict of each part first, then the causes in the order to fix them,
//! then every check), with each conversation drawn as a ladder diagram.
//!
//! One file that works anywhere, also opened from a mail or a course platform: inline CSS
//! and inline SVG, no script, no font, no image and no link that would reach the network.
//! `<details>` gives the collapsible sections without JavaScript. Every byte that came from
//! the run — above all the server's, which may be hostile (`</script>`, `<img onerror>`, NUL,
//! invalid UTF-8) — goes through [`visible`](crate::render::visible) and then [`escape`].
//!
//! `verdict` says what the run means; `bytes` draws conversations (the ladder, the bytes as
//! text and hex); `checks` lists every check; this file is the page, its header and the causes.

mod bytes;
mod checks;
mod verdict;

use std::fmt::Write;
use std::time::SystemTime;

use crate::check::diagnosis::Cause;
use crate::check::runner::Suite;
use crate::check::{Part, Verdict};

/// The page's style: its own file, so that it reads as CSS.
const STYLE: &str = include_str!("html/style.css");
/// Lines of a crash's traceback shown (its end: where the exception was raised).
const DETAIL_LINES: usize = 60;

/// The report as a web page, dated now (the CLI writes it right after the run).
pub fn render(suite: &Suite) -> String {
    render_at(suite, SystemTime::now())
}

/// The report as a web page, saying it was written at `written`.
pub fn render_at(suite: &Suite, written: SystemTime) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&suite.command)
    );
    header(&mut out, suite, written);
    if let Some(why) = &suite.unreachable {
        // A server that never started says why on its first line; what it wrote (a
        // traceback) follows, kept as it was laid out.
        let (first, rest) = why.split_once('\n').unwrap_or((why, ""));
        let _ = write!(
            out,
            "<section id=\"verdict\"><h2>Verdict</h2><p class=\"fail\"><span class=\"mark\">✗</span> \
             No check could run: {}</p>",
            escape(first)
        );
        if !rest.trim().is_empty() {
            let _ = write!(out, "<pre>{}</pre>", escape(rest.trim_end()));
        }
        verdict::exit_status(&mut out, suite);
        out.push_str("</section>\n");
    } else {
        verdict::verdict(&mut out, suite);
        causes(&mut out, suite);
        checks::every_check(&mut out, suite);
    }
    let _ = write!(
        out,
        "<footer>Written by httplab {}. Run it again after each fix: \
         <code>{}</code>.</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&suite.command)
    );
    out
}

/// Text made safe for HTML, in an element or in a quoted attribute. Characters that are
/// invisible yet change what is shown around them (bidirectional overrides, zero-width
/// characters) are spelled out as `\u{…}`, as [`visible`](crate::render::visible) spells out
/// control bytes: the report hides nothing a server sent.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The mark and the class of a verdict: never colour alone.
fn mark(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Pass => ("✓", "pass"),
        Verdict::Fail => ("✗", "fail"),
        Verdict::Warn => ("!", "warn"),
        Verdict::Skip => ("–", "skip"),
    }
}

/// The target, when, how long, how many checks ran, and a table of contents.
fn header(out: &mut String, suite: &Suite, written: SystemTime) {
    let ran = suite
        .results
        .iter()
        .filter(|r| r.verdict != Verdict::Skip)
        .count();
    let _ = write!(
        out,
        "<header>\n<h1><code>{}</code></h1>\n<p class=\"meta\">Written {} \
         · the run took {:.1} s",
        escape(&suite.command),
        httpdate::fmt_http_date(written),
        suite.elapsed.as_secs_f64(),
    );
    if suite.unreachable.is_none() {
        let _ = write!(
            out,
            " · {ran} of {} checks ran: {} passed, {} failed, {} warnings, {} skipped",
            suite.results.len(),
            suite.count(Verdict::Pass),
            suite.count(Verdict::Fail),
            suite.count(Verdict::Warn),
            suite.count(Verdict::Skip),
        );
    }
    out.push_str("</p>\n");
    if suite.unreachable.is_none() {
        out.push_str(
            "<nav><a href=\"#verdict\">Verdict</a> · <a href=\"#causes\">What to fix, in order</a> \
             · <a href=\"#checks\">Every check</a> · marks: <span class=\"pass\">✓ pass</span> \
             <span class=\"fail\">✗ fail</span> <span class=\"warn\">! warning</span> \
             <span class=\"skip\">– skipped</span></nav>\n",
        );
    }
    out.push_str("</header>\n");
}

fn cause_mark(cause: &Cause) -> (&'static str, &'static str) {
    mark(if cause.warning {
        Verdict::Warn
    } else {
        Verdict::Fail
    })
}

/// Every cause, in the order to fix them: those of the assignment open, those beyond it
/// folded (they count only with `--strict`).
fn causes(out: &mut String, suite: &Suite) {
    out.push_str("<section id=\"causes\">\n<h2>What to fix, in this order</h2>\n");
    if suite.causes.is_empty() {
        out.push_str("<p class=\"pass\"><span class=\"mark\">✓</span> Nothing: every check that ran passed.</p>\n");
    }
    let mut shown: Vec<(Vec<u8>, usize)> = Vec::new();
    let mut beyond_opened = false;
    for (index, cause) in suite.causes.iter().enumerate() {
        if cause.part == Part::Beyond && !beyond_opened {
            beyond_opened = true;
            let _ = writeln!(
                out,
                "<details class=\"beyond\"{}><summary><h3>Beyond the assignment: HTTP/1.1 as the RFCs \
                 state it ({})</h3></summary>",
                if suite.strict { " open" } else { "" },
                if suite.strict {
                    "counted: --strict"
                } else {
                    "not required by the assignment; --strict counts them"
                }
            );
        }
        cause_block(out, suite, index, cause, &mut shown);
    }
    if beyond_opened {
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

/// One cause: its title, the checks it explains, why, the fix, a crash's traceback, and the
/// conversation that shows it (or where it was shown before).
fn cause_block(
    out: &mut String,
    suite: &Suite,
    index: usize,
    cause: &Cause,
    shown: &mut Vec<(Vec<u8>, usize)>,
) {
    let number = index + 1;
    let (symbol, class) = cause_mark(cause);
    let _ = write!(
        out,
        "<article class=\"cause is-{class}\" id=\"cause-{number}\">\n<h3><span class=\"mark\">{symbol}</span> \
         {number}. {}{}</h3>\n",
        escape(&cause.title),
        if cause.warning {
            " <span class=\"tag\">warning</span>"
        } else {
            ""
        }
    );
    explains(out, cause);
    let _ = write!(
        out,
        "<p><strong>Why:</strong> {}</p>\n<p class=\"fix\"><strong>Fix:</strong> {}</p>\n",
        escape(&cause.why),
        escape(&cause.fix)
    );
    if let Some(detail) = &cause.detail {
        detail_block(out, detail);
    }
    if let Some(evidence) = &cause.evidence {
        match shown
            .iter()
            .find(|(request, _)| *request == evidence.request)
        {
            Some((_, first)) if !evidence.request.is_empty() => {
                let _ = writeln!(
                    out,
                    "<p class=\"evidence\">Evidence: the conversation shown under \
                     <a href=\"#cause-{first}\">cause {first}</a>.</p>"
                );
            }
            _ => {
                shown.push((evidence.request.clone(), number));
                bytes::evidence(out, suite, evidence);
            }
        }
    }
    out.push_str("</article>\n");
}

/// The checks a cause explains, and those that could not run because of it, linked.
fn explains(out: &mut String, cause: &Cause) {
    let links = |ids: &[&str]| {
        ids.iter()
            .map(|id| format!("<a href=\"#check-{0}\"><code>{0}</code></a>", escape(id)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str("<p class=\"explains\">");
    if !cause.checks.is_empty() {
        let _ = write!(out, "Explains: {}. ", links(&cause.checks));
    }
    if !cause.blocked.is_empty() {
        let _ = write!(
            out,
            "<span class=\"blocked\">{} check(s) could not run because of it: {}.</span>",
            cause.blocked.len(),
            links(&cause.blocked)
        );
    }
    out.push_str("</p>\n");
}

/// A crash's traceback (its end, where the exception was raised), saying what was left out.
fn detail_block(out: &mut String, detail: &str) {
    let lines: Vec<&str> = detail.lines().collect();
    let from = lines.len().saturating_sub(DETAIL_LINES);
    let cut = if from > 0 {
        format!("<p class=\"cut\">The first {from} line(s) are left out.</p>")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "<div class=\"detail\">{cut}<pre>{}</pre></div>",
        escape(&lines[from..].join("\n"))
    );
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::{escape, render_at};
    use crate::check::runner::Suite;

    #[test]
    fn nothing_listening_is_a_short_page_with_exit_status_3() {
        let suite = Suite {
            target: "127.0.0.1:6789".into(),
            graded: crate::check::runner::Graded::Server,
            command: "httplab check 127.0.0.1:6789 --part 1".into(),
            results: Vec::new(),
            died_after: None,
            deaths: Vec::new(),
            unreachable: Some("nothing listens on 127.0.0.1:6789 — is your server running?".into()),
            never_started: false,
            silent: None,
            causes: Vec::new(),
            part_two: false,
            strict: false,
            elapsed: Duration::from_millis(3),
        };
        let page = render_at(&suite, UNIX_EPOCH + Duration::from_secs(1_795_618_800));
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        assert!(
            page.contains("Written Wed, 25 Nov 2026 15:00:00 GMT"),
            "{page}"
        );
        assert!(page.contains("No check could run: nothing listens on 127.0.0.1:6789"));
        assert!(page.contains("Exit status <strong>3</strong>"));
        assert!(page.contains("<code>httplab check 127.0.0.1:6789 --part 1</code>"));
        assert!(!page.contains("id=\"checks\""));
    }

    #[test]
    fn escape_leaves_no_markup_and_no_hidden_character() {
        assert_eq!(
            escape("</script><img src=x onerror='a(1)'>&\"é"),
            "&lt;/script&gt;&lt;img src=x onerror=&#39;a(1)&#39;&gt;&amp;&quot;é"
        );
        assert_eq!(escape("a\u{202E}b\u{0}c"), "a\\u{202e}b\\u{0}c");
    }
}
