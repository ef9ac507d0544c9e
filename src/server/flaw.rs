//! `serve --flaw`: known student bugs, reproduced on purpose, to prove `check` and to show a
//! class what each bug looks like from a browser. None of this is reachable without the flag.
//!
//! Flaws live here and only here: [`Flawed`] wraps the real server's [`Site`] responder —
//! the session's input (how much one read takes, what counts as a whole request) and its
//! output (the bytes of each response, how many go per write) — so that neither the session
//! nor the readable thread-model server carries a branch for them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use percent_encoding::percent_decode_str;

use super::session::{Encoded, Env, Responder, Site};
use super::shared::lock;
use crate::http::request::{self, Parsed};
use crate::http::{Body, FieldValue, Response, Status};
use crate::respond::{Answer, Outcome};

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

/// The real server with flaws: what one connection of a flawed server does.
pub struct Flawed {
    flaws: Flaws,
    site: Site,
    /// The folder, for the unguarded path of no-traversal-guard.
    root: PathBuf,
    /// Whether any byte ever arrived (die-on-empty).
    received_any: bool,
    /// single-recv: the one read for the request has happened.
    single_recv_taken: bool,
    /// single-thread: held for the connection's life, so the next one waits.
    _one_at_a_time: Option<MutexGuard<'static, ()>>,
}

/// single-thread: one connection served at a time, the others wait, as in a server that
/// calls accept() only after the previous connection is done.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl Flawed {
    /// Waits for its turn first under single-thread.
    pub fn new(flaws: &Flaws, root: &Path) -> Flawed {
        Flawed {
            flaws: flaws.clone(),
            site: Site,
            root: root.to_path_buf(),
            received_any: false,
            single_recv_taken: false,
            _one_at_a_time: flaws.has(Flaw::SingleThread).then(|| lock(&ONE_AT_A_TIME)),
        }
    }
}

impl Responder for Flawed {
    fn answer(&mut self, input: &[u8], env: &Env) -> Outcome {
        if self.flaws.has(Flaw::NoTraversalGuard)
            && let Parsed::Complete(request) = request::parse(input, &env.rules.limits)
            && let Some(response) = unguarded_file(&self.root, request.target, env.date.time())
        {
            return Outcome::Answer(Answer {
                response,
                consumed: request.head_len,
                discard: 0,
                close: true,
                client_done: false,
            });
        }
        if !self.single_recv_taken {
            return self.site.answer(input, env);
        }
        // What one recv() brought is taken as the whole request; then the server hangs up.
        let answer = match self.site.answer(input, env) {
            Outcome::Answer(answer) => answer,
            Outcome::Incomplete => {
                let whole = [input, b"\r\n\r\n"].concat();
                match self.site.answer(&whole, env) {
                    Outcome::Answer(answer) => answer,
                    Outcome::Incomplete => return Outcome::Incomplete,
                }
            }
        };
        let mut answer = answer;
        if !answer.close {
            answer.response.push_header("Connection", "close");
            answer.close = true;
        }
        // The rest of the request may still be on its way: the close lingers.
        answer.client_done = false;
        Outcome::Answer(answer)
    }

    fn encode(&mut self, response: Response, out: &mut Vec<u8>) -> Encoded {
        if !self.flaws.rewrites_responses() {
            return self.site.encode(response, out);
        }
        match flawed_bytes(&self.flaws, response) {
            Ok(flawed) => {
                out.extend_from_slice(&flawed.bytes);
                Encoded {
                    file: None,
                    body_len: flawed.body_len,
                    broken: flawed.close,
                }
            }
            Err(_) => Encoded {
                file: None,
                body_len: 0,
                broken: true,
            },
        }
    }

    fn read_limit(&self) -> Option<usize> {
        // recv(1024).
        self.flaws.has(Flaw::SingleRecv).then_some(1024)
    }

    fn send_limit(&self) -> Option<usize> {
        self.flaws.has(Flaw::BytePerSend).then_some(1)
    }

    fn received(&mut self, count: usize) {
        if count == 0 && !self.received_any && self.flaws.has(Flaw::DieOnEmpty) {
            eprintln!(
                "httplab (flaw die-on-empty): IndexError: list index out of range; the server exits"
            );
            std::process::exit(1);
        }
        if count > 0 {
            self.received_any = true;
            self.single_recv_taken = self.flaws.has(Flaw::SingleRecv);
        }
    }
}

/// What a flawed server sends for one response.
pub struct FlawedBytes {
    pub bytes: Vec<u8>,
    /// Body bytes, for the access log.
    pub body_len: u64,
    /// The framing is broken: the connection must end after these bytes.
    pub close: bool,
}

/// The bytes a flawed server sends for `response`.
pub fn flawed_bytes(flaws: &Flaws, mut response: Response) -> std::io::Result<FlawedBytes> {
    if flaws.has(Flaw::Bad404) && response.status == Status::NOT_FOUND {
        return Ok(FlawedBytes {
            bytes: b" HTTP/1.1 404 Found".to_vec(),
            body_len: 0,
            close: true,
        });
    }
    // A flawed server reads the whole file into memory, as the student's does.
    let mut body = Vec::new();
    std::mem::replace(&mut response.body, Body::Empty).read_into(&mut body)?;
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
    Ok(FlawedBytes {
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
