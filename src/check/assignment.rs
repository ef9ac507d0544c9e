//! What the textbook's assignment asks: the file, a 404, and a multithreaded server.

use std::thread;
use std::time::{Duration, Instant};

use super::{Context, Judgement, SendOptions, expect};

pub fn get(context: &Context) -> Judgement {
    let reply = context.get("/helloWorld.html");
    expect::file(context, &reply, "helloWorld.html")
}

pub fn not_found(context: &Context) -> Judgement {
    let reply = context.get("/httplab-no-such-file.html");
    let expected = "a complete 404 Not Found response: a status line, header lines, an empty line";
    if reply.code() != Some(404) {
        return Judgement::fail(expected, reply.describe(), &reply.bytes);
    }
    if !reply.head_complete() {
        return Judgement::fail(
            expected,
            format!(
                "{}, and then no empty line ends the head: a browser waits or shows nothing",
                reply.describe()
            ),
            &reply.bytes,
        )
        .because("no-head-end");
    }
    match reply.ending {
        crate::wire::analysis::Ending::TimedOut if reply.field("content-length").is_none() => {
            Judgement::fail(
                expected,
                "a 404 head with no Content-Length, and the connection left open: the client cannot tell where the body ends",
                &reply.bytes,
            )
        }
        _ => Judgement::pass(),
    }
}

/// While client A holds a connection open without sending a byte, client B must be answered.
pub fn concurrent(context: &Context) -> Judgement {
    let mut idle = match context.open() {
        Ok(conversation) => conversation,
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    };
    thread::sleep(Duration::from_millis(200));
    let mut second = match context.open() {
        Ok(conversation) => conversation,
        Err(reply) => return Judgement::fail("a second connection", reply.describe(), &[]),
    };
    let started = Instant::now();
    let wait = context.timeout.min(Duration::from_secs(3));
    second.write(
        &context.request("GET", "/helloWorld.html", "HTTP/1.1", &[]),
        None,
    );
    let reply = second.read_reply(SendOptions {
        timeout: Some(wait),
        ..SendOptions::default()
    });
    let took = started.elapsed();
    // Let a one-connection-at-a-time server go on: give the idle client a real request, and
    // let the second client take its late answer, so that nobody hangs up on the server
    // while it writes (a fragile server dies of the broken pipe).
    idle.write(
        &context.request("GET", "/helloWorld.html", "HTTP/1.1", &[]),
        None,
    );
    let _ = idle.read_reply(SendOptions::default());
    idle.close();
    if !reply.answered() {
        let _ = second.read_reply(SendOptions::default());
        second.close();
        return Judgement::fail(
            "an answer to the second client while the first is connected and silent",
            format!(
                "nothing within {:.1} s: the server waits on the first connection, so it serves one client at a time (use a thread per connection)",
                wait.as_secs_f64()
            ),
            &[],
        )
        .because("one-at-a-time");
    }
    second.close();
    match expect::file(context, &reply, "helloWorld.html") {
        Judgement::Pass { .. } => Judgement::pass_with(format!(
            "answered in {} ms while another client sat idle",
            took.as_millis()
        )),
        other => other,
    }
}

/// Twenty clients at once, each must get the right bytes. A server that takes them one at
/// a time passes too, if it answers them all: patience is generous, because a one-thread
/// server with a listen backlog of 1 makes the kernel drop SYNs, and the retries take seconds.
pub fn parallel(context: &Context) -> Judgement {
    const CLIENTS: usize = 20;
    let patience = SendOptions {
        timeout: Some((context.timeout * 4).max(Duration::from_secs(20))),
        ..SendOptions::default()
    };
    // ASCII files with plain names: this check is about concurrency, not Content-Length or
    // percent-decoding, which have checks of their own.
    let files = [
        "helloWorld.html",
        "HelloWorld.html",
        "style.css",
        "listing/notes.txt",
    ];
    let replies: Vec<(String, super::Reply)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let file = files[i % files.len()];
                scope.spawn(move || {
                    let request = context.request("GET", &format!("/{file}"), "HTTP/1.1", &[]);
                    (file.to_string(), context.send(&request, patience))
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut wrong = Vec::new();
    for (file, reply) in &replies {
        if let Judgement::Fail { got, .. } = expect::file(context, reply, file) {
            wrong.push((file.clone(), got, reply.bytes.clone()));
        }
    }
    let unanswered = replies.iter().filter(|(_, r)| !r.answered()).count();
    match wrong.first() {
        None => Judgement::pass_with(format!(
            "{CLIENTS} clients at once, all answered byte for byte"
        )),
        Some((file, got, bytes)) => {
            let mut got = format!("{} of {CLIENTS} wrong; for {file}: {got}", wrong.len());
            if unanswered > 0 {
                got.push_str(&format!(
                    "; {unanswered} got no answer at all within {:.0} s (a small listen() backlog makes the kernel \
                     drop connections, which then retry after growing pauses)",
                    patience.timeout.unwrap_or_default().as_secs_f64()
                ));
            }
            Judgement::fail(
                format!("{CLIENTS} clients at once, each with its file byte for byte"),
                got,
                bytes,
            )
        }
    }
}
