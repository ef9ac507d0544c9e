//! The raw-socket harness: the real server on a free port, driven by the probe library, each
//! conversation recorded as a transcript and pinned by a snapshot (times and ports left out).
//! Then the probe against servers we did not write: Python's http.server, and a broken one.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use httplab::wire::RecordingStream;
use httplab::wire::analysis::Ending;
use httplab::wire::probe::{ProbeConfig, ProbeEnd, probe, read_response};
use httplab::wire::transcript::RenderOptions;

/// A probe of 127.0.0.1:PORT that says `Host: localhost:6789`, so the bytes it sends do not
/// depend on the free port the test server got.
fn config(port: u16, path: &str) -> ProbeConfig {
    let mut config = ProbeConfig::new("127.0.0.1", port, path);
    config
        .headers
        .push(("Host".into(), "localhost:6789".into()));
    config
}

fn stable(config: &ProbeConfig) -> String {
    let report = probe(config).expect("connects");
    report.transcript.render(RenderOptions::STABLE)
}

#[test]
fn get_200() {
    let (_dir, server) = common::start_stable_server();
    snapshot!(
        "transcript__get_200",
        stable(&config(server.addr.port(), "/helloWorld.html"))
    );
}

#[test]
fn get_404() {
    let (_dir, server) = common::start_stable_server();
    snapshot!(
        "transcript__get_404",
        stable(&config(server.addr.port(), "/missing.html"))
    );
}

#[test]
fn head() {
    let (_dir, server) = common::start_stable_server();
    let mut head = config(server.addr.port(), "/helloWorld.html");
    head.method = "HEAD".into();
    snapshot!("transcript__head", stable(&head));
}

#[test]
fn three_requests_on_one_connection() {
    let (_dir, server) = common::start_stable_server();
    let mut three = config(server.addr.port(), "/helloWorld.html");
    three.repeat = 3;
    let report = probe(&three).unwrap();
    assert_eq!(report.exchanges.len(), 3);
    for exchange in &report.exchanges {
        assert!(
            exchange.analysis.faults().next().is_none(),
            "{:?}",
            exchange.analysis.findings
        );
    }
    let connects = report
        .transcript
        .events
        .iter()
        .filter(|e| matches!(e.kind, httplab::wire::EventKind::Connect { .. }));
    assert_eq!(connects.count(), 1, "one connection");
    snapshot!(
        "transcript__three_on_one_connection",
        report.transcript.render(RenderOptions::STABLE)
    );
}

