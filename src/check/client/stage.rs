//! The server a student's client talks to during one scenario: httplab's own answers (the
//! pure `respond` over the scenario site), delivered the way the scenario says, and every
//! byte recorded from the server's side — what the client sent, in the pieces and at the
//! times it arrived. Blocking and simple: a thread per connection, each bounded in time.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::scenarios::{PIECE_PAUSE, Scenario};
use crate::http::explain::explain_incomplete_head;
use crate::respond::{Outcome, Rules, respond, timeout_response};
use crate::server::session::encode;
use crate::site::MemoryView;
use crate::wire::packets::capture::{NoCapture, unix_now_us};
use crate::wire::packets::reconstruct::{Assumed, LOOPBACK_MSS, reconstruct};
use crate::wire::packets::watch::ServerCapture;
use crate::wire::transcript::{Event, EventKind, Transcript};

/// How long a request head may take to arrive (short: the seed's client never ends it).
pub const HEAD_WAIT: Duration = Duration::from_millis(1500);
/// The capture of the stage's conversations, or why there is none.
type Capturing = Result<Arc<ServerCapture>, NoCapture>;

/// After a connection's close, how long its capture may wait for the close on the wire.
const CLOSE_GRACE: Duration = Duration::from_millis(50);
/// How long a kept-alive connection is held open for the client to close it.
pub const HOLD: Duration = Duration::from_secs(3);

/// One connection, as the server saw it.
#[derive(Clone, Debug, Default)]
pub struct Served {
    pub transcript: Transcript,
    /// The status of each answer sent.
    pub statuses: Vec<u16>,
    /// The client closed its side while the server still held the connection open.
    pub client_closed_first: bool,
}

/// A server for one scenario, on a free loopback port, until [`Stage::finish`].
pub struct Stage {
    pub port: u16,
    stop: Arc<AtomicBool>,
    served: Arc<Mutex<Vec<Served>>>,
    acceptor: Option<thread::JoinHandle<Vec<thread::JoinHandle<()>>>>,
}

