//! `httplab probe`: send a request (or exact bytes) and record exactly what comes back.

use std::time::Duration;

use serde::Serialize;

use super::analysis::{
    Analysis, Ending, Finding, Severity, analyse, tiny_segments_captured, tiny_sends,
};
use super::connection::{ConnectError, Received, RecordingStream, display_target};
use super::dial::Capturing;
use super::message;
use super::packets::Direction;
use super::request::{connection_field, request_head};
use super::transcript::Transcript;

/// The User-Agent of `probe`'s requests.
const USER_AGENT: &str = concat!("httplab/", env!("CARGO_PKG_VERSION"));

/// What to send, where, and how long to wait.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    pub host: String,
    pub port: u16,
    pub path: String,
    pub method: String,
    /// Extra fields; one with the name of a default field (Host, User-Agent, Connection)
    /// replaces it.
    pub headers: Vec<(String, String)>,
    pub http10: bool,
    /// Requests sent one after the other on the same connection.
    pub repeat: usize,
    /// Send exactly these bytes instead of a generated request.
    pub raw: Option<Vec<u8>>,
    /// Write the request this many bytes at a time, pausing `pause` between pieces.
    pub split: Option<usize>,
    pub pause: Duration,
    /// Bound on every wait: connecting, and each read.
    pub timeout: Duration,
    /// After the last complete response, how long to wait for stray bytes or the close.
    pub linger: Duration,
    /// Whether to capture the packets (else they are reconstructed).
    pub capturing: Capturing,
}

impl ProbeConfig {
    pub fn new(host: impl Into<String>, port: u16, path: impl Into<String>) -> ProbeConfig {
        ProbeConfig {
            host: host.into(),
            port,
            path: path.into(),
            method: "GET".into(),
            headers: Vec::new(),
            http10: false,
            repeat: 1,
            raw: None,
            split: None,
            pause: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
            linger: Duration::from_millis(250),
            capturing: Capturing::WhenAllowed,
        }
    }

    /// The request to send; `last` says whether it is the last one on the connection (it
    /// then asks the server to close).
    pub fn request(&self, last: bool) -> Vec<u8> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let version = if self.http10 { "HTTP/1.0" } else { "HTTP/1.1" };
        let host = display_target(&self.host, self.port);
        let mut defaults = vec![("Host", host.as_str()), ("User-Agent", USER_AGENT)];
        defaults.extend(connection_field(version, !last));
        let fields: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        request_head([&self.method, &self.path, version], &defaults, &fields)
    }

    fn sends_head(&self) -> bool {
        match &self.raw {
            Some(raw) => crate::http::request::method_of(raw) == Some("HEAD"),
            None => self.method == "HEAD",
        }
    }
}

/// One request and what came back for it.
#[derive(Clone, Debug, Serialize)]
pub struct Exchange {
    #[serde(serialize_with = "as_hex")]
    pub request: Vec<u8>,
    #[serde(serialize_with = "as_hex")]
    pub response: Vec<u8>,
    pub ending: Ending,
    pub analysis: Analysis,
}

fn as_hex<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

/// How the probe ended, as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeEnd {
    /// At least one response byte arrived.
    Answered,
    /// Connected, but nothing arrived before the timeout.
    TimedOut,
    /// The server closed (or reset) the connection without a byte.
    ClosedWithoutAnswer,
}

