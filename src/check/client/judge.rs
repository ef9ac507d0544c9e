//! Judging a client, pure: from what httplab's server received and sent in each scenario and
//! what the client printed, how it exited and how long it took, the judgement of each check
//! — with the cause it is a symptom of.

use std::collections::HashMap;
use std::time::Duration;

use super::printed::{contains, describe_output, longest_prefix_printed, python_bytes_literal};
use super::scenarios::{Scenario, expected_body, zero_body};
use super::stage::Served;
use crate::check::Judgement;
use crate::render::visible;

/// How one run of the client ended.
#[derive(Clone, Debug, Default)]
pub struct ClientRun {
    /// Its exit status, when it exited (not killed).
    pub status: Option<i32>,
    /// Still running at the timeout (then killed).
    pub timed_out: bool,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub run_time: Duration,
}

/// One scenario: what the server saw, and how the client ran.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    pub scenario: Scenario,
    pub served: Vec<Served>,
    pub client: ClientRun,
}

impl ScenarioRun {
    /// What the client sent on its first connection.
    fn request(&self) -> Vec<u8> {
        self.served
            .first()
            .map(|s| s.transcript.client_bytes())
            .unwrap_or_default()
    }

    /// The status of the first answer, if one was sent.
    fn status(&self) -> Option<u16> {
        self.served
            .first()
            .and_then(|s| s.statuses.first().copied())
    }

    /// What the client printed, decoded when it printed a Python bytes literal.
    fn printed(&self) -> Vec<u8> {
        python_bytes_literal(&self.client.stdout).unwrap_or_else(|| self.client.stdout.clone())
    }
}

/// What is wrong with a request's bytes, in the order a student should fix it.
pub fn request_cause(request: &[u8]) -> Option<&'static str> {
    let Some(line_end) = request.iter().position(|b| *b == b'\n') else {
        return Some("request-incomplete");
    };
    let line = &request[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let words: Vec<&[u8]> = line.split(|b| *b == b' ').collect();
    if words.len() < 3 || !words[2].starts_with(b"HTTP/") {
        return Some("request-no-version");
    }
    if has_bare_lf(request) {
        return Some("request-bare-lf");
    }
    if !request.windows(4).any(|w| w == b"\r\n\r\n") {
        return Some("request-no-blank-line");
    }
    if !has_field(request, "host") {
        return Some("request-no-host");
    }
    None
}

fn has_bare_lf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, b)| *b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
}

/// Whether the head (the lines after the request line, up to the empty one) has a field
/// called `name`.
fn has_field(request: &[u8], name: &str) -> bool {
    request
        .split(|b| *b == b'\n')
        .skip(1)
        .take_while(|line| !line.is_empty() && *line != b"\r")
        .any(|line| {
            let field = line.split(|b| *b == b':').next().unwrap_or_default();
            field.eq_ignore_ascii_case(name.as_bytes())
        })
}

/// Every check's judgement, by check id, from the scenario runs.
pub fn judge(runs: &[ScenarioRun]) -> HashMap<&'static str, Judgement> {
    let by = |scenario| runs.iter().find(|r| r.scenario == scenario);
    let mut judged = HashMap::new();
    if let Some(hello) = by(Scenario::Hello) {
        judge_request(hello, &mut judged);
        judged.insert("client.prints-response", prints_body(hello, true));
        judged.insert("client.prints-status", prints_status(hello));
    }
    if let Some(run) = by(Scenario::Pieces) {
        judged.insert("client.pieces", prints_body(run, false));
    }
    if let Some(run) = by(Scenario::Large) {
        judged.insert("client.large", prints_body(run, false));
    }
    if let Some(run) = by(Scenario::ZeroInBody) {
        judged.insert("client.zero-in-body", prints_body(run, false));
    }
    if let Some(run) = by(Scenario::NotFound) {
        judged.insert("client.not-found", not_found(run));
    }
    if let Some(run) = by(Scenario::KeepAlive) {
        judged.insert("client.keep-alive", keep_alive(run));
    }
    if let Some(run) = by(Scenario::NothingListens) {
        judged.insert("client.nothing-listens", nothing_listens(run));
    }
    judged
}

