//! `httplab serve --show-requests`, the real binary, with the seed's own client
//! (`tests/peers/clients/seed_client.py`): it sends `GET /helloWorld.html` — no version, no
//! line end — and waits. At the head deadline (1 s here) the client gets a 408 whose body says
//! what arrived and what was missing, and the server's log shows, under the access-log line,
//! the explanation and the client's exact bytes. Then a good request and a binary one, so the
//! snapshot shows a 200, and a 400 with its hex dump. Both connection models write the same.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::binary::spawn_serve;
use common::client::{connect, read_to_close};

/// The seed's client against the server on `port`, killed (by its PID) after 10 s at most.
fn run_seed_client(port: u16) -> Output {
    let child = Command::new("python3")
        .arg("tests/peers/clients/seed_client.py")
        .args(["127.0.0.1", &port.to_string(), "/helloWorld.html"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs the seed's client");
    wait_bounded(child, Duration::from_secs(10))
}

/// Waits for `child` until `within`, then kills it; its output either way. Its output is
/// small (one line), so the pipes never fill while it runs.
fn wait_bounded(mut child: Child, within: Duration) -> Output {
    let deadline = Instant::now() + within;
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().expect("the client's output")
}

/// Sends `request` on a new connection and reads until the server closes it.
fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    read_to_close(&mut stream)
}

/// The log once it holds `lines` access-log lines (bounded wait).
fn log_with(path: &Path, lines: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut log = String::new();
        if let Ok(mut file) = File::open(path) {
            let _ = file.read_to_string(&mut log);
        }
        let count = log.lines().filter(|l| l.starts_with("127.0.0.1 ")).count();
        if count >= lines || Instant::now() >= deadline {
            return log;
        }
        sleep(Duration::from_millis(20));
    }
}

/// The log with each access-log line's time left out.
fn without_times(log: &str) -> String {
    log.lines()
        .map(|line| match (line.find(" - - ["), line.find("] \"")) {
            (Some(start), Some(end)) if line.starts_with("127.0.0.1") => {
                format!("{} - - [TIME{}\n", &line[..start], &line[end..])
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

/// One model's run: the seed's client, a good request, a binary one; the log without times.
fn run(model: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stderr.log");
    let log = File::create(&log_path).unwrap();
    let args = ["--show-requests", "--head-timeout", "1", "--model", model];
    let mut serving = spawn_serve(Path::new("fixtures"), &args, log.into())
        .unwrap_or_else(|banner| panic!("no port in the banner {banner:?}"));
    let addr = SocketAddr::from(([127, 0, 0, 1], serving.port));

    let client = run_seed_client(serving.port);
    let printed = String::from_utf8_lossy(&client.stdout).into_owned();
    let first = log_with(&log_path, 1);
    let good = exchange(
        addr,
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    log_with(&log_path, 2);
    let refused = exchange(addr, b"\x00\xff garbage \x01\r\n\r\n");
    let all = log_with(&log_path, 3);
    let _ = serving.child.kill();
    let _ = serving.child.wait();

    assert!(
        printed.starts_with("Received b'HTTP/1.1 408 Request Timeout\\r\\n"),
        "{model}: the seed's client printed {printed:?}; stderr {:?}",
        String::from_utf8_lossy(&client.stderr)
    );
    assert!(
        printed.contains("after 1 s the request head had not ended: 20 bytes arrived")
            && printed.contains("a request line with no HTTP version and no line end"),
        "{model}: the 408 names the missing version and line end: {printed}"
    );
    assert!(
        first.contains("\"GET /helloWorld.html\" 408 ")
            && first.contains("  \u{21b3} why: after 1 s the request head had not ended")
            && first.contains(
                "  \u{21b3} the request as it arrived, 20 bytes:\n    | GET /helloWorld.html\n"
            ),
        "{model}: the log shows the client's exact bytes, with no \\r\\n: {first}"
    );
    assert!(good.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(refused.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    without_times(&all)
}

#[test]
fn the_seeds_client_gets_a_408_that_explains_and_the_log_shows_its_bytes() {
    let events = run("events");
    let threads = run("threads");
    assert_eq!(events, threads, "both models write the same log");
    snapshot!("show_requests__log", events);
}
