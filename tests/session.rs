//! The per-connection session without a socket: a scripted driver feeds it bytes, takes what
//! it transmits and moves a fake clock, so every deadline, pipelining, body discard, linger
//! and close decision is tested exactly — and a property checks that however the bytes
//! arrive and however the writes are cut, the bytes sent back are the same.

use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use httplab::http::explain::{explain_incomplete_head, explain_unfinished_body};
use httplab::server::session::{Env, Phase, Session, Site, Transmit};
use httplab::server::{Arrived, LogRecord, ServerConfig, format_entry};
use httplab::site::{DiskView, FileView, MemoryView};
use proptest::prelude::*;

const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The fixture site in memory, and a 100 KiB file (more than one write's worth).
fn site() -> MemoryView {
    let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let big: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    httplab::fixtures::FILES
        .iter()
        .fold(MemoryView::new(), |view, (path, bytes)| {
            view.with_file(&format!("/{path}"), bytes.to_vec(), modified)
        })
        .with_file("/big.bin", big, modified)
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
}

/// A driver with a fake clock: what a real one does, minus the socket.
struct Driver {
    session: Session<Site>,
    world: World,
    /// Everything transmitted so far; "<FIN>" marks the half-close.
    wire: Vec<u8>,
    log: Vec<LogRecord>,
}

/// What the session is told about: the site, the configuration, a fixed date, the clock's zero.
struct World {
    view: Box<dyn FileView>,
    config: ServerConfig,
    start: Instant,
    date: SystemTime,
}

impl World {
    fn env(&self, at: f64) -> Env<'_> {
        self.config
            .env(self.start + secs(at), &self.date, self.view.as_ref())
    }
}

impl Driver {
    fn new() -> Driver {
        Driver::with(Box::new(site()), |_| {})
    }

    fn with(view: Box<dyn FileView>, configure: impl FnOnce(&mut ServerConfig)) -> Driver {
        let mut config = ServerConfig::new("unused");
        configure(&mut config);
        let start = Instant::now();
        let date = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let session = {
            let env = config.env(start, &date, view.as_ref());
            Session::new([127, 0, 0, 1].into(), Site, &env)
        };
        Driver {
            session,
            world: World {
                view,
                config,
                start,
                date,
            },
            wire: Vec::new(),
            log: Vec::new(),
        }
    }

    /// Offers `bytes` at time `at`, `chunk` at most per read; returns how many were taken
    /// (the session may want no more for now).
    fn feed_in(&mut self, bytes: &[u8], chunk: usize, at: f64) -> usize {
        let mut taken = 0;
        while taken < bytes.len() {
            let env = self.world.env(at);
            let Some(buffer) = self.session.read_buffer(&env) else {
                break;
            };
            let n = buffer.len().min(chunk).min(bytes.len() - taken);
            buffer[..n].copy_from_slice(&bytes[taken..taken + n]);
            self.session.received(n, &env);
            taken += n;
        }
        taken
    }

    fn feed(&mut self, bytes: &[u8], at: f64) -> usize {
        self.feed_in(bytes, usize::MAX, at)
    }

    fn end_input(&mut self, at: f64) {
        let env = self.world.env(at);
        self.session.received(0, &env);
        self.take_log();
    }

    /// Sends at most `limit` bytes per write, until the session has nothing more (or only
    /// asks for the half-close when `stop_at_fin`).
    fn flush_in(&mut self, limit: usize, at: f64) {
        loop {
            let env = self.world.env(at);
            let sent = match self.session.transmit() {
                None => break,
                Some(Transmit::Shutdown) => {
                    self.wire.extend_from_slice(b"<FIN>");
                    self.session.shut_down(&env);
                    continue;
                }
                Some(Transmit::Bytes { bytes, .. }) => {
                    let n = bytes.len().min(limit);
                    self.wire.extend_from_slice(&bytes[..n]);
                    n
                }
                Some(Transmit::File { file, offset, len }) => {
                    let n = (len as usize).min(limit);
                    let mut file = file;
                    file.seek(SeekFrom::Start(offset)).unwrap();
                    let mut part = vec![0; n];
                    file.read_exact(&mut part).unwrap();
                    self.wire.extend_from_slice(&part);
                    n
                }
            };
            self.session.sent(sent, &env);
        }
        self.take_log();
    }

