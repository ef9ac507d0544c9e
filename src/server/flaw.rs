//! `serve --flaw`: known student bugs, reproduced on purpose, to prove `check` and to show a
//! class what each bug looks like from a browser. None of this is reachable without the flag.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::time::SystemTime;

use percent_encoding::percent_decode_str;

use crate::http::{Body, FieldValue, Response, Status};

/// One reproducible bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flaw {
    /// ` HTTP/1.1 200 OK`: a space before the status line.
    LeadingSpace,
    /// Head lines end in `\n` instead of `\r\n`.
    BareLf,
    /// `Content-Length` counts characters, not bytes.
    CharLength,
    /// One `send()` per byte.
    BytePerSend,
    /// One 1024-byte `recv()` is taken as the whole request.
    SingleRecv,
    /// One connection at a time.
    SingleThread,
    /// The process dies when a connection closes without a byte (the seed's IndexError).
    DieOnEmpty,
    /// ` HTTP/1.1 404 Found` and nothing else: no head terminator.
    Bad404,
    /// Files read in text mode: binary bodies corrupted (CRLF → LF, invalid UTF-8 → U+FFFD).
    TextMode,
    /// The path is joined to the folder as sent: `..` climbs out.
    NoTraversalGuard,
}

impl Flaw {
    pub const ALL: [Flaw; 10] = [
        Flaw::LeadingSpace,
        Flaw::BareLf,
        Flaw::CharLength,
        Flaw::BytePerSend,
        Flaw::SingleRecv,
        Flaw::SingleThread,
        Flaw::DieOnEmpty,
        Flaw::Bad404,
        Flaw::TextMode,
        Flaw::NoTraversalGuard,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flaw::LeadingSpace => "leading-space",
            Flaw::BareLf => "bare-lf",
            Flaw::CharLength => "char-length",
            Flaw::BytePerSend => "byte-per-send",
            Flaw::SingleRecv => "single-recv",
            Flaw::SingleThread => "single-thread",
            Flaw::DieOnEmpty => "die-on-empty",
            Flaw::Bad404 => "bad-404",
            Flaw::TextMode => "text-mode",
            Flaw::NoTraversalGuard => "no-traversal-guard",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Flaw::LeadingSpace => "a space before HTTP/1.1 on the status line",
            Flaw::BareLf => "head lines end in \\n instead of \\r\\n",
            Flaw::CharLength => "Content-Length counts characters, not bytes",
            Flaw::BytePerSend => "one send() per byte of the response",
            Flaw::SingleRecv => "one recv(1024) is taken as the whole request, then close",
            Flaw::SingleThread => "one connection at a time",
            Flaw::DieOnEmpty => "the server exits when a connection closes without a byte",
            Flaw::Bad404 => "a 404 sent as ' HTTP/1.1 404 Found' with no blank line",
            Flaw::TextMode => "files read in text mode: binary files corrupted",
            Flaw::NoTraversalGuard => "the path is used as sent: ../ leaves the folder",
        }
    }

    /// Flaws that let anyone who can connect read files or stop the server: loopback only.
    pub fn loopback_only(self) -> bool {
        matches!(self, Flaw::NoTraversalGuard | Flaw::DieOnEmpty)
    }
}

impl fmt::Display for Flaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Flaw {
    type Err = String;
    fn from_str(text: &str) -> Result<Flaw, String> {
        Flaw::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Flaw::ALL.iter().map(|f| f.name()).collect();
                format!("unknown flaw {text:?}; the flaws are: {}", names.join(", "))
            })
    }
}

/// The set of flaws a server runs with (usually none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flaws(Vec<Flaw>);

impl Flaws {
    pub fn new(flaws: impl IntoIterator<Item = Flaw>) -> Flaws {
        let mut list: Vec<Flaw> = Vec::new();
        for flaw in flaws {
            if !list.contains(&flaw) {
                list.push(flaw);
            }
        }
        Flaws(list)
    }