/// The request's checks, from the first scenario.
fn judge_request(run: &ScenarioRun, judged: &mut HashMap<&'static str, Judgement>) {
    let request = run.request();
    let path = run.scenario.path();
    let cause = request_cause(&request);
    let shown = visible(&request[..request.len().min(200)]);
    let fail = |expected: &str, got: String, cause: Option<&'static str>| {
        let failed = Judgement::fail(expected, got, &request);
        match cause {
            Some(cause) => failed.because(cause),
            None => failed,
        }
    };
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let wanted = format!("GET {path} HTTP/1.1");
    judged.insert(
        "client.request-line",
        if run.served.is_empty() {
            fail(
                "a connection and a request",
                "no connection came".into(),
                None,
            )
        } else if line == wanted.as_bytes() {
            Judgement::pass()
        } else if line == format!("GET {path} HTTP/1.0").as_bytes() {
            Judgement::pass_with("HTTP/1.0: fine, though the assignment's HTTP is 1.1")
        } else {
            let cause = cause.filter(|c| matches!(*c, "request-incomplete" | "request-no-version"));
            fail(&wanted, format!("{:?}", visible(line)), cause)
        },
    );
    judged.insert(
        "client.crlf",
        match cause {
            Some(c @ ("request-incomplete" | "request-bare-lf")) => {
                fail("every line ending in \\r\\n", format!("{shown:?}"), Some(c))
            }
            _ if run.served.is_empty() => fail("a request", "none came".into(), None),
            _ => Judgement::pass(),
        },
    );
    judged.insert(
        "client.host",
        if has_field(&request, "host") {
            Judgement::pass()
        } else {
            let c = if cause == Some("request-incomplete") {
                cause
            } else {
                Some("request-no-host")
            };
            fail("a Host header line", format!("{shown:?}"), c)
        },
    );
    judged.insert(
        "client.head-end",
        match cause {
            Some(c @ ("request-incomplete" | "request-no-blank-line")) => fail(
                "a head that ends with an empty line (\\r\\n\\r\\n)",
                format!("{shown:?}"),
                Some(c),
            ),
            _ if run.served.is_empty() => fail("a request", "none came".into(), None),
            _ => Judgement::pass(),
        },
    );
    let requests: usize = run.served.iter().map(|s| s.statuses.len()).sum();
    judged.insert(
        "client.one-request",
        match (run.served.len(), requests) {
            (1, 0 | 1) => Judgement::pass(),
            (0, _) => fail("one connection", "none".into(), None),
            (connections, requests) => fail(
                "one connection and one request",
                format!("{connections} connection(s) and {requests} request(s)"),
                None,
            ),
        },
    );
}

/// The cause of a printing check's failure when the server could not answer the request
/// with a 200: the request's own.
fn unanswered(run: &ScenarioRun) -> Option<Judgement> {
    if run.status() == Some(200) {
        return None;
    }
    let request = run.request();
    let cause = request_cause(&request);
    let got = match run.status() {
        Some(status) => {
            format!("httplab could not answer the request with the file: it answered {status}")
        }
        None => "httplab got no complete request to answer".into(),
    };
    let failed = Judgement::fail(
        "an answer to print (a complete request first)",
        got,
        &request,
    );
    Some(match cause {
        Some(cause) => failed.because(cause),
        None => failed,
    })
}

/// The file's body, printed whole; `repr_counts`: printing a Python bytes literal fails
/// this check (for the others, what it holds is judged).
fn prints_body(run: &ScenarioRun, repr_counts: bool) -> Judgement {
    if let Some(failed) = unanswered(run) {
        return failed;
    }
    let body = expected_body(run.scenario);
    let printed = run.printed();
    let is_repr = python_bytes_literal(&run.client.stdout).is_some();
    let expected = format!(
        "the {} bytes of {} on stdout",
        body.len(),
        run.scenario.path()
    );
    let got_printed = describe_output(&run.client.stdout, &run.client.stderr);
    if contains(&printed, &body) {
        if repr_counts && is_repr {
            return Judgement::fail(
                expected,
                format!("a Python bytes literal: {got_printed}"),
                &run.client.stdout,
            )
            .because("prints-repr");
        }
        return Judgement::pass();
    }
    let kept = longest_prefix_printed(&printed, &body);
    let failed = Judgement::fail(
        expected,
        format!("{kept} of {} bytes of the body: {got_printed}", body.len()),
        &run.client.stdout[..run.client.stdout.len().min(512)],
    );
    if run.scenario == Scenario::ZeroInBody && stops_at_zero(kept) {
        failed.because("stops-at-zero")
    } else if kept > 0 {
        failed.because("single-recv-client")
    } else {
        failed
    }
}

/// The body was cut after its first `0\r\n` (at the end of the read that brought it).
fn stops_at_zero(kept: usize) -> bool {
    let body = zero_body();
    let first = body.windows(3).position(|w| w == b"0\r\n");
    first.is_some_and(|at| kept >= at + 3 && kept < body.len())
}

