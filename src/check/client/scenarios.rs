//! The runs of a student's client: for each, the path it is asked for and what httplab's
//! server does — answer plainly, send the answer in pieces with pauses, serve 1 MiB, keep
//! the connection open as HTTP/1.1 allows — or whether nothing listens at all.

use std::time::{Duration, UNIX_EPOCH};

use crate::site::MemoryView;

/// How long the server waits between the pieces of a paced answer.
pub const PIECE_PAUSE: Duration = Duration::from_millis(250);

/// One run of the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// GET /helloWorld.html, answered and closed: the request, and what is printed.
    Hello,
    /// The head, then the body in three pieces with pauses.
    Pieces,
    /// A 1 MiB text file.
    Large,
    /// A file that does not exist: 404.
    NotFound,
    /// A body with `0\r\n` in the middle.
    ZeroInBody,
    /// Answered without a close: the connection stays open unless the client asked.
    KeepAlive,
    /// Nothing listens on the port.
    NothingListens,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Hello,
        Scenario::Pieces,
        Scenario::Large,
        Scenario::NotFound,
        Scenario::ZeroInBody,
        Scenario::KeepAlive,
        Scenario::NothingListens,
    ];

    /// The path the client is asked to fetch.
    pub fn path(self) -> &'static str {
        match self {
            Scenario::Hello | Scenario::KeepAlive | Scenario::NothingListens => "/helloWorld.html",
            Scenario::Pieces => "/unicode.html",
            Scenario::Large => LARGE_PATH,
            Scenario::NotFound => "/missing.html",
            Scenario::ZeroInBody => ZERO_PATH,
        }
    }

    /// In a sentence, for a report.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::Hello => "GET /helloWorld.html, answered and then closed",
            Scenario::Pieces => "GET /unicode.html, answered in pieces 0.25 s apart",
            Scenario::Large => "GET /large.txt, 1 MiB of text",
            Scenario::NotFound => "GET /missing.html: 404",
            Scenario::ZeroInBody => "GET /counts.txt, a page with 0\\r\\n in it",
            Scenario::KeepAlive => {
                "GET /helloWorld.html, answered, and the connection kept open (HTTP/1.1)"
            }
            Scenario::NothingListens => "nothing listening on the port",
        }
    }
}

const LARGE_PATH: &str = "/large.txt";
const ZERO_PATH: &str = "/counts.txt";

/// The start of the page with `0\r\n` inside: the seed's client stops reading there. The page
/// goes on for a few kilobytes, so that a client that stops there cuts it.
const ZERO_START: &[u8] = b"Items in the cart: 3\r\nItems returned: 0\r\nItems in stock: 12\r\n";

/// The page with `0\r\n` early in it, 5,001 bytes long (a Content-Length that does not end
/// in 0, so `0\r\n` is nowhere in the head).
pub fn zero_body() -> Vec<u8> {
    let mut body = ZERO_START.to_vec();
    let mut line = 0;
    while body.len() < 5001 {
        line += 1;
        body.extend_from_slice(format!("order {line:04}: shipped\r\n").as_bytes());
    }
    body.truncate(5001);
    body
}

/// 1 MiB of numbered lines.
pub fn large_body() -> Vec<u8> {
    let mut body = Vec::with_capacity(1 << 20);
    let mut line = 0;
    while body.len() < (1 << 20) {
        line += 1;
        body.extend_from_slice(
            format!("line {line:06}: the quick brown fox jumps over the lazy dog\n").as_bytes(),
        );
    }
    body.truncate(1 << 20);
    body
}

/// What the server serves: the fixture site, the 1 MiB file and the page with `0\r\n`.
pub fn site() -> MemoryView {
    let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    crate::fixtures::FILES
        .iter()
        .fold(MemoryView::new(), |view, (path, bytes)| {
            view.with_file(&format!("/{path}"), bytes.to_vec(), modified)
        })
        .with_file(LARGE_PATH, large_body(), modified)
        .with_file(ZERO_PATH, zero_body(), modified)
}

/// The bytes of the file at `path` in [`site`], for comparing with what was printed.
pub fn expected_body(scenario: Scenario) -> Vec<u8> {
    match scenario {
        Scenario::Large => large_body(),
        Scenario::ZeroInBody => zero_body(),
        other => crate::fixtures::get(other.path().trim_start_matches('/'))
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
    }
}
