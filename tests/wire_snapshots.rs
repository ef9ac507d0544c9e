//! The exact bytes httplab puts on the wire, pinned by snapshots (in `snapshots/`, with CR and
//! LF spelled out). A fixed clock and an in-memory copy of the fixtures make them byte-stable.

mod common;

use std::time::Duration;

use httplab::http::explain::{explain_incomplete_head, explain_unfinished_body};
use httplab::render::visible;
use httplab::respond::timeout_response;
use httplab::site::Forbidden;
use httplab::{Answer, Outcome, Rules, respond};

fn answer(request: &[u8]) -> Answer {
    let view = common::fixture_view().with_forbidden("/secret-link", Forbidden::OutsideRoot);
    match respond(request, &view, common::now(), &Rules::default()) {
        Outcome::Answer(answer) => answer,
        Outcome::Incomplete => panic!("incomplete: {}", visible(request)),
    }
}

/// The whole response as it goes on the wire, made visible.
fn wire(request: &[u8]) -> String {
    visible(&answer(request).response.into_bytes().unwrap())
}

#[test]
fn get_200() {
    snapshot!(
        "wire__200_get",
        wire(b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn head_200_has_the_get_head_and_no_body() {
    let get = answer(b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\n\r\n");
    let head = answer(b"HEAD /helloWorld.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(get.response.head_bytes(), head.response.head_bytes());
    snapshot!(
        "wire__200_head",
        wire(b"HEAD /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn http10_closes_unless_asked_to_keep_alive() {
    let plain = answer(b"GET /helloWorld.html HTTP/1.0\r\n\r\n");
    assert!(plain.close);
    assert_eq!(
        plain.response.header("Connection").as_deref(),
        Some("close")
    );
    let kept = answer(b"GET /helloWorld.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(!kept.close);
    assert_eq!(
        kept.response.header("Connection").as_deref(),
        Some("keep-alive")
    );
    snapshot!(
        "wire__200_http10",
        wire(b"GET /helloWorld.html HTTP/1.0\r\n\r\n")
    );
}

#[test]
fn not_found_404() {
    let missing = answer(b"GET /missing.html HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        !missing.close,
        "a 404 is a normal answer: the connection stays open"
    );
    snapshot!(
        "wire__404",
        wire(b"GET /missing.html HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn folder_without_slash_301() {
    snapshot!(
        "wire__301",
        wire(b"GET /sub?x=1 HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn folder_with_slash_serves_its_index() {
    let index = answer(b"GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n");
    let bytes = index.response.into_bytes().unwrap();
    let expected = std::fs::read(common::fixtures_dir().join("sub/index.html")).unwrap();
    assert!(bytes.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(bytes.ends_with(&expected));
}

#[test]
fn folder_listing_200() {
    snapshot!(
        "wire__200_listing",
        wire(b"GET /listing/ HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn not_modified_304() {
    snapshot!(
        "wire__304",
        wire(b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Sun, 01 Nov 2026 12:00:00 GMT\r\n\r\n")
    );
}

#[test]
fn forbidden_403() {
    snapshot!(
        "wire__403",
        wire(b"GET /secret-link HTTP/1.1\r\nHost: localhost:6789\r\n\r\n")
    );
}

#[test]
fn bad_request_400() {
    let bad = answer(b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n");
    assert!(bad.close);
    snapshot!(
        "wire__400",
        wire(b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n")
    );
}

#[test]
fn method_not_allowed_405() {
    snapshot!(
        "wire__405",
        wire(b"POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    );
}

#[test]
fn not_implemented_501() {
    snapshot!("wire__501", wire(b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"));
}

#[test]
fn version_not_supported_505() {
    snapshot!("wire__505", wire(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"));
}

#[test]
fn head_too_large_431() {
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..400 {
        request.extend_from_slice(format!("X-Filler-{i:03}: {}\r\n", "a".repeat(40)).as_bytes());
    }
    let refused = answer(&request); // never completed: refused as soon as it is too large
    assert!(refused.close);
    snapshot!("wire__431", wire(&request));
}

#[test]
fn target_too_long_414() {
    let request = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9000));
    snapshot!("wire__414", wire(request.as_bytes()));
}

/// Every refusal: the request, then the status line and the one-line reason it got.
#[test]
fn every_refusal_names_its_reason() {
    let cases: &[&[u8]] = &[
        b" GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
        b"GET /path\r\n\r\n",
        b"GET / http/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
        b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"get / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET x.html HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Y : a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX(Y: a\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /..%2fetc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /a\\b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /%5c..%5cx HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    ];
    let mut report = String::new();
    for request in cases {
        let answer = answer(request);
        assert!(answer.close, "a refusal closes: {}", visible(request));
        let bytes = answer.response.into_bytes().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let status_line = text.split("\r\n").next().unwrap();
        let reason = text.split("\r\n\r\n").nth(1).unwrap().trim_end();
        report.push_str(&format!(
            "{}\n  -> {status_line}\n  -> {reason}\n",
            visible(request).replace('\n', "")
        ));
    }
    snapshot!("wire__refusals", report);
}

/// The 408 the seed's client gets: it sends `GET /helloWorld.html` — no version, no line
/// end — and waits; at the head deadline the answer says what arrived and what was missing.
#[test]
fn request_timeout_408_says_what_arrived() {
    let why = explain_incomplete_head(b"GET /helloWorld.html", Duration::from_secs(10));
    let response = timeout_response(&why, common::now());
    assert_eq!(
        response.why.as_deref(),
        Some(why.as_str()),
        "kept for the log"
    );
    snapshot!("wire__408", visible(&response.into_bytes().unwrap()));
}

/// Every kind of partial head a 408 explains: the bytes that had arrived, then the reason.
#[test]
fn every_partial_head_names_what_is_missing() {
    let long: Vec<u8> = [
        b"GET / HTTP/1.1\r\nHost: x\r\n".as_slice(),
        &b"Cookie: ".repeat(40),
        b"a",
    ]
    .concat();
    let cases: &[&[u8]] = &[
        b"\r\n",
        b"GET",
        b"GET /helloWorld.html",
        b"GET /helloWorld.html HTTP/1.1",
        b"GET /helloWorld.html HTTP/1.1\r",
        b"GET /helloWorld.html HTTP/1.1\r\n",
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\n",
        b"GET /helloWorld.html HTTP/1.1\nHost: localhost:6789\n",
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\n\r",
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r",
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\nAcc",
        &long,
    ];
    let mut report = String::new();
    for bytes in cases {
        let why = explain_incomplete_head(bytes, Duration::from_secs(10));
        report.push_str(&format!(
            "{}\n  -> {why}\n",
            visible(bytes).replace('\n', "")
        ));
    }
    let body = explain_unfinished_body(8, Duration::from_secs(10));
    report.push_str(&format!("(a body 8 bytes short)\n  -> {body}\n"));
    snapshot!("wire__timeouts", report);
}