impl Stage {
    pub fn start(scenario: Scenario, site: Arc<MemoryView>) -> std::io::Result<Stage> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        // The client's segments, captured from each SYN on when permitted.
        let capture = ServerCapture::start(listener.local_addr()?).map(Arc::new);
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(Mutex::new(Vec::new()));
        let (stop_flag, sink) = (stop.clone(), served.clone());
        let acceptor = thread::Builder::new()
            .name("httplab-stage".into())
            .spawn(move || accept(listener, (scenario, capture), site, stop_flag, sink))?;
        Ok(Stage {
            port,
            stop,
            served,
            acceptor: Some(acceptor),
        })
    }

    /// Stops accepting, waits for the connections to end (each is bounded), and gives what
    /// was served, in the order connections came.
    pub fn finish(mut self) -> Vec<Served> {
        self.stop.store(true, Ordering::Release);
        if let Some(acceptor) = self.acceptor.take()
            && let Ok(handlers) = acceptor.join()
        {
            for handler in handlers {
                let _ = handler.join();
            }
        }
        std::mem::take(&mut *self.served.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

fn accept(
    listener: TcpListener,
    (scenario, capture): (Scenario, Capturing),
    site: Arc<MemoryView>,
    stop: Arc<AtomicBool>,
    sink: Arc<Mutex<Vec<Served>>>,
) -> Vec<thread::JoinHandle<()>> {
    let mut handlers = Vec::new();
    while !stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (site, sink, capture) = (site.clone(), sink.clone(), capture.clone());
                let index = {
                    let mut served = sink.lock().unwrap_or_else(|p| p.into_inner());
                    served.push(Served::default());
                    served.len() - 1
                };
                if let Ok(handler) = thread::Builder::new()
                    .name("httplab-stage-conn".into())
                    .spawn(move || {
                        let served = serve(stream, scenario, &site, capture.as_deref());
                        sink.lock().unwrap_or_else(|p| p.into_inner())[index] = served;
                    })
                {
                    handlers.push(handler);
                }
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    handlers
}

/// A transcript being recorded from the server's side.
struct Recorder {
    started: Instant,
    transcript: Transcript,
}

impl Recorder {
    fn push(&mut self, kind: EventKind) {
        let at_us = self.started.elapsed().as_micros() as u64;
        self.transcript.events.push(Event { at_us, kind });
    }
}

/// Serves one connection: answers each request the scenario's way, until the client or the
/// scenario ends it.
fn serve(
    mut stream: TcpStream,
    scenario: Scenario,
    site: &MemoryView,
    capture: Result<&ServerCapture, &NoCapture>,
) -> Served {
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let peer = stream.peer_addr().ok();
    // Times count from the client's SYN when it was captured, else from the accept.
    let now_us = unix_now_us();
    let started_unix_us = capture
        .ok()
        .zip(peer)
        .and_then(|(c, peer)| c.first_seen(peer))
        .unwrap_or(now_us);
    let mut recorder = Recorder {
        started: Instant::now()
            .checked_sub(Duration::from_micros(
                now_us.saturating_sub(started_unix_us),
            ))
            .unwrap_or_else(Instant::now),
        transcript: Transcript::of_server(local.clone()),
    };
    let remote = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    recorder.push(EventKind::Connect { local, remote });
    let _ = stream.set_nodelay(true);
    let mut served = Served::default();
    let mut input = Vec::new();
    // Until the client closed, or the connection failed.
    while let Some((bytes, status, closes, consumed)) =
        next_answer(&mut stream, &mut input, scenario, site, &mut recorder)
    {
        served.statuses.push(status);
        input.drain(..consumed.min(input.len()));
        if send(&mut stream, &bytes, scenario, &mut recorder).is_err() || closes {
            break;
        }
        // Kept open (HTTP/1.1): the client may close, or send its next request.
        match wait_for_more(&mut stream, &mut input, &mut recorder) {
            More::Request => continue,
            More::ClientClosed => {
                served.client_closed_first = true;
                break;
            }
            More::HeldLongEnough => break,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    recorder.push(EventKind::Close);
    drop(stream);
    served.transcript = recorder.transcript;
    let captured = capture
        .ok()
        .zip(peer)
        .and_then(|(c, peer)| c.take(peer, CLOSE_GRACE, started_unix_us))
        .filter(|p| !p.segments.is_empty());
    let packets = captured.unwrap_or_else(|| {
        let why = match capture {
            Ok(_) => NoCapture::Failed("the capture saw no packet of it".into()),
            Err(why) => why.clone(),
        };
        let assumed = Assumed {
            mss: LOOPBACK_MSS,
            started_unix_us,
            why: why.why(),
        };
        reconstruct(&served.transcript, &assumed)
    });
    served.transcript.packets = Some(Box::new(packets));
    served
}

/// The next answer: the response's bytes, its status, whether the connection closes after
/// it, and how much input the request took. `None` when the client closed first.
fn next_answer(
    stream: &mut TcpStream,
    input: &mut Vec<u8>,
    scenario: Scenario,
    site: &MemoryView,
    recorder: &mut Recorder,
) -> Option<(Vec<u8>, u16, bool, usize)> {
    let deadline = Instant::now() + HEAD_WAIT;
    loop {
        let rules = Rules::default();
        if let Outcome::Answer(mut answer) = respond(input, site, SystemTime::now(), &rules) {
            if scenario != Scenario::KeepAlive && !answer.close {
                // As the assignment's server does: one answer per connection, announced.
                answer.response.push_header("Connection", "close");
                answer.close = true;
            }
            let status = answer.response.status.code();
            let mut out = Vec::new();
            let _ = encode(answer.response, &mut out);
            return Some((out, status, answer.close, answer.consumed));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            recorder.push(EventKind::Timeout {
                waited_ms: HEAD_WAIT.as_millis() as u64,
            });
            let mut out = Vec::new();
            let why = explain_incomplete_head(input, HEAD_WAIT);
            let _ = encode(timeout_response(&why, SystemTime::now()), &mut out);
            return Some((out, 408, true, input.len()));
        }
        match read(stream, left, recorder) {
            Got::Bytes(bytes) => input.extend_from_slice(&bytes),
            Got::Quiet => {}
            Got::Closed => return None,
        }
    }
}

enum Got {
    Bytes(Vec<u8>),
    Quiet,
    Closed,
}

fn read(stream: &mut TcpStream, wait: Duration, recorder: &mut Recorder) -> Got {
    let _ = stream.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
    let mut buffer = [0u8; 64 * 1024];
    match stream.read(&mut buffer) {
        Ok(0) => {
            recorder.push(EventKind::PeerClosed);
            Got::Closed
        }
        Ok(n) => {
            recorder.push(EventKind::Read {
                bytes: buffer[..n].to_vec(),
            });
            Got::Bytes(buffer[..n].to_vec())
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Got::Quiet,
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {
            recorder.push(EventKind::Reset);
            Got::Closed
        }
        Err(e) => {
            recorder.push(EventKind::Error {
                during: "reading".into(),
                message: e.to_string(),
            });
            Got::Closed
        }
    }
}

/// Sends an answer: whole, or, in the pieces scenario, the head and then the body in three
/// pieces with pauses.
fn send(
    stream: &mut TcpStream,
    bytes: &[u8],
    scenario: Scenario,
    recorder: &mut Recorder,
) -> std::io::Result<()> {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |i| i + 4);
    let pieces: Vec<&[u8]> = if scenario == Scenario::Pieces {
        let body = &bytes[head_end..];
        let third = body.len().div_ceil(3).max(1);
        std::iter::once(&bytes[..head_end])
            .chain(body.chunks(third))
            .collect()
    } else {
        vec![bytes]
    };
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            thread::sleep(PIECE_PAUSE);
        }
        stream.write_all(piece)?;
        recorder.push(EventKind::Write {
            bytes: piece.to_vec(),
        });
    }
    Ok(())
}

enum More {
    Request,
    ClientClosed,
    HeldLongEnough,
}

/// After an answer on a kept-alive connection: the client's next request, its close, or the
/// end of the hold.
fn wait_for_more(stream: &mut TcpStream, input: &mut Vec<u8>, recorder: &mut Recorder) -> More {
    let until = Instant::now() + HOLD;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return More::HeldLongEnough;
        }
        match read(stream, left, recorder) {
            Got::Bytes(bytes) => {
                input.extend_from_slice(&bytes);
                return More::Request;
            }
            Got::Quiet => {}
            Got::Closed => return More::ClientClosed,
        }
    }
}
