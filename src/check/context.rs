//! What a check works with: the server's address, the expected files, and ways to talk to
//! the server that record every transcript and notice when the server stops answering.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Duration;

use crate::render::visible;
use crate::wire::analysis::{Ending, StatusLine};
use crate::wire::connection::{Received, RecordingStream, display_target};
use crate::wire::message::{self, BodyFraming};
use crate::wire::packets::Direction;
use crate::wire::probe::read_response_within;
use crate::wire::request::{connection_field, has_field, request_head};
use crate::wire::transcript::Transcript;

/// The User-Agent of `check`'s requests.
const USER_AGENT: &str = concat!("httplab-check/", env!("CARGO_PKG_VERSION"));

/// After the last response on a connection, how long to wait for the server to close before
/// hanging up. Long enough for a server's trailing writes on loopback (a stray "\r\n" after
/// the body), short because a server that never closes costs it on every request.
const LAST_REPLY_LINGER: Duration = Duration::from_millis(50);
/// Once a response is complete, or a head has arrived whose body runs until the close, this
/// long with nothing new ends the wait: a broken server costs this, not the whole timeout.
pub const QUIET: Duration = Duration::from_millis(500);

/// The most a check reads on one connection: the fixtures' largest answer is a few KiB, and
/// a server that streams without end must not fill httplab's memory (a check opens a
/// hundred connections or more, and keeps each transcript).
const READ_LIMIT: u64 = 512 * 1024;

/// Where the expected bytes come from.
#[derive(Clone, Debug)]
pub enum Docroot {
    /// httplab's fixtures, embedded in the binary.
    Embedded,
    /// Another folder (`--docroot`): checks whose file is missing there are skipped.
    Folder(PathBuf),
}

impl Docroot {
    /// The bytes of `path` (`helloWorld.html`, `sub/index.html`), if the docroot has it.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        match self {
            Docroot::Embedded => crate::fixtures::get(path).map(<[u8]>::to_vec),
            Docroot::Folder(root) => std::fs::read(root.join(path)).ok(),
        }
    }
}

/// One request's answer, read leniently.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Everything received for this request.
    pub bytes: Vec<u8>,
    pub ending: Ending,
    /// Set when no connection could be made.
    pub connect_error: Option<String>,
    /// TCP segments with data from the server, when the kernel tells.
    pub data_segments: Option<u32>,
    /// The sizes of the data segments from the server, when they were captured (a reply
    /// read by [`Context::send`], alone on its connection).
    pub captured_segments: Option<Vec<usize>>,
    pub request_was_head: bool,
}

impl Reply {
    pub fn answered(&self) -> bool {
        !self.bytes.is_empty()
    }

    /// The status code, found even after junk before `HTTP/`.
    pub fn code(&self) -> Option<u16> {
        message::status_code(self.head())
    }

    /// The head through its empty line, or everything when it never ends.
    pub fn head(&self) -> &[u8] {
        &self.bytes[..message::head_end(&self.bytes).unwrap_or(self.bytes.len())]
    }

    pub fn head_complete(&self) -> bool {
        message::head_end(&self.bytes).is_some()
    }

    /// The body as its framing delimits it (chunked bodies decoded).
    pub fn body(&self) -> Vec<u8> {
        let Some(head_len) = message::head_end(&self.bytes) else {
            return Vec::new();
        };
        let after = &self.bytes[head_len..];
        match message::body_framing(self.head(), self.request_was_head) {
            BodyFraming::None => Vec::new(),
            BodyFraming::Length(n) => {
                after[..after.len().min(usize::try_from(n).unwrap_or(usize::MAX))].to_vec()
            }
            BodyFraming::Chunked => message::dechunk(after).unwrap_or_else(|| after.to_vec()),
            BodyFraming::UntilClose => after.to_vec(),
        }
    }

    /// Bytes after the head, whatever the framing says.
    pub fn after_head(&self) -> &[u8] {
        match message::head_end(&self.bytes) {
            Some(end) => &self.bytes[end..],
            None => &[],
        }
    }

    /// The first line, without its line end: the status line, if the server sent one.
    pub fn first_line(&self) -> &[u8] {
        message::head_lines(self.head())
            .into_iter()
            .next()
            .unwrap_or_default()
    }

