//! The `httplab` binary as a user runs it: the banner, curl against it, clear errors, and a
//! clean exit on SIGTERM.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::spawn_serve;
use common::client::HELLO;

/// A child process that is killed if the test ends early (a failed assertion).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

/// `httplab serve FOLDER --port 0`, returning the child (its stderr piped) and the URL from
/// its banner.
fn serve(folder: &str) -> (Running, String) {
    let serving = spawn_serve(Path::new(folder), &[], Stdio::piped())
        .unwrap_or_else(|banner| panic!("no port in banner {banner:?}"));
    let banner = serving.banner;
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in banner {banner:?}"))
        .trim_end_matches('/')
        .to_string();
    assert!(
        banner.starts_with("Serving fixtures at http://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.ends_with("/ (Ctrl-C to stop)\n"), "{banner}");
    (Running(serving.child), url)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed (just test installs it)")
}

#[test]
fn curl_gets_the_page_byte_for_byte_and_the_rest_as_expected() {
    let (mut child, url) = serve("fixtures");

    let page = curl(&["--include", &format!("{url}/helloWorld.html")]);
    let text = String::from_utf8_lossy(&page.stdout).to_string();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        page.stdout
            .ends_with(&[b"\r\n\r\n".as_slice(), HELLO].concat())
    );

    let missing = curl(&[
        "--write-out",
        "%{http_code}",
        "--output",
        "/dev/null",
        &format!("{url}/missing.html"),
    ]);
    assert_eq!(missing.stdout, b"404");

    let traversal = curl(&["--path-as-is", &format!("{url}/../Cargo.toml")]);
    assert!(!String::from_utf8_lossy(&traversal.stdout).contains("[package]"));
    let traversal = curl(&["--path-as-is", &format!("{url}/%2e%2e/Cargo.toml")]);
    assert!(!String::from_utf8_lossy(&traversal.stdout).contains("[package]"));

    let head = curl(&["--head", &format!("{url}/logo.png")]);
    let head = String::from_utf8_lossy(&head.stdout).to_string();
    assert!(
        head.contains("Content-Length: 2606\r\n") && head.contains("Content-Type: image/png\r\n"),
        "{head}"
    );

    let http10 = curl(&["-0", "--include", &format!("{url}/helloWorld.html")]);
    assert!(String::from_utf8_lossy(&http10.stdout).contains("Connection: close\r\n"));

    // Two URLs, one connection: curl says it re-used it, and both answers are right.
    let two = curl(&[
        "--verbose",
        &format!("{url}/helloWorld.html"),
        &format!("{url}/helloWorld.html"),
    ]);
    let log = String::from_utf8_lossy(&two.stderr);
    assert!(log.contains("Re-using existing connection"), "{log}");
    assert_eq!(two.stdout, [HELLO, HELLO].concat());

    assert!(terminate(&mut child).success(), "SIGTERM exits 0");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("\"GET /helloWorld.html HTTP/1.1\" 200 47\n"),
        "access log in Common Log Format: {stderr}"
    );
}