fn prints_status(run: &ScenarioRun) -> Judgement {
    if let Some(failed) = unanswered(run) {
        return failed;
    }
    if contains(&run.printed(), b"200 OK") {
        Judgement::pass()
    } else {
        Judgement::fail(
            "the status line (200 OK) on stdout",
            describe_output(&run.client.stdout, &run.client.stderr),
            &run.client.stdout[..run.client.stdout.len().min(256)],
        )
    }
}

fn not_found(run: &ScenarioRun) -> Judgement {
    if run.status() != Some(404)
        && let Some(failed) = unanswered(run)
    {
        return failed;
    }
    let expected =
        "the 404 shown (its status line or its page), or a non-zero exit status, and an exit";
    if run.client.timed_out {
        return Judgement::fail(expected, "the client was still running at the timeout", &[]);
    }
    let printed = run.printed();
    let shown = contains(&printed, b"404") || contains(&printed, b"Not Found");
    if shown || run.client.status.is_some_and(|s| s != 0) {
        Judgement::pass()
    } else {
        Judgement::fail(
            expected,
            format!(
                "exit status 0 and {}",
                describe_output(&run.client.stdout, &run.client.stderr)
            ),
            &[],
        )
    }
}

fn keep_alive(run: &ScenarioRun) -> Judgement {
    if let Some(failed) = unanswered(run) {
        return failed;
    }
    let closed_first = run.served.first().is_some_and(|s| s.client_closed_first);
    let asked_close = crate::wire::message::closes_connection(
        &run.request(),
        crate::wire::message::Sender::Client,
    );
    if asked_close && !run.client.timed_out {
        return Judgement::pass_with(
            "it asked for the close (Connection: close), and the server closed",
        );
    }
    if closed_first && !run.client.timed_out {
        return Judgement::pass_with("it stopped reading at the end of the body");
    }
    Judgement::fail(
        "an exit once the response is complete, although the server keeps the connection open",
        format!(
            "the client was still reading when httplab gave up holding the connection after {:.0} s{}",
            super::stage::HOLD.as_secs_f64(),
            if run.client.timed_out { ", and was killed at the timeout" } else { "" }
        ),
        &run.request(),
    )
    .because("reads-until-server-closes")
}

fn nothing_listens(run: &ScenarioRun) -> Judgement {
    let expected = "a message and a non-zero exit status, soon";
    let client = &run.client;
    if client.timed_out {
        return Judgement::fail(expected, "it was still running at the timeout", &[]);
    }
    if client.stderr.contains("Traceback (most recent call last)") {
        let last = client.stderr.lines().last().unwrap_or_default();
        return Judgement::fail(
            expected,
            format!("a traceback: {last}"),
            client.stderr.as_bytes(),
        )
        .because("crashes-without-server");
    }
    match client.status {
        Some(0) => Judgement::fail(
            expected,
            "exit status 0: a script cannot tell that it failed",
            &[],
        ),
        Some(status) if client.stderr.trim().is_empty() && client.stdout.is_empty() => {
            Judgement::pass_with(format!("exit status {status}, though it said nothing"))
        }
        Some(status) => Judgement::pass_with(format!("exit status {status}")),
        None => Judgement::fail(expected, "it was killed", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_causes_in_the_order_to_fix_them() {
        let cause = request_cause;
        assert_eq!(cause(b"GET /helloWorld.html"), Some("request-incomplete"));
        assert_eq!(
            cause(b"GET /helloWorld.html\r\n\r\n"),
            Some("request-no-version")
        );
        assert_eq!(
            cause(b"GET /x HTTP/1.1\nHost: h\n\n"),
            Some("request-bare-lf")
        );
        assert_eq!(
            cause(b"GET /x HTTP/1.1\r\nHost: h\r\n"),
            Some("request-no-blank-line")
        );
        assert_eq!(cause(b"GET /x HTTP/1.1\r\n\r\n"), Some("request-no-host"));
        assert_eq!(cause(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"), None);
    }

    #[test]
    fn where_the_printing_stopped() {
        let body = b"Items: 3\r\nReturned: 0\r\nStock: 12\r\n";
        assert_eq!(longest_prefix_printed(b"xx Items: 3\r\nRet", body), 13);
        assert_eq!(longest_prefix_printed(b"nothing", body), 0);
        let zero = zero_body().windows(3).position(|w| w == b"0\r\n").unwrap();
        assert!(stops_at_zero(zero + 3) && stops_at_zero(900));
        assert!(!stops_at_zero(zero) && !stops_at_zero(zero_body().len()));
    }
}