    pub fn field(&self, name: &str) -> Option<String> {
        message::field(self.head(), name).map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The first line, or what happened instead, for "got: …".
    pub fn describe(&self) -> String {
        if let Some(error) = &self.connect_error {
            return format!("no connection: {error}");
        }
        if self.bytes.is_empty() {
            return match self.ending {
                Ending::TimedOut => "nothing: no byte arrived before the timeout".into(),
                Ending::Reset => "nothing: the server reset the connection".into(),
                _ => "nothing: the server closed the connection without a byte".into(),
            };
        }
        let first = self.first_line();
        if StatusLine::read(first).is_none() {
            return format!(
                "no status line: the response starts with {:?} (an HTTP/0.9-style answer, body only)",
                visible(first)
            );
        }
        format!("{:?}", visible(first))
    }
}

/// How to send a request and read its reply.
#[derive(Clone, Copy, Debug, Default)]
pub struct SendOptions {
    /// The request is HEAD (its response has no body).
    pub head: bool,
    /// Write it in pieces of this many bytes with this pause between them.
    pub pieces: Option<(usize, Duration)>,
    /// After a complete response, keep reading until the server closes (or the timeout),
    /// to see bytes it should not have sent.
    pub read_to_close: bool,
    /// Override the per-read timeout.
    pub timeout: Option<Duration>,
}

/// The server under test, and the record of everything said to it.
pub struct Context {
    pub host: String,
    /// The port: it changes when `check --run` starts the server again on another one.
    port: AtomicU16,
    pub timeout: Duration,
    pub docroot: Docroot,
    transcripts: Mutex<Vec<Transcript>>,
    /// Some request got no answer at all: the runner then checks the server is still up.
    trouble: AtomicBool,
}

impl Context {
    pub fn new(host: &str, port: u16, timeout: Duration, docroot: Docroot) -> Context {
        Context {
            host: host.to_string(),
            port: AtomicU16::new(port),
            timeout,
            docroot,
            transcripts: Mutex::new(Vec::new()),
            trouble: AtomicBool::new(false),
        }
    }

    pub fn port(&self) -> u16 {
        self.port.load(Ordering::Acquire)
    }

    /// The server moved (it was started again on another port).
    pub fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Release);
    }

    /// `host:port` as a client writes it in `Host`.
    pub fn authority(&self) -> String {
        display_target(&self.host, self.port())
    }

    /// A request with `Host` (unless `fields` has one), `fields`, and the Connection field
    /// that asks the server to close after it (unless `fields` has one, or the version
    /// closes by default).
    pub fn request(
        &self,
        method: &str,
        target: &str,
        version: &str,
        fields: &[(&str, &str)],
    ) -> Vec<u8> {
        let authority = self.authority();
        let mut fields = fields.to_vec();
        if !has_field(&fields, "connection") {
            fields.extend(connection_field(version, false));
        }
        request_head(
            [method, target, version],
            &[("Host", &authority), ("User-Agent", USER_AGENT)],
            &fields,
        )
    }

    /// `GET path HTTP/1.1` with `Connection: close`, and its reply.
    pub fn get(&self, path: &str) -> Reply {
        self.send(
            &self.request("GET", path, "HTTP/1.1", &[]),
            SendOptions::default(),
        )
    }

    /// Opens a connection, sends `request`, reads one response, closes. `how.timeout`, when
    /// given, bounds the connection attempt too.
    pub fn send(&self, request: &[u8], how: SendOptions) -> Reply {
        let mut conversation = match self.open_within(how.timeout.unwrap_or(self.timeout)) {
            Ok(conversation) => conversation,
            Err(reply) => return *reply,
        };
        conversation.write(request, how.pieces);
        let mut reply = conversation.read_last_reply(how);
        reply.captured_segments = conversation.close_measuring();
        reply
    }

    /// A connection for checks that say more than one thing on it.
    pub fn open(&self) -> Result<Conversation<'_>, Box<Reply>> {
        self.open_within(self.timeout)
    }

    fn open_within(&self, timeout: Duration) -> Result<Conversation<'_>, Box<Reply>> {
        match RecordingStream::connect(&self.host, self.port(), timeout) {
            Ok(mut stream) => {
                stream.limit_reads(READ_LIMIT);
                Ok(Conversation {
                    context: self,
                    stream: Some(stream),
                    pending: Vec::new(),
                })
            }
            Err((error, transcript)) => {
                self.keep(transcript);
                self.trouble.store(true, Ordering::Release);
                Err(Box::new(Reply {
                    bytes: Vec::new(),
                    ending: Ending::Closed,
                    connect_error: Some(error.to_string()),
                    data_segments: None,
                    captured_segments: None,
                    request_was_head: false,
                }))
            }
        }
    }

    /// Whether the server still answers a plain GET (with a short timeout).
    pub fn alive(&self) -> bool {
        let path = if self.docroot.file("helloWorld.html").is_some() {
            "/helloWorld.html"
        } else {
            "/"
        };
        let probe = self.request("GET", path, "HTTP/1.1", &[]);
        let Ok(mut conversation) = self.open() else {
            return false;
        };
        conversation.write(&probe, None);
        let reply = conversation.read_reply(SendOptions {
            timeout: Some(self.timeout.min(Duration::from_secs(3))),
            ..SendOptions::default()
        });
        conversation.close();
        reply.answered()
    }

    fn keep(&self, transcript: Transcript) {
        self.transcripts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(transcript);
    }

    /// The transcripts recorded since the last call.
    pub fn take_transcripts(&self) -> Vec<Transcript> {
        std::mem::take(&mut *self.transcripts.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether some request went unanswered since the last call.
    pub fn take_trouble(&self) -> bool {
        self.trouble.swap(false, Ordering::AcqRel)
    }
}

/// An open connection to the server under test.
pub struct Conversation<'a> {
    context: &'a Context,
    stream: Option<RecordingStream>,
    pending: Vec<u8>,
}

