//! Faults in the server's life: a panic inside one connection, SIGTERM during a download
//! (finished, or abandoned at the grace bound).

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread::sleep;
use std::time::{Duration, Instant};

use httplab::server::Model;

use crate::common;
use crate::harness::{
    HELLO, MIB, Served, connect, exchange, fetch, get, get_and_close, heavy, matches_pattern,
    parse_responses, read_head, read_until_closed, write_patterned, write_sparse,
};

/// With the test-only trigger, a request for /boom panics inside its connection. In one worker
/// (event model) or one thread per connection, with --max-connections 8: each /boom gets a 500
/// that closes its connection, after the answer to a good request pipelined before it; a
/// kept-alive connection, a half-received head and a download in progress all carry on; 40
/// panics later the slots are all free (no 503), the other connections are answered, and the
/// server stops cleanly with nothing abandoned.
fn a_panic_inside_one_connection_ends_only_that_connection(model: Model) {
    const PANICS: usize = 40;
    silence_test_only_panics();
    let dir = tempfile::tempdir().unwrap();
    httplab::fixtures::write_to(dir.path()).unwrap();
    write_patterned(&dir.path().join("big.bin"), 8);
    let server = common::start_server(dir.path(), |c| {
        c.model = model;
        c.workers = 1;
        c.max_connections = 8;
        c.panic_on_target = Some("/boom".into());
    });
    let addr = server.addr;
    let mut kept = connect(addr);
    kept.write_all(&get("/helloWorld.html")).unwrap();
    let mut kept_pending = Vec::new();
    assert_eq!(
        common::read_response(&mut kept, &mut kept_pending, false).code,
        200
    );
    let mut half = connect(addr);
    half.write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
        .unwrap();
    let mut download = connect(addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut body) = read_head(&mut download);
    assert_eq!(head.code, 200);

    for i in 0..PANICS {
        let request = if i % 2 == 0 {
            get("/boom")
        } else {
            // Pipelined behind a good request: the first is answered, then the panic.
            let mut both = get("/helloWorld.html");
            both.extend_from_slice(&get("/boom"));
            both
        };
        let (bytes, closed) = exchange(addr, &[&request]);
        assert!(closed, "panic {i}: the connection ends");
        // In both models the session catches the panic where it happened: the good request
        // before /boom is answered, /boom gets a 500 that closes the connection.
        let parsed = parse_responses(&bytes, &vec![false; 1 + i % 2]);
        let codes: Vec<u16> = parsed.iter().map(|r| r.code).collect();
        let expected: &[u16] = if i % 2 == 0 { &[500] } else { &[200, 500] };
        assert_eq!(
            codes,
            expected,
            "panic {i}: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        if i % 2 == 1 {
            assert_eq!(parsed[0].body.as_slice(), HELLO);
        }
        assert!(
            parsed[parsed.len() - 1]
                .head
                .contains("\r\nConnection: close\r\n")
        );
    }
    let (code, body_now, _) = fetch(addr, "/helloWorld.html");
    assert_eq!(
        (code, body_now.as_slice()),
        (200, HELLO),
        "no slot leaked (else 503)"
    );
    kept.write_all(&get("/unicode.html")).unwrap();
    assert_eq!(
        common::read_response(&mut kept, &mut kept_pending, false).code,
        200
    );
    half.write_all(b"st: x\r\n\r\n").unwrap();
    let response = common::read_response(&mut half, &mut Vec::new(), false);
    assert_eq!((response.code, response.body.as_slice()), (200, HELLO));
    let mut chunk = vec![0u8; 256 * 1024];
    while body.len() < 8 * MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0, "the download was cut at {} bytes", body.len());
        body.extend_from_slice(&chunk[..n]);
    }
    assert!(
        body.len() == 8 * MIB && matches_pattern(0, &body),
        "the download is intact"
    );
    drop((kept, half, download));
    let started = Instant::now();
    let summary = server.stop();
    eprintln!(
        "panics ({model:?}): {PANICS} panics with 8 connection slots, each answered 500; stop took {:?}",
        started.elapsed()
    );
    assert_eq!(summary.abandoned, 0);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// The trigger's panics are expected: keep their message (and, with RUST_BACKTRACE set, the
/// cost of a backtrace each) out of the output. Every other panic goes to the default hook.
fn silence_test_only_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.starts_with("test-only panic for ") {
                default(info);
            }
        }));
    });
}

