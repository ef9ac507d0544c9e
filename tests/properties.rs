//! Properties over generated requests (proptest): no input panics `respond`, every response
//! is well-formed HTTP/1.1 whose Content-Length is the truth, and no generated path — dot
//! segments, percent-encodings, mixed slashes, NUL — ever returns a byte from outside the root.

mod common;

use std::os::unix::fs::symlink;

use httplab::site::{DiskView, FileView};
use httplab::{Outcome, Rules, respond};
use proptest::prelude::*;

/// Checks the response invariants and returns the wire bytes.
fn check_response(request: &[u8], view: &dyn FileView) -> Option<Vec<u8>> {
    let outcome = respond(request, view, common::now(), &Rules::default());
    let Outcome::Answer(answer) = outcome else {
        return None;
    };
    assert!(answer.consumed <= request.len());
    let is_head = request.starts_with(b"HEAD ");
    let declared_body = answer.response.body.len();
    let head = answer.response.head_bytes();
    let bytes = answer.response.into_bytes().unwrap();
    assert!(
        bytes.starts_with(b"HTTP/1.1 "),
        "status line: {:?}",
        String::from_utf8_lossy(&bytes)
    );

    let mut fields = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut fields);
    let Ok(httparse::Status::Complete(head_len)) = parsed.parse(&bytes) else {
        panic!(
            "response head does not parse: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    };
    assert_eq!(head_len, head.len());
    let body = &bytes[head_len..];
    assert_eq!(body.len() as u64, declared_body);
    let length = parsed
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .map(|h| {
            std::str::from_utf8(h.value)
                .unwrap()
                .parse::<usize>()
                .unwrap()
        });
    match (is_head, parsed.code) {
        (_, Some(304)) => assert!(body.is_empty()),
        (true, _) => assert!(body.is_empty(), "HEAD has no body"),
        (false, _) => assert_eq!(
            length,
            Some(body.len()),
            "Content-Length counts the body's bytes"
        ),
    }
    Some(bytes)
}

/// Path segments chosen to attack a file server.
fn hostile_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just("".to_string()),
        Just("%2e%2e".to_string()),
        Just("%2E%2e".to_string()),
        Just(".%2e".to_string()),
        Just("%252e%252e".to_string()),
        Just("%c0%ae%c0%ae".to_string()),
        Just("..%2f..".to_string()),
        Just("..%5c..".to_string()),
        Just("..\\..".to_string()),
        Just("%00".to_string()),
        Just("secret.txt".to_string()),
        Just("escape".to_string()),
        Just("escape-dir".to_string()),
        Just("helloWorld.html".to_string()),
        Just("sub".to_string()),
        Just("%2fetc%2fpasswd".to_string()),
        "[a-z]{1,6}",
        "(%[0-9a-fA-F]{2}){1,3}",
    ]
}

fn hostile_target() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(hostile_segment(), 0..8),
        prop_oneof![Just(""), Just("/"), Just("?q=../../x"), Just("#../")],
        prop_oneof![Just(""), Just("http://host")],
    )
        .prop_map(|(segments, tail, prefix)| format!("{prefix}/{}{tail}", segments.join("/")))
}