    fn flush(&mut self, at: f64) {
        self.flush_in(usize::MAX, at);
    }

    /// Sends one write of at most `limit` bytes.
    fn send_once(&mut self, limit: usize, at: f64) {
        let env = self.world.env(at);
        let n = match self.session.transmit() {
            Some(Transmit::Bytes { bytes, .. }) => {
                let n = bytes.len().min(limit);
                self.wire.extend_from_slice(&bytes[..n]);
                n
            }
            other => panic!("expected bytes to send, got {other:?}"),
        };
        self.session.sent(n, &env);
        self.take_log();
    }

    fn tick(&mut self, at: f64) {
        let env = self.world.env(at);
        self.session.tick(&env);
        self.take_log();
    }

    fn take_log(&mut self) {
        let records: Vec<LogRecord> = self.session.take_log().collect();
        self.log.extend(records);
    }

    /// Seconds from the start to the session's next deadline.
    fn deadline(&self) -> Option<f64> {
        self.session
            .deadline()
            .map(|d| (d - self.world.start).as_secs_f64())
    }

    fn take_wire(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.wire)).into_owned()
    }

    fn statuses(&self) -> Vec<u16> {
        self.log.iter().map(|r| r.status).collect()
    }
}

fn close_to(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

/// The status codes of the responses in `wire`, in order.
fn status_codes(wire: &str) -> Vec<u16> {
    wire.match_indices("HTTP/1.1 ")
        .map(|(i, _)| wire[i + 9..i + 12].parse().unwrap())
        .collect()
}

// ---------------------------------------------------------------- deadlines

#[test]
fn a_partial_head_gets_408_at_the_head_deadline_then_a_lingering_close() {
    let mut d = Driver::new();
    d.feed(b"GET /helloWorld.html HTTP/1.1\r\nHo", 1.0);
    assert!(close_to(d.deadline(), 10.0), "10 s from accept");
    d.tick(9.99);
    assert_eq!(d.session.phase(), Phase::Open);
    assert!(d.session.transmit().is_none());
    d.tick(10.0);
    d.flush(10.0);
    let wire = d.take_wire();
    assert!(
        wire.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{wire}"
    );
    assert!(wire.contains("\r\nConnection: close\r\n"));
    assert!(wire.ends_with("<FIN>"), "a 408 lingers: {wire}");
    assert!(matches!(d.session.phase(), Phase::Lingering { .. }));
    assert!(close_to(d.deadline(), 12.0), "linger 2 s");
    d.tick(12.0);
    assert!(d.session.is_closed());
    assert_eq!(d.statuses(), [408]);
    assert_eq!(d.log[0].request_line, "GET /helloWorld.html HTTP/1.1");
}

#[test]
fn bytes_trickled_in_never_move_the_head_deadline() {
    let mut d = Driver::new();
    for (i, byte) in b"GET /helloWorld.html HTTP/1.1\r\n".iter().enumerate() {
        let at = i as f64 * 0.3;
        if at >= 10.0 {
            break;
        }
        d.feed(&[*byte], at);
        d.tick(at);
        assert!(close_to(d.deadline(), 10.0), "byte {i}");
    }
    d.tick(10.0);
    d.flush(10.0);
    assert_eq!(status_codes(&d.take_wire()), [408]);
}

#[test]
fn an_idle_kept_alive_connection_closes_silently_at_the_idle_deadline() {
    let mut d = Driver::new();
    d.feed(&get("/helloWorld.html"), 1.0);
    d.flush(2.0);
    assert_eq!(status_codes(&d.take_wire()), [200]);
    assert_eq!(d.session.phase(), Phase::Open);
    // Deadlines restart when the response has gone out: idle 5 s, head 10 s.
    assert!(close_to(d.deadline(), 7.0));
    d.tick(6.99);
    assert_eq!(d.session.phase(), Phase::Open);
    d.tick(7.0);
    assert!(d.session.is_closed());
    d.flush(7.0);
    assert_eq!(
        d.take_wire(),
        "",
        "no 408 for a connection with nothing pending"
    );
}

#[test]
fn the_first_byte_after_an_idle_wait_starts_the_head_deadline() {
    let mut d = Driver::new();
    d.feed(&get("/helloWorld.html"), 0.0);
    d.flush(3.0);
    d.take_wire();
    d.feed(b"GET /", 4.0);
    assert!(
        close_to(d.deadline(), 14.0),
        "head: 10 s from the first byte"
    );
    d.feed(b"helloWorld.html HTTP/1.1\r\n", 9.0);
    assert!(close_to(d.deadline(), 14.0), "later bytes do not move it");
    d.tick(13.9);
    assert_eq!(d.session.phase(), Phase::Open);
    d.tick(14.0);
    d.flush(14.0);
    assert_eq!(status_codes(&d.take_wire()), [408]);
}

#[test]
fn an_idle_timeout_longer_than_the_head_timeout_holds_the_connection() {
    let mut d = Driver::with(Box::new(site()), |c| {
        c.timeouts.idle = Duration::from_secs(60);
    });
    d.feed(&get("/helloWorld.html"), 0.0);
    d.flush(0.0);
    d.take_wire();
    assert!(close_to(d.deadline(), 60.0));
    d.tick(30.0);
    assert_eq!(d.session.phase(), Phase::Open, "held past the head timeout");
    d.feed(&get("/helloWorld.html"), 45.0);
    d.flush(45.0);
    assert_eq!(
        status_codes(&d.take_wire()),
        [200],
        "a request after 45 s idle is served"
    );
}

#[test]
fn a_client_that_stops_reading_is_dropped_at_the_write_deadline_and_logged() {
    let mut d = Driver::with(Box::new(site()), |c| c.quiet = false);
    d.feed(&get("/big.bin"), 0.0);
    assert!(close_to(d.deadline(), 30.0), "write: 30 s");
    d.send_once(100, 5.0);
    assert!(
        close_to(d.deadline(), 35.0),
        "progress moves the write deadline"
    );
    d.tick(34.9);
    assert_eq!(d.session.phase(), Phase::Open);
    d.tick(35.0);
    assert!(d.session.is_closed());
    assert!(d.session.transmit().is_none());
    assert_eq!(d.log.len(), 1);
    assert_eq!(
        d.log[0].body_bytes, 0,
        "the 100 bytes that went out were all head: the log counts body bytes sent"
    );
}

// ---------------------------------------------------------------- pipelining, discard

#[test]
fn pipelined_requests_are_answered_in_order_from_one_read() {
    let mut d = Driver::new();
    let mut three = get("/helloWorld.html");
    three.extend_from_slice(&get("/missing.html"));
    three.extend_from_slice(&get("/helloWorld.html"));
    assert_eq!(d.feed(&three, 0.0), three.len());
    d.flush(0.0);
    assert_eq!(status_codes(&d.take_wire()), [200, 404, 200]);
    assert_eq!(d.session.phase(), Phase::Open);
}

#[test]
fn pipelining_is_bounded_by_the_output_and_resumes_as_it_drains() {
    let mut d = Driver::new();
    let padded = format!(
        "GET /big.bin HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(1000)
    );
    let many: Vec<u8> = padded.repeat(40).into_bytes();
    let taken = d.feed(&many, 0.0);
    assert!(
        taken < many.len(),
        "with a large answer waiting, the session stops reading"
    );
    let mut fed = taken;
    let mut wire = Vec::new();
    while fed < many.len() || d.session.transmit().is_some() {
        d.send_once_any(64 * 1024, 0.5);
        fed += d.feed(&many[fed..], 0.5);
        wire.append(&mut d.wire);
    }
    let text = String::from_utf8_lossy(&wire);
    assert_eq!(status_codes(&text).len(), 40);
    assert_eq!(wire.len(), 40 * response_len(padded.as_bytes()));
}

impl Driver {
    /// One write of whatever comes next (bytes or file), at most `limit`.
    fn send_once_any(&mut self, limit: usize, at: f64) {
        let env = self.world.env(at);
        let n = match self.session.transmit() {
            None | Some(Transmit::Shutdown) => return,
            Some(Transmit::Bytes { bytes, .. }) => {
                let n = bytes.len().min(limit);
                self.wire.extend_from_slice(&bytes[..n]);
                n
            }
            Some(Transmit::File { .. }) => unreachable!("the memory view has no files on disk"),
        };
        self.session.sent(n, &env);
    }
}

/// The length of the response to `request` when it arrives alone.
fn response_len(request: &[u8]) -> usize {
    let mut d = Driver::new();
    d.feed(request, 0.0);
    d.flush(0.0);
    d.wire.len()
}

#[test]
fn a_small_body_on_get_is_thrown_away_even_split_across_reads() {
    let mut d = Driver::new();
    d.feed(
        b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123",
        0.0,
    );
    d.flush(0.0);
    assert_eq!(status_codes(&d.take_wire()), [200]);
    d.feed(b"456", 1.0);
    d.feed(b"789GET /missing.html HTTP/1.1\r\nHost: x\r\n\r\n", 2.0);
    d.flush(2.0);
    assert_eq!(status_codes(&d.take_wire()), [404]);
}

#[test]
fn a_body_that_never_ends_gets_408_at_the_head_deadline() {
    let mut d = Driver::new();
    d.feed(
        b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01",
        0.0,
    );
    d.flush(1.0);
    assert_eq!(status_codes(&d.take_wire()), [200]);
    assert!(
        close_to(d.deadline(), 11.0),
        "a body in progress is a partial request"
    );
    d.tick(11.0);
    d.flush(11.0);
    assert_eq!(status_codes(&d.take_wire()), [408]);
}

// ---------------------------------------------------------------- close and linger

#[test]
fn connection_close_from_the_client_closes_at_once_with_the_fin_behind_the_data() {
    let mut d = Driver::new();
    d.feed(
        b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        0.0,
    );
    assert_eq!(d.session.phase(), Phase::Closing { linger: false });
    match d.session.transmit() {
        Some(Transmit::Bytes { last, .. }) => assert!(last, "MSG_MORE lets the FIN ride along"),
        other => panic!("{other:?}"),
    }
    d.flush(0.0);
    assert!(d.session.is_closed());
    let wire = d.take_wire();
    assert!(!wire.contains("<FIN>"), "no lingering close: {wire}");
}

#[test]
fn a_refused_request_lingers_and_drains_until_the_client_closes() {
    let mut d = Driver::new();
    d.feed(
        b"POST /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
        0.0,
    );
    assert_eq!(d.session.phase(), Phase::Closing { linger: true });
    d.flush(0.0);
    let wire = d.take_wire();
    assert!(wire.starts_with("HTTP/1.1 405 "), "{wire}");
    assert!(wire.ends_with("<FIN>"));
    assert_eq!(
        d.feed(&[b'x'; 97], 0.5),
        97,
        "the rest of the body is read and dropped"
    );
    assert!(matches!(d.session.phase(), Phase::Lingering { .. }));
    d.end_input(0.6);
    assert!(d.session.is_closed());
}

#[test]
fn lingering_stops_after_a_mebibyte() {
    let mut d = Driver::new();
    d.feed(b"BREW / HTTP/1.1\r\n\r\n", 0.0);
    d.flush(0.0);
    assert!(matches!(d.session.phase(), Phase::Lingering { .. }));
    let junk = vec![b'x'; 64 * 1024];
    for _ in 0..17 {
        d.feed(&junk, 0.1);
    }
    assert!(d.session.is_closed());
}

#[test]
fn a_close_with_more_requests_behind_it_lingers() {
    let mut d = Driver::new();
    let mut two = b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec();
    two.extend_from_slice(&get("/helloWorld.html"));
    d.feed(&two, 0.0);
    d.flush(0.0);
    let wire = d.take_wire();
    assert_eq!(
        status_codes(&wire),
        [200],
        "nothing after the close is answered"
    );
    assert!(wire.ends_with("<FIN>"));
}

#[test]
fn http10_closes_unless_it_asks_for_keep_alive() {
    let mut d = Driver::new();
    d.feed(b"GET /helloWorld.html HTTP/1.0\r\n\r\n", 0.0);
    assert_eq!(d.session.phase(), Phase::Closing { linger: false });
    let mut d = Driver::new();
    d.feed(
        b"GET /helloWorld.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        0.0,
    );
    d.flush(0.0);
    assert!(d.take_wire().contains("\r\nConnection: keep-alive\r\n"));
    assert_eq!(d.session.phase(), Phase::Open);
}

#[test]
fn the_end_of_input_closes_after_the_answers_to_what_arrived() {
    let mut d = Driver::new();
    let mut two = get("/helloWorld.html");
    two.extend_from_slice(&get("/missing.html"));
    d.feed(&two, 0.0);
    d.end_input(0.0);
    assert!(!d.session.is_closed(), "answers still to send");
    d.flush(0.0);
    assert_eq!(status_codes(&d.take_wire()), [200, 404]);
    assert!(d.session.is_closed());

    let mut d = Driver::new();
    d.feed(b"GET /helloWorld.html HTT", 0.0);
    d.end_input(0.5);
    assert!(
        d.session.is_closed(),
        "half a request and no more to come: closed"
    );
    d.flush(0.5);
    assert_eq!(d.take_wire(), "");
}

#[test]
fn a_stop_finishes_the_response_in_flight_and_closes_idle_connections() {
    let mut d = Driver::new();
    d.feed(&get("/big.bin"), 0.0);
    d.send_once(1000, 0.0);
    d.session.stop();
    assert_eq!(d.session.phase(), Phase::Closing { linger: false });
    d.flush(0.1);
    assert!(d.session.is_closed());
    assert_eq!(d.wire.len(), response_len(&get("/big.bin")));

    let mut d = Driver::new();
    d.feed(b"GET /hel", 0.0);
    d.session.stop();
    assert!(d.session.is_closed());
}

// ---------------------------------------------------------------- files, log, panics

#[test]
fn a_large_file_is_handed_over_to_be_sent_from_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..300 * 1024).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.path().join("large.bin"), &body).unwrap();
    let view = DiskView::new(dir.path()).unwrap();
    let mut d = Driver::with(Box::new(view), |_| {});
    d.feed(&get("/large.bin"), 0.0);
    match d.session.transmit() {
        Some(Transmit::Bytes { bytes, .. }) => {
            assert!(bytes.ends_with(b"\r\n\r\n"), "the head alone")
        }
        other => panic!("{other:?}"),
    }
    d.flush_in(7000, 0.0);
    assert!(
        d.wire.ends_with(&body),
        "the body, byte for byte, from the file"
    );
    assert_eq!(d.session.phase(), Phase::Open);
}

