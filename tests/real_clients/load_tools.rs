//! Load tools: ApacheBench (`ab`) and h2load, 20,000 requests 50 at once.

use std::process::Command;
use std::time::Duration;

use crate::harness::{Server, alone, run_bounded, succeeded, text, tool};

/// The number after `label` at the start of a line of `report` (`Failed requests:        0`).
fn number_after(report: &str, label: &str) -> Option<f64> {
    report.lines().find_map(|line| {
        line.trim_start()
            .strip_prefix(label)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

#[test]
fn ab_keep_alive_20000_requests_50_at_once_all_succeed() {
    let Some(ab) = tool("ab", "apache2-utils") else {
        return;
    };
    let _alone = alone();
    let server = Server::quiet();
    let output = run_bounded(
        Command::new(ab)
            .args(["-k", "-n", "20000", "-c", "50", "-s", "20"])
            .arg(server.url("/helloWorld.html")),
        Duration::from_secs(120),
    );
    let report = text(&output.stdout);
    succeeded("ab", &output);
    let complete = number_after(&report, "Complete requests:");
    let failed = number_after(&report, "Failed requests:");
    // ab prints this line only when some response was not 2xx.
    let non_2xx = number_after(&report, "Non-2xx responses:").unwrap_or(0.0);
    let keep_alive = number_after(&report, "Keep-Alive requests:");
    let rate = number_after(&report, "Requests per second:");
    eprintln!(
        "ab -k -n 20000 -c 50: {complete:?} complete, {failed:?} failed, {non_2xx} non-2xx, \
         {keep_alive:?} kept alive, {rate:?} req/s"
    );
    assert_eq!(complete, Some(20000.0), "{report}");
    assert_eq!(failed, Some(0.0), "{report}");
    assert_eq!(non_2xx, 0.0, "{report}");
    assert_eq!(
        keep_alive,
        Some(20000.0),
        "every request on a kept-alive connection: {report}"
    );
    assert!(
        report.contains("Document Length:        47 bytes"),
        "{report}"
    );
    let (status, _, _) = server.stop();
    assert!(status.success());
}

#[test]
fn h2load_h1_20000_requests_50_at_once_all_succeed() {
    let Some(h2load) = tool("h2load", "nghttp2-client") else {
        return;
    };
    let _alone = alone();
    let server = Server::quiet();
    let output = run_bounded(
        Command::new(h2load)
            .args(["--h1", "-n", "20000", "-c", "50", "-N", "20s"])
            .arg(server.url("/helloWorld.html")),
        Duration::from_secs(120),
    );
    let report = text(&output.stdout);
    succeeded("h2load", &output);
    // requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout
    let requests = report
        .lines()
        .find_map(|line| line.strip_prefix("requests: "))
        .unwrap_or_else(|| panic!("no requests line: {report}"));
    let count = |what: &str| -> u64 {
        requests
            .split(", ")
            .find_map(|part| part.strip_suffix(what)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {what:?} in {requests:?}"))
    };
    // status codes: 20000 2xx, 0 3xx, 0 4xx, 0 5xx
    let codes = report
        .lines()
        .find_map(|line| line.strip_prefix("status codes: "))
        .unwrap_or_else(|| panic!("no status codes line: {report}"));
    let code = |class: &str| -> u64 {
        codes
            .split(", ")
            .find_map(|part| part.strip_suffix(class)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {class:?} in {codes:?}"))
    };
    let finished = report
        .lines()
        .find(|line| line.starts_with("finished in "))
        .unwrap_or_default();
    eprintln!(
        "h2load --h1 -n 20000 -c 50: {finished}; requests: {requests}; status codes: {codes}"
    );
    assert_eq!(count(" total"), 20000, "{report}");
    assert_eq!(count(" succeeded"), 20000, "{report}");
    assert_eq!(count(" failed"), 0, "{report}");
    assert_eq!(count(" errored"), 0, "{report}");
    assert_eq!(count(" timeout"), 0, "{report}");
    assert_eq!(code(" 2xx"), 20000, "{report}");
    for class in [" 3xx", " 4xx", " 5xx"] {
        assert_eq!(code(class), 0, "{report}");
    }
    let (status, _, _) = server.stop();
    assert!(status.success());
}