#[test]
fn two_pipelined() {
    let (_dir, server) = common::start_stable_server();
    let mut connection =
        RecordingStream::connect("127.0.0.1", server.addr.port(), Duration::from_secs(5)).unwrap();
    connection
        .send(b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\n\r\nGET /missing.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut pending = Vec::new();
    let (first, ending) = read_response(
        &mut connection,
        &mut pending,
        false,
        Duration::from_secs(5),
        None,
    );
    assert_eq!(ending, Ending::Complete);
    assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let (second, _) = read_response(
        &mut connection,
        &mut pending,
        false,
        Duration::from_secs(5),
        Some(Duration::from_secs(2)),
    );
    assert!(second.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    let transcript = connection.close();
    assert!(
        transcript.peer_closed(),
        "the server closed after the request that asked it to"
    );
    snapshot!(
        "transcript__two_pipelined",
        transcript.render(RenderOptions::STABLE)
    );
}

#[test]
fn split_byte_by_byte() {
    let (_dir, server) = common::start_stable_server();
    let mut split = config(server.addr.port(), "/helloWorld.html");
    split.split = Some(1);
    split.pause = Duration::from_millis(1);
    let report = probe(&split).unwrap();
    assert_eq!(report.outcome, ProbeEnd::Answered);
    let writes = report
        .transcript
        .events
        .iter()
        .filter(|e| matches!(e.kind, httplab::wire::EventKind::Write { .. }));
    assert_eq!(
        writes.count(),
        report.exchanges[0].request.len(),
        "one write per byte"
    );
    snapshot!(
        "transcript__split_byte_by_byte",
        report.transcript.render(RenderOptions::STABLE)
    );
}

#[test]
fn empty_connection() {
    let (_dir, server) = common::start_stable_server();
    let mut connection =
        RecordingStream::connect("127.0.0.1", server.addr.port(), Duration::from_secs(5)).unwrap();
    connection.shutdown_write();
    let (bytes, ending) = read_response(
        &mut connection,
        &mut Vec::new(),
        false,
        Duration::from_secs(5),
        None,
    );
    assert!(bytes.is_empty());
    assert_eq!(ending, Ending::Closed, "the server closes quietly");
    snapshot!(
        "transcript__empty_connection",
        connection.close().render(RenderOptions::STABLE)
    );
    // And it still answers.
    assert_eq!(
        probe(&config(server.addr.port(), "/helloWorld.html"))
            .unwrap()
            .exchanges[0]
            .analysis
            .code,
        Some(200)
    );
}

#[test]
fn garbage() {
    let (_dir, server) = common::start_stable_server();
    let mut garbage = config(server.addr.port(), "/");
    garbage.raw = Some(b"\x00\xff garbage \x01\r\n\r\n".to_vec());
    let report = probe(&garbage).unwrap();
    assert_eq!(report.exchanges[0].analysis.code, Some(400));
    assert!(report.transcript.peer_closed());
    snapshot!(
        "transcript__garbage",
        report.transcript.render(RenderOptions::STABLE)
    );
}

#[test]
fn probe_reads_what_python_http_server_really_sends() {
    let python = common::peers::python_http_server();
    let report = probe(&config(python.port, "/helloWorld.html")).unwrap();
    let exchange = &report.exchanges[0];
    let response = String::from_utf8_lossy(&exchange.response);
    assert!(response.starts_with("HTTP/1.0 200 OK\r\n"), "{response}");
    let server = exchange
        .analysis
        .fields
        .iter()
        .find(|(n, _)| n == "Server")
        .map(|(_, v)| v.as_str());
    assert!(
        server.is_some_and(|s| s.starts_with("SimpleHTTP/") && s.contains("Python/")),
        "{server:?}"
    );
    assert!(response.ends_with("\r\n\r\n<head>Hello world!</head>\n<body>abcdefg</body>\n"));
    assert!(
        exchange.analysis.faults().next().is_none(),
        "{:?}",
        exchange.analysis.findings
    );
    assert!(
        report.transcript.peer_closed(),
        "HTTP/1.0: python closes after the response"
    );

    let missing = probe(&config(python.port, "/missing.html")).unwrap();
    assert_eq!(missing.exchanges[0].analysis.code, Some(404));
}

/// The seed's mistakes on purpose: a space before HTTP/1.1, bare LFs, a Content-Length that
/// promises more than comes, and the body one byte per write.
fn broken_server() -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request); // one recv(1024), as in the seed
        let body = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";
        let head = format!(
            " HTTP/1.1 200 OK\nConnection: close\nContent-Type: text/html\nContent-Length: {}\n\n",
            body.len() + 10
        );
        stream.write_all(head.as_bytes()).unwrap();
        for byte in body {
            stream.write_all(&[*byte]).unwrap();
            thread::sleep(Duration::from_millis(3));
        }
    });
    (port, handle)
}

/// One `send()` per byte, as fast as the server can: the client's kernel merges the tiny
/// segments into a few reads, so only the segment count shows the fault.
#[test]
fn probe_names_tiny_sends_even_when_the_reads_merge_them() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        let body = "x".repeat(300);
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        for byte in response.as_bytes() {
            stream.write_all(&[*byte]).unwrap();
        }
    });
    let report = probe(&config(port, "/")).unwrap();
    server.join().unwrap();
    let analysis = &report.exchanges[0].analysis;
    let segments = report.transcript.data_segments_received.unwrap();
    assert!(segments > 8, "{segments} segments");
    assert!(analysis.has("byte-per-send"), "{:#?}", analysis.findings);
}

