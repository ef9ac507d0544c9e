//! What the fuzz targets check, shared by the targets (`tests/fuzz/fuzz_targets/*.rs`, one
//! line each) and by `tests/fuzz_regressions.rs`, which includes this file as a module to
//! replay the checked-in seeds and the crashes found. It uses only std, httplab, httparse and
//! tempfile, which the main package's tests have too.
//!
//! Targets: [`parse`], [`respond`] (raw bytes), [`request`] (a request built from hostile
//! fragments), [`path`] (a raw string as a request target) and [`disk`] (a path into a real
//! folder full of symlinks that lead out of it). Each one panics when an invariant breaks.

use std::io::Read;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httplab::http::multipart;
use httplab::http::range::ContentRange;
use httplab::http::request::{self, Framing, Limits, Parsed, Request, Version};
use httplab::site::{
    DiskView, Entry, FileData, FileView, Forbidden, MemoryView, PathError, SitePath,
};
use httplab::{Answer, Outcome, Rules};

/// Runs the target called `name` on `data` (for replaying a file of seeds or artifacts).
pub fn run(name: &str, data: &[u8]) {
    match name {
        "parse" => parse(data),
        "respond" => respond(data),
        "request" => request(data),
        "path" => path(data),
        "disk" => disk(data),
        other => panic!("no fuzz target called {other}"),
    }
}

/// The names of the targets, as [`run`] knows them.
pub const TARGETS: &[&str] = &["parse", "respond", "request", "path", "disk"];

// ---------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------

/// Arbitrary bytes into `request::parse`, with the default limits and with tiny ones.
pub fn parse(data: &[u8]) {
    for limits in limit_sets() {
        check_parse(data, limits);
    }
}

/// Arbitrary bytes into `respond` over the in-memory fixture site.
pub fn respond(data: &[u8]) {
    for limits in limit_sets() {
        check_respond(data, limits);
    }
}

/// A request line and fields assembled from hostile fragments, into `parse` and `respond`.
pub fn request(data: &[u8]) {
    let input = grammar_request(&mut Choices::new(data));
    for limits in limit_sets() {
        check_parse(&input, limits);
        check_respond(&input, limits);
    }
}

/// An arbitrary string as a request target into `SitePath::from_target`.
pub fn path(data: &[u8]) {
    let target = String::from_utf8_lossy(data);
    check_path(&target);
}

/// A target (from fragments, or raw with an odd first byte) resolved against a real folder
/// whose symlinks lead out of it: nothing outside the root is ever opened or served.
pub fn disk(data: &[u8]) {
    disk_in(trap(), data);
}

/// [`disk`] in the given trap.
pub fn disk_in(trap: &Trap, data: &[u8]) {
    let target = match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 => rest.to_vec(),
        _ => grammar_target(&mut Choices::new(data.get(1..).unwrap_or_default())),
    };
    let target = String::from_utf8_lossy(&target).into_owned();
    check_path(&target);
    check_disk(trap, &target);
}

// ---------------------------------------------------------------------------------------
// The fixed world: time, limits, the in-memory site with its unreachable secrets
// ---------------------------------------------------------------------------------------

/// 2026-11-25 15:00:00 UTC, the `now` of every call (the same as the tests').
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_618_800)
}

/// `Date` for [`now`].
pub const DATE: &str = "Wed, 25 Nov 2026 15:00:00 GMT";

/// 2026-11-01 12:00:00 UTC: the fixtures' modification time.
pub fn modified() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_793_534_400)
}

/// The default limits and tiny ones, so that every limit is reached by short inputs.
pub fn limit_sets() -> &'static [Limits; 2] {
    static SETS: OnceLock<[Limits; 2]> = OnceLock::new();
    SETS.get_or_init(|| {
        [
            Limits::default(),
            Limits {
                max_head_bytes: 96,
                max_target_bytes: 24,
                max_fields: 3,
                max_discarded_body: 8,
            },
        ]
    })
}

/// The rules `respond` is called with: `limits`, and the default cache policy.
pub fn rules(limits: &Limits) -> Rules {
    Rules {
        limits: limits.clone(),
        ..Rules::default()
    }
}

/// The bytes of every file stored where no request may reach: above the root (a `..`
/// segment), under a `.` segment, or under a name with a NUL or a backslash. NUL and 0xFF
/// make sure no error page can echo them back (paths are shown as lossy UTF-8, and NUL is
/// refused), so finding one in a response means the file was served.
pub const SECRET: &[u8] = b"\x00\xffSECRET: this file lies outside the served tree\xfe\x00";

/// Where the secrets are stored in the in-memory view (segments split on `/`).
pub const SECRET_NAMES: &[&str] = &[
    "/../secret.txt",
    "/../../etc/passwd",
    "/sub/../secret.txt",
    "/listing/../../secret.txt",
    "/./secret.txt",
    "/./index.html",
    "/sub/./index.html",
    "/nul\0secret.txt",
    "/back\\slash.txt",
    "/..\\secret.txt",
    "/sub/..\\..\\secret.txt",
];

