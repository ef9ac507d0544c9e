//! Validators and ranges (RFC 9110 §8.8, §13, §14): the exact bytes of 206, multipart 206,
//! 304, 412 and 416 (snapshots); the precedence of the conditional fields; properties — any
//! satisfiable range of any file is answered with exactly that slice, labelled truthfully,
//! and no Range field, however reversed, overlapping, huge or malformed, panics or sends a
//! byte that is not the file's; and a large file's ranges go out through the session as
//! ranges of the open file (what sendfile sends), never read into memory.

mod common;

use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant, UNIX_EPOCH};

use httplab::http::multipart;
use httplab::http::range::ContentRange;
use httplab::http::{Body, Response};
use httplab::render::visible;
use httplab::server::ServerConfig;
use httplab::server::session::{Session, Site, Transmit};
use httplab::site::{DiskView, FileView, MemoryView};
use httplab::{Outcome, Rules, respond};
use proptest::prelude::*;

const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";
/// The ETag of the fixture `helloWorld.html` (47 bytes, modified at `common::modified()`).
const HELLO_TAG: &str = "\"2f-18e3ea08c4718000\"";

fn respond_to(view: &dyn FileView, request: &[u8]) -> Response {
    match respond(request, view, common::now(), &Rules::default()) {
        Outcome::Answer(answer) => answer.response,
        Outcome::Incomplete => panic!("incomplete: {}", visible(request)),
    }
}

