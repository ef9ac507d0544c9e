//! Slow clients: heads and bodies trickled a byte at a time are cut at one fixed deadline,
//! and a normal client is served meanwhile.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread::{self, sleep};
use std::time::{Duration, Instant};

use httplab::server::{Model, raise_open_file_limit};

use crate::common;
use crate::harness::{
    HELLO, Served, connect, distribution, fetch, max, measures_latency, parse_responses,
    read_until_closed,
};

/// 200 connections trickle a valid head one byte a second (it would take over a minute to
/// complete) while a normal client, on a fresh connection every 100 ms, must be answered in
/// under 100 ms throughout. The head deadline (10 s here) ends every slow one with 408 and a
/// close, on time: one fixed deadline from accept, not extended by the trickled bytes. The
/// server's open files show it held all 200 and then let them all go.
fn slow_clients_trickling_a_head_are_cut_at_the_deadline_and_others_are_served(model: Model) {
    const SLOW: usize = 200;
    const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
    const RUN: Duration = Duration::from_secs(15);
    let _gate = measures_latency();
    raise_open_file_limit();
    let mut server = Served::start(model, &["--head-timeout", "10"], |_| {});
    let addr = server.addr;
    let fds_before = server.quiet_fds();
    let threads_before = server.threads();
    let head = b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: trickle\r\nAccept: */*\r\n\r\n";

    struct Slow {
        stream: TcpStream,
        opened: Instant,
        sent: usize,
        got: Vec<u8>,
        answered: Option<Instant>,
        closed: Option<Instant>,
    }
    let started = Instant::now();
    let mut slow: Vec<Slow> = (0..SLOW)
        .map(|_| {
            let mut stream = connect(addr);
            let opened = Instant::now();
            stream.write_all(&head[..1]).unwrap();
            stream.set_nonblocking(true).unwrap();
            Slow {
                stream,
                opened,
                sent: 1,
                got: Vec::new(),
                answered: None,
                closed: None,
            }
        })
        .collect();
    let opening = started.elapsed();

    // The normal client, on its own thread.
    let normal = thread::spawn(move || {
        let mut samples = Vec::new();
        let begun = Instant::now();
        while begun.elapsed() < RUN {
            let slot = begun.elapsed();
            let (code, body, took) = fetch(addr, "/helloWorld.html");
            assert_eq!((code, body.as_slice()), (200, HELLO));
            samples.push((slot, took));
            let next = slot + Duration::from_millis(100);
            sleep(next.saturating_sub(begun.elapsed()));
        }
        samples
    });

    let mut next_byte = started + Duration::from_secs(1);
    let mut held = None;
    let mut chunk = [0u8; 4096];
    while started.elapsed() < RUN {
        let now = Instant::now();
        if now >= next_byte {
            next_byte += Duration::from_secs(1);
            for s in slow
                .iter_mut()
                .filter(|s| s.answered.is_none() && s.closed.is_none())
            {
                if s.sent < head.len() - 1 && s.stream.write(&head[s.sent..=s.sent]).is_ok() {
                    s.sent += 1;
                }
            }
        }
        for s in slow.iter_mut().filter(|s| s.closed.is_none()) {
            loop {
                match s.stream.read(&mut chunk) {
                    Ok(0) => {
                        s.closed = Some(Instant::now());
                        break;
                    }
                    Ok(n) => {
                        s.answered.get_or_insert_with(Instant::now);
                        s.got.extend_from_slice(&chunk[..n]);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => {
                        s.closed = Some(Instant::now());
                        break;
                    }
                }
            }
        }
        if held.is_none() && started.elapsed() >= Duration::from_secs(5) {
            held = Some((server.fds(), server.threads()));
        }
        sleep(Duration::from_millis(10));
    }
    let samples = normal.join().expect("the normal client");
    let (fds_held, threads_held) = held.unwrap();
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(4));
    server.assert_healthy();

    let waits: Vec<Duration> = slow
        .iter()
        .filter_map(|s| Some(s.answered? - s.opened))
        .collect();
    let latencies: Vec<Duration> = samples.iter().map(|(_, took)| *took).collect();
    let during: Vec<Duration> = samples
        .iter()
        .filter(|(at, _)| *at < HEAD_TIMEOUT)
        .map(|(_, took)| *took)
        .collect();
    let sent: usize = slow.iter().map(|s| s.sent).sum();
    let worst_at = samples
        .iter()
        .max_by_key(|(_, took)| *took)
        .map(|(at, _)| *at)
        .unwrap_or_default();
    eprintln!(
        "slow clients ({model:?}): {SLOW} connections opened in {opening:?}, {sent} bytes trickled; \
         server held {} more fds ({} more threads) at 5 s; 408 after {} from accept; \
         normal client while they were held: {}; over the whole {RUN:?}: {} (the slowest at {worst_at:.1?}); \
         fds before {fds_before}, after {fds_after}",
        fds_held as i64 - fds_before as i64,
        threads_held as i64 - threads_before as i64,
        distribution(&waits),
        distribution(&during),
        distribution(&latencies),
    );
    for (i, s) in slow.iter().enumerate() {
        assert!(
            s.got.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
            "slow client {i}: {:?}",
            String::from_utf8_lossy(&s.got)
        );
        let parsed = parse_responses(&s.got, &[false]);
        assert_eq!(parsed.len(), 1, "slow client {i}: one response");
        assert_eq!(parsed[0].header("Connection"), Some("close"));
        let answered = s.answered.unwrap() - s.opened;
        assert!(
            answered >= HEAD_TIMEOUT - Duration::from_millis(50)
                && answered <= HEAD_TIMEOUT + Duration::from_secs(1),
            "slow client {i}: 408 after {answered:?}, the deadline is {HEAD_TIMEOUT:?}"
        );
        let closed = s.closed.expect("the server closes after the 408");
        assert!(
            closed - s.answered.unwrap() < Duration::from_millis(500),
            "slow client {i}: closed {:?} after its 408",
            closed - s.answered.unwrap()
        );
    }
    assert!(
        fds_held >= fds_before + SLOW,
        "the server held {} connections, not {SLOW}",
        fds_held - fds_before
    );
    assert!(
        fds_after <= fds_before,
        "open files {fds_before} before, {fds_after} after"
    );
    assert!(
        samples.len() >= 100,
        "the normal client got {} answers",
        samples.len()
    );
    assert!(
        max(&latencies) < Duration::from_millis(100),
        "a normal client waited {:?} ({})",
        max(&latencies),
        distribution(&latencies)
    );
}

/// A head trickled a byte every 200 ms gets 408 and a close one second after accept (the head
/// timeout here), not one second after its last byte; so does a GET whose 100-byte body (to be
/// discarded) is trickled the same way: it is answered, then cut at the same deadline.
fn a_trickled_head_or_body_is_cut_at_one_fixed_deadline(model: Model) {
    const HEAD_TIMEOUT: Duration = Duration::from_secs(1);
    let server = common::start_server(&common::fixtures_dir(), |c| {
        c.model = model;
        c.timeouts.head = HEAD_TIMEOUT;
    });
    let head = b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: trickle\r\n\r\n";
    let mut with_body =
        b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n".to_vec();
    let body_from = with_body.len();
    with_body.extend_from_slice(&[b'x'; 100]);
    for (name, bytes, first_piece) in [("head", &head[..], 1), ("body", &with_body[..], body_from)]
    {
        let mut stream = connect(server.addr);
        let opened = Instant::now();
        stream.write_all(&bytes[..first_piece]).unwrap();
        let mut reader = stream.try_clone().unwrap();
        let rest = bytes[first_piece..].to_vec();
        let trickle = thread::spawn(move || {
            for byte in &rest {
                sleep(Duration::from_millis(200));
                if stream.write_all(std::slice::from_ref(byte)).is_err()
                    || opened.elapsed() > Duration::from_secs(4)
                {
                    return;
                }
            }
        });
        let (got, closed) = read_until_closed(&mut reader, Duration::from_secs(5));
        let after = opened.elapsed();
        drop(reader);
        let _ = trickle.join();
        let parsed = parse_responses(&got, &[false]);
        let codes: Vec<u16> = parsed.iter().map(|p| p.code).collect();
        eprintln!("trickled {name} ({model:?}): {codes:?}, closed after {after:?}");
        assert!(closed, "trickled {name}: still open after {after:?}");
        assert!(
            after >= HEAD_TIMEOUT - Duration::from_millis(50)
                && after < HEAD_TIMEOUT + Duration::from_millis(500),
            "trickled {name}: closed {after:?} after accept; the head deadline is {HEAD_TIMEOUT:?}"
        );
        if name == "head" {
            assert_eq!(codes, [408], "trickled head");
        } else {
            // Answered at once; the rest of the body then has until the same deadline.
            assert_eq!(codes[0], 200);
            assert!(
                codes[1..].iter().all(|c| *c == 408),
                "trickled body: {codes:?}"
            );
        }
    }
}

for_both_models!(
    slow_clients_trickling_a_head_are_cut_at_the_deadline_and_others_are_served,
    a_trickled_head_or_body_is_cut_at_one_fixed_deadline,
);