#[test]
fn the_access_log_gets_each_response_once_it_has_gone_out() {
    let mut d = Driver::with(Box::new(site()), |c| c.quiet = false);
    let mut two = get("/helloWorld.html");
    two.extend_from_slice(b"HEAD /missing.html HTTP/1.1\r\nHost: x\r\n\r\n");
    d.feed(&two, 0.0);
    assert!(d.log.is_empty(), "nothing has gone out yet");
    d.flush(0.0);
    assert_eq!(d.statuses(), [200, 404]);
    assert_eq!(d.log[0].body_bytes, HELLO.len() as u64);
    assert_eq!(d.log[1].body_bytes, 0, "HEAD: no body");
    assert_eq!(d.log[1].request_line, "HEAD /missing.html HTTP/1.1");
    let line = httplab::server::format_line(&d.log[0]);
    assert!(
        line.ends_with("\"GET /helloWorld.html HTTP/1.1\" 200 47\n"),
        "{line}"
    );

    let mut quiet = Driver::with(Box::new(site()), |c| c.quiet = true);
    quiet.feed(&get("/helloWorld.html"), 0.0);
    quiet.flush(0.0);
    assert!(quiet.log.is_empty(), "--quiet: no records at all");
}

// ---------------------------------------------------------------- explanations, --show-requests