fn get_with(path: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: localhost:6789\r\n");
    for (name, value) in fields {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

/// The whole response to `GET /helloWorld.html` with `fields`, on the wire, made visible.
fn hello_with(fields: &[(&str, &str)]) -> String {
    let response = respond_to(
        &common::fixture_view(),
        &get_with("/helloWorld.html", fields),
    );
    visible(&response.into_bytes().unwrap())
}

fn status(fields: &[(&str, &str)]) -> u16 {
    respond_to(
        &common::fixture_view(),
        &get_with("/helloWorld.html", fields),
    )
    .status
    .code()
}

#[test]
fn partial_206() {
    snapshot!("wire__206", hello_with(&[("Range", "bytes=10-20")]));
}

#[test]
fn partial_206_multipart() {
    snapshot!(
        "wire__206_multipart",
        hello_with(&[("Range", "bytes=0-5,-8")])
    );
}

#[test]
fn not_modified_304_by_etag() {
    snapshot!(
        "wire__304_if_none_match",
        hello_with(&[("If-None-Match", HELLO_TAG)])
    );
}

#[test]
fn precondition_failed_412() {
    snapshot!(
        "wire__412",
        hello_with(&[("If-Match", "\"an-old-version\"")])
    );
}

#[test]
fn range_not_satisfiable_416() {
    snapshot!("wire__416", hello_with(&[("Range", "bytes=47-")]));
}

#[test]
fn the_rfc_order_of_preconditions() {
    let modified = httpdate::fmt_http_date(common::modified());
    let earlier = httpdate::fmt_http_date(common::modified() - Duration::from_secs(1));
    let cases: &[(&[(&str, &str)], u16)] = &[
        (&[("If-None-Match", HELLO_TAG)], 304),
        (&[("If-None-Match", "W/\"2f-18e3ea08c4718000\"")], 304),
        (&[("If-None-Match", "*")], 304),
        (&[("If-None-Match", "\"other\"")], 200),
        // If-None-Match wins over If-Modified-Since.
        (
            &[
                ("If-None-Match", "\"other\""),
                ("If-Modified-Since", &modified),
            ],
            200,
        ),
        (&[("If-Modified-Since", &modified)], 304),
        (&[("If-Modified-Since", &earlier)], 200),
        (&[("If-Match", HELLO_TAG)], 200),
        (&[("If-Match", "\"other\"")], 412),
        // If-Match comes first: it fails before If-None-Match could say 304.
        (
            &[("If-Match", "\"other\""), ("If-None-Match", HELLO_TAG)],
            412,
        ),
        (&[("If-Unmodified-Since", &earlier)], 412),
        (&[("If-Unmodified-Since", &modified)], 200),
        // A 304 or 412 is decided before Range.
        (&[("If-None-Match", HELLO_TAG), ("Range", "bytes=0-1")], 304),
        // If-Range: the current strong ETag, or exactly Last-Modified, lets Range apply.
        (&[("Range", "bytes=0-1"), ("If-Range", HELLO_TAG)], 206),
        (&[("Range", "bytes=0-1"), ("If-Range", &modified)], 206),
        (&[("Range", "bytes=0-1"), ("If-Range", "\"other\"")], 200),
        (
            &[
                ("Range", "bytes=0-1"),
                ("If-Range", "W/\"2f-18e3ea08c4718000\""),
            ],
            200,
        ),
        (&[("Range", "bytes=0-1"), ("If-Range", &earlier)], 200),
        (&[("Range", "bytes=0-1"), ("Range", "bytes=0-1")], 200),
    ];
    for (fields, expected) in cases {
        assert_eq!(status(fields), *expected, "{fields:?}");
    }
    // HEAD: ranges are defined for GET only; the head is a 200's.
    let head = b"HEAD /helloWorld.html HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1\r\n\r\n";
    assert_eq!(respond_to(&common::fixture_view(), head).status.code(), 200);
}

#[test]
fn every_file_answer_carries_the_cache_policy_and_serve_can_change_it() {
    let rules = Rules {
        cache_control: "max-age=60".into(),
        ..Rules::default()
    };
    let cache_control = |request: &[u8]| {
        let Outcome::Answer(answer) =
            respond(request, &common::fixture_view(), common::now(), &rules)
        else {
            panic!("incomplete")
        };
        answer
            .response
            .header("Cache-Control")
            .map(|v| v.into_owned())
    };
    for request in [
        get_with("/helloWorld.html", &[]),
        get_with("/helloWorld.html", &[("If-None-Match", HELLO_TAG)]),
        get_with("/helloWorld.html", &[("Range", "bytes=1-2")]),
        get_with("/index.html", &[("Range", "bytes=1-2,4-5")]),
    ] {
        let got = cache_control(&request);
        assert_eq!(got.as_deref(), Some("max-age=60"), "{}", visible(&request));
    }
    // A redirect and a listing have no validator: nothing to revalidate, so nothing kept.
    for request in [get_with("/sub", &[]), get_with("/listing/", &[])] {
        let got = cache_control(&request);
        assert_eq!(got.as_deref(), Some("no-store"), "{}", visible(&request));
    }
}

#[test]
fn ranges_are_advertised_where_they_can_save_something() {
    let accept_ranges = |path: &str| {
        respond_to(&common::fixture_view(), &get_with(path, &[]))
            .header("Accept-Ranges")
            .map(|v| v.into_owned())
    };
    assert_eq!(accept_ranges("/helloWorld.html"), None);
    assert_eq!(accept_ranges("/logo.png").as_deref(), Some("bytes"));
    assert_eq!(accept_ranges("/index.html").as_deref(), Some("bytes"));
    // Served all the same.
    assert_eq!(status(&[("Range", "bytes=0-0")]), 206);
}

/// What a 206 body must be: the bytes of `file` that its Content-Range (or each part's)
/// names, with Content-Length the body's length.
fn assert_partial_is_the_file(response: Response, file: &[u8]) -> Vec<(u64, u64)> {
    let slice = |range: Option<ContentRange>| match range {
        Some(ContentRange::Range {
            first,
            last,
            complete,
        }) => {
            assert_eq!(complete, Some(file.len() as u64));
            (first, last)
        }
        other => panic!("a part labelled {other:?}"),
    };
    let content_type = response
        .header("Content-Type")
        .unwrap_or_default()
        .to_string();
    let content_range = response.header("Content-Range").map(|v| v.into_owned());
    let length = response.header("Content-Length").map(|v| v.into_owned());
    let mut body = Vec::new();
    response.body.read_into(&mut body).unwrap();
    assert_eq!(length, Some(body.len().to_string()));
    let parts: Vec<(u64, &[u8])> = match multipart::boundary_of(content_type.as_bytes()) {
        None => {
            let (first, last) =
                slice(content_range.and_then(|v| ContentRange::parse(v.as_bytes())));
            vec![(first, &body[..])]
                .into_iter()
                .inspect(|_| assert_eq!(body.len() as u64, last - first + 1))
                .collect()
        }
        Some(boundary) => multipart::parse(&body, boundary)
            .unwrap()
            .into_iter()
            .map(|part| {
                let (first, last) = slice(part.content_range);
                assert_eq!(part.data.len() as u64, last - first + 1);
                (first, part.data)
            })
            .collect(),
    };
    parts
        .into_iter()
        .map(|(first, data)| {
            let end = first as usize + data.len();
            assert_eq!(
                data,
                &file[first as usize..end],
                "bytes {first}-{end} are not the file's"
            );
            (first, data.len() as u64)
        })
        .collect()
}

fn memory_file(bytes: &[u8]) -> MemoryView {
    MemoryView::new().with_file("/f.bin", bytes.to_vec(), common::modified())
}

/// One piece of a Range value, near and far from valid.
fn range_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..3000).prop_map(|n| n.to_string()),
        Just("18446744073709551615".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("-".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        Just("bytes=".to_string()),
        Just("=".to_string()),
        Just("x".to_string()),
        Just("+".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_satisfiable_range_is_exactly_that_slice(
        file in proptest::collection::vec(any::<u8>(), 1..3000),
        a in any::<u64>(),
        b in any::<u64>(),
        form in 0..3u8,
    ) {
        let len = file.len() as u64;
        let first = a % len;
        let last = first + b % (len - first);
        let (spec, start, end) = match form {
            0 => (format!("{first}-{last}"), first, last),
            1 => (format!("{first}-"), first, len - 1),
            _ => {
                let n = b % len + 1;
                (format!("-{n}"), len - n, len - 1)
            }
        };
        let request = get_with("/f.bin", &[("Range", &format!("bytes={spec}"))]);
        let response = respond_to(&memory_file(&file), &request);
        prop_assert_eq!(response.status.code(), 206);
        let parts = assert_partial_is_the_file(response, &file);
        prop_assert_eq!(parts, vec![(start, end - start + 1)]);
    }

    #[test]
    fn no_range_field_panics_or_sends_a_byte_not_the_files(
        file in proptest::collection::vec(any::<u8>(), 0..600),
        pieces in proptest::collection::vec(range_piece(), 0..12),
        bytes_prefix in any::<bool>(),
    ) {
        let value = format!("{}{}", if bytes_prefix { "bytes=" } else { "" }, pieces.concat());
        let request = get_with("/f.bin", &[("Range", value.trim())]);
        let response = respond_to(&memory_file(&file), &request);
        match response.status.code() {
            206 => {
                assert_partial_is_the_file(response, &file);
            }
            200 => {
                let mut body = Vec::new();
                response.body.read_into(&mut body).unwrap();
                prop_assert_eq!(body, file);
            }
            416 => {
                let unsatisfied = format!("bytes */{}", file.len());
                let content_range = response.header("Content-Range").map(|v| v.into_owned());
                prop_assert_eq!(content_range, Some(unsatisfied));
            }
            other => prop_assert!(false, "{} for Range: {}", other, value),
        }
    }
}

/// Drives a session over `view` with `request`, as a driver would: bytes are written as
/// given, a file body is read from the file at the offset and length the session names (what
/// sendfile does), at most `chunk` bytes a call. Returns every byte sent, and the largest
/// piece of file the session ever asked to send at once.
fn through_session(view: &dyn FileView, request: &[u8], chunk: usize) -> (Vec<u8>, u64) {
    let config = ServerConfig::new("unused");
    let date = common::now();
    let start = Instant::now();
    let env = config.env(start, &date, view);
    let mut session = Session::new([127, 0, 0, 1].into(), Site, &env);
    let buffer = session.read_buffer(&env).unwrap();
    buffer[..request.len()].copy_from_slice(request);
    session.received(request.len(), &env);
    let (mut wire, mut largest) = (Vec::new(), 0);
    while let Some(transmit) = session.transmit() {
        let count = match transmit {
            Transmit::Bytes { bytes, .. } => {
                let n = bytes.len().min(chunk);
                wire.extend_from_slice(&bytes[..n]);
                n
            }
            Transmit::File { file, offset, len } => {
                largest = largest.max(len);
                let mut piece = vec![0; (len as usize).min(chunk)];
                file.read_exact_at(&mut piece, offset).unwrap();
                wire.extend_from_slice(&piece);
                piece.len()
            }
            Transmit::Shutdown => break,
        };
        session.sent(count, &env);
    }
    (wire, largest)
}

#[test]
fn a_large_files_ranges_stream_from_the_open_file() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    let view = DiskView::new(dir.path()).unwrap();
    for (range, parts) in [
        ("bytes=1000-200999", 1),
        ("bytes=-100000", 1),
        ("bytes=0-99999,150000-249999,-10", 3),
    ] {
        let request = get_with("/big.bin", &[("Range", range)]);
        // What respond answers, read into memory here (a test may)...
        let expected = respond_to(&view, &request).into_bytes().unwrap();
        for chunk in [1000, 65_536, usize::MAX] {
            // ...is what the session sends, its file bytes as ranges of the open file.
            let (wire, largest) = through_session(&view, &request, chunk);
            assert!(wire == expected, "{range}, {chunk} a write: other bytes");
            assert!(
                largest >= 10_000,
                "{range}: sent from the file, not from memory"
            );
        }
        let response = respond_to(&view, &request);
        assert!(
            matches!(response.body, Body::File { .. } | Body::FileParts { .. }),
            "{range}: a body that stays on the disk"
        );
        assert_eq!(assert_partial_is_the_file(response, &big).len(), parts);
    }
    // A small range is copied behind its head: one write.
    let request = get_with("/big.bin", &[("Range", "bytes=5-9")]);
    let (wire, largest) = through_session(&view, &request, usize::MAX);
    assert_eq!(largest, 0);
    assert!(wire.ends_with(&big[5..10]));
}

#[test]
fn the_etag_is_stable_and_follows_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(&path, HELLO).unwrap();
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    let when = UNIX_EPOCH + Duration::new(1_793_534_400, 5);
    file.set_modified(when).unwrap();
    let etag = |view: &DiskView| {
        respond_to(view, &get_with("/page.html", &[]))
            .header("ETag")
            .map(|v| v.into_owned())
    };
    // Another view of the same folder (a restart): the same tag.
    let first = etag(&DiskView::new(dir.path()).unwrap());
    assert_eq!(first.as_deref(), Some("\"2f-18e3ea08c4718005\""));
    assert_eq!(etag(&DiskView::new(dir.path()).unwrap()), first);
    // One nanosecond later, same size: another tag.
    file.set_modified(when + Duration::from_nanos(1)).unwrap();
    assert_ne!(etag(&DiskView::new(dir.path()).unwrap()), first);
}