/// SIGTERM while a client downloads 100 MiB (and has paused reading): new connections are
/// refused at once, an idle kept-alive connection is closed, the download finishes byte for
/// byte, and the process exits 0 right after, well within --shutdown-grace.
fn sigterm_during_a_100_mib_download_lets_it_finish_and_exits_0(model: Model) {
    const GRACE: Duration = Duration::from_secs(10);
    let _gate = heavy();
    let mut server = Served::start(model, &["--shutdown-grace", "10"], |site| {
        write_patterned(&site.join("big.bin"), 100);
    });
    let addr = server.addr;
    let mut idle = connect(addr);
    idle.write_all(&get("/helloWorld.html")).unwrap();
    assert_eq!(
        common::read_response(&mut idle, &mut Vec::new(), false).code,
        200
    );
    let mut download = connect(addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut first) = read_head(&mut download);
    assert_eq!(head.code, 200);
    assert_eq!(head.header("Content-Length"), Some("104857600"));
    let mut chunk = vec![0u8; 256 * 1024];
    while first.len() < 4 * MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0);
        first.extend_from_slice(&chunk[..n]);
    }
    assert!(matches_pattern(0, &first));
    let mut received = first.len();

    let signalled = Instant::now();
    server.terminate();
    // New connections: refused (the listener is closed).
    let mut accepted_meanwhile = 0;
    let refused_after = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => break signalled.elapsed(),
            Err(e) => panic!("connect after SIGTERM: {e}"),
            Ok(mut early) => {
                // Connected before the signal took effect: it is served or closed, never left
                // hanging.
                accepted_meanwhile += 1;
                let _ = early.write_all(&get_and_close("/helloWorld.html"));
                let (_, closed) = read_until_closed(&mut early, Duration::from_secs(3));
                assert!(closed, "a connection accepted during the stop hangs");
            }
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(2),
            "still accepting"
        );
        sleep(Duration::from_millis(5));
    };
    for _ in 0..5 {
        let error = TcpStream::connect(addr).expect_err("refused for good");
        assert_eq!(error.kind(), ErrorKind::ConnectionRefused);
    }
    let (rest, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(2));
    let idle_closed_after = signalled.elapsed();
    assert!(
        idle_closed && rest.is_empty(),
        "the idle connection is closed without a word"
    );
    // The download waits a while (a slow reader), then takes the rest.
    sleep(Duration::from_millis(300).saturating_sub(signalled.elapsed()));
    download
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // ...and then reads at about 64 MiB/s: the rest takes about 1.5 s of the grace period.
    loop {
        match download.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                assert!(
                    matches_pattern(received, &chunk[..n]),
                    "byte {received} and on are not the file's"
                );
                received += n;
                sleep(Duration::from_micros(n as u64 / 64));
            }
            Err(e) => panic!("the download failed after {received} bytes: {e}"),
        }
    }
    let finished = signalled.elapsed();
    let status = server.wait_exit(GRACE + Duration::from_secs(2));
    let exited = signalled.elapsed();
    eprintln!(
        "SIGTERM ({model:?}): refused new connections {refused_after:?} after the signal ({accepted_meanwhile} accepted meanwhile), \
         idle connection closed after {idle_closed_after:?}, download of {received} bytes done after {finished:?}, \
         exit {status:?} after {exited:?}"
    );
    assert_eq!(received, 100 * MIB, "all 100 MiB arrive");
    let status = status.expect("the server exits");
    assert!(status.success(), "exit status {status:?}");
    assert!(exited < GRACE, "exited {exited:?} after SIGTERM");
    assert!(
        exited - finished < Duration::from_secs(1),
        "exited {:?} after the download ended",
        exited - finished
    );
    assert!(
        refused_after < Duration::from_millis(500),
        "{refused_after:?}"
    );
}

/// SIGTERM while a client has stopped reading a 100 MiB download: the server waits for it no
/// longer than --shutdown-grace (2 s), then exits 0 and says a connection was abandoned.
fn sigterm_with_a_stalled_download_exits_0_at_the_grace_bound(model: Model) {
    const GRACE: Duration = Duration::from_secs(2);
    let mut server = Served::start(
        model,
        &["--shutdown-grace", "2", "--write-timeout", "60"],
        |site| write_sparse(&site.join("big.bin"), 100),
    );
    let mut stalled = connect(server.addr);
    stalled.write_all(&get("/big.bin")).unwrap();
    let (head, _) = read_head(&mut stalled);
    assert_eq!(head.code, 200);
    sleep(Duration::from_millis(200));
    let signalled = Instant::now();
    server.terminate();
    let status = server.wait_exit(GRACE + Duration::from_secs(3));
    let exited = signalled.elapsed();
    let (bytes, closed) = read_until_closed(&mut stalled, Duration::from_secs(5));
    eprintln!(
        "SIGTERM, stalled reader ({model:?}): exit {status:?} after {exited:?} (grace {GRACE:?}); the reader then got {:.1} MiB of 100; stderr: {:?}",
        bytes.len() as f64 / MIB as f64,
        server.stderr().trim()
    );
    let status = status.expect("the server exits");
    assert!(status.success(), "{status:?}");
    assert!(
        exited >= GRACE - Duration::from_millis(100)
            && exited < GRACE + Duration::from_millis(1500),
        "exited {exited:?} after SIGTERM, the grace is {GRACE:?}"
    );
    assert!(closed && bytes.len() < 100 * MIB);
    assert!(
        server.stderr().contains("1 connection(s) were still busy"),
        "{}",
        server.stderr()
    );
}

for_both_models!(
    a_panic_inside_one_connection_ends_only_that_connection,
    sigterm_during_a_100_mib_download_lets_it_finish_and_exits_0,
    sigterm_with_a_stalled_download_exits_0_at_the_grace_bound,
);
