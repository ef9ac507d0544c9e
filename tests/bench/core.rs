//! Nanoseconds per `respond` call, for a 200, a 404 and a 400: the pure core alone, with no
//! socket. Run with `cargo bench --bench core` (or `just bench`). A plain harness: each case
//! runs for about a second after a warm-up, and the best of five batches is reported.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use httplab::http::DateCache;
use httplab::site::MemoryView;
use httplab::{Outcome, Rules, respond};

fn main() {
    let now = UNIX_EPOCH + Duration::from_secs(1_795_618_800);
    let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_793_534_400);
    let view = MemoryView::new()
        .with_file(
            "/helloWorld.html",
            &b"<head>Hello world!</head>\n<body>abcdefg</body>\n"[..],
            modified,
        )
        .with_file("/sub/index.html", &b"<p>sub</p>\n"[..], modified);
    let rules = Rules::default();
    // As the server does: the Date text made once a second, not once a call.
    let date = DateCache::new(now);
    let browser_like = b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\nAccept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n\r\n";
    let cases: [(&str, &[u8]); 5] = [
        (
            "200 GET /helloWorld.html (wrk-like)",
            b"GET /helloWorld.html HTTP/1.1\r\nHost: localhost:6789\r\n\r\n",
        ),
        ("200 GET /helloWorld.html (browser-like)", browser_like),
        (
            "404 GET /missing.html",
            b"GET /missing.html HTTP/1.1\r\nHost: localhost:6789\r\n\r\n",
        ),
        (
            "400 whitespace before colon",
            b"GET / HTTP/1.1\r\nHost : localhost\r\n\r\n",
        ),
        (
            "incomplete head",
            b"GET /helloWorld.html HTTP/1.1\r\nHost: local",
        ),
    ];
    // For valgrind (instructions, repeatable whatever the machine does):
    // HTTPLAB_BENCH_CASE=0 HTTPLAB_BENCH_CALLS=100000 valgrind --tool=callgrind ...
    let only: Option<usize> = std::env::var("HTTPLAB_BENCH_CASE")
        .ok()
        .and_then(|v| v.parse().ok());
    let calls: Option<u64> = std::env::var("HTTPLAB_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok());
    println!("{:<42} {:>10}", "respond(...)", "ns/call");
    for (index, (name, request)) in cases.into_iter().enumerate() {
        if only.is_some_and(|o| o != index) {
            continue;
        }
        let call = || match respond(black_box(request), &view, &date, &rules) {
            Outcome::Answer(answer) => {
                let mut head = Vec::with_capacity(256);
                answer.response.write_head(&mut head);
                black_box(head.len())
            }
            Outcome::Incomplete => 0,
        };
        if let Some(calls) = calls {
            for _ in 0..calls {
                call();
            }
            println!("{name:<42} ({calls} calls, untimed)");
            continue;
        }
        for _ in 0..10_000 {
            call();
        }
        let mut best = f64::MAX;
        for _ in 0..5 {
            let started = Instant::now();
            let mut calls = 0u64;
            while started.elapsed() < Duration::from_millis(200) {
                for _ in 0..1000 {
                    call();
                }
                calls += 1000;
            }
            best = best.min(started.elapsed().as_nanos() as f64 / calls as f64);
        }
        println!("{name:<42} {best:>10.0}");
    }
}