    pub fn has(&self, flaw: Flaw) -> bool {
        self.0.contains(&flaw)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn list(&self) -> &[Flaw] {
        &self.0
    }

    /// Whether responses must be rewritten (and so held in memory) before they are sent.
    pub fn rewrites_responses(&self) -> bool {
        [
            Flaw::LeadingSpace,
            Flaw::BareLf,
            Flaw::CharLength,
            Flaw::BytePerSend,
            Flaw::Bad404,
            Flaw::TextMode,
        ]
        .iter()
        .any(|f| self.has(*f))
    }
}

/// What a flawed server sends for one response.
pub struct Flawed {
    pub bytes: Vec<u8>,
    /// Body bytes, for the access log.
    pub body_len: u64,
    /// The framing is broken: the connection must end after these bytes.
    pub close: bool,
}

/// The bytes a flawed server sends for `response`.
pub fn flawed_bytes(flaws: &Flaws, mut response: Response) -> std::io::Result<Flawed> {
    if flaws.has(Flaw::Bad404) && response.status == Status::NOT_FOUND {
        return Ok(Flawed {
            bytes: b" HTTP/1.1 404 Found".to_vec(),
            body_len: 0,
            close: true,
        });
    }
    let mut body = match std::mem::replace(&mut response.body, Body::Empty) {
        Body::Empty => Vec::new(),
        Body::Bytes(bytes) => bytes,
        Body::Shared(bytes) => bytes.to_vec(),
        Body::File { file, len } => {
            let mut bytes = Vec::new();
            file.take(len).read_to_end(&mut bytes)?;
            bytes
        }
    };
    if flaws.has(Flaw::TextMode) && std::str::from_utf8(&body).is_err() {
        let text = String::from_utf8_lossy(&body).replace("\r\n", "\n");
        body = text.into_bytes();
        set_length(&mut response, body.len());
    }
    // len() of the text a text-mode read returns: characters. (HEAD has no body to count,
    // and its Content-Length stays what GET's would be for the ASCII page it is tested on.)
    if flaws.has(Flaw::CharLength)
        && !body.is_empty()
        && let Ok(text) = std::str::from_utf8(&body)
    {
        set_length(&mut response, text.chars().count());
    }
    let mut head = response.head_bytes();
    if flaws.has(Flaw::BareLf) {
        head = String::from_utf8_lossy(&head)
            .replace("\r\n", "\n")
            .into_bytes();
    }
    let mut bytes = Vec::with_capacity(head.len() + body.len() + 1);
    if flaws.has(Flaw::LeadingSpace) {
        bytes.push(b' ');
    }
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&body);
    Ok(Flawed {
        bytes,
        body_len: body.len() as u64,
        close: false,
    })
}

fn set_length(response: &mut Response, length: usize) {
    for (name, value) in &mut response.headers {
        if name.eq_ignore_ascii_case("content-length") {
            *value = FieldValue::Number(length as u64);
        }
    }
}

/// no-traversal-guard: the target's path, percent-decoded and joined to the folder as it is,
/// the way `open(filename[1:])` does. Answers only when that names a file outside what the
/// correct server would serve; everything else goes to the real `respond`.
pub fn unguarded_file(root: &Path, target: &str, now: SystemTime) -> Option<Response> {
    let path = target.split(['?', '#']).next()?;
    if !path.contains("..") {
        return None;
    }
    let decoded = percent_decode_str(path.trim_start_matches('/'))
        .decode_utf8()
        .ok()?;
    let bytes = std::fs::read(root.join(decoded.as_ref())).ok()?;
    let mut response = Response::new(Status::OK)
        .with_header("Date", httpdate::fmt_http_date(now))
        .with_header("Content-Type", "text/html")
        .with_header("Content-Length", bytes.len())
        .with_header("Connection", "close");
    response.body = Body::Bytes(bytes);
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &[u8]) -> Response {
        let mut response = Response::new(Status::OK).with_header("Content-Length", body.len());
        response.body = Body::Bytes(body.to_vec());
        response
    }

    #[test]
    fn each_rewrite_does_one_thing() {
        let flaws = |f| Flaws::new([f]);
        let bytes = |f, r| flawed_bytes(&flaws(f), r).unwrap().bytes;
        assert_eq!(
            bytes(Flaw::LeadingSpace, ok(b"ab")),
            b" HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"
        );
        assert_eq!(
            bytes(Flaw::BareLf, ok(b"a\r\nb")),
            b"HTTP/1.1 200 OK\nContent-Length: 4\n\na\r\nb"
        );
        assert_eq!(
            bytes(Flaw::CharLength, ok("é".as_bytes())),
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\né".as_bytes()
        );
        assert_eq!(
            bytes(Flaw::TextMode, ok(b"\x89PNG\r\n")),
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n\u{fffd}PNG\n".as_bytes()
        );
        let bad = flawed_bytes(&flaws(Flaw::Bad404), Response::new(Status::NOT_FOUND)).unwrap();
        assert_eq!(bad.bytes, b" HTTP/1.1 404 Found");
        assert!(bad.close);
        assert_eq!("single-recv".parse::<Flaw>(), Ok(Flaw::SingleRecv));
        assert!(
            "nope"
                .parse::<Flaw>()
                .unwrap_err()
                .contains("leading-space")
        );
    }
}
