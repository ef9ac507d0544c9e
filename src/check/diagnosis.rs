//! From check results to root causes, pure: which bug explains which failures, in the order
//! to fix them, with the evidence of one conversation each.
//!
//! A failure names its cause when its check can tell ([`Judgement::because`]); the server's
//! deaths and a server that never answered are causes of their own; any other failure is
//! its own cause, with its check's fix. Causes are ordered by part (what the assignment
//! requires first), failures before warnings, then in the order of [`CAUSES`].

use super::causes::{self, CAUSES};
pub use super::suite::{Cause, Evidence};
use super::suite::{CheckResult, Suite};
use super::{Judgement, Part, Verdict};
use crate::render::visible;
use crate::wire::message;
use crate::wire::transcript::{EventKind, Transcript};

impl Evidence {
    fn of(check: &'static str, transcript: &Transcript) -> Evidence {
        Evidence {
            check,
            request: transcript.client_bytes(),
            response: transcript.server_bytes(),
            focus: 0,
        }
    }
}

/// Where the fault of cause `id` shows in `response`.
fn focus(id: &str, response: &[u8]) -> usize {
    let find = |needle: &[u8]| {
        response
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    };
    let found = match id {
        "bare-lf" => response
            .iter()
            .enumerate()
            .position(|(i, b)| *b == b'\n' && (i == 0 || response[i - 1] != b'\r')),
        "length-in-characters" => find(b"content-length"),
        "bytes-after-body" => message::head_end(response).and_then(|head| {
            let declared = message::field(&response[..head], "content-length")?;
            let declared: usize = std::str::from_utf8(declared).ok()?.trim().parse().ok()?;
            Some(head + declared)
        }),
        _ => None,
    };
    found.unwrap_or(0).min(response.len().saturating_sub(1))
}

/// The root causes of a run's failures, in the order to fix them.
pub fn diagnose(suite: &Suite) -> Vec<Cause> {
    let mut found: Vec<Cause> = Vec::new();
    if let Some(silence) = &suite.silent {
        let id = if silence.reads_until_close {
            "reads-until-close"
        } else {
            "never-answers"
        };
        let mut cause = shared(id);
        cause.blocked = suite.results.iter().map(|r| r.check.id).collect();
        cause.evidence = Some(Evidence::of("", &silence.transcript));
        found.push(cause);
    }
    for (index, death) in suite.deaths.iter().enumerate() {
        let cause = crash(suite, index, death);
        // A server that dies the same way in several checks has one cause, not one each.
        match found
            .iter_mut()
            .find(|c| c.id == cause.id && c.title == cause.title)
        {
            Some(same) => {
                same.part = same.part.min(cause.part);
                same.checks.extend(cause.checks);
                for id in cause.blocked {
                    if !same.blocked.contains(&id) {
                        same.blocked.push(id);
                    }
                }
            }
            None => found.push(cause),
        }
    }
    for result in &suite.results {
        if !matches!(result.verdict, Verdict::Fail | Verdict::Warn) || result.death.is_some() {
            continue;
        }
        let Judgement::Fail { cause, .. } = &result.judgement else {
            continue;
        };
        let id = cause.unwrap_or(result.check.id);
        match found.iter_mut().find(|c| c.id == id) {
            Some(existing) => add(existing, result),
            None => {
                let mut cause = match cause {
                    Some(id) => shared(id),
                    None => own(result),
                };
                add(&mut cause, result);
                cause.part = result.check.part;
                cause.warning = result.verdict == Verdict::Warn;
                found.push(cause);
            }
        }
    }
    found.sort_by_key(|cause| {
        let silence_or_crash = [
            "reads-until-close",
            "never-answers",
            "crash",
            "exits-after-answering",
        ]
        .contains(&cause.id.as_str())
            || cause.id.starts_with("limit-");
        (
            !silence_or_crash,
            cause.part,
            cause.warning,
            causes::rank(&cause.id),
            catalogue_position(cause.checks.first().copied()),
        )
    });
    found
}

/// Adds a failed check to the cause that explains it.
fn add(cause: &mut Cause, result: &CheckResult) {
    if cause.checks.is_empty() {
        cause.evidence = evidence(result).map(|mut evidence| {
            evidence.focus = focus(&cause.id, &evidence.response);
            evidence
        });
    }
    cause.checks.push(result.check.id);
    cause.part = cause.part.min(result.check.part);
    cause.warning = cause.warning && result.verdict == Verdict::Warn;
}