fn request_with(method: &str, target: &str, version: &str) -> Vec<u8> {
    format!("{method} {target} {version}\r\nHost: localhost\r\n\r\n").into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_response(&input, &common::fixture_view());
    }

    #[test]
    fn near_miss_request_lines_never_panic(
        method in "[A-Za-z]{0,8}",
        sep1 in "[ \t]{0,2}",
        target in "[ -~]{0,40}",
        sep2 in "[ \t]{0,2}",
        version in prop_oneof![Just("HTTP/1.1".to_string()), Just("HTTP/1.0".to_string()), "HTTP/[0-9].[0-9]", "[ -~]{0,10}"],
        eol in prop_oneof![Just("\r\n"), Just("\n"), Just("\r")],
        fields in proptest::collection::vec("[ -~]{0,30}", 0..4),
    ) {
        let mut request = format!("{method}{sep1}{target}{sep2}{version}{eol}");
        for field in fields {
            request.push_str(&field);
            request.push_str(eol);
        }
        request.push_str(eol);
        check_response(request.as_bytes(), &common::fixture_view());
    }

    #[test]
    fn well_formed_requests_get_well_formed_answers(
        method in prop_oneof![Just("GET"), Just("HEAD")],
        target in hostile_target(),
        version in prop_oneof![Just("HTTP/1.1"), Just("HTTP/1.0")],
    ) {
        let request = request_with(method, &target, version);
        let bytes = check_response(&request, &common::fixture_view());
        prop_assert!(bytes.is_some(), "a complete request is answered");
    }

    /// A well-formed request is never refused before it is complete, however it is split.
    #[test]
    fn prefixes_of_a_request_are_incomplete(
        target in "/[a-zA-Z0-9._%-]{0,30}",
        cut in 0usize..1000,
    ) {
        let request = request_with("GET", &target, "HTTP/1.1");
        let cut = cut % request.len();
        let outcome = respond(&request[..cut], &common::fixture_view(), common::now(), &Rules::default());
        prop_assert!(matches!(outcome, Outcome::Incomplete), "prefix of {} bytes was answered", cut);
    }

    /// Two requests back to back: the first answer consumes exactly the first request.
    #[test]
    fn pipelined_requests_are_delimited(
        first in "/[a-zA-Z0-9._-]{0,20}",
        second in "/[a-zA-Z0-9._-]{0,20}",
        body in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut first_request = format!("GET {first} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        first_request.extend_from_slice(&body);
        let mut input = first_request.clone();
        input.extend_from_slice(&request_with("GET", &second, "HTTP/1.1"));
        let Outcome::Answer(answer) = respond(&input, &common::fixture_view(), common::now(), &Rules::default()) else {
            panic!("first request not answered");
        };
        prop_assert_eq!(answer.consumed as u64 + answer.discard, first_request.len() as u64);
        prop_assert!(!answer.close);
    }
}

/// A real folder with a secret beside it, a symlink to the secret and a symlinked folder
/// leading out of the root.
struct Trap {
    _dir: tempfile::TempDir,
    view: DiskView,
    secret: Vec<u8>,
}

fn trap() -> Trap {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let outside = dir.path().join("escape-dir");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let secret = format!("TOP-SECRET-{}", std::process::id()).into_bytes();
    std::fs::write(dir.path().join("secret.txt"), &secret).unwrap();
    std::fs::write(outside.join("secret.txt"), &secret).unwrap();
    std::fs::write(root.join("helloWorld.html"), b"<head>Hello world!</head>\n").unwrap();
    std::fs::write(root.join("sub/index.html"), b"sub").unwrap();
    symlink(dir.path().join("secret.txt"), root.join("escape")).unwrap();
    symlink(&outside, root.join("escape-dir")).unwrap();
    symlink(dir.path().join("secret.txt"), root.join("sub/escape")).unwrap();
    let view = DiskView::new(&root).unwrap();
    Trap {
        _dir: dir,
        view,
        secret,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn no_path_reaches_outside_the_root(
        method in prop_oneof![Just("GET"), Just("HEAD")],
        target in hostile_target(),
    ) {
        let trap = trap();
        let request = request_with(method, &target, "HTTP/1.1");
        if let Some(bytes) = check_response(&request, &trap.view) {
            prop_assert!(!contains(&bytes, &trap.secret), "{} leaked the secret", target);
        }
    }
}

#[test]
fn symlinks_out_of_the_root_are_forbidden() {
    let trap = trap();
    for target in [
        "/escape",
        "/escape-dir/secret.txt",
        "/escape-dir/",
        "/sub/escape",
        "/sub/../escape",
    ] {
        let bytes = check_response(&request_with("GET", target, "HTTP/1.1"), &trap.view).unwrap();
        assert!(
            bytes.starts_with(b"HTTP/1.1 403 Forbidden\r\n"),
            "{target}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    let bytes = check_response(
        &request_with("GET", "/../secret.txt", "HTTP/1.1"),
        &trap.view,
    )
    .unwrap();
    assert!(bytes.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
}