#[test]
fn a_busy_port_is_one_clear_line_and_a_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(["serve", "fixtures", "--port", &port])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_missing_folder_is_one_clear_line_and_a_failure() {
    let output = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(["serve", "no-such-folder", "--port", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "httplab: cannot serve 'no-such-folder': no such folder"
    );
}

fn httplab(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn probe_prints_request_hex_text_analysis_and_transcript() {
    let (mut child, url) = serve("fixtures");
    let port = url.rsplit(':').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("t.txt");
    let output = httplab(&[
        "probe",
        "127.0.0.1",
        &port,
        "/helloWorld.html",
        "--transcript",
        saved.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let sections = [
        "── request (",
        "── response: hex (",
        "── response: text (",
        "── analysis ──",
        "── transcript",
    ];
    let mut at = 0;
    for section in sections {
        at += text[at..]
            .find(section)
            .unwrap_or_else(|| panic!("{section} after byte {at} in\n{text}"));
    }
    assert!(text.contains("  GET /helloWorld.html HTTP/1.1\\r\\n\n"));
    assert!(text.contains("|HTTP/1.1 200 OK.|"));
    assert!(text.contains("✓ body: 47 bytes, as Content-Length says"));
    assert!(
        !text.contains('✗') && !text.contains("\x1b["),
        "clean, and no colour when piped"
    );
    let saved = std::fs::read_to_string(saved).unwrap();
    assert!(saved.starts_with("transcript of a connection to 127.0.0.1:"));
    // The whole response in one read: its length as the response section gives it.
    let length = text
        .split("── response: text (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    assert!(saved.contains(&format!("read {length} bytes ←")), "{saved}");

    let json = httplab(&["probe", "127.0.0.1", &port, "/logo.png", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["outcome"], "answered");
    assert_eq!(report["exchanges"][0]["analysis"]["code"], 200);
    assert_eq!(report["exchanges"][0]["analysis"]["body_len"], 2606);

    let raw = httplab(&[
        "probe",
        "127.0.0.1",
        &port,
        "--raw",
        r"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "--format",
        "text",
    ]);
    assert!(String::from_utf8_lossy(&raw.stdout).contains("HTTP/1.1 400 Bad Request\\r\\n"));

    let repeated = httplab(&[
        "probe",
        "127.0.0.1",
        &port,
        "/helloWorld.html",
        "--repeat",
        "3",
        "--format",
        "text",
    ]);
    let repeated = String::from_utf8(repeated.stdout).unwrap();
    assert!(
        repeated.contains("── request 3 of 3 (") && repeated.contains("Connection: close\\r\\n")
    );
    assert_eq!(repeated.matches("connect 127.0.0.1").count(), 1);
    terminate(&mut child);
}

#[test]
fn probe_says_clearly_when_nothing_listens() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let output = httplab(&["probe", "127.0.0.1", &port, "/helloWorld.html"]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        format!("httplab: nothing listens on 127.0.0.1:{port} — is your server running?")
    );
}

#[test]
fn probe_times_out_on_a_silent_server_and_says_so() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let started = Instant::now();
    let output = httplab(&["probe", "127.0.0.1", &port, "/", "--timeout", "0.5"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no response arrived within 0.5 s"));
    drop(silent);
}

#[test]
fn probe_reports_a_close_without_an_answer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let closer = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1024];
        let _ = std::io::Read::read(&mut stream, &mut buf);
    });
    let output = httplab(&["probe", "127.0.0.1", &port, "/"]);
    closer.join().unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("closed the connection without sending a byte")
    );
}

#[test]
fn check_writes_a_json_report_and_exits_by_its_verdict() {
    let (mut child, url) = serve("fixtures");
    let port = url.rsplit(':').next().unwrap().to_string();
    let output = httplab(&[
        "check",
        "127.0.0.1",
        &port,
        "--json",
        "-",
        "--only",
        "assignment,wire.crlf",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["target"], format!("127.0.0.1:{port}"));
    assert_eq!(report["passed"], 5);
    for key in ["failed", "warnings", "skipped"] {
        assert_eq!(report[key], 0, "{key}");
    }
    assert_eq!(report["parts"]["one"], true);
    assert_eq!(report["causes"].as_array().map(Vec::len), Some(0));
    let first = &report["checks"][0];
    for key in [
        "id",
        "level",
        "part",
        "cause",
        "result",
        "title",
        "reference",
        "expected",
        "got",
        "evidence",
    ] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }
    terminate(&mut child);

    let serving = spawn_serve(
        Path::new("fixtures"),
        &["--quiet", "--flaw", "leading-space"],
        Stdio::null(),
    )
    .unwrap();
    let mut flawed = Running(serving.child);
    let port = serving.port.to_string();
    let record = tempfile::tempdir().unwrap();
    let output = httplab(&[
        "check",
        "127.0.0.1",
        &port,
        "--only",
        "wire.status-line",
        "--verbose",
        "--record",
        record.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "a part 1 check failed");
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("✗ wire.status-line") && text.contains("1 byte(s) before HTTP/"),
        "{text}"
    );
    assert!(
        text.contains("20 48 54 54 50 2f 31 2e  31 20 32 30 30 20 4f 4b  | HTTP/1.1 200 OK|"),
        "hex evidence: {text}"
    );
    let transcript = std::fs::read_to_string(record.path().join("wire.status-line.txt")).unwrap();
    assert!(
        transcript.contains("20 48 54 54 50 2f 31 2e"),
        "{transcript}"
    );
    terminate(&mut flawed);

    let nothing = httplab(&["check", "127.0.0.1", &port]);
    assert_eq!(nothing.status.code(), Some(3), "nothing listens any more");
    let text = String::from_utf8_lossy(&nothing.stdout);
    assert!(text.contains("nothing listens"), "{text}");
}

#[test]
fn check_teaches_by_default_and_writes_json_beside_the_text() {
    let serving = spawn_serve(
        Path::new("fixtures"),
        &["--quiet", "--flaw", "bare-lf,leading-space"],
        Stdio::null(),
    )
    .unwrap();
    let mut flawed = Running(serving.child);
    let url = format!("http://127.0.0.1:{}/", serving.port);
    let json = tempfile::NamedTempFile::new().unwrap();
    let html = tempfile::NamedTempFile::new().unwrap();
    let output = httplab(&[
        "check",
        &url,
        "--json",
        json.path().to_str().unwrap(),
        "--html",
        html.path().to_str().unwrap(),
    ]);
    terminate(&mut flawed);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[2].starts_with("Part 1 — the web server: not done yet — 2 causes"),
        "the verdict first: {text}"
    );
    assert!(
        lines[3].contains("1. Something comes before HTTP/"),
        "{text}"
    );
    assert!(
        lines[4].contains("2. Lines of the head end in \\n"),
        "{text}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap()).unwrap();
    let causes: Vec<&str> = report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(causes, ["status-line-prefix", "bare-lf"]);
    let crlf = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "wire.crlf")
        .unwrap();
    assert_eq!(crlf["cause"], "bare-lf");
    let page = std::fs::read_to_string(html.path()).unwrap();
    assert!(page.contains("id=\"check-wire.crlf\"") && page.contains("<svg"));
}

