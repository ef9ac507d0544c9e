//! `check --run`: check starts the student's server itself, in a copy of the student's folder
//! with the fixtures, restarts it after each crash with the traceback in the report, and
//! leaves nothing running — with polite and hostile programs, and on Ctrl-C.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::binary::wait_bounded;

/// `httplab ARGS` run in `dir`, bounded: killed after `within`. Every process it starts
/// inherits `HTTPLAB_TEST_MARK=<dir>`, by which [`left_running`] finds them.
fn httplab_in(dir: &Path, args: &[&str], within: Duration) -> Output {
    let child = spawn_in(dir, args);
    wait_bounded(child, within)
}

fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HTTPLAB_TEST_MARK", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A student's folder holding `script` as server.py (and a stale helloWorld.html of their
/// own, which the copy's fixtures replace).
fn student_folder(script: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    std::fs::copy(source, dir.path().join("server.py")).unwrap();
    std::fs::write(dir.path().join("helloWorld.html"), "<p>my draft</p>").unwrap();
    dir
}

/// The processes a run in `dir` started that still live (zombies aside), by the mark in
/// their environment.
fn left_running(dir: &Path) -> Vec<String> {
    let mark = format!("HTTPLAB_TEST_MARK={}", dir.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let marked = environ.split(|b| *b == 0).any(|v| v == mark.as_bytes());
        let zombie = std::fs::read_to_string(entry.path().join("stat")).is_ok_and(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        });
        if marked && !zombie {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{pid}: {}",
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            ));
        }
    }
    found
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_server_that_crashes_on_the_png_is_restarted_and_every_check_runs() {
    let dir = student_folder("students/crash_on_png.py");
    let output = httplab_in(
        dir.path(),
        &[
            "check",
            "--part",
            "1",
            "--run",
            "python3 server.py {port}",
            "--json",
            "report.json",
        ],
        Duration::from_secs(60),
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("The server crashed on \"GET /logo.png HTTP/1.1\""),
        "{report}"
    );
    assert!(
        report.contains("UnicodeDecodeError"),
        "the traceback: {report}"
    );
    assert!(
        report.contains("httplab started it again and went on"),
        "{report}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let skipped: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["result"] == "skip")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        skipped,
        ["assignment.concurrent", "assignment.parallel"],
        "every check ran but part 2's (--part 1)"
    );
    assert_eq!(json["deaths"][0]["during"], "wire.binary");
    assert_eq!(json["deaths"][0]["restarted"], true);
    assert_eq!(json["causes"][0]["id"], "crash");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("died 1 time(s) and was started again"),
        "{stderr}"
    );
    // The student's own folder is untouched: their draft is still there.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("helloWorld.html")).unwrap(),
        "<p>my draft</p>"
    );
    let left = left_running(dir.path());
    assert!(left.is_empty(), "left running: {left:?}");
}

/// A server without a loop around accept() ends with status 0 after each client: that is
/// the one cause, not a crash on whatever request came next.
#[test]
fn a_server_without_a_loop_is_taught_the_loop() {
    let dir = student_folder("students/no_loop.py");
    let output = httplab_in(
        dir.path(),
        &[
            "check",
            "--part",
            "1",
            "--run",
            "python3 server.py {port}",
            "--json",
            "report.json",
        ],
        Duration::from_secs(90),
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let part_one: Vec<&str> = json["causes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["part"] != "beyond")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(part_one, ["exits-after-answering"], "{report}");
    assert!(
        report.contains("The server stops after a client: no loop around accept()"),
        "{report}"
    );
    assert!(!report.contains("crashed"), "{report}");
    // Its exit is seen after the check it answered, every time (httplab waits for it to be
    // back in accept() or gone): each check that ran saw it end, so every run grades alike.
    let checks = json["checks"].as_array().unwrap();
    let ran = checks.iter().filter(|c| c["result"] != "skip").count();
    let deaths = json["deaths"].as_array().unwrap();
    assert_eq!(deaths.len(), ran, "{report}");
    assert!(
        deaths.iter().all(|d| d["how"] == "exited with status 0"),
        "{report}"
    );
    let left = left_running(dir.path());
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_fixed_port_that_cannot_be_bound_again_is_explained() {
    // The seed binds without SO_REUSEADDR and closes first: after its crash the port is held
    // by its connections in TIME_WAIT, and it cannot start again.
    let dir = student_folder("seed_server.py");
    let port = free_port().to_string();
    let command = format!("python3 server.py {port}");
    let output = httplab_in(
        dir.path(),
        &["check", &port, "--part", "1", "--run", &command],
        Duration::from_secs(60),
    );
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(report.contains("SO_REUSEADDR"), "{report}");
    assert!(
        report.contains("--only robust.garbage,robust.empty-connection"),
        "{report}"
    );
    assert!(left_running(dir.path()).is_empty());
}

#[test]
fn hostile_servers_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // A server that forks a child which leaves the process group and lingers, and ignores
    // SIGTERM itself.
    std::fs::write(
        dir.path().join("server.py"),
        r#"
import os, signal, socket, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(300)
    os._exit(0)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    c.recv(65536)
    c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi')
    c.close()
"#,
    )
    .unwrap();
    let output = httplab_in(
        dir.path(),
        &[
            "check",
            "--only",
            "assignment.get",
            "--run",
            "python3 server.py {port}",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let left = left_running(dir.path());
    assert!(left.is_empty(), "left running: {left:?}");
}

#[test]
fn a_server_that_does_not_start_is_one_clear_message_with_its_traceback() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("server.py"),
        "from socket import *\nprint(1/0)\n",
    )
    .unwrap();
    let output = httplab_in(
        dir.path(),
        &["check", "--run", "python3 server.py {port}"],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("your server did not start"), "{stderr}");
    assert!(stderr.contains("ZeroDivisionError"), "{stderr}");

    // One that runs but never listens.
    std::fs::write(
        dir.path().join("server.py"),
        "import time\ntime.sleep(60)\n",
    )
    .unwrap();
    let started = Instant::now();
    let output = httplab_in(
        dir.path(),
        &["check", "--run", "--", "python3", "server.py", "{port}"],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did not listen on port"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(left_running(dir.path()).is_empty());
}

#[test]
fn ctrl_c_stops_the_students_server_too() {
    let dir = tempfile::tempdir().unwrap();
    // Answers slowly: the run is still going when Ctrl-C comes.
    std::fs::write(
        dir.path().join("server.py"),
        r#"
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    time.sleep(2)
    c.close()
"#,
    )
    .unwrap();
    let child = spawn_in(dir.path(), &["check", "--run", "python3 server.py {port}"]);
    let pid = child.id() as i32;
    let started = Instant::now();
    // Until the server runs (httplab itself is marked too: wait for a second process).
    while left_running(dir.path()).len() < 2 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(left_running(dir.path()).len() >= 2, "the server started");
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: a signal to the child we started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let output = wait_bounded(child, Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(130));
    std::thread::sleep(Duration::from_millis(200));
    let left = left_running(dir.path());
    assert!(left.is_empty(), "left running: {left:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