/// The body of the response in `wire` (one response, then perhaps `<FIN>`).
fn body_of(wire: &str) -> &str {
    let body = wire.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    body.strip_suffix("<FIN>").unwrap_or(body)
}

#[test]
fn the_408_says_what_had_arrived_and_what_was_missing() {
    let mut d = Driver::with(Box::new(site()), |c| c.quiet = false);
    d.feed(b"GET /helloWorld.html", 0.5);
    d.tick(10.0);
    d.flush(10.0);
    let wire = d.take_wire();
    let why = explain_incomplete_head(b"GET /helloWorld.html", secs(10.0));
    assert!(
        why.contains("20 bytes arrived, \"GET /helloWorld.html\""),
        "{why}"
    );
    assert!(why.contains("no HTTP version and no line end"), "{why}");
    assert_eq!(body_of(&wire), format!("408 Request Timeout: {why}\n"));
    assert_eq!(
        d.log[0].why.as_deref(),
        Some(why.as_str()),
        "the log says why too"
    );
    assert_eq!(
        d.log[0].arrived, None,
        "the head is kept only for --show-requests"
    );
}

#[test]
fn the_408_of_a_body_that_never_ends_says_how_much_is_missing() {
    let mut d = Driver::new();
    d.feed(
        b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01",
        0.0,
    );
    d.flush(0.0);
    d.take_wire();
    d.tick(10.0);
    d.flush(10.0);
    let why = explain_unfinished_body(8, secs(10.0));
    assert_eq!(
        body_of(&d.take_wire()),
        format!("408 Request Timeout: {why}\n")
    );
}