impl Conversation<'_> {
    fn stream(&mut self) -> &mut RecordingStream {
        self.stream.as_mut().expect("the conversation is open")
    }

    /// Sends bytes, whole or in pieces; a failure is in the transcript (the server may have
    /// answered and closed already).
    pub fn write(&mut self, bytes: &[u8], pieces: Option<(usize, Duration)>) {
        let stream = self.stream();
        let _ = match pieces {
            Some((size, pause)) => stream.send_in_pieces(bytes, size, pause),
            None => stream.send(bytes),
        };
    }

    /// Reads the next response.
    pub fn read_reply(&mut self, how: SendOptions) -> Reply {
        let timeout = how.timeout.unwrap_or(self.context.timeout);
        let linger = how.read_to_close.then_some(timeout.min(QUIET));
        self.read(how, timeout, linger)
    }

    /// Reads the last response on this connection: after it is complete, a short wait for
    /// the server's close, so that hanging up never cuts a server off mid-write (a fragile
    /// server dies of the broken pipe).
    pub fn read_last_reply(&mut self, how: SendOptions) -> Reply {
        let timeout = how.timeout.unwrap_or(self.context.timeout);
        let linger = if how.read_to_close {
            timeout.min(QUIET)
        } else {
            timeout.min(LAST_REPLY_LINGER)
        };
        self.read(how, timeout, Some(linger))
    }

    fn read(&mut self, how: SendOptions, timeout: Duration, linger: Option<Duration>) -> Reply {
        let mut pending = std::mem::take(&mut self.pending);
        let (bytes, ending) = read_response_within(
            self.stream(),
            &mut pending,
            how.head,
            timeout,
            linger,
            Some(QUIET),
        );
        self.pending = pending;
        if bytes.is_empty() {
            self.context.trouble.store(true, Ordering::Release);
        }
        let data_segments = self.stream().data_segments_received();
        Reply {
            bytes,
            ending,
            connect_error: None,
            data_segments,
            captured_segments: None,
            request_was_head: how.head,
        }
    }

    /// Waits up to `wait` for the server to close; true if it did (end-of-file or reset).
    /// Bytes that arrive meanwhile are returned too.
    pub fn closes_within(&mut self, wait: Duration) -> (bool, Vec<u8>) {
        let (ending, extra) = self.how_it_closes(wait);
        (ending.is_some(), extra)
    }

    /// Waits up to `wait` for the server to close, and says how: `Closed` (a FIN), `Reset`,
    /// or `None` when it kept the connection open; with the bytes that arrived meanwhile.
    pub fn how_it_closes(&mut self, wait: Duration) -> (Option<Ending>, Vec<u8>) {
        let mut extra = std::mem::take(&mut self.pending);
        let deadline = std::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return (None, extra);
            }
            match self.stream().receive(&mut extra, left) {
                Received::Bytes(_) => continue,
                Received::PeerClosed => return (Some(Ending::Closed), extra),
                Received::Reset => return (Some(Ending::Reset), extra),
                Received::TimedOut | Received::Failed => return (None, extra),
            }
        }
    }

    /// Closes the connection, keeps its transcript, and gives the sizes of the data segments
    /// the server sent when they were captured.
    fn close_measuring(mut self) -> Option<Vec<usize>> {
        let transcript = self.stream.take()?.close();
        let sizes = transcript
            .packets
            .as_ref()
            .filter(|p| p.is_captured())
            .map(|p| p.data_sizes(Direction::ToClient));
        self.context.keep(transcript);
        sizes
    }

    /// Closes the connection and keeps its transcript.
    pub fn close(mut self) {
        if let Some(stream) = self.stream.take() {
            self.context.keep(stream.close());
        }
    }
}

impl Drop for Conversation<'_> {
    fn drop(&mut self) {
        if let Some(stream) = self.stream.take() {
            self.context.keep(stream.close());
        }
    }
}
