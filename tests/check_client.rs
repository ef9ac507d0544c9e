//! `check-client`: the seed's client and a half-fixed one get their planted bugs as causes,
//! one to one; a careful raw-socket client, curl, wget and a Python `http.client` script
//! pass with no failure; a hostile client is bounded and leaves nothing behind.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `httplab check-client --json - -- ARGS` in a fresh folder holding the peer client
/// `script` (if any), bounded.
fn check_client(script: Option<&str>, args: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(script) = script {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/peers/clients")
            .join(script);
        std::fs::copy(source, dir.path().join(script)).unwrap();
    }
    let output = bounded(
        Command::new(env!("CARGO_BIN_EXE_httplab"))
            .args(["check-client", "--json", "-", "--"])
            .args(args)
            .current_dir(dir.path())
            .env("HTTPLAB_TEST_MARK", dir.path()),
        Duration::from_secs(60),
    );
    let json = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{error}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        left_running(dir.path()).is_empty(),
        "{:?}",
        left_running(dir.path())
    );
    (output, json)
}

fn bounded(command: &mut Command, within: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("check-client did not finish within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Processes started by a run in `dir` that still live (by the mark in their environment).
fn left_running(dir: &Path) -> Vec<String> {
    let mark = format!("HTTPLAB_TEST_MARK={}", dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter(|e| {
            std::fs::read(e.path().join("environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == mark.as_bytes()))
        })
        .filter(|e| {
            !std::fs::read_to_string(e.path().join("stat")).is_ok_and(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

fn cause_ids(json: &serde_json::Value) -> Vec<String> {
    json["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn results(json: &serde_json::Value, verdict: &str) -> Vec<String> {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] == verdict)
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_seeds_client_is_told_its_request_never_ends() {
    let (output, json) = check_client(Some("seed_client.py"), &["python3", "seed_client.py"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        cause_ids(&json),
        ["request-incomplete", "crashes-without-server"]
    );
    assert_eq!(results(&json, "pass"), ["client.one-request"]);
    let first = &json["causes"][0];
    assert_eq!(first["evidence"]["request"]["text"], "GET /helloWorld.html");
    assert!(
        first["evidence"]["response"]["text"]
            .as_str()
            .unwrap()
            .starts_with("HTTP/1.1 408 Request Timeout"),
        "{first}"
    );
}

#[test]
fn a_half_fixed_client_gets_its_four_remaining_bugs() {
    let (output, json) = check_client(Some("halfway_client.py"), &["python3", "halfway_client.py"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        cause_ids(&json),
        [
            "prints-repr",
            "stops-at-zero",
            "reads-until-server-closes",
            "crashes-without-server"
        ]
    );
}

#[test]
fn a_careful_client_passes_everything() {
    let (output, json) = check_client(Some("careful_client.py"), &["python3", "careful_client.py"]);
    assert_eq!(output.status.code(), Some(0), "{json}");
    assert_eq!(results(&json, "pass").len(), 13, "{json}");
}

#[test]
fn curl_wget_and_python_http_client_pass_with_no_failure() {
    let python = "import http.client, sys\n\
                  h, p, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n\
                  try:\n    c = http.client.HTTPConnection(h, p, timeout=10); c.request('GET', path); r = c.getresponse()\n\
                  except OSError as e:\n    print('cannot fetch:', e, file=sys.stderr); sys.exit(1)\n\
                  print('HTTP/1.1', r.status, r.reason); sys.stdout.flush(); sys.stdout.buffer.write(r.read())\n";
    let url = "http://{host}:{port}{path}";
    for (name, args) in [
        ("curl", vec!["curl", "-s", url]),
        ("wget", vec!["wget", "-qO-", url]),
        (
            "python http.client",
            vec!["python3", "-c", python, "{host}", "{port}", "{path}"],
        ),
    ] {
        let (output, json) = check_client(None, &args);
        assert_eq!(output.status.code(), Some(0), "{name}: {json}");
        assert!(results(&json, "fail").is_empty(), "{name}: {json}");
    }
}

#[test]
fn a_hostile_client_is_bounded_and_leaves_nothing_behind() {
    // Forks a child that leaves its group and lingers, then never exits itself.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("client.py"),
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(300)\ntime.sleep(300)\n",
    )
    .unwrap();
    let started = Instant::now();
    let output = bounded(
        Command::new(env!("CARGO_BIN_EXE_httplab"))
            .args([
                "check-client",
                "--timeout",
                "1",
                "--",
                "python3",
                "client.py",
            ])
            .current_dir(dir.path())
            .env("HTTPLAB_TEST_MARK", dir.path()),
        Duration::from_secs(60),
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("Part 3 — the client: not done yet"),
        "{report}"
    );
    assert!(
        left_running(dir.path()).is_empty(),
        "{:?}",
        left_running(dir.path())
    );
}

#[test]
fn the_report_teaches_in_text_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/clients/seed_client.py");
    std::fs::copy(source, dir.path().join("client.py")).unwrap();
    let output = bounded(
        Command::new(env!("CARGO_BIN_EXE_httplab"))
            .args([
                "check-client",
                "--html",
                "report.html",
                "--",
                "python3",
                "client.py",
            ])
            .current_dir(dir.path())
            .env("NO_COLOR", "1"),
        Duration::from_secs(60),
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.lines().count() <= 60, "{text}");
    assert!(
        text.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("Part 3 — the client: not done yet")),
        "{text}"
    );
    assert!(
        text.contains("Sent  GET /helloWorld.html   (20 bytes, 1 line(s))"),
        "{text}"
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("your client") && html.contains("httplab (server)"));
    assert!(html.contains("id=\"check-client.keep-alive\""));
}