/// The fixture site in memory, plus the secrets, a forbidden entry and two odd dates.
pub fn fixture_view() -> &'static MemoryView {
    static VIEW: OnceLock<MemoryView> = OnceLock::new();
    VIEW.get_or_init(|| {
        let mut view = MemoryView::new();
        for (path, bytes) in httplab::fixtures::FILES {
            view = view.with_file(&format!("/{path}"), *bytes, modified());
        }
        for name in SECRET_NAMES {
            view = view.with_file(name, SECRET, modified());
        }
        view.with_file(
            "/future.html",
            b"<p>from the future</p>".as_slice(),
            now() + Duration::from_secs(86_400),
        )
        .with_file(
            "/old.txt",
            b"before the epoch".as_slice(),
            UNIX_EPOCH - Duration::from_secs(86_400),
        )
        .with_forbidden("/forbidden.html", Forbidden::OutsideRoot)
    })
}

/// The bytes a GET of `path` must answer with when it names a servable file of the view.
fn expected_file(path: &SitePath) -> Option<&'static [u8]> {
    let mut segments: Vec<&[u8]> = path.segments().iter().map(Vec::as_slice).collect();
    if path.has_trailing_slash() {
        segments.push(b"index.html");
    }
    let name = segments.join(&b'/');
    match name.as_slice() {
        b"future.html" => Some(b"<p>from the future</p>"),
        b"old.txt" => Some(b"before the epoch"),
        name => httplab::fixtures::FILES
            .iter()
            .find(|(p, _)| p.as_bytes() == name)
            .map(|(_, bytes)| *bytes),
    }
}

