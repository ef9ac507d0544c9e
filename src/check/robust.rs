//! Inputs that break careless servers: requests in pieces, big heads, garbage, silence.
//! These run last and alone; the runner checks the server still answers after each.

use std::thread;
use std::time::Duration;

use super::context::QUIET;
use super::{Context, Judgement, SendOptions, expect};
use crate::wire::analysis::Ending;

pub fn split_request(context: &Context) -> Judgement {
    let request = context.request("GET", "/helloWorld.html", "HTTP/1.1", &[]);
    let reply = context.send(
        &request,
        SendOptions {
            pieces: Some((8, Duration::from_millis(25))),
            ..SendOptions::default()
        },
    );
    let judgement = expect::file(context, &reply, "helloWorld.html").explained(
        ", for a request that arrived 8 bytes at a time",
        " (a server that reads once sees only \"GET /hel\")",
    );
    read_once(judgement, &reply)
}

/// A request the server answered, but not with the file: it read only part of the request.
fn read_once(judgement: Judgement, reply: &super::Reply) -> Judgement {
    if reply.answered() && reply.code() != Some(200) {
        judgement.or_because("single-recv")
    } else {
        judgement
    }
}

/// What a browser sends, with about 4 KB of cookies.
pub fn large_head(context: &Context) -> Judgement {
    let cookies: Vec<String> = (0..40)
        .map(|i| format!("session_{i:02}={}", "abcdef0123456789".repeat(6)))
        .collect();
    let cookie = cookies.join("; ");
    let request = context.request(
        "GET",
        "/helloWorld.html",
        "HTTP/1.1",
        &[
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
            ("Accept-Language", "en-US,en;q=0.9,de;q=0.8,zh-CN;q=0.7"),
            ("Accept-Encoding", "gzip, deflate, br"),
            ("Cookie", &cookie),
            // The close shows whether the whole head was read: a server that closes with
            // part of it unread sends a reset, not a FIN.
            ("Connection", "close"),
        ],
    );
    let Ok(mut conversation) = context.open() else {
        return Judgement::fail("an answer", "no connection", b"");
    };
    conversation.write(&request, None);
    // Read the answer alone (no linger, which would take the close with it), then the close.
    let reply = conversation.read_reply(SendOptions::default());
    let ending = match reply.ending {
        Ending::Reset => Some(Ending::Reset),
        _ => conversation.how_it_closes(QUIET).0,
    };
    conversation.close();
    // A reset: the rest of the head arrived at a socket closed after one recv(). Whether its
    // answer could still be read first is a race; the reset itself is not, so it decides.
    if ending == Some(Ending::Reset) {
        return Judgement::fail(
            "the whole head read, the file sent, then a plain close (FIN)",
            format!(
                "a reset ({} bytes of answer before it): the server closed the connection with \
                 the rest of the {}-byte head unread",
                reply.bytes.len(),
                request.len()
            ),
            &reply.bytes,
        )
        .because("single-recv");
    }
    let judgement = expect::file(context, &reply, "helloWorld.html")
        .explained(&format!(", for a {}-byte request head", request.len()), "");
    if reply.answered() {
        judgement.or_because("single-recv")
    } else {
        judgement
    }
}

pub fn long_target(context: &Context) -> Judgement {
    let target = format!("/{}.html", "a".repeat(10 * 1024));
    let reply = context.get(&target);
    if !context.alive() {
        return Judgement::fail(
            "414, 404 or 400, and a server that still answers",
            "the server stopped answering",
            &reply.bytes,
        );
    }
    expect::status(
        &reply,
        &[414, 404, 400],
        "414 URI Too Long (or 404, or 400) for a 10 KB target",
    )
}

pub fn garbage(context: &Context) -> Judgement {
    let mut garbage = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec();
    garbage.extend((0u8..=255).rev().cycle().take(500));
    garbage.extend_from_slice(b"\r\n\r\n");
    let reply = context.send(&garbage, SendOptions::default());
    let alive = context.alive();
    let expected = "400 Bad Request (or a plain close), and a server that still answers";
    if !alive {
        return Judgement::fail(
            expected,
            format!("{}; then the server stopped answering", reply.describe()),
            &reply.bytes,
        );
    }
    match reply.code() {
        Some(400) => Judgement::pass(),
        None if !reply.answered() => {
            Judgement::pass_with("the server closed the connection without an answer")
        }
        Some(code @ 200..=399) => Judgement::fail(
            expected,
            format!(
                "{}: garbage was taken for a request ({code})",
                reply.describe()
            ),
            &reply.bytes,
        ),
        _ => Judgement::fail(expected, reply.describe(), &reply.bytes),
    }
}

pub fn empty_connection(context: &Context) -> Judgement {
    match context.open() {
        Ok(conversation) => conversation.close(),
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    }
    thread::sleep(Duration::from_millis(100));
    if context.alive() {
        Judgement::pass()
    } else {
        Judgement::fail(
            "a server that shrugs off a connection closed without a byte (a browser's preconnect does this)",
            "after that connection the server stopped answering: it probably crashed on an empty request (recv returned b'')",
            &[],
        )
    }
}