#[test]
fn show_requests_keeps_each_head_as_it_arrived_even_a_refused_one() {
    let mut d = Driver::with(Box::new(site()), |c| {
        c.quiet = false;
        c.show_requests = true;
    });
    let bad = b"HEAD / HTTP/1.1\r\nHost : x\r\n\r\n";
    d.feed(&[get("/helloWorld.html").as_slice(), bad].concat(), 0.0);
    d.flush(0.0);
    assert_eq!(d.statuses(), [200, 400]);
    assert_eq!(
        d.log[0].arrived.as_ref().map(|a| &a.bytes[..]),
        Some(&get("/helloWorld.html")[..])
    );
    assert_eq!(d.log[0].why, None, "a 200 needs no explanation");
    let refused = &d.log[1];
    assert_eq!(
        refused.arrived.as_ref().map(|a| &a.bytes[..]),
        Some(&bad[..])
    );
    let why = refused.why.as_deref().unwrap_or_default();
    assert!(
        why.contains("line 2 arrived as \"Host : x\\r\\n\""),
        "a HEAD's refusal has no body, but the log still says why: {why}"
    );
    let entry = format_entry(refused, true);
    let lines: Vec<&str> = entry.lines().collect();
    assert!(lines[0].ends_with("\"HEAD / HTTP/1.1\" 400 -"), "{entry}");
    assert_eq!(lines[1], format!("  \u{21b3} why: {why}"));
    assert_eq!(
        lines[2..],
        [
            "  \u{21b3} the request as it arrived, 29 bytes:",
            "    | HEAD / HTTP/1.1\\r\\n",
            "    | Host : x\\r\\n",
            "    | \\r\\n",
        ]
    );
    assert_eq!(
        format_entry(refused, false).lines().count(),
        2,
        "without the flag"
    );
}

