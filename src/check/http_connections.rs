//! The `http.*` checks about the connection (RFC 9112 §9): two requests on one, two in one
//! write, and the close that HTTP/1.0 and `Connection: close` ask for.

use std::time::Duration;

use super::context::QUIET;
use super::{Context, Judgement, Reply, SendOptions, expect};
use crate::wire::analysis::Ending;
use crate::wire::message::{Sender, closes_connection};

/// How long to wait for a close the protocol requires, or for the answer to a second
/// request on a connection: a server that does either does it within milliseconds, and one
/// that does neither should not cost the whole timeout.
fn close_wait(context: &Context) -> Duration {
    context.timeout.min(QUIET)
}

/// Whether a response ends its connection: `Connection: close`, or HTTP/1.0 without
/// keep-alive (RFC 9112 §9.3).
fn announces_close(reply: &Reply) -> bool {
    closes_connection(&reply.bytes, Sender::Server)
}

pub fn keep_alive(context: &Context) -> Judgement {
    let mut conversation = match context.open() {
        Ok(c) => c,
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    };
    let first_request = context.request(
        "GET",
        "/helloWorld.html",
        "HTTP/1.1",
        &[("Connection", "keep-alive")],
    );
    conversation.write(&first_request, None);
    let first = conversation.read_reply(SendOptions::default());
    if first.code() != Some(200) {
        return Judgement::fail("200 for the first request", first.describe(), &first.bytes);
    }
    if announces_close(&first) {
        let (closed, _) = conversation.closes_within(close_wait(context));
        return if closed {
            Judgement::pass_with("the server closes after each response, and says so")
        } else {
            Judgement::fail(
                "the close the response announced",
                "the connection stayed open",
                first.head(),
            )
            .because("never-closes")
        };
    }
    conversation.write(
        &context.request("GET", "/helloWorld.html", "HTTP/1.1", &[]),
        None,
    );
    let second = conversation.read_reply(SendOptions {
        timeout: Some(close_wait(context)),
        ..SendOptions::default()
    });
    if second.answered() {
        return expect::file(context, &second, "helloWorld.html");
    }
    Judgement::fail(
        "an answer to a second request on the connection (HTTP/1.1 is persistent by default), or Connection: close on the first response",
        format!(
            "the first response did not announce a close, and the second request got {}",
            second.describe()
        ),
        first.head(),
    )
    .because(unanswered_second(&second))
}

/// Why a second request on a connection got no answer: the server closed without saying so,
/// or it neither answered nor closed.
fn unanswered_second(second: &Reply) -> &'static str {
    match second.ending {
        Ending::TimedOut => "never-closes",
        _ => "closes-unannounced",
    }
}

pub fn pipelining(context: &Context) -> Judgement {
    let mut conversation = match context.open() {
        Ok(c) => c,
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    };
    let both = [
        context.request(
            "GET",
            "/helloWorld.html",
            "HTTP/1.1",
            &[("Connection", "keep-alive")],
        ),
        context.request("GET", "/HelloWorld.html", "HTTP/1.1", &[]),
    ]
    .concat();
    conversation.write(&both, None);
    let first = conversation.read_reply(SendOptions::default());
    if let Judgement::Fail {
        expected,
        got,
        evidence,
        cause,
    } = expect::file(context, &first, "helloWorld.html")
    {
        return Judgement::Fail {
            expected: format!("first response: {expected}"),
            got,
            evidence,
            cause,
        };
    }
    if announces_close(&first) {
        return Judgement::pass_with(
            "the server answers the first request and closes, as it announced",
        );
    }
    let second = conversation.read_reply(SendOptions {
        timeout: Some(close_wait(context)),
        ..SendOptions::default()
    });
    if !second.answered() {
        return Judgement::fail(
            "both pipelined requests answered, in order (or Connection: close on the first)",
            format!("only the first; then {}", second.describe()),
            first.head(),
        )
        .because(unanswered_second(&second));
    }
    expect::file(context, &second, "HelloWorld.html")
}

pub fn http10(context: &Context) -> Judgement {
    let mut conversation = match context.open() {
        Ok(c) => c,
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    };
    conversation.write(b"GET /helloWorld.html HTTP/1.0\r\n\r\n", None);
    let reply = conversation.read_reply(SendOptions::default());
    if let failed @ Judgement::Fail { .. } = expect::file(context, &reply, "helloWorld.html") {
        return failed;
    }
    let keeps = reply
        .field("connection")
        .is_some_and(|c| c.to_ascii_lowercase().contains("keep-alive"));
    if keeps {
        return Judgement::fail(
            "a close after the response (the HTTP/1.0 client did not ask for keep-alive)",
            "Connection: keep-alive on a connection the client did not ask to keep",
            reply.head(),
        );
    }
    let (closed, _) = conversation.closes_within(close_wait(context));
    if closed {
        Judgement::pass()
    } else {
        Judgement::fail(
            "the server closes the connection after answering an HTTP/1.0 request without keep-alive (RFC 9112 §9.3)",
            "the connection stayed open",
            reply.head(),
        )
        .because("never-closes")
    }
}

pub fn connection_close(context: &Context) -> Judgement {
    let mut conversation = match context.open() {
        Ok(c) => c,
        Err(reply) => return Judgement::fail("a connection", reply.describe(), &[]),
    };
    conversation.write(
        &context.request(
            "GET",
            "/helloWorld.html",
            "HTTP/1.1",
            &[("Connection", "close")],
        ),
        None,
    );
    let reply = conversation.read_reply(SendOptions::default());
    if !reply.answered() {
        return Judgement::fail("a response, then the close", reply.describe(), &[]);
    }
    if reply.ending != Ending::Complete {
        // The response ran until the close: closed, so fine.
        return Judgement::pass();
    }
    let (closed, extra) = conversation.closes_within(close_wait(context));
    if closed {
        Judgement::pass()
    } else {
        Judgement::fail(
            "the server closes the connection after the response to a request with Connection: close",
            format!(
                "the connection stayed open ({} more byte(s) came)",
                extra.len()
            ),
            reply.head(),
        )
        .because("never-closes")
    }
}