impl ProbeEnd {
    /// How the probe ended, from its first exchange.
    fn after(first: &Exchange) -> ProbeEnd {
        if !first.response.is_empty() {
            ProbeEnd::Answered
        } else if first.ending == Ending::TimedOut {
            ProbeEnd::TimedOut
        } else {
            ProbeEnd::ClosedWithoutAnswer
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    pub target: String,
    pub outcome: ProbeEnd,
    pub exchanges: Vec<Exchange>,
    pub transcript: Transcript,
}

/// Connects, sends, reads, and analyses. `Err` when no connection could be made.
// The transcript of a failed attempt is the point of the error (probe prints it).
#[allow(clippy::result_large_err)]
pub fn probe(config: &ProbeConfig) -> Result<ProbeReport, (ConnectError, Transcript)> {
    let mut connection =
        RecordingStream::connect_with(&config.host, config.port, config.timeout, config.capturing)?;
    let mut pending: Vec<u8> = Vec::new();
    let mut exchanges = Vec::new();
    let repeat = config.repeat.max(1);
    for i in 0..repeat {
        let mut exchange = exchange(&mut connection, &mut pending, config, i + 1 == repeat);
        let complete = exchange.ending == Ending::Complete;
        if let Some(previous) = exchanges.last() {
            closed_after_keep_alive(previous, &mut exchange);
        }
        exchanges.push(exchange);
        if !complete {
            break;
        }
    }
    if let Some(last) = exchanges.last_mut() {
        kept_open_after_close(last, connection.transcript().peer_closed(), config.linger);
    }
    let transcript = connection.close();
    proven_from_segments(&transcript, &mut exchanges);
    if exchanges[0].response.is_empty() && exchanges[0].ending == Ending::TimedOut {
        answered_after_half_close(config, &mut exchanges[0]);
    }
    Ok(ProbeReport {
        target: display_target(&config.host, config.port),
        outcome: ProbeEnd::after(&exchanges[0]),
        exchanges,
        transcript,
    })
}

/// With captured segments, whether each response went out in tiny segments is proven from
/// them, in place of what the reads and the kernel's segment count suggested.
fn proven_from_segments(transcript: &Transcript, exchanges: &mut [Exchange]) {
    let Some(packets) = transcript.packets.as_ref().filter(|p| p.is_captured()) else {
        return;
    };
    let mut offset = 0u64;
    for exchange in exchanges {
        let end = offset + exchange.response.len() as u64;
        let sizes = packets.data_sizes_within(Direction::ToClient, offset, end);
        offset = end;
        let findings = &mut exchange.analysis.findings;
        findings.retain(|f| f.id != "byte-per-send");
        findings.extend(tiny_segments_captured(&sizes));
    }
}

/// The request asked for the close (`Connection: close`, or HTTP/1.0 without keep-alive) and
/// the response came whole, but the server did not close within the linger.
fn kept_open_after_close(last: &mut Exchange, closed: bool, linger: Duration) {
    let asked = message::closes_connection(&last.request, message::Sender::Client);
    if asked && !closed && last.ending == Ending::Complete && !last.response.is_empty() {
        last.analysis.findings.push(Finding {
            severity: Severity::Fault,
            id: "no-close",
            message: format!(
                "the request asked for the close, but the connection was still open {} ms after the \
                 response: the server never closes it (a client that reads until the close waits \
                 forever); close the socket after the response",
                linger.as_millis()
            ),
        });
    }
}

/// The previous response kept the connection open (it did not say `Connection: close`), yet
/// the server closed it instead of answering the next request.
fn closed_after_keep_alive(previous: &Exchange, next: &mut Exchange) {
    if !message::closes_connection(&previous.response, message::Sender::Server)
        && !previous.response.is_empty()
        && next.response.is_empty()
        && matches!(next.ending, Ending::Closed | Ending::Reset)
    {
        next.analysis.findings.push(Finding {
            severity: Severity::Fault,
            id: "closed-unannounced",
            message:
                "the previous response did not say Connection: close (so the connection stays \
                      open for the next request), but the server closed it: send Connection: close \
                      on a response after which you close"
                    .into(),
        });
    }
}

/// Nothing came back: a second connection sends the same request and half-closes; an answer
/// then means the server reads until the client closes.
fn answered_after_half_close(config: &ProbeConfig, first: &mut Exchange) {
    let Ok(mut connection) =
        RecordingStream::connect_with(&config.host, config.port, config.timeout, config.capturing)
    else {
        return;
    };
    let _ = connection.send(&first.request);
    connection.shutdown_write();
    let (response, _) = read_response(
        &mut connection,
        &mut Vec::new(),
        config.sends_head(),
        config.timeout,
        Some(config.linger),
    );
    connection.close();
    let finding = if response.is_empty() {
        Finding {
            severity: Severity::Fault,
            id: "never-answers",
            message: "still nothing when httplab half-closed a second connection after the same \
                      request: the server never answers"
                .into(),
        }
    } else {
        Finding {
            severity: Severity::Fault,
            id: "reads-until-close",
            message: format!(
                "a second connection that sent the same request and then half-closed \
                 (shutdown(SHUT_WR)) got {} bytes back: the server reads until the client closes \
                 before it answers; stop reading when the head ends ('\\r\\n\\r\\n')",
                response.len()
            ),
        }
    };
    first.analysis.findings.push(finding);
}

/// Sends one request, reads its response and analyses it; `last` says whether it is the last
/// one on the connection.
fn exchange(
    connection: &mut RecordingStream,
    pending: &mut Vec<u8>,
    config: &ProbeConfig,
    last: bool,
) -> Exchange {
    let head = config.sends_head();
    let request = config.request(last);
    let reads_before = connection.transcript().read_sizes().len();
    let segments_before = connection.data_segments_received();
    // A failed write is in the transcript; the server may still have answered (and closed
    // early), so read what is there either way.
    let _ = match config.split {
        Some(piece) => connection.send_in_pieces(&request, piece, config.pause),
        None => connection.send(&request),
    };
    let (response, ending) = read_response(
        connection,
        pending,
        head,
        config.timeout,
        last.then_some(config.linger),
    );
    let mut analysis = analyse(&response, head, ending);
    let segments = segments_before
        .zip(connection.data_segments_received())
        .map(|(before, after)| after.saturating_sub(before));
    if let Some(finding) = tiny_sends(
        &connection.transcript().read_sizes()[reads_before..],
        segments,
        response.len(),
    ) {
        analysis.findings.push(finding);
    }
    Exchange {
        request,
        response,
        ending,
        analysis,
    }
}

/// Reads one response into `pending` and returns its bytes and how reading ended. Bytes past
/// its end stay in `pending` for the next response — unless `linger` is given (the last
/// response), in which case reading goes on until the server closes or `linger` passes with
/// nothing new, and everything is returned (extra bytes then show as a body too long).
pub fn read_response(
    connection: &mut RecordingStream,
    pending: &mut Vec<u8>,
    request_was_head: bool,
    timeout: Duration,
    linger: Option<Duration>,
) -> (Vec<u8>, Ending) {
    read_response_within(connection, pending, request_was_head, timeout, linger, None)
}

/// As [`read_response`]; and once the head is complete, a body that runs until the close
/// (no Content-Length, not chunked) ends after `quiet` with nothing new, instead of waiting
/// for the whole `timeout`: a server that never closes then costs `quiet`, not `timeout`.
pub fn read_response_within(
    connection: &mut RecordingStream,
    pending: &mut Vec<u8>,
    request_was_head: bool,
    timeout: Duration,
    linger: Option<Duration>,
    quiet: Option<Duration>,
) -> (Vec<u8>, Ending) {
    loop {
        if let Some(length) = message::complete_length(pending, request_was_head) {
            let Some(linger) = linger else {
                let rest = pending.split_off(length);
                return (std::mem::replace(pending, rest), Ending::Complete);
            };
            let ending = loop {
                match connection.receive(pending, linger) {
                    Received::Bytes(_) => continue,
                    Received::PeerClosed => break Ending::Complete,
                    Received::Reset => break Ending::Complete,
                    Received::TimedOut | Received::Failed => break Ending::Complete,
                }
            };
            return (std::mem::take(pending), ending);
        }
        let wait = match quiet {
            Some(quiet) if message::head_end(pending).is_some() => quiet.min(timeout),
            _ => timeout,
        };
        match connection.receive(pending, wait) {
            Received::Bytes(_) => {}
            Received::PeerClosed => return (std::mem::take(pending), Ending::Closed),
            Received::Reset => return (std::mem::take(pending), Ending::Reset),
            Received::TimedOut | Received::Failed => {
                return (std::mem::take(pending), Ending::TimedOut);
            }
        }
    }
}
