//! `httplab check` proven: all green against httplab, exactly the right failures against
//! each `serve --flaw`, and the truth about servers we did not write — the seed's own Python
//! servers, Python's http.server and nginx — so a change that makes the checker lie about a
//! real server fails the build.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::peers::{self, Peer};
use httplab::check::runner::Suite;
use httplab::check::{Docroot, Part, SuiteConfig, Verdict, run};
use httplab::report;
use httplab::wire::report::Style;

use Verdict::{Fail, Skip, Warn};

fn check(port: u16) -> Suite {
    run(&SuiteConfig::new("127.0.0.1", port))
}

/// The checks that did not pass, with their verdicts.
fn not_passed(suite: &Suite) -> BTreeMap<&'static str, Verdict> {
    suite
        .results
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .map(|r| (r.check.id, r.verdict))
        .collect()
}

fn assert_not_passed(what: &str, suite: &Suite, expected: &[(&'static str, Verdict)]) {
    assert_not_passed_except(what, suite, expected, &[]);
}

/// As `assert_not_passed`, but the checks in `either` may pass or fail.
fn assert_not_passed_except(
    what: &str,
    suite: &Suite,
    expected: &[(&'static str, Verdict)],
    either: &[&str],
) {
    let mut expected: BTreeMap<&'static str, Verdict> = expected.iter().copied().collect();
    expected.retain(|id, _| !either.contains(id));
    let mut got = not_passed(suite);
    got.retain(|id, _| !either.contains(id));
    assert_eq!(
        got,
        expected,
        "{what}: the checks that did not pass differ from what this server really does; the report:\n{}",
        report::verbose::render(suite, Style { color: false })
    );
}

/// The note a passed check left (what it saw), or "" when it left none.
fn note(suite: &Suite, id: &str) -> String {
    let result = suite.results.iter().find(|r| r.check.id == id);
    match result.map(|r| &r.judgement) {
        Some(httplab::check::Judgement::Pass { note }) => note.clone().unwrap_or_default(),
        other => panic!("{id} did not pass: {other:?}"),
    }
}

#[test]
fn httplab_passes_every_check() {
    let peer = peers::httplab(&[]);
    let started = Instant::now();
    let suite = check(peer.port);
    let elapsed = started.elapsed();
    assert_not_passed("httplab serve", &suite, &[]);
    assert!(note(&suite, "http.range").starts_with("206, 416 and multipart"));
    assert_eq!(suite.results.len(), httplab::check::catalogue::CHECKS.len());
    assert_eq!(suite.exit_code(), 0);
    eprintln!("the whole suite against httplab took {elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn httplab_passes_every_check_in_both_models() {
    for model in ["events", "threads"] {
        let peer = peers::httplab_with(&["--model", model]);
        assert_not_passed(
            &format!("httplab serve --model {model}"),
            &check(peer.port),
            &[],
        );
    }
    let one_worker = peers::httplab_with(&["--workers", "1"]);
    assert_not_passed("httplab serve --workers 1", &check(one_worker.port), &[]);
}

/// Each flaw, and the checks it must fail — no more, no fewer.
const FLAWS: &[(&str, &[(&str, Verdict)])] = &[
    ("leading-space", &[("wire.status-line", Fail)]),
    ("bare-lf", &[("wire.crlf", Fail)]),
    ("char-length", &[("wire.content-length", Fail)]),
    ("byte-per-send", &[("wire.segments", Warn)]),
    ("single-recv", &[("robust.split-request", Fail)]),
    ("single-thread", &[("assignment.concurrent", Fail)]),
    ("die-on-empty", &[("robust.empty-connection", Fail)]),
    (
        "bad-404",
        &[("assignment.not-found", Fail), ("wire.reason", Warn)],
    ),
    ("text-mode", &[("wire.binary", Fail)]),
    ("no-traversal-guard", &[("security.traversal", Fail)]),
];

#[test]
fn every_flaw_fails_exactly_its_checks() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = FLAWS
            .iter()
            .map(|(flaw, expected)| {
                scope.spawn(move || {
                    let peer = peers::httplab(&[flaw]);
                    let suite = check(peer.port);
                    let expected: BTreeMap<&str, Verdict> = expected.iter().copied().collect();
                    let got = not_passed(&suite);
                    (got != expected).then(|| {
                        format!(
                            "--flaw {flaw}: expected {expected:?}, got {got:?}\n{}",
                            report::verbose::render(&suite, Style { color: false })
                        )
                    })
                })
            })
            .collect();
        runs.into_iter().filter_map(|r| r.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_server_that_dies_on_an_empty_connection_is_reported_as_down() {
    let peer = peers::httplab(&["die-on-empty"]);
    let suite = check(peer.port);
    assert_eq!(suite.died_after, Some("robust.empty-connection"));
    let text = report::verbose::render(&suite, Style { color: false });
    assert!(
        text.contains("The server stopped answering after robust.empty-connection"),
        "{text}"
    );
    assert_eq!(suite.exit_code(), 1);
}

/// What both of the seed's servers get wrong: the same handler code.
const SEED_FAULTS: &[(&str, Verdict)] = &[
    ("assignment.not-found", Fail),
    ("wire.status-line", Fail),
    ("wire.crlf", Fail),
    ("wire.content-length", Fail),
    ("wire.content-type", Warn),
    ("wire.date", Fail),
    ("wire.reason", Warn),
    ("wire.segments", Warn),
    ("wire.binary", Fail),
    ("http.head", Fail),
    ("http.method-not-allowed", Warn),
    ("http.unknown-method", Warn),
    ("http.version", Warn),
    ("http.host-required", Fail),
    ("http.query", Warn),
    ("http.percent-decoding", Warn),
    ("http.directory", Warn),
    ("http.whitespace-before-colon", Fail),
    ("http.conflicting-length", Fail),
    ("http.absolute-form", Fail),
    ("http.not-modified", Warn),
    // No ETag; If-None-Match and If-Match are not read. (Range is ignored: allowed.)
    ("http.etag", Warn),
    ("http.conditional", Warn),
    ("robust.split-request", Fail),
    ("robust.large-head", Fail),
    ("security.traversal", Fail),
];

#[test]
fn the_seeds_single_threaded_server() {
    let peer: Peer = peers::seed_server("seed_server.py");
    let suite = check(peer.port);
    // Graded on its wire format before anything can kill it; the PNG (read in text mode)
    // kills it, and the checks after are skipped, not failed.
    assert_eq!(suite.died_after, Some("wire.binary"));
    let expected = [
        SEED_FAULTS,
        &[
            ("assignment.concurrent", Fail),
            ("robust.garbage", Skip),
            ("robust.empty-connection", Skip),
        ],
    ]
    .concat();
    assert_not_passed_except(
        "the seed's single-threaded server",
        &suite,
        &expected,
        // One thread and listen(1): twenty clients at once overflow the accept queue, the
        // kernel drops their handshakes and they retry after growing pauses, so whether the
        // last is served within the check's patience depends on the machine's load.
        &["assignment.parallel"],
    );
}

#[test]
fn the_seeds_multithreaded_server() {
    let peer: Peer = peers::seed_server("seed_threaded_server.py");
    let suite = run(&SuiteConfig {
        timeout: Duration::from_secs(2),
        ..SuiteConfig::new("127.0.0.1", peer.port)
    });
    // A thread that dies on the PNG leaves its socket open: the server lives on.
    assert_eq!(suite.died_after, None);
    // Garbage that splits into two words is taken for a request (404 for its second word).
    let expected = [SEED_FAULTS, &[("robust.garbage", Fail)]].concat();
    assert_not_passed_except("the seed's multithreaded server", &suite, &expected, &[]);
}

#[test]
fn python_http_server() {
    let peer = peers::python_http_server();
    let suite = check(peer.port);
    assert_not_passed(
        "python3 -m http.server",
        &suite,
        &[
            // "404 File not found"
            ("wire.reason", Warn),
            // Its error pages for HTTP/2.0 and for garbage go out HTTP/0.9-style: no status line.
            ("http.version", Warn),
            ("robust.garbage", Fail),
            // It does not check Host, field syntax or Content-Length on a GET...
            ("http.host-required", Fail),
            ("http.whitespace-before-colon", Fail),
            ("http.conflicting-length", Fail),
            // ...joins an absolute-form target to its folder as a path...
            ("http.absolute-form", Fail),
            // ...and closes on an empty line before the request line.
            ("http.leading-empty-line", Warn),
            // It sends Last-Modified and answers If-Modified-Since, but has no ETag, so
            // If-None-Match: * gets 200 (and If-Match is not read). It ignores Range: allowed.
            ("http.etag", Warn),
            ("http.conditional", Warn),
        ],
    );
    assert!(note(&suite, "http.range").starts_with("Range ignored"));
}

#[test]
fn nginx() {
    let peer = peers::nginx();
    let suite = check(peer.port);
    assert_not_passed(
        "nginx",
        &suite,
        &[
            // nginx answers POST and unknown methods on static files with a 405 that has no Allow.
            ("http.method-not-allowed", Warn),
            ("http.unknown-method", Warn),
        ],
    );
    // nginx has a strong ETag, 304/412, and serves 206, 416, If-Range and multipart.
    assert!(note(&suite, "http.etag").starts_with("ETag: \""));
    assert!(note(&suite, "http.range").starts_with("206, 416 and multipart"));
}

#[test]
fn a_server_that_never_answers_is_done_with_quickly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(40) {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let started = Instant::now();
    let suite = check(port);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert!(suite.silent.is_some());
    assert!(suite.results.iter().all(|r| r.verdict == Skip));
    assert_eq!(suite.exit_code(), 1);
    drop(holder);
}

#[test]
fn nothing_listening_is_exit_status_3() {
    let suite = check(peers::free_port());
    assert!(
        suite
            .unreachable
            .as_deref()
            .is_some_and(|w| w.contains("nothing listens"))
    );
    assert_eq!(suite.exit_code(), 3);
}

#[test]
fn a_docroot_without_a_fixture_skips_the_checks_that_need_it() {
    let peer = peers::httplab(&[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helloWorld.html"),
        httplab::fixtures::get("helloWorld.html").unwrap(),
    )
    .unwrap();
    let suite = run(&SuiteConfig {
        docroot: Docroot::Folder(dir.path().to_path_buf()),
        only: vec!["assignment".into(), "wire.binary".into()],
        ..SuiteConfig::new("127.0.0.1", peer.port)
    });
    let verdicts: BTreeMap<&str, Verdict> = suite
        .results
        .iter()
        .map(|r| (r.check.id, r.verdict))
        .collect();
    assert_eq!(verdicts["assignment.get"], Verdict::Pass);
    assert_eq!(verdicts["assignment.parallel"], Skip);
    assert_eq!(verdicts["wire.binary"], Skip);
    assert_eq!(verdicts.len(), 5, "--only takes prefixes: {verdicts:?}");
}

/// What a careful student's server leaves out, beyond the assignment: HEAD, the refusals
/// RFC 9112 asks for, redirects, percent-decoding, the conditional GET and its validators.
const CAREFUL_BEYOND: &[&str] = &[
    "http.absolute-form",
    "http.conditional",
    "http.conflicting-length",
    "http.directory",
    "http.etag",
    "http.head",
    "http.host-required",
    "http.method-not-allowed",
    "http.not-modified",
    "http.percent-decoding",
    "http.unknown-method",
    "http.version",
    "http.whitespace-before-colon",
    "robust.garbage",
];

/// A student-like server (tests/peers/students/), its planted bugs as the causes `check`
/// must name (in the order to fix them, and no other), and how its run is configured.
struct Student {
    script: &'static str,
    part_two: bool,
    causes: &'static [&'static str],
    /// Words the first cause's title must hold (what a crash happened on).
    title_has: &'static str,
    beyond: &'static [&'static str],
}

const STUDENTS: &[Student] = &[
    Student {
        script: "students/skeleton.py",
        part_two: false,
        causes: &["bare-lf", "bytes-after-body", "tiny-sends"],
        title_has: "\\n instead of \\r\\n",
        beyond: CAREFUL_BEYOND,
    },
    Student {
        script: "students/threaded_chars.py",
        part_two: true,
        causes: &["length-in-characters", "never-closes"],
        title_has: "characters, not bytes",
        beyond: CAREFUL_BEYOND,
    },
    Student {
        script: "students/eof_reader.py",
        part_two: true,
        causes: &["reads-until-close"],
        title_has: "waits for the client to close",
        beyond: &[],
    },
    Student {
        script: "students/crash_on_empty.py",
        part_two: false,
        causes: &["crash"],
        title_has: "a connection closed without sending a byte",
        beyond: CAREFUL_BEYOND,
    },
    Student {
        script: "students/crash_on_png.py",
        part_two: false,
        causes: &["crash"],
        title_has: "GET /logo.png",
        // Garbage comes after the crash: not run.
        beyond: &[
            "http.absolute-form",
            "http.conditional",
            "http.conflicting-length",
            "http.directory",
            "http.etag",
            "http.head",
            "http.host-required",
            "http.method-not-allowed",
            "http.not-modified",
            "http.percent-decoding",
            "http.unknown-method",
            "http.version",
            "http.whitespace-before-colon",
        ],
    },
];

/// Each student-like server: its causes are its planted bugs, one to one, in the order to
/// fix them, with nothing else; the report fits in 120 lines and leads with the verdict.
#[test]
fn each_student_servers_causes_are_its_planted_bugs() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = STUDENTS
            .iter()
            .map(|student| scope.spawn(move || judge_student(student)))
            .collect();
        runs.into_iter().filter_map(|r| r.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn judge_student(student: &Student) -> Option<String> {
    let peer = peers::seed_server(student.script);
    let suite = run(&SuiteConfig {
        part_two: student.part_two,
        ..SuiteConfig::new("127.0.0.1", peer.port)
    });
    let text = report::text::render(&suite, Style { color: false });
    let causes: Vec<&str> = suite
        .causes
        .iter()
        .filter(|c| c.part != Part::Beyond)
        .map(|c| c.id.as_str())
        .collect();
    let mut beyond: Vec<&str> = suite
        .causes
        .iter()
        .filter(|c| c.part == Part::Beyond)
        .map(|c| c.id.as_str())
        .collect();
    beyond.sort();
    let mut wrong = Vec::new();
    if causes != student.causes {
        wrong.push(format!("causes {causes:?}, planted {:?}", student.causes));
    }
    if beyond != student.beyond {
        wrong.push(format!("beyond the assignment {beyond:?}"));
    }
    if !suite.causes[0].title.contains(student.title_has) {
        wrong.push(format!("first cause titled {:?}", suite.causes[0].title));
    }
    let lines = text.lines().count();
    if lines > 120 {
        wrong.push(format!("{lines} lines"));
    }
    if !text.lines().nth(2).is_some_and(|l| l.starts_with("Part 1")) {
        wrong.push("the verdict of part 1 is not at the top".into());
    }
    if suite.exit_code() != 1 {
        wrong.push(format!("exit status {}", suite.exit_code()));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}\n{text}", student.script, wrong.join("; ")))
}

/// The seed's servers, as they are: their report fits in 120 lines too, and names their
/// bugs as causes.
#[test]
fn the_seeds_reports_teach_in_120_lines() {
    for (script, part_two) in [
        ("seed_server.py", false),
        ("seed_server.py", true),
        ("seed_threaded_server.py", true),
    ] {
        let peer = peers::seed_server(script);
        let suite = run(&SuiteConfig {
            part_two,
            timeout: Duration::from_secs(2),
            ..SuiteConfig::new("127.0.0.1", peer.port)
        });
        let text = report::text::render(&suite, Style { color: false });
        assert!(
            text.lines().count() <= 120,
            "{script}: {} lines\n{text}",
            text.lines().count()
        );
        let causes: Vec<&str> = suite.causes.iter().map(|c| c.id.as_str()).collect();
        for cause in [
            "status-line-prefix",
            "no-head-end",
            "bare-lf",
            "length-in-characters",
            "single-recv",
            "tiny-sends",
            "reason-phrase",
        ] {
            assert!(causes.contains(&cause), "{script}: {cause} in {causes:?}");
        }
    }
}