/// A shared cause, not yet explaining anything.
fn shared(id: &str) -> Cause {
    let def = causes::find(id).unwrap_or(&CAUSES[0]);
    Cause {
        id: def.id.to_string(),
        title: def.title.to_string(),
        why: def.why.to_string(),
        fix: def.fix.to_string(),
        part: Part::One,
        warning: false,
        checks: Vec::new(),
        blocked: Vec::new(),
        evidence: None,
        detail: None,
    }
}

/// A check that fails for a reason of its own.
fn own(result: &CheckResult) -> Cause {
    let check = result.check;
    let why = match &result.judgement {
        Judgement::Fail { expected, got, .. } => format!("Expected {expected}; got {got}."),
        _ => String::new(),
    };
    // "A PNG arrives" reads "a PNG arrives" after "Not yet:"; "HEAD gets" and
    // "Content-Type names" keep their capitals.
    let mut title = check.title.to_string();
    let first_word = title.split(' ').next().unwrap_or_default();
    if first_word.chars().skip(1).all(|c| c.is_lowercase())
        && let Some(first) = title.get(..1)
    {
        title.replace_range(..1, &first.to_lowercase());
    }
    Cause {
        id: check.id.to_string(),
        title: format!("Not yet: {title}"),
        why,
        fix: check.fix.to_string(),
        part: check.part,
        warning: true,
        checks: Vec::new(),
        blocked: Vec::new(),
        evidence: None,
        detail: None,
    }
}

/// The server died during a check.
fn crash(suite: &Suite, index: usize, death: &super::suite::Death) -> Cause {
    let result = suite.results.iter().find(|r| r.death == Some(index));
    let trigger = result.and_then(trigger);
    let mut cause = match (death.limit, death.exit_code) {
        // Not a crash: httplab stopped it, and the bound says what to change.
        (Some(limit), _) => shared(causes::of_limit(limit)),
        // Not a crash either: the program reached its end.
        (None, Some(0)) => shared("exits-after-answering"),
        (None, _) => shared("crash"),
    };
    // Whose title is the cause's own, not the request it died on; and whose conversation
    // at the death teaches nothing.
    let general = cause.id != "crash";
    let on = match &trigger {
        Some(t) if t.request.is_empty() => "a connection closed without sending a byte".to_string(),
        Some(t) => format!("\"{}\"", first_line(&t.request)),
        None => format!("a request of {}", death.during),
    };
    if !general {
        cause.title = match death.stderr {
            Some(_) => format!("The server crashed on {on}"),
            None => format!("The server stopped answering after {on}"),
        };
    }
    if !general && trigger.as_ref().is_some_and(|t| t.request.is_empty()) {
        cause.why = "A client that connects and closes without a byte (a browser's spare connection) makes recv() return b''; taking that apart (message.split()[1]) raises, and nothing catches it.".into();
        cause.fix = "If recv() returns b'', close that connection and go back to accept(); and handle each connection in try/except Exception.".into();
    }
    if let Some(result) = result {
        cause.part = result.check.part;
        cause.checks.push(result.check.id);
    }
    if !death.restarted {
        cause.blocked = suite
            .results
            .iter()
            .filter(|r| r.verdict == Verdict::Skip && skipped_as_down(r))
            .map(|r| r.check.id)
            .collect();
    }
    cause.evidence = trigger.filter(|_| !general);
    let again = match (&death.restart_error, death.restarted) {
        (_, true) => " httplab started it again and went on.".to_string(),
        (Some(error), false) => format!(" httplab could not start it again: {error}."),
        (None, false) => String::new(),
    };
    let stderr = death.stderr.as_deref().map(str::trim_end);
    let last_words = match stderr {
        Some(text) if !text.trim().is_empty() => format!(" Its last words (stderr):\n{text}"),
        _ => String::new(),
    };
    cause.detail = Some(match (death.limit, stderr) {
        (Some(limit), _) => format!(
            "httplab stopped it during {}: {limit}.{again}{last_words}",
            death.during
        ),
        (None, Some(_)) if !last_words.is_empty() => {
            format!("It {}.{again}{last_words}", death.how)
        }
        (None, Some(_)) => format!("It {}, and wrote nothing to stderr.{again}", death.how),
        (None, None) => format!(
            "It {} during {}; run it with `check --run` to see its traceback.",
            death.how, death.during
        ),
    });
    cause
}

