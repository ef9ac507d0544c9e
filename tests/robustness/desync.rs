//! Desync (request smuggling): a body is never read as a request.

use httplab::server::Model;

use crate::common;
use crate::harness::{HELLO, MIB, exchange, get_and_close, parse_responses};

/// A request the server must never answer: if it were, its 404 page would name it.
const SMUGGLED: &str = "GET /smuggled.html HTTP/1.1\r\nHost: x\r\n\r\n";
const LAST: &str = "GET /unicode.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

struct Desync {
    name: &'static str,
    bytes: Vec<u8>,
    /// The statuses expected, in order, and whether each answers a HEAD.
    expected: Vec<(u16, bool)>,
}

fn desync_cases() -> Vec<Desync> {
    let n = SMUGGLED.len();
    let with = |head: String, body: &str| {
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        bytes
    };
    let chunked = format!("{n:x}\r\n{SMUGGLED}\r\n0\r\n\r\n");
    let mut cases = vec![
        Desync {
            name: "GET with a Content-Length body, then a second request",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "HEAD with a Content-Length body, then a second request",
            bytes: with(
                format!("HEAD /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, true), (200, false)],
        },
        Desync {
            name: "a 404 with a Content-Length body, then a second request",
            bytes: with(
                format!("GET /missing.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(404, false), (200, false)],
        },
        Desync {
            name: "Content-Length with leading zeros, then a second request",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 000{n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "the same Content-Length twice, then a second request",
            bytes: with(
                format!(
                    "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\nContent-Length: {n}, {n}\r\n\r\n"
                ),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false), (200, false)],
        },
        Desync {
            name: "Content-Length and Transfer-Encoding: chunked",
            bytes: with(
                format!(
                    "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
                    chunked.len()
                ),
                &format!("{chunked}{SMUGGLED}"),
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: chunked, then Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                    .to_string(),
                &format!("0\r\n\r\n{SMUGGLED}"),
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Content-Length: 0 and Transfer-Encoding: chunked",
            bytes: with(
                "POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "two different Content-Length fields",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: {n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a Content-Length list that disagrees",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0, {n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Content-Length with a plus sign",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: +{n}\r\n\r\n"),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a negative Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a Content-Length that overflows 64 bits",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n"
                    .to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "a hexadecimal Content-Length",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: chunked, identity",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: identity",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n".to_string(),
                SMUGGLED,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding: gzip, chunked",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(501, false)],
        },
        Desync {
            name: "Transfer-Encoding in HTTP/1.0",
            bytes: with(
                "GET /helloWorld.html HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
                    .to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "Transfer-Encoding folded onto a second line (obs-fold)",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n".to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "whitespace before the colon of Transfer-Encoding",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n".to_string(),
                &chunked,
            ),
            expected: vec![(400, false)],
        },
        Desync {
            name: "GET with a chunked body (answered, then closed)",
            bytes: with(
                "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
                &format!("{chunked}{LAST}"),
            ),
            expected: vec![(200, false)],
        },
        Desync {
            name: "POST with a Content-Length body (405, then closed)",
            bytes: with(
                format!("POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(405, false)],
        },
        Desync {
            name: "HTTP/1.0 with a Content-Length body (answered, then closed)",
            bytes: with(
                format!("GET /helloWorld.html HTTP/1.0\r\nContent-Length: {n}\r\n\r\n"),
                &format!("{SMUGGLED}{LAST}"),
            ),
            expected: vec![(200, false)],
        },
        Desync {
            name: "Connection: close, then more requests in the same write",
            bytes: with(get_and_close_string("/helloWorld.html"), &format!("{SMUGGLED}{LAST}")),
            expected: vec![(200, false)],
        },
    ];
    // A body over the 1 MiB the server discards: answered, then closed, never parsed.
    let big = MIB + 1;
    let mut body = SMUGGLED.repeat(big / SMUGGLED.len() + 1);
    body.truncate(big);
    cases.push(Desync {
        name: "a Content-Length body over 1 MiB, made of requests",
        bytes: with(
            format!("GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\n\r\n"),
            &format!("{body}{LAST}"),
        ),
        expected: vec![(200, false)],
    });
    cases
}

fn get_and_close_string(path: &str) -> String {
    String::from_utf8(get_and_close(path)).unwrap()
}

fn check_desync(case: &Desync, bytes: &[u8], closed: bool, how: &str) {
    let text = String::from_utf8_lossy(bytes);
    assert!(closed, "{} ({how}): no close after {text:?}", case.name);
    assert!(
        !text.contains("smuggled"),
        "{} ({how}): a body was answered as a request: {text:?}",
        case.name
    );
    let heads: Vec<bool> = case.expected.iter().map(|(_, head)| *head).collect();
    let parsed = parse_responses(bytes, &heads);
    let codes: Vec<u16> = parsed.iter().map(|p| p.code).collect();
    let expected: Vec<u16> = case.expected.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, expected, "{} ({how}): {text:?}", case.name);
    assert_eq!(
        parsed.last().unwrap().header("Connection"),
        Some("close"),
        "{} ({how}): the last answer says close",
        case.name
    );
    if case.expected[0] == (200, false) {
        assert_eq!(parsed[0].body, HELLO, "{} ({how})", case.name);
    }
}

/// Every desync case, sent in one write and in two (split after the head): exactly the
/// answers expected, in order, then a close; the smuggled request inside a body is never
/// answered. Refusals (400, 501, 405) close the connection.
fn a_body_is_never_answered_as_a_request(model: Model) {
    let server = common::start_server(&common::fixtures_dir(), |c| c.model = model);
    for case in desync_cases() {
        let (bytes, closed) = exchange(server.addr, &[&case.bytes]);
        check_desync(&case, &bytes, closed, "one write");
        let head_end = case
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap()
            + 4;
        let (head, body) = case.bytes.split_at(head_end);
        let (bytes, closed) = exchange(server.addr, &[head, body]);
        check_desync(&case, &bytes, closed, "head, then body");
    }
}

/// The first desync case (a GET whose Content-Length body is a whole request, then a second
/// request) cut in two at every byte: always the two right answers, never the smuggled one.
fn a_content_length_body_split_anywhere_is_still_discarded(model: Model) {
    let server = common::start_server(&common::fixtures_dir(), |c| c.model = model);
    let case = desync_cases().into_iter().next().unwrap();
    for cut in 1..case.bytes.len() {
        let (first, second) = case.bytes.split_at(cut);
        let (bytes, closed) = exchange(server.addr, &[first, second]);
        check_desync(&case, &bytes, closed, &format!("cut at byte {cut}"));
    }
}

for_both_models!(
    a_body_is_never_answered_as_a_request,
    a_content_length_body_split_anywhere_is_still_discarded,
);