/// Folders of the view without an index.html: a GET of them is a listing.
fn is_listed_folder(path: &SitePath) -> bool {
    path.has_trailing_slash() && path.segments() == [b"listing".to_vec()]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------
// parse
// ---------------------------------------------------------------------------------------

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The empty lines (CRLF or LF) a server skips before a request line (RFC 9112 §2.2).
fn leading_empty_lines(input: &[u8]) -> usize {
    let mut at = 0;
    loop {
        if input[at..].starts_with(b"\r\n") {
            at += 2;
        } else if input[at..].starts_with(b"\n") {
            at += 1;
        } else {
            return at;
        }
    }
}

fn describe(parsed: &Parsed<'_>) -> String {
    format!("{parsed:?}")
}

/// The invariants of one `parse` call, and the consistency of its verdict with the verdicts
/// on prefixes and extensions of the same bytes.
pub fn check_parse(input: &[u8], limits: &Limits) {
    let parsed = request::parse(input, limits);
    match &parsed {
        Parsed::Incomplete => assert!(
            input.len() <= limits.max_head_bytes,
            "{} bytes without a complete head were not refused as too large",
            input.len()
        ),
        Parsed::Complete(request) => check_complete(input, request, limits),
        Parsed::Invalid(error) => {
            let code = error.status().code();
            assert!((400..600).contains(&code), "{error:?} has status {code}");
            assert!(!error.to_string().is_empty());
            // Refused is final: no more bytes make the head acceptable.
            let mut longer = input.to_vec();
            longer.extend_from_slice(b"\r\n\r\n");
            let again = request::parse(&longer, limits);
            assert!(
                matches!(again, Parsed::Invalid(_)),
                "refused ({error:?}), but with CRLF CRLF appended: {}",
                describe(&again)
            );
        }
    }
    // More bytes never change a verdict: a prefix that is complete is the same request, and
    // a prefix that is refused means the whole input is refused.
    for cut in prefix_cuts(input) {
        let prefix = &input[..cut];
        match request::parse(prefix, limits) {
            Parsed::Incomplete => {}
            Parsed::Complete(early) => match &parsed {
                Parsed::Complete(request) => assert_eq!(
                    format!("{early:?}"),
                    format!("{request:?}"),
                    "the first {cut} bytes parse as another request"
                ),
                other => panic!(
                    "the first {cut} bytes are a complete request, all {} bytes are {}",
                    input.len(),
                    describe(other)
                ),
            },
            Parsed::Invalid(error) => assert!(
                matches!(parsed, Parsed::Invalid(_)),
                "the first {cut} bytes are refused ({error:?}), all {} bytes are {}",
                input.len(),
                describe(&parsed)
            ),
        }
    }
}

/// A few prefix lengths worth checking: the first bytes, around every line end (up to a
/// bound), the middle and all but the last byte.
fn prefix_cuts(input: &[u8]) -> Vec<usize> {
    let mut cuts: Vec<usize> = (1..input.len().min(4)).collect();
    let mut ends = 0;
    for (i, b) in input.iter().enumerate() {
        if (*b == b'\n' || *b == b'\r') && ends < 24 {
            ends += 1;
            cuts.extend([i, i + 1]);
        }
    }
    cuts.extend([input.len() / 2, input.len().saturating_sub(1)]);
    cuts.retain(|c| *c > 0 && *c < input.len());
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn check_complete(input: &[u8], request: &Request<'_>, limits: &Limits) {
    let head_len = request.head_len;
    assert!(
        head_len > 0 && head_len <= input.len(),
        "head_len {head_len} of {} bytes",
        input.len()
    );
    assert!(
        head_len <= limits.max_head_bytes,
        "head of {head_len} bytes accepted"
    );
    let head = &input[..head_len];
    assert!(
        head.ends_with(b"\n\r\n") || head.ends_with(b"\n\n"),
        "the head does not end with an empty line: {:?}",
        String::from_utf8_lossy(head)
    );
    // No bare CR, and no control byte but HTAB, CR and LF, anywhere in an accepted head.
    for (i, b) in head.iter().enumerate() {
        assert!(
            *b != b'\r' || head.get(i + 1) == Some(&b'\n'),
            "bare CR at byte {i} of an accepted head"
        );
        assert!(
            !((*b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || *b == 0x7f),
            "control byte 0x{b:02x} at byte {i} of an accepted head"
        );
    }
    // method SP target SP version, exactly, after the skipped empty lines.
    let method = request.method;
    let target = request.target;
    assert!(
        !method.is_empty() && method.bytes().all(is_tchar),
        "method {method:?}"
    );
    assert!(
        !target.is_empty() && target.bytes().all(|b| b.is_ascii_graphic()),
        "target {target:?}"
    );
    assert!(
        target.len() <= limits.max_target_bytes,
        "target of {} bytes accepted",
        target.len()
    );
    let line = format!("{method} {target} {}", request.version.as_str());
    let start = &head[leading_empty_lines(head)..];
    assert!(
        start.starts_with(line.as_bytes())
            && (start[line.len()..].starts_with(b"\r\n") || start[line.len()..].starts_with(b"\n")),
        "the request line is not {line:?}: {:?}",
        String::from_utf8_lossy(start)
    );
    assert_eq!(
        request::method_of(input),
        Some(method),
        "method_of disagrees with parse"
    );
    // Field semantics.
    if request.version == Version::Http11 {
        assert!(
            request.host.is_some(),
            "an HTTP/1.1 request without Host accepted"
        );
    }
    if let Some(host) = request.host {
        assert!(
            host.iter()
                .all(|b| b.is_ascii_graphic() && !b"/?#@\\\"<>{}|^`".contains(b)),
            "Host {:?} accepted",
            String::from_utf8_lossy(host)
        );
    }
    match request.framing {
        Framing::None => {}
        Framing::Length(n) => assert!(n > 0, "Framing::Length(0)"),
        Framing::Chunked => assert_eq!(
            request.version,
            Version::Http11,
            "chunked HTTP/1.0 accepted"
        ),
    }
    // The request line, the fields, the empty line: one LF each.
    let lines = head[leading_empty_lines(head)..]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert!(
        lines >= 2 && lines - 2 <= limits.max_fields,
        "{} fields accepted",
        lines - 2
    );
    // The head alone is the same request: nothing after it matters.
    match request::parse(head, limits) {
        Parsed::Complete(alone) => {
            assert_eq!(
                format!("{alone:?}"),
                format!("{request:?}"),
                "the head alone parses otherwise"
            )
        }
        other => panic!("the head alone is {}", describe(&other)),
    }
}

// ---------------------------------------------------------------------------------------
// respond
// ---------------------------------------------------------------------------------------

/// One response taken apart: what the wire says.
pub struct Wire {
    pub code: u16,
    pub head: Vec<u8>,
    pub body: Vec<u8>,
    pub fields: Vec<(String, Vec<u8>)>,
}

impl Wire {
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    fn count(&self, name: &str) -> usize {
        self.fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    pub fn content_length(&self) -> Option<u64> {
        let value = self.field("content-length")?;
        let text = std::str::from_utf8(value).expect("Content-Length is ASCII");
        Some(
            text.parse()
                .unwrap_or_else(|_| panic!("Content-Length {text:?} is not a number")),
        )
    }

    pub fn closes(&self) -> bool {
        self.field("connection").is_some_and(|v| {
            v.split(|b| *b == b',')
                .any(|o| o.trim_ascii().eq_ignore_ascii_case(b"close"))
        })
    }
}

/// What the socket layer does around a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    pub consumed: usize,
    pub discard: u64,
    pub close: bool,
}

/// Encodes an answer's response and checks what holds for every response on the wire.
pub fn check_wire(answer: Answer) -> (Facts, Wire) {
    let Answer {
        response,
        consumed,
        discard,
        close,
        client_done,
    } = answer;
    assert!(
        close || !client_done,
        "a client that is done sending is only told so on a close"
    );
    let status = response.status;
    let head = response.head_bytes();
    let declared = response.body.len();
    let bytes = response.into_bytes().expect("the body can be read");
    assert!(
        bytes.starts_with(b"HTTP/1.1 "),
        "status line: {:?}",
        String::from_utf8_lossy(&head)
    );
    assert!(bytes.starts_with(&head));
    let body = bytes[head.len()..].to_vec();
    assert_eq!(
        body.len() as u64,
        declared,
        "Body::len is not the bytes written"
    );

    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut slots);
    match parsed.parse(&bytes) {
        Ok(httparse::Status::Complete(len)) => {
            assert_eq!(len, head.len(), "httparse ends the head elsewhere")
        }
        other => panic!(
            "the head does not parse ({other:?}): {:?}",
            String::from_utf8_lossy(&head)
        ),
    }
    assert_eq!(parsed.version, Some(1));
    assert_eq!(parsed.code, Some(status.code()));
    assert_eq!(parsed.reason, Some(status.reason()));
    let fields: Vec<(String, Vec<u8>)> = parsed
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let response = Wire {
        code: status.code(),
        head,
        body,
        fields,
    };
    assert!(
        matches!(
            response.code,
            200 | 301 | 304 | 400 | 403 | 404 | 405 | 414 | 431 | 500 | 501 | 505
        ),
        "unexpected status {}",
        response.code
    );
    for name in [
        "content-length",
        "content-type",
        "date",
        "server",
        "connection",
        "location",
        "last-modified",
    ] {
        assert!(
            response.count(name) <= 1,
            "{name} sent {} times",
            response.count(name)
        );
    }
    assert_eq!(response.field("server"), Some(b"httplab".as_slice()));
    assert_eq!(response.field("date"), Some(DATE.as_bytes()));
    if let Some(modified) = response.field("last-modified") {
        let text = std::str::from_utf8(modified).expect("Last-Modified is ASCII");
        assert!(
            text.ends_with(" GMT") && text.len() == 29,
            "Last-Modified {text:?}"
        );
    }
    if response.code == 304 {
        assert!(response.body.is_empty(), "a 304 with a body");
    } else {
        assert!(
            response.content_length().is_some(),
            "a {} without Content-Length",
            response.code
        );
    }
    if !response.body.is_empty() {
        assert!(
            response.field("content-type").is_some(),
            "a body without Content-Type"
        );
    }
    assert_eq!(
        close,
        response.closes(),
        "Answer::close and the Connection field disagree"
    );
    assert!(
        !contains(&bytes, SECRET),
        "a file from outside the served tree was sent"
    );
    (
        Facts {
            consumed,
            discard,
            close,
        },
        response,
    )
}

/// `respond` over the in-memory site: the answer, its wire form, and what it must be for
/// the request `parse` saw.
pub fn check_respond(input: &[u8], limits: &Limits) {
    let parsed = request::parse(input, limits);
    let outcome = httplab::respond(input, fixture_view(), now(), &rules(limits));
    let answer = match (outcome, &parsed) {
        (Outcome::Incomplete, Parsed::Incomplete) => return,
        (Outcome::Incomplete, other) => {
            panic!("respond waits for more, parse says {}", describe(other))
        }
        (Outcome::Answer(answer), Parsed::Incomplete) => {
            panic!(
                "parse says incomplete, respond answers {}",
                answer.response.status.code()
            )
        }
        (Outcome::Answer(answer), _) => answer,
    };
    let (answer, wire) = check_wire(answer);
    assert!(
        answer.consumed > 0 && answer.consumed <= input.len(),
        "consumed {} of {}",
        answer.consumed,
        input.len()
    );
    assert!(
        answer.discard <= limits.max_discarded_body,
        "discards {} bytes",
        answer.discard
    );
    let is_head = request::method_of(input) == Some("HEAD");
    if is_head {
        assert!(wire.body.is_empty(), "a body in the answer to HEAD");
    } else if wire.code != 304 {
        assert_eq!(
            wire.content_length(),
            Some(wire.body.len() as u64),
            "Content-Length is not the body's length"
        );
    }
    if !matches!(wire.code, 200 | 206 | 301 | 304 | 403 | 404 | 412 | 416) {
        assert!(
            answer.close,
            "a {} that keeps the connection open",
            wire.code
        );
    }
    match &parsed {
        Parsed::Incomplete => unreachable!(),
        Parsed::Invalid(error) => {
            assert_eq!(
                wire.code,
                error.status().code(),
                "refused with another status than {error:?}'s"
            );
            assert!(answer.close, "a refused head keeps the connection");
            assert_eq!(answer.consumed, input.len());
            assert_eq!(answer.discard, 0);
        }
        Parsed::Complete(request) => check_answer(input, request, &answer, &wire, limits),
    }
}

/// A 206 sends only bytes of `file`, each labelled with where they are in it: one range
/// (Content-Range and Content-Length agree), or the parts of a multipart/byteranges body.
pub fn check_partial(wire: &Wire, file: &[u8]) {
    let slice_of = |range: Option<ContentRange>| match range {
        Some(ContentRange::Range {
            first,
            last,
            complete,
        }) => {
            assert_eq!(
                complete,
                Some(file.len() as u64),
                "Content-Range names another length"
            );
            &file[first as usize..=last as usize]
        }
        other => panic!("a 206 part labelled {other:?}"),
    };
    let content_type = wire.field("content-type").unwrap_or_default();
    match multipart::boundary_of(content_type) {
        None => {
            let range = wire.field("content-range").and_then(ContentRange::parse);
            assert_eq!(
                wire.body,
                slice_of(range),
                "a 206 body is not the range it names"
            );
            assert_eq!(range.and_then(|r| r.part_len()), wire.content_length());
        }
        Some(boundary) => {
            let parts = multipart::parse(&wire.body, boundary).expect("a readable multipart body");
            assert!(
                parts.len() >= 2,
                "a multipart 206 of {} part(s)",
                parts.len()
            );
            for part in parts {
                assert_eq!(
                    part.data,
                    slice_of(part.content_range),
                    "a part is not its range"
                );
            }
        }
    }
}

fn check_answer(input: &[u8], request: &Request<'_>, answer: &Facts, wire: &Wire, limits: &Limits) {
    assert_eq!(
        answer.consumed, request.head_len,
        "consumed is not the head's length"
    );
    let served =
        matches!(request.method, "GET" | "HEAD") && SitePath::from_target(request.target).is_ok();
    if !served {
        // Another method, or a target that names nothing: refused, and the connection ends
        // (its body, if any, is never read).
        assert!(
            matches!(wire.code, 400 | 405 | 501),
            "{} {}: {}",
            request.method,
            request.target,
            wire.code
        );
        assert!(
            answer.close && answer.discard == 0,
            "a refusal keeps the connection: {answer:?}"
        );
    } else {
        let body_too_large = match request.framing {
            Framing::Length(n) if n <= limits.max_discarded_body => {
                assert_eq!(answer.discard, n, "a small body is not thrown away");
                false
            }
            Framing::Length(_) | Framing::Chunked => {
                assert_eq!(answer.discard, 0);
                assert!(
                    answer.close,
                    "a body that is not read is followed by another request"
                );
                true
            }
            Framing::None => {
                assert_eq!(answer.discard, 0);
                false
            }
        };
        assert_eq!(
            answer.close,
            !request.wants_persistence() || body_too_large,
            "closes when it may persist, or persists when it may not"
        );
    }
    let keep_alive_field = wire
        .field("connection")
        .is_some_and(|v| v.eq_ignore_ascii_case(b"keep-alive"));
    assert_eq!(
        keep_alive_field,
        !answer.close && request.version == Version::Http10,
        "Connection: keep-alive is sent exactly to HTTP/1.0 connections that stay open"
    );
    let is_get = request.method == "GET";
    let path = SitePath::from_target(request.target);
    if let (Ok(path), "GET" | "HEAD") = (&path, request.method) {
        // Every servable file is served, and what is served is that file.
        match expected_file(path) {
            Some(bytes) => {
                if request.conditions.is_empty() {
                    assert_eq!(wire.code, 200, "{} is a file of the site", path);
                }
                if wire.code == 206 {
                    assert!(is_get, "a 206 to {}", request.method);
                    check_partial(wire, bytes);
                }
                if wire.code == 200 {
                    assert_eq!(wire.content_length(), Some(bytes.len() as u64));
                    if is_get {
                        assert!(
                            wire.body == bytes,
                            "GET {} served other bytes",
                            request.target
                        );
                    }
                }
            }
            None if is_listed_folder(path) => assert_eq!(wire.code, 200, "{path} is listed"),
            None => assert!(
                matches!(wire.code, 301 | 403 | 404),
                "{path}: {}",
                wire.code
            ),
        }
        if wire.code == 301 {
            let location = wire.field("location").expect("a 301 has a Location");
            let location = std::str::from_utf8(location).expect("Location is ASCII");
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "Location {location:?} is not a path on this server"
            );
            assert!(
                location.bytes().all(|b| b.is_ascii_graphic()),
                "Location {location:?}"
            );
            let moved = SitePath::from_target(location).expect("the Location resolves");
            assert!(
                moved.has_trailing_slash(),
                "Location {location:?} is not the folder"
            );
            assert_eq!(
                moved.segments(),
                path.segments(),
                "Location {location:?} is another path"
            );
        }
    }
    if path.is_err() && matches!(request.method, "GET" | "HEAD") {
        assert_eq!(
            wire.code, 400,
            "an unresolvable target answered {}",
            wire.code
        );
    }
    // The answer depends on the head only.
    let alone = httplab::respond(
        &input[..request.head_len],
        fixture_view(),
        now(),
        &rules(limits),
    );
    let Outcome::Answer(alone) = alone else {
        panic!("the head alone is incomplete")
    };
    let (alone, alone_wire) = check_wire(alone);
    assert_eq!(
        alone_wire.head, wire.head,
        "the bytes after the head changed the answer"
    );
    assert_eq!(
        &alone, answer,
        "the bytes after the head changed what is done around the answer"
    );
    // HEAD answers with the head GET would have (ranges are for GET alone).
    if request.method == "HEAD" && request.conditions.range.is_none() {
        let start = leading_empty_lines(input);
        assert!(
            input[start..].starts_with(b"HEAD "),
            "HEAD is not where the request line starts"
        );
        let mut get = input[..start].to_vec();
        get.extend_from_slice(b"GET");
        get.extend_from_slice(&input[start + 4..]);
        let Outcome::Answer(got) = httplab::respond(&get, fixture_view(), now(), &rules(limits))
        else {
            panic!("the same request with GET is incomplete")
        };
        let (_, got_wire) = check_wire(got);
        assert_eq!(
            String::from_utf8_lossy(&got_wire.head),
            String::from_utf8_lossy(&wire.head),
            "HEAD and GET get different heads"
        );
    }
}

// ---------------------------------------------------------------------------------------
// path
// ---------------------------------------------------------------------------------------

/// `from_target` on any string: a normalised path inside the root, or a refusal with a
/// reason that is really in the target.
pub fn check_path(target: &str) {
    let result = SitePath::from_target(target);
    match &result {
        Ok(path) => check_site_path(target, path),
        Err(error) => {
            assert!(!error.to_string().is_empty());
            let lower = target.to_ascii_lowercase();
            let why = match error {
                PathError::AsteriskForm => target == "*",
                PathError::NotOriginForm => !target.starts_with('/'),
                PathError::Nul => lower.contains("%00") || target.contains('\0'),
                PathError::EncodedSlash => lower.contains("%2f"),
                PathError::Backslash => lower.contains("%5c") || target.contains('\\'),
            };
            assert!(why, "{target:?} refused as {error:?}");
        }
    }
    if target.starts_with('/') {
        // Absolute form names the same path as origin form.
        let absolute = format!("http://example.com{target}");
        assert_eq!(
            SitePath::from_target(&absolute),
            result,
            "{absolute:?} and {target:?} differ"
        );
        // The query and the fragment are not part of the path.
        if !target.contains(['?', '#']) {
            let queried = format!("{target}?x=/../%00%2f#/..%5c");
            assert_eq!(
                SitePath::from_target(&queried),
                result,
                "{queried:?} and {target:?} differ"
            );
        }
    }
}

fn check_site_path(target: &str, path: &SitePath) {
    for segment in path.segments() {
        assert!(!segment.is_empty(), "{target:?}: an empty segment");
        assert!(
            segment != b"." && segment != b"..",
            "{target:?}: a dot segment {segment:?}"
        );
        for bad in [b'/', b'\\', 0] {
            assert!(
                !segment.contains(&bad),
                "{target:?}: byte 0x{bad:02x} in {segment:?}"
            );
        }
    }
    if path.segments().is_empty() {
        assert!(path.has_trailing_slash(), "the root without its slash");
    }
    assert!(
        path.segments().len() <= target.matches('/').count(),
        "{target:?}: more segments than slashes"
    );
    // Each segment comes from one piece of the target, in order: nothing is made up by
    // decoding across a separator.
    let pieces: Vec<Vec<u8>> = target.split('/').map(percent_decode).collect();
    let mut next = 0;
    for segment in path.segments() {
        let found = pieces[next..]
            .iter()
            .position(|p| p == segment || p.starts_with(segment));
        let Some(at) = found else {
            panic!("{target:?}: segment {segment:?} is no piece of the target")
        };
        next += at + 1;
    }
    // The href: exactly one leading slash, no backslash, ASCII, and the same path again.
    let href = path.to_href();
    assert!(
        href.starts_with('/') && !href.starts_with("//"),
        "{target:?}: href {href:?}"
    );
    assert!(
        !href.contains("//"),
        "{target:?}: href {href:?} has an empty segment"
    );
    assert!(
        href.bytes().all(|b| b.is_ascii_graphic() && b != b'\\'),
        "{target:?}: href {href:?}"
    );
    let again = SitePath::from_target(&href)
        .unwrap_or_else(|e| panic!("{target:?}: href {href:?} is refused: {e:?}"));
    assert_eq!(&again, path, "{target:?}: href {href:?} names another path");
    assert_eq!(again.to_href(), href);
    assert_eq!(path.has_trailing_slash(), href.ends_with('/'));
    let shown = path.to_string();
    assert!(shown.starts_with('/'), "{target:?}: shown as {shown:?}");
    assert!(path.as_folder().to_href().ends_with('/'));
    let child = path.child(b"a b");
    assert_eq!(SitePath::from_target(&child.to_href()).as_ref(), Ok(&child));
}

fn percent_decode(piece: &str) -> Vec<u8> {
    let bytes = piece.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// disk
// ---------------------------------------------------------------------------------------

/// A folder on disk with the secret beside it and symlinks of every kind inside.
pub struct Trap {
    _dir: tempfile::TempDir,
    pub view: DiskView,
    /// The files that may be served (their bytes).
    pub inside: Vec<&'static [u8]>,
    _socket: std::os::unix::net::UnixListener,
}

/// The trap the `disk` target uses (left in the temporary folder when the fuzzer exits).
pub fn trap() -> &'static Trap {
    static TRAP: OnceLock<Trap> = OnceLock::new();
    TRAP.get_or_init(make_trap)
}

/// A new trap in a temporary folder, removed when it is dropped.
pub fn make_trap() -> Trap {
    {
        use std::fs;
        use std::os::unix::fs::symlink;
        let dir = tempfile::Builder::new()
            .prefix("httplab-fuzz-disk")
            .tempdir()
            .unwrap();
        let top = dir.path();
        let root = top.join("site");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(top.join("outside")).unwrap();
        fs::create_dir_all(top.join("site-evil")).unwrap();
        fs::write(top.join("secret.txt"), SECRET).unwrap();
        fs::write(top.join("outside/secret.txt"), SECRET).unwrap();
        fs::write(top.join("site-evil/secret.txt"), SECRET).unwrap();
        let hello: &'static [u8] = b"<head>Hello world!</head>\n";
        let sub: &'static [u8] = b"<p>sub</p>\n";
        fs::write(root.join("helloWorld.html"), hello).unwrap();
        fs::write(root.join("sub/index.html"), sub).unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        symlink(top.join("secret.txt"), root.join("escape")).unwrap();
        symlink("../secret.txt", root.join("escape-rel")).unwrap();
        symlink("../outside", root.join("escape-dir")).unwrap();
        symlink("../../secret.txt", root.join("sub/escape")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("/", root.join("root-link")).unwrap();
        symlink(".", root.join("self")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("sub/index.html", root.join("inside")).unwrap();
        symlink("../site-evil", root.join("prefix")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        let socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        let view = DiskView::new(&root).unwrap();
        Trap {
            _dir: dir,
            view,
            inside: vec![hello, sub],
            _socket: socket,
        }
    }
}

/// Resolving `target` in the trap never opens a file outside the root, and the response
/// to a GET of it never carries one.
pub fn check_disk(trap: &Trap, target: &str) {
    if let Ok(path) = SitePath::from_target(target) {
        match trap.view.open(&path) {
            Ok(Entry::File(content)) => {
                let bytes = match content.data {
                    FileData::Shared(bytes) => bytes.to_vec(),
                    FileData::Disk(mut file) => {
                        let mut bytes = Vec::new();
                        file.read_to_end(&mut bytes).unwrap();
                        bytes
                    }
                };
                assert!(
                    trap.inside.contains(&bytes.as_slice()),
                    "{target:?} opened a file from outside the root: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
                assert_eq!(content.len, bytes.len() as u64);
            }
            Ok(Entry::Folder) => {
                if let Ok(entries) = trap.view.list(&path) {
                    assert!(
                        entries.iter().all(|e| e.name != b"secret.txt"),
                        "{target:?} lists a folder outside the root"
                    );
                }
            }
            Err(_) => {}
        }
    }
    if target.bytes().all(|b| b.is_ascii_graphic()) && !target.is_empty() {
        for method in ["GET", "HEAD"] {
            let input = format!("{method} {target} HTTP/1.1\r\nHost: x\r\n\r\n");
            match httplab::respond(input.as_bytes(), &trap.view, now(), &Rules::default()) {
                Outcome::Answer(answer) => {
                    let (_, wire) = check_wire(answer);
                    if method == "HEAD" {
                        assert!(wire.body.is_empty());
                    } else if wire.code != 304 {
                        assert_eq!(wire.content_length(), Some(wire.body.len() as u64));
                    }
                }
                Outcome::Incomplete => panic!("{input:?} is incomplete"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Structure: inputs built from fragments, each choice one byte of the fuzzer's input
// ---------------------------------------------------------------------------------------

/// The fuzzer's bytes read as a sequence of choices (0 when they run out).
pub struct Choices<'a> {
    data: &'a [u8],
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Choices<'a> {
        Choices { data }
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((b, rest)) => {
                self.data = rest;
                *b
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, options: &[T]) -> T {
        options[self.byte() as usize % options.len()]
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// What a fragment stands for; `Raw` and `Encoded` take the next choice byte as a byte.
#[derive(Clone, Copy)]
enum Piece {
    Text(&'static str),
    Raw,
    Encoded,
}
use Piece::{Encoded, Raw, Text};

const SEGMENTS: &[Piece] = &[
    Text(".."),
    Text("."),
    Text(""),
    Text("%2e%2e"),
    Text("%2E%2E"),
    Text(".%2e"),
    Text("%2e."),
    Text("%2e"),
    Text("%252e%252e"),
    Text("%c0%ae%c0%ae"),
    Text("..%2f.."),
    Text("..%5c.."),
    Text("..\\.."),
    Text("..%00"),
    Text("%00"),
    Text("%"),
    Text("%2"),
    Text("%zz"),
    Text("%%32%65"),
    Text("secret.txt"),
    Text("passwd"),
    Text("etc"),
    Text("nul%00secret.txt"),
    Text("back%5Cslash.txt"),
    Text("back\\slash.txt"),
    Text("..%5Csecret.txt"),
    Text("..\\secret.txt"),
    Text("helloWorld.html"),
    Text("HelloWorld.html"),
    Text("hello%20world.html"),
    Text("index.html"),
    Text("index%2ehtml"),
    Text("sub"),
    Text("listing"),
    Text("notes.txt"),
    Text("unicode.html"),
    Text("forbidden.html"),
    Text("future.html"),
    Text("old.txt"),
    Text("escape"),
    Text("escape-rel"),
    Text("escape-dir"),
    Text("up"),
    Text("root-link"),
    Text("self"),
    Text("loop"),
    Text("inside"),
    Text("prefix"),
    Text("dangling"),
    Text("sock"),
    Text("empty"),
    Text("site"),
    Text("site-evil"),
    Text("outside"),
    Text("tmp"),
    Raw,
    Encoded,
];

const SEPARATORS: &[&str] = &[
    "/", "/", "/", "/", "//", "%2F", "%2f", "\\", "%5C", "/./", "/../",
];

const PREFIXES: &[&str] = &[
    "",
    "",
    "",
    "",
    "http://localhost",
    "HTTP://h:80",
    "https://x",
    "http://",
    "http://a/..",
    "*",
    "ftp://x",
    "x",
    "//",
];

const TAILS: &[&str] = &[
    "",
    "",
    "",
    "/",
    "?q=../../x",
    "#../",
    "?",
    "?a/../b#c",
    "/.",
    "/..",
    "%3F",
    "#",
    "?%00",
];

const METHODS: &[&str] = &[
    "GET", "GET", "GET", "HEAD", "HEAD", "POST", "OPTIONS", "PRI", "get", "head", "BREW", "G ET",
    "", "GET\t", "CONNECT", "M-SEARCH", "GET/", "\x00GET",
];

const VERSIONS: &[&str] = &[
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/1.0",
    "HTTP/2.0",
    "HTTP/1.2",
    "HTTP/0.9",
    "http/1.1",
    "HTTP/11",
    "HTTP/1.1 ",
    "",
    "HTTP/1",
    "HTTP/1.10",
    "HTTP/9.9",
];

const EOLS: &[&str] = &["\r\n", "\r\n", "\r\n", "\n", "\r", "\n\r"];

const FIELDS: &[&str] = &[
    "Host: localhost",
    "Host: localhost",
    "Host: localhost",
    "Host:",
    "Host: a b",
    "Host: [::1]:80",
    "Host: x/y",
    "host: LOCALHOST:8080",
    "Content-Length: 0",
    "Content-Length: 5",
    "Content-Length: 8",
    "Content-Length: 9",
    "Content-Length: 1048577",
    "Content-Length: 1, 1",
    "Content-Length: 1,2",
    "Content-Length: -1",
    "Content-Length: +1",
    "Content-Length: 0x10",
    "Content-Length: 18446744073709551616",
    "Content-Length:",
    "Transfer-Encoding: chunked",
    "Transfer-Encoding: gzip, chunked",
    "Transfer-Encoding: chunked, gzip",
    "Transfer-Encoding: chunked, chunked",
    "Transfer-Encoding: identity",
    "Transfer-Encoding: ,",
    "Connection: close",
    "Connection: keep-alive",
    "Connection: Keep-Alive, Close",
    "Connection: upgrade",
    "If-Modified-Since: Sun, 01 Nov 2026 12:00:00 GMT",
    "If-Modified-Since: Sun, 01 Nov 2026 11:59:59 GMT",
    "If-Modified-Since: Wed, 25 Nov 2026 15:00:00 GMT",
    "If-Modified-Since: Sunday, 01-Nov-26 12:00:00 GMT",
    "If-Modified-Since: Sun Nov  1 12:00:00 2026",
    "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
    "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT",
    "If-Modified-Since: yesterday",
    "If-None-Match: *",
    " folded",
    "\tfolded",
    "X: a\x01b",
    "X: \x7f",
    "X: caf\u{e9}",
    "Bad Name: x",
    "Name : x",
    ": empty",
    "NoColon",
    "X-\u{e9}: x",
    "X: a\rb",
];

fn push_piece(out: &mut Vec<u8>, piece: Piece, choices: &mut Choices<'_>) {
    match piece {
        Text(text) => out.extend_from_slice(text.as_bytes()),
        Raw => out.push(choices.byte()),
        Encoded => out.extend_from_slice(format!("%{:02X}", choices.byte()).as_bytes()),
    }
}

/// A request target: an optional scheme and authority, hostile segments, a query or fragment.
pub fn grammar_target(choices: &mut Choices<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(choices.pick(PREFIXES).as_bytes());
    let segments = choices.byte() % 9;
    for _ in 0..segments {
        out.extend_from_slice(choices.pick(SEPARATORS).as_bytes());
        let piece = choices.pick(SEGMENTS);
        push_piece(&mut out, piece, choices);
        if choices.byte().is_multiple_of(5) {
            let piece = choices.pick(SEGMENTS);
            push_piece(&mut out, piece, choices);
        }
    }
    if segments == 0 {
        out.push(b'/');
    }
    out.extend_from_slice(choices.pick(TAILS).as_bytes());
    out
}

/// A whole request: empty lines, a request line, fields, the empty line, then the fuzzer's
/// remaining bytes (a body, or the next request).
pub fn grammar_request(choices: &mut Choices<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        choices
            .pick(&["", "", "", "", "\r\n", "\n", " ", "\r\n\n"])
            .as_bytes(),
    );
    out.extend_from_slice(choices.pick(METHODS).as_bytes());
    out.extend_from_slice(
        choices
            .pick(&[" ", " ", " ", " ", "  ", "\t", ""])
            .as_bytes(),
    );
    let target = grammar_target(choices);
    out.extend_from_slice(&target);
    out.extend_from_slice(choices.pick(&[" ", " ", " ", " ", "  ", ""]).as_bytes());
    out.extend_from_slice(choices.pick(VERSIONS).as_bytes());
    let eol = choices.pick(EOLS);
    out.extend_from_slice(eol.as_bytes());
    for _ in 0..choices.byte() % 7 {
        out.extend_from_slice(choices.pick(FIELDS).as_bytes());
        if choices.byte().is_multiple_of(8) {
            let piece = choices.pick(&[Raw, Raw, Text(""), Text(" "), Text("\t")]);
            push_piece(&mut out, piece, choices);
        }
        let line_end = if choices.byte().is_multiple_of(6) {
            choices.pick(EOLS)
        } else {
            eol
        };
        out.extend_from_slice(line_end.as_bytes());
    }
    out.extend_from_slice(choices.pick(&[eol, eol, eol, "", "\r\n", "\n"]).as_bytes());
    out.extend_from_slice(choices.rest());
    out
}