#[test]
fn probe_names_every_fault_of_a_broken_server() {
    let (port, server) = broken_server();
    let report = probe(&config(port, "/helloWorld.html")).unwrap();
    server.join().unwrap();
    let analysis = &report.exchanges[0].analysis;
    for id in ["leading-bytes", "bare-lf", "body-short", "byte-per-send"] {
        assert!(
            analysis.has(id),
            "{id} not found in {:#?}",
            analysis.findings
        );
    }
    let ones = report
        .transcript
        .read_sizes()
        .iter()
        .filter(|n| **n == 1)
        .count();
    assert!(
        ones >= 30,
        "one-byte reads in the transcript: {:?}",
        report.transcript.read_sizes()
    );
    assert!(
        report.transcript.summary(false).contains("read 1 byte ×"),
        "{}",
        report.transcript.summary(false)
    );
}

/// A one-connection server running `serve` on each accepted connection, for `count`
/// connections; the handle ends when they are served.
fn scripted_server(
    count: usize,
    serve: impl Fn(std::net::TcpStream) + Send + 'static,
) -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        for _ in 0..count {
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            serve(stream);
        }
    });
    (port, handle)
}

const HELLO_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

/// Reads one request head (until the empty line, or the client's close).
fn read_head(stream: &mut std::net::TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}

#[test]
fn probe_names_a_server_that_never_closes_although_asked() {
    let (port, server) = scripted_server(1, |mut stream| {
        read_head(&mut stream);
        stream.write_all(HELLO_RESPONSE).unwrap();
        thread::sleep(Duration::from_millis(600)); // holds the connection past the linger
    });
    let report = probe(&config(port, "/")).unwrap();
    server.join().unwrap();
    let analysis = &report.exchanges[0].analysis;
    assert!(analysis.has("no-close"), "{:#?}", analysis.findings);

    // The same server when the client did not ask for the close: nothing to say.
    let (port, server) = scripted_server(1, |mut stream| {
        read_head(&mut stream);
        stream.write_all(HELLO_RESPONSE).unwrap();
        thread::sleep(Duration::from_millis(600));
    });
    let mut keep = config(port, "/");
    keep.headers = vec![("Connection".into(), "keep-alive".into())];
    let report = probe(&keep).unwrap();
    server.join().unwrap();
    assert!(!report.exchanges[0].analysis.has("no-close"));
}

#[test]
fn probe_names_a_server_that_closes_after_promising_keep_alive() {
    let (port, server) = scripted_server(1, |mut stream| {
        read_head(&mut stream);
        stream.write_all(HELLO_RESPONSE).unwrap(); // no Connection: close, then the close
    });
    let mut two = config(port, "/");
    two.repeat = 2;
    let report = probe(&two).unwrap();
    server.join().unwrap();
    assert_eq!(report.exchanges.len(), 2);
    let second = &report.exchanges[1].analysis;
    assert!(second.has("closed-unannounced"), "{:#?}", second.findings);
}

#[test]
fn probe_names_a_server_that_reads_until_the_client_closes() {
    let (port, server) = scripted_server(2, |mut stream| {
        let mut all = Vec::new();
        let _ = stream.read_to_end(&mut all); // until the client's FIN (or the 5 s bound)
        let _ = stream.write_all(HELLO_RESPONSE);
    });
    let mut quick = config(port, "/");
    quick.timeout = Duration::from_millis(800);
    let report = probe(&quick).unwrap();
    server.join().unwrap();
    let analysis = &report.exchanges[0].analysis;
    assert!(
        analysis.has("reads-until-close"),
        "{:#?}",
        analysis.findings
    );
}
