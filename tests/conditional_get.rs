//! The conditional and the partial GET end to end, on the real binary: a large file's range
//! and several ranges come whole and exact in both connection models while the server's
//! memory stays small (the ranges go out with sendfile, never through memory); and what a
//! student types — `probe --range`, `--if-none-match`, `--if-modified-since` — gets 206 and
//! 304, with the access log saying so.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::binary::{Served, spawn_serve};
use common::client::{connect, read_until_closed};
use httplab::http::multipart;
use httplab::http::range::ContentRange;
use httplab::server::Model;
use httplab::wire::message;

/// 48 MiB: large enough that reading a range into memory would show in the server's RSS.
const BIG: usize = 48 << 20;

fn big_file() -> Vec<u8> {
    (0..BIG).map(|i| (i % 253) as u8).collect()
}

/// One request on its own connection, read to the close; the head and the body.
fn exchange(served: &Served, request: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut stream = connect(served.addr);
    stream.write_all(request).unwrap();
    let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(30));
    assert!(closed, "the server closes after Connection: close");
    let end = message::head_end(&bytes).expect("a whole head");
    (bytes[..end].to_vec(), bytes[end..].to_vec())
}

fn ranged(range: &str) -> Vec<u8> {
    format!("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n")
        .into_bytes()
}

fn field<'a>(head: &'a [u8], name: &str) -> &'a [u8] {
    message::field(head, name).unwrap_or_else(|| panic!("no {name} in {head:?}"))
}

/// `(first, last)` of a Content-Range for a file of BIG bytes.
fn labelled(range: Option<ContentRange>) -> (usize, usize) {
    match range {
        Some(ContentRange::Range {
            first,
            last,
            complete: Some(complete),
        }) if complete == BIG as u64 => (first as usize, last as usize),
        other => panic!("Content-Range {other:?}"),
    }
}

#[test]
fn a_large_files_ranges_stream_exactly_in_both_models() {
    let big = big_file();
    for model in [Model::Events, Model::Threads] {
        let served = Served::start(model, &[], |site| {
            std::fs::write(site.join("big.bin"), &big).unwrap()
        });
        let before = served.rss_kib();

        let (head, body) = exchange(&served, &ranged("bytes=1000000-40999999"));
        assert!(head.starts_with(b"HTTP/1.1 206 Partial Content\r\n"));
        let (first, last) = labelled(ContentRange::parse(field(&head, "content-range")));
        assert_eq!((first, last), (1_000_000, 40_999_999));
        assert_eq!(field(&head, "content-length"), b"40000000");
        assert!(
            body == big[first..=last],
            "{model:?}: the 206 body is not the range"
        );

        let (head, body) = exchange(&served, &ranged("bytes=0-9999999,30000000-40000000,-1"));
        assert!(head.starts_with(b"HTTP/1.1 206 Partial Content\r\n"));
        let boundary = multipart::boundary_of(field(&head, "content-type")).unwrap();
        let parts = multipart::parse(&body, boundary).unwrap();
        let got: Vec<(usize, usize)> = parts.iter().map(|p| labelled(p.content_range)).collect();
        assert_eq!(
            got,
            [(0, 9_999_999), (30_000_000, 40_000_000), (BIG - 1, BIG - 1)]
        );
        for (part, (first, last)) in parts.iter().zip(got) {
            assert!(
                part.data == &big[first..=last],
                "{model:?}: part {first}-{last}"
            );
        }
        let content_length: usize = std::str::from_utf8(field(&head, "content-length"))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(content_length, body.len());

        let grown = served.peak_rss_kib().saturating_sub(before);
        eprintln!("{model:?}: 40 MB and 20 MB of ranges sent; peak RSS grew {grown} KiB");
        assert!(
            grown < 16 * 1024,
            "{model:?}: the ranges went through memory ({grown} KiB)"
        );
    }
}

/// `httplab probe 127.0.0.1 PORT PATH ARGS --format json`: the first exchange's analysis.
fn probe(port: u16, path: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args([
            "probe",
            "127.0.0.1",
            &port.to_string(),
            path,
            "--format",
            "json",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    report["exchanges"][0]["analysis"].clone()
}

fn field_of(analysis: &serde_json::Value, name: &str) -> String {
    analysis["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pair| {
            pair[0]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|pair| pair[1].as_str())
        .unwrap_or_else(|| panic!("no {name} in {analysis}"))
        .to_string()
}

fn faults(analysis: &serde_json::Value) -> Vec<String> {
    analysis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["level"] != "good" && f["id"] != "no-close")
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn probe_asks_for_a_conditional_and_a_partial_get_and_the_log_shows_them() {
    let log = tempfile::NamedTempFile::new().unwrap();
    let stderr = Stdio::from(log.reopen().unwrap());
    let mut serving = spawn_serve(Path::new("fixtures"), &[], stderr).unwrap();
    let port = serving.port;

    let first = probe(port, "/index.html", &[]);
    assert_eq!(first["code"], 200);
    let etag = field_of(&first, "ETag");
    let last_modified = field_of(&first, "Last-Modified");
    assert_eq!(field_of(&first, "Cache-Control"), "no-cache");

    for (args, code) in [
        (vec!["--if-none-match", etag.as_str()], 304),
        (vec!["--if-modified-since", last_modified.as_str()], 304),
        (vec!["--if-none-match", "\"old\""], 200),
        (vec!["--range", "10-20"], 206),
        (vec!["--range", "bytes=0-0,-1"], 206),
        (vec!["--range", "99999-"], 416),
    ] {
        let analysis = probe(port, "/index.html", &args);
        assert_eq!(analysis["code"], code, "{args:?}: {analysis}");
        assert!(
            faults(&analysis).is_empty(),
            "{args:?}: {:?}",
            faults(&analysis)
        );
        if code == 206 && args[1] == "10-20" {
            assert_eq!(field_of(&analysis, "Content-Range"), "bytes 10-20/1012");
            assert_eq!(analysis["body_len"], 11);
        }
    }

    // SAFETY: kill(2) on the PID of the child this test started and has not reaped.
    unsafe { libc::kill(serving.child.id() as libc::pid_t, libc::SIGTERM) };
    assert!(serving.child.wait().unwrap().success());
    let log = std::fs::read_to_string(log.path()).unwrap();
    let statuses: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("\"GET /index.html HTTP/1.1\""))
        .filter_map(|line| line.rsplit(' ').nth(1))
        .collect();
    assert_eq!(
        statuses,
        ["200", "304", "304", "200", "206", "206", "416"],
        "{log}"
    );
}