#[test]
fn show_requests_bounds_a_huge_head_and_dumps_bytes_that_are_not_text() {
    let mut d = Driver::with(Box::new(site()), |c| {
        c.quiet = false;
        c.show_requests = true;
    });
    let mut huge = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
    huge.extend_from_slice(&b"X-Filler: 0123456789abcdef\r\n".repeat(400));
    d.feed(&huge, 0.0);
    d.flush(0.0);
    let arrived = d.log[0].arrived.clone().unwrap();
    assert_eq!(arrived.bytes.len(), 1024);
    assert!(arrived.len > 1024);
    let entry = format_entry(&d.log[0], true);
    assert!(
        entry.ends_with(&format!(
            "    ... ({} bytes in all, the first 1024 shown)\n",
            arrived.len
        )),
        "{entry}"
    );
    let garbage = Arrived::new(b"\x00\xff garbage \x01\r\n\r\n");
    let mut record = d.log[0].clone();
    record.arrived = Some(garbage);
    let entry = format_entry(&record, true);
    assert!(
        entry.contains("the request as it arrived, 16 bytes, not text:\n"),
        "{entry}"
    );
    assert!(
        entry.contains("    | \\x00\\xff garbage \\x01\\r\\n\n"),
        "{entry}"
    );
    assert!(
        entry.contains(
            "    00000000  00 ff 20 67 61 72 62 61  67 65 20 01 0d 0a 0d 0a  |.. garbage .....|\n"
        ),
        "{entry}"
    );
}

