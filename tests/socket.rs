//! The socket layer against real TCP connections: requests in pieces and in bunches, empty
//! connections, keep-alive, timeouts, limits and shutdown — each test run against both
//! connection models (the event loop and a thread per connection).

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::client::{HELLO, connect, get, read_to_close};
use common::{RawResponse, read_response, start_server};
use httplab::server::Model;

fn one(stream: &mut TcpStream, pending: &mut Vec<u8>) -> RawResponse {
    read_response(stream, pending, false)
}

fn a_request_written_one_byte_at_a_time_is_answered(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut stream = connect(server.addr);
    for byte in get("/helloWorld.html") {
        stream.write_all(&[byte]).unwrap();
        sleep(Duration::from_millis(2));
    }
    let response = one(&mut stream, &mut Vec::new());
    assert_eq!(response.code, 200);
    assert_eq!(response.body, HELLO);
}

fn pipelined_requests_are_answered_in_order(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut stream = connect(server.addr);
    let mut both = get("/helloWorld.html");
    both.extend_from_slice(&get("/missing.html"));
    both.extend_from_slice(&get("/logo.png"));
    stream.write_all(&both).unwrap();
    let mut pending = Vec::new();
    let first = one(&mut stream, &mut pending);
    let second = one(&mut stream, &mut pending);
    let third = one(&mut stream, &mut pending);
    assert_eq!((first.code, second.code, third.code), (200, 404, 200));
    assert_eq!(first.body, HELLO);
    assert_eq!(
        third.body,
        std::fs::read(common::fixtures_dir().join("logo.png")).unwrap()
    );
}

fn three_requests_on_one_connection(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut stream = connect(server.addr);
    let mut pending = Vec::new();
    for path in ["/helloWorld.html", "/unicode.html", "/sub/"] {
        stream.write_all(&get(path)).unwrap();
        let response = one(&mut stream, &mut pending);
        assert_eq!(response.code, 200, "{path}");
        assert_eq!(response.header("Connection"), None);
    }
    stream
        .write_all(b"GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let last = read_to_close(&mut stream);
    assert!(last.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(String::from_utf8_lossy(&last).contains("\r\nConnection: close\r\n"));
    assert!(
        last.ends_with(HELLO),
        "the server closes after the whole response"
    );
}

fn an_empty_connection_does_not_hurt_the_server(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    drop(TcpStream::connect(server.addr).unwrap());
    let mut half = connect(server.addr);
    half.write_all(b"GET /hel").unwrap();
    drop(half);
    let mut stream = connect(server.addr);
    stream.write_all(&get("/helloWorld.html")).unwrap();
    assert_eq!(one(&mut stream, &mut Vec::new()).body, HELLO);
}

fn garbage_gets_400_and_a_clean_close(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut stream = connect(server.addr);
    stream.write_all(b"\x00\x01\x02 hello?\r\n\r\n").unwrap();
    let all = read_to_close(&mut stream);
    assert!(
        all.starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
        "{:?}",
        String::from_utf8_lossy(&all)
    );
}

fn a_get_body_is_never_read_as_the_next_request(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut stream = connect(server.addr);
    let smuggled = get("/missing.html");
    let mut request = format!(
        "GET /helloWorld.html HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        smuggled.len()
    )
    .into_bytes();
    request.extend_from_slice(&smuggled);
    stream.write_all(&request[..request.len() - 5]).unwrap();
    sleep(Duration::from_millis(50)); // the rest of the body arrives later
    stream.write_all(&request[request.len() - 5..]).unwrap();
    stream.write_all(&get("/unicode.html")).unwrap();
    let mut pending = Vec::new();
    let first = one(&mut stream, &mut pending);
    let second = one(&mut stream, &mut pending);
    assert_eq!(first.body, HELLO);
    assert_eq!(
        second.code, 200,
        "the body was discarded, not answered as a request"
    );
    assert!(String::from_utf8_lossy(&second.body).contains("Grüße"));
}

fn an_unfinished_head_gets_408_at_the_deadline_even_when_trickled(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.timeouts.head = Duration::from_millis(600);
    });
    let mut stream = connect(server.addr);
    let started = Instant::now();
    // A byte every 100 ms: each byte must not extend the deadline.
    for byte in b"GET /helloWorld.html HTTP/1.1\r\n" {
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(2) {
            break;
        }
    }
    let all = read_to_close(&mut stream);
    assert!(
        all.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "{:?}",
        String::from_utf8_lossy(&all)
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

fn an_idle_kept_alive_connection_is_closed_without_a_word(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.timeouts.idle = Duration::from_millis(300);
    });
    let mut stream = connect(server.addr);
    stream.write_all(&get("/helloWorld.html")).unwrap();
    let mut pending = Vec::new();
    assert_eq!(one(&mut stream, &mut pending).code, 200);
    let started = Instant::now();
    let rest = read_to_close(&mut stream);
    assert!(
        rest.is_empty() && pending.is_empty(),
        "no 408 on an idle connection"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

fn past_the_connection_limit_a_client_gets_503(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.max_connections = 2;
    });
    // Each holds a slot with half a head: a connection that sends nothing would reach the
    // event model only after TCP_DEFER_ACCEPT's second, and the third would get a slot.
    let mut _a = connect(server.addr);
    let mut _b = connect(server.addr);
    for held in [&mut _a, &mut _b] {
        held.write_all(b"GET /helloWorld.html HTTP/1.1\r\n")
            .unwrap();
    }
    sleep(Duration::from_millis(100));
    let mut c = connect(server.addr);
    c.write_all(&get("/helloWorld.html")).unwrap();
    let all = read_to_close(&mut c);
    assert!(
        all.starts_with(b"HTTP/1.1 503 Service Unavailable\r\n"),
        "{:?}",
        String::from_utf8_lossy(&all)
    );
    drop(_a);
    sleep(Duration::from_millis(100));
    let mut d = connect(server.addr);
    d.write_all(&get("/helloWorld.html")).unwrap();
    assert_eq!(
        one(&mut d, &mut Vec::new()).code,
        200,
        "a freed slot is reused"
    );
}

