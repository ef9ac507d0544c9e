//! No leaks: 20,000 connections of every kind leave no open file and no memory behind.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use httplab::server::Model;

use crate::common;
use crate::harness::{
    HELLO, Served, connect, fetch, get, get_and_close, heavy, read_until_closed, reset_on_close,
    write_sparse,
};

/// The kinds of connection the leak test cycles through.
const KINDS: [&str; 6] = [
    "keep-alive, closed by the client",
    "Connection: close",
    "reset mid-response",
    "closed without a byte",
    "half a head, then a close",
    "half a head, then a reset",
];

fn one_connection(addr: SocketAddr, kind: usize, buffer: &mut [u8]) {
    let mut stream = connect(addr);
    match kind {
        0 => {
            stream.write_all(&get("/helloWorld.html")).unwrap();
            let response = common::read_response(&mut stream, &mut Vec::new(), false);
            assert_eq!(response.code, 200);
        }
        1 => {
            stream.write_all(&get_and_close("/unicode.html")).unwrap();
            let (bytes, closed) = read_until_closed(&mut stream, Duration::from_secs(5));
            assert!(closed && bytes.starts_with(b"HTTP/1.1 200 OK\r\n"));
        }
        2 => {
            stream.write_all(&get("/big.bin")).unwrap();
            let n = stream.read(buffer).unwrap();
            assert!(n > 0);
            reset_on_close(&stream);
        }
        3 => {}
        4 => stream
            .write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
            .unwrap(),
        _ => {
            stream
                .write_all(b"GET /helloWorld.html HTTP/1.1\r\nHo")
                .unwrap();
            reset_on_close(&stream);
        }
    }
}

/// 20,000 connections one after another, of six kinds (normal, reset in the middle of a 16 MiB
/// response, closed without a byte, half a head then a close or a reset), after a warm-up of
/// 1,200: the server's open files come back to their count before, exactly, and its memory
/// grows by less than 1 MiB (a leak of 64 bytes a connection would show).
fn twenty_thousand_mixed_connections_leak_no_file_and_no_memory(model: Model) {
    const WARM_UP: usize = 1200;
    const COUNT: usize = 20_000;
    let _gate = heavy();
    let mut server = Served::start(model, &[], |site| {
        // Larger than what the socket buffers of a loopback connection hold, so the reset
        // always comes in the middle of the response.
        write_sparse(&site.join("big.bin"), 16);
    });
    let addr = server.addr;
    let mut buffer = vec![0u8; 1024];
    for i in 0..WARM_UP {
        one_connection(addr, i % KINDS.len(), &mut buffer);
    }
    let fds_before = server.quiet_fds();
    let rss_before = server.rss_kib();
    let started = Instant::now();
    let mut peak_fds = 0;
    let mut per_kind = [Duration::ZERO; KINDS.len()];
    for i in 0..COUNT {
        let begun = Instant::now();
        one_connection(addr, i % KINDS.len(), &mut buffer);
        per_kind[i % KINDS.len()] += begun.elapsed();
        if i % 1000 == 999 {
            peak_fds = peak_fds.max(server.fds());
        }
    }
    let took = started.elapsed();
    let fds_after = server.settle_fds(fds_before, Duration::from_secs(5));
    let rss_after = server.rss_kib();
    let (code, body, _) = fetch(addr, "/helloWorld.html");
    assert_eq!((code, body.as_slice()), (200, HELLO));
    server.assert_healthy();
    eprintln!(
        "no leaks ({model:?}): {COUNT} connections ({} kinds) in {took:?} ({:.0}/s); fds {fds_before} -> {fds_after} \
         (at most {peak_fds} on the way); RSS {rss_before} -> {rss_after} KiB ({:+} KiB)",
        KINDS.len(),
        COUNT as f64 / took.as_secs_f64(),
        rss_after as i64 - rss_before as i64
    );
    for (kind, total) in KINDS.iter().zip(per_kind) {
        eprintln!(
            "  {kind}: {:.0} µs each",
            total.as_secs_f64() * 1e6 / (COUNT / KINDS.len()) as f64
        );
    }
    assert!(
        fds_after <= fds_before,
        "open files {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after <= rss_before + 1024,
        "RSS {rss_before} -> {rss_after} KiB"
    );
}

for_both_models!(twenty_thousand_mixed_connections_leak_no_file_and_no_memory);