#[test]
fn a_panic_answers_500_after_the_answers_queued_before_it() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut d = Driver::with(Box::new(site()), |c| {
        c.panic_on_target = Some("/boom".into())
    });
    let mut two = get("/helloWorld.html");
    two.extend_from_slice(&get("/boom"));
    two.extend_from_slice(&get("/helloWorld.html"));
    d.feed(&two, 0.0);
    d.flush(0.0);
    let _ = std::panic::take_hook();
    let wire = d.take_wire();
    assert_eq!(status_codes(&wire), [200, 500], "{wire}");
    assert!(wire.ends_with("<FIN>"), "the 500 closes, lingering");
}

// ---------------------------------------------------------------- the property

/// The requests a schedule is made of: kept-alive GETs and HEADs, a 404, a body to discard,
/// a folder redirect, and perhaps a closing request at the end.
fn requests() -> impl Strategy<Value = Vec<u8>> {
    let one = prop_oneof![
        Just(get("/helloWorld.html")),
        Just(get("/missing.html")),
        Just(get("/big.bin")),
        Just(get("/sub")),
        Just(b"HEAD /helloWorld.html HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        Just(
            b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n1234567"
                .to_vec()
        ),
        Just(b"\r\nGET /unicode.html HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
    ];
    let last = prop_oneof![
        Just(Vec::new()),
        Just(b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec()),
        Just(b"GET /x HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n".to_vec()),
    ];
    (prop::collection::vec(one, 1..6), last).prop_map(|(requests, last)| {
        let mut bytes: Vec<u8> = requests.concat();
        bytes.extend_from_slice(&last);
        bytes
    })
}

/// All at once: one read of everything, then every write whole.
fn at_once(input: &[u8]) -> Vec<u8> {
    let mut d = Driver::new();
    let mut fed = 0;
    while fed < input.len() && !d.session.is_closed() {
        fed += d.feed(&input[fed..], 0.0);
        d.flush(0.0);
    }
    d.wire
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// However the bytes arrive (any split into reads), whenever the ticks come (before any
    /// deadline), and however the kernel cuts the writes, the bytes sent are the same as for
    /// the requests arriving at once.
    #[test]
    fn any_schedule_sends_the_same_bytes(
        input in requests(),
        reads in prop::collection::vec(1usize..200, 1..40),
        writes in prop::collection::vec(1usize..5000, 1..40),
        ticks in prop::collection::vec(any::<bool>(), 1..40),
    ) {
        let expected = at_once(&input);
        let mut d = Driver::new();
        let mut fed = 0;
        let mut step = 0;
        let mut at = 0.0;
        while !d.session.is_closed() {
            let read = reads[step % reads.len()];
            let write = writes[step % writes.len()];
            at += 0.001;
            if fed < input.len() {
                let end = (fed + read).min(input.len());
                fed += d.feed_in(&input[fed..end], read, at);
            } else if d.session.transmit().is_none() {
                break;
            }
            if ticks[step % ticks.len()] {
                d.tick(at);
            }
            if let Some(Transmit::Bytes { .. }) = d.session.transmit() {
                d.send_once(write, at);
            } else if let Some(Transmit::Shutdown) = d.session.transmit() {
                d.flush(at);
            }
            step += 1;
            prop_assert!(step < 100_000, "no progress");
        }
        prop_assert_eq!(String::from_utf8_lossy(&d.wire), String::from_utf8_lossy(&expected));
    }
}