#[test]
fn check_refuses_bad_arguments_with_a_usage_error() {
    for (args, says) in [
        (&["--only", "assignmnet"][..], "no check has such an id"),
        (&["--skip", "wire.crfl"][..], "no check has such an id"),
        (&["--timeout", "0"][..], "more than 0"),
        (&["--timeout", "9999"][..], "more than the 120 s"),
        (&["https://127.0.0.1/"][..], "plain HTTP"),
        (&["127.0.0.1", "99999"][..], ""),
        (&["--part", "3"][..], ""),
    ] {
        let output = httplab(&[&["check"][..], args].concat());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn fixtures_refuses_to_overwrite_a_students_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("helloWorld.html");
    std::fs::write(&mine, "<p>my own page</p>").unwrap();
    let output = httplab(&["fixtures", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("helloWorld.html") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        "<p>my own page</p>"
    );
    assert!(!dir.path().join("logo.png").exists(), "nothing written");
    // Files already identical are no conflict; --force overwrites the others.
    let output = httplab(&["fixtures", "--force", dir.path().to_str().unwrap()]);
    assert!(output.status.success());
    let again = httplab(&["fixtures", dir.path().to_str().unwrap()]);
    assert!(again.status.success(), "the same files again: no conflict");
}

#[test]
fn fixtures_are_written_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let output = httplab(&["fixtures", dir.path().to_str().unwrap()]);
    assert!(output.status.success());
    for (path, bytes) in httplab::fixtures::FILES {
        assert_eq!(
            std::fs::read(dir.path().join(path)).unwrap(),
            *bytes,
            "{path}"
        );
    }
}

#[test]
fn a_flaw_that_exposes_files_refuses_to_leave_loopback() {
    let output = httplab(&[
        "serve",
        "fixtures",
        "--port",
        "0",
        "--bind",
        "0.0.0.0",
        "--flaw",
        "no-traversal-guard",
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback only"));
}