fn skipped_as_down(result: &CheckResult) -> bool {
    matches!(&result.judgement, Judgement::Skip { why } if why.starts_with("server down"))
}

/// The conversation during which the server died: the last one that connected and got no
/// answer (the runner's own "are you still there?" found the port closed: it never connected).
fn trigger(result: &CheckResult) -> Option<Evidence> {
    let connected = |t: &&Transcript| {
        t.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Connect { .. }))
    };
    let unanswered = result
        .transcripts
        .iter()
        .rev()
        .filter(connected)
        .find(|t| t.server_bytes().is_empty())
        .or(result.transcripts.last())?;
    Some(Evidence::of(result.check.id, unanswered))
}

/// The conversation a failure's evidence comes from: the one whose response starts with the
/// bytes the check kept, else the last one that got no answer, else the first.
fn evidence(result: &CheckResult) -> Option<Evidence> {
    let kept = match &result.judgement {
        Judgement::Fail { evidence, .. } => evidence.as_slice(),
        _ => &[],
    };
    let prefix = &kept[..kept.len().min(16)];
    let transcripts = &result.transcripts;
    let chosen = if prefix.is_empty() {
        transcripts
            .iter()
            .rev()
            .find(|t| t.server_bytes().is_empty() && !t.client_bytes().is_empty())
    } else {
        transcripts
            .iter()
            .find(|t| contains(&t.server_bytes(), prefix))
    };
    chosen
        .or(transcripts.first())
        .map(|t| Evidence::of(result.check.id, t))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The first line of a request, made visible, for a title.
pub fn first_line(request: &[u8]) -> String {
    let end = request
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(request.len());
    let line = visible(&request[..end.min(80)]);
    line.trim_end_matches("\\r").to_string()
}

fn catalogue_position(id: Option<&str>) -> usize {
    super::catalogue::CHECKS
        .iter()
        .map(|c| &c.check)
        .chain(super::client::catalogue::CLIENT_CHECKS)
        .position(|c| Some(c.id) == id)
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::catalogue::CHECKS;
    use crate::check::suite::Death;

    fn check(id: &str) -> &'static super::super::Check {
        &CHECKS.iter().find(|c| c.check.id == id).unwrap().check
    }

    fn result(id: &str, verdict: Verdict, cause: Option<&'static str>) -> CheckResult {
        let judgement = match verdict {
            Verdict::Pass => Judgement::pass(),
            Verdict::Skip => Judgement::skip("server down: it stopped answering after x"),
            _ => {
                let failed = Judgement::fail("this", "that", b"HTTP/1.1 200 OK\n");
                match cause {
                    Some(cause) => failed.because(cause),
                    None => failed,
                }
            }
        };
        CheckResult {
            check: check(id),
            judgement,
            verdict,
            transcripts: Vec::new(),
            elapsed: Duration::ZERO,
            death: None,
        }
    }

    fn suite(results: Vec<CheckResult>) -> Suite {
        Suite {
            target: "127.0.0.1:6789".into(),
            graded: crate::check::runner::Graded::Server,
            command: "httplab check 127.0.0.1:6789".into(),
            results,
            died_after: None,
            deaths: Vec::new(),
            unreachable: None,
            never_started: false,
            silent: None,
            causes: Vec::new(),
            part_two: true,
            strict: false,
            elapsed: Duration::ZERO,
        }
    }

    fn ids(causes: &[Cause]) -> Vec<&str> {
        causes.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn one_cause_explains_every_check_it_names_and_each_other_failure_is_its_own() {
        let suite = suite(vec![
            result("http.keep-alive", Verdict::Fail, Some("never-closes")),
            result("http.connection-close", Verdict::Fail, Some("never-closes")),
            result("wire.crlf", Verdict::Fail, Some("bare-lf")),
            result("http.host-required", Verdict::Fail, None),
            result("wire.segments", Verdict::Warn, Some("tiny-sends")),
            result("assignment.get", Verdict::Pass, None),
        ]);
        let causes = diagnose(&suite);
        // Part 1 first (failures, then warnings), in the order of CAUSES; then beyond.
        assert_eq!(
            ids(&causes),
            [
                "bare-lf",
                "never-closes",
                "tiny-sends",
                "http.host-required"
            ]
        );
        let never = &causes[1];
        assert_eq!(never.checks, ["http.keep-alive", "http.connection-close"]);
        assert_eq!(never.part, Part::One, "connection-close is part 1");
        assert!(!never.warning);
        assert!(causes[2].warning);
        let own = &causes[3];
        assert_eq!(own.part, Part::Beyond);
        assert_eq!(own.fix, check("http.host-required").fix);
        assert!(own.title.starts_with("Not yet: an HTTP/1.1 request"));
        assert_eq!(own.why, "Expected this; got that.");
    }

    #[test]
    fn a_death_is_a_cause_that_explains_its_check_and_the_ones_it_blocked() {
        let mut dying = result("robust.empty-connection", Verdict::Fail, None);
        dying.death = Some(0);
        let mut suite = suite(vec![
            result("wire.crlf", Verdict::Fail, Some("bare-lf")),
            dying,
            result("security.traversal", Verdict::Skip, None),
        ]);
        suite.deaths.push(Death {
            during: "robust.empty-connection",
            how: "exited with status 1".into(),
            stderr: Some(
                "Traceback (most recent call last):\nIndexError: list index out of range\n".into(),
            ),
            restarted: false,
            restart_error: None,
            limit: None,
            exit_code: None,
        });
        let causes = diagnose(&suite);
        assert_eq!(ids(&causes), ["crash", "bare-lf"], "a crash first");
        let crash = &causes[0];
        assert_eq!(crash.checks, ["robust.empty-connection"]);
        assert_eq!(crash.blocked, ["security.traversal"]);
        assert!(
            crash.title.starts_with("The server crashed"),
            "{}",
            crash.title
        );
        assert!(crash.detail.as_deref().unwrap().contains("IndexError"));
    }

    #[test]
    fn a_server_stopped_at_a_bound_is_taught_the_bound_not_a_crash() {
        let mut dying = result("robust.empty-connection", Verdict::Fail, None);
        dying.death = Some(0);
        let mut suite = suite(vec![dying]);
        suite.deaths.push(Death {
            during: "robust.empty-connection",
            how: "was killed by signal 9".into(),
            stderr: Some(String::new()),
            restarted: true,
            restart_error: None,
            limit: Some(crate::supervise::LimitHit::Processes),
            exit_code: None,
        });
        let causes = diagnose(&suite);
        assert_eq!(ids(&causes), ["limit-processes"]);
        let stopped = &causes[0];
        assert_eq!(
            stopped.title,
            "The server kept too many processes alive, and httplab stopped it"
        );
        assert!(stopped.fix.contains("threading.Thread"), "{}", stopped.fix);
        assert!(
            stopped.evidence.is_none(),
            "where the bound was met teaches nothing"
        );
        assert_eq!(
            stopped.detail.as_deref(),
            Some(
                "httplab stopped it during robust.empty-connection: it started more processes \
                 than allowed (a fork bomb?). httplab started it again and went on."
            )
        );
    }

    #[test]
    fn a_server_that_ends_by_itself_is_taught_the_loop_before_its_crash() {
        let death = |during: &'static str, code: i32, stderr: &str| Death {
            during,
            how: format!("exited with status {code}"),
            stderr: Some(stderr.into()),
            restarted: true,
            restart_error: None,
            limit: None,
            exit_code: Some(code),
        };
        let mut crashing = result("robust.empty-connection", Verdict::Fail, None);
        crashing.death = Some(0);
        let mut ending = result("assignment.get", Verdict::Fail, None);
        ending.death = Some(1);
        let mut suite = suite(vec![ending, crashing]);
        suite
            .deaths
            .push(death("robust.empty-connection", 1, "IndexError\n"));
        suite.deaths.push(death("assignment.get", 0, ""));
        let causes = diagnose(&suite);
        assert_eq!(ids(&causes), ["exits-after-answering", "crash"]);
        assert!(causes[0].fix.contains("while True"), "{}", causes[0].fix);
        assert!(causes[0].evidence.is_none());
    }

    #[test]
    fn the_focus_is_where_the_fault_shows() {
        let response = b"HTTP/1.1 200 OK\r\nDate: x\nContent-Length: 2\r\n\r\nabXY";
        assert_eq!(focus("bare-lf", response), 24);
        assert_eq!(focus("length-in-characters", response), 25);
        assert_eq!(focus("bytes-after-body", response), response.len() - 2);
        assert_eq!(focus("status-line-prefix", response), 0);
    }
}