fn a_large_file_streams_whole(model: Model) {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    std::fs::write(dir.path().join("big.bin"), &data).unwrap();
    let server = start_server(dir.path(), |c| c.model = model);
    let mut stream = connect(server.addr);
    stream.write_all(&get("/big.bin")).unwrap();
    let response = one(&mut stream, &mut Vec::new());
    assert_eq!(
        response.header("Content-Type"),
        Some("application/octet-stream")
    );
    assert!(response.body == data, "8 MiB arrive intact");
}

fn stopping_closes_idle_connections_and_finishes_quickly(model: Model) {
    let server = start_server(&common::fixtures_dir(), |c| c.model = model);
    let mut idle = connect(server.addr);
    idle.write_all(&get("/helloWorld.html")).unwrap();
    one(&mut idle, &mut Vec::new());
    let _fresh = connect(server.addr);
    sleep(Duration::from_millis(50));
    let started = Instant::now();
    let summary = server.stop();
    assert_eq!(summary.abandoned, 0);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(read_to_close(&mut idle).is_empty());
}

for_both_models!(
    a_request_written_one_byte_at_a_time_is_answered,
    pipelined_requests_are_answered_in_order,
    three_requests_on_one_connection,
    an_empty_connection_does_not_hurt_the_server,
    garbage_gets_400_and_a_clean_close,
    a_get_body_is_never_read_as_the_next_request,
    an_unfinished_head_gets_408_at_the_deadline_even_when_trickled,
    an_idle_kept_alive_connection_is_closed_without_a_word,
    past_the_connection_limit_a_client_gets_503,
    a_large_file_streams_whole,
    stopping_closes_idle_connections_and_finishes_quickly,
);
