//! The `http.*` checks: the HTTP/1.1 semantics a server owes its clients (RFC 9110, RFC 9112);
//! those about the connection are in `http_connections.rs`.

use super::{Context, Judgement, SendOptions, expect};

pub fn head(context: &Context) -> Judgement {
    let get = context.get("/helloWorld.html");
    let reply = context.send(
        &context.request("HEAD", "/helloWorld.html", "HTTP/1.1", &[]),
        SendOptions {
            head: true,
            read_to_close: true,
            ..SendOptions::default()
        },
    );
    let expected = "200 with the same head as GET (Content-Length: the file's) and no body";
    if reply.code() != Some(200) {
        return Judgement::fail(expected, reply.describe(), &reply.bytes);
    }
    if !reply.after_head().is_empty() {
        return Judgement::fail(
            expected,
            format!(
                "{} body byte(s) after the head: a client takes them for the next response",
                reply.after_head().len()
            ),
            &reply.bytes,
        );
    }
    match (get.field("content-length"), reply.field("content-length")) {
        (Some(g), Some(h)) if g != h => Judgement::fail(
            expected,
            format!("Content-Length: {h} for HEAD but {g} for GET"),
            reply.head(),
        ),
        _ => Judgement::pass(),
    }
}

pub fn method_not_allowed(context: &Context) -> Judgement {
    let request = context.request(
        "POST",
        "/helloWorld.html",
        "HTTP/1.1",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", "7"),
        ],
    );
    let request = [request, b"a=1&b=2".to_vec()].concat();
    let reply = context.send(&request, SendOptions::default());
    let expected = "405 Method Not Allowed with an Allow field (or 501 Not Implemented)";
    match reply.code() {
        Some(405) if reply.field("allow").is_some() => Judgement::pass(),
        Some(405) => Judgement::fail(
            expected,
            "405 without Allow: a 405 must list the methods that are allowed",
            reply.head(),
        ),
        Some(501) => Judgement::pass_with("501: POST not implemented"),
        _ => Judgement::fail(expected, reply.describe(), &reply.bytes),
    }
}

pub fn unknown_method(context: &Context) -> Judgement {
    let reply = context.send(
        &context.request("BREW", "/helloWorld.html", "HTTP/1.1", &[]),
        SendOptions::default(),
    );
    expect::status(
        &reply,
        &[501],
        "501 Not Implemented for the unknown method BREW",
    )
}

pub fn version(context: &Context) -> Judgement {
    for version in ["HTTP/2.0", "HTTP/9.9"] {
        let reply = context.send(
            &context.request("GET", "/helloWorld.html", version, &[]),
            SendOptions::default(),
        );
        if !matches!(reply.code(), Some(505 | 400)) {
            return Judgement::fail(
                format!("505 HTTP Version Not Supported (or 400) for GET / {version}"),
                reply.describe(),
                &reply.bytes,
            );
        }
    }
    Judgement::pass()
}

pub fn host_required(context: &Context) -> Judgement {
    let none = b"GET /helloWorld.html HTTP/1.1\r\nConnection: close\r\n\r\n".to_vec();
    let two = format!(
        "GET /helloWorld.html HTTP/1.1\r\nHost: {0}\r\nHost: {0}.example\r\nConnection: close\r\n\r\n",
        context.authority()
    )
    .into_bytes();
    for (request, what) in [(none, "no Host field"), (two, "two Host fields")] {
        let reply = context.send(&request, SendOptions::default());
        if reply.code() != Some(400) {
            return Judgement::fail(
                format!("400 Bad Request for an HTTP/1.1 request with {what}"),
                reply.describe(),
                &reply.bytes,
            );
        }
    }
    Judgement::pass()
}

pub fn query(context: &Context) -> Judgement {
    let reply = context.get("/helloWorld.html?name=value&x=1");
    expect::file(context, &reply, "helloWorld.html")
}

pub fn percent_decoding(context: &Context) -> Judgement {
    let reply = context.get("/hello%20world.html");
    expect::file(context, &reply, "hello world.html")
}

pub fn directory(context: &Context) -> Judgement {
    let redirect = context.get("/sub");
    let location = redirect.field("location").unwrap_or_default();
    let expected = "a redirect (301) from /sub to /sub/, then /sub/ serves sub/index.html";
    let points_to_slash =
        location == "/sub/" || location.ends_with(&format!("{}/sub/", context.authority()));
    if !matches!(redirect.code(), Some(301 | 302 | 307 | 308)) || !points_to_slash {
        let got = match redirect.code() {
            Some(code @ (301 | 302 | 307 | 308)) => format!("{code} to {location:?}"),
            _ => format!(
                "{} for /sub (links in its index would then resolve against /)",
                redirect.describe()
            ),
        };
        return Judgement::fail(expected, got, &redirect.bytes);
    }
    let index = context.get("/sub/");
    expect::file(context, &index, "sub/index.html")
}

pub fn whitespace_before_colon(context: &Context) -> Judgement {
    let reply = context.send(
        &context.request("GET", "/helloWorld.html", "HTTP/1.1", &[("X-Test ", "1")]),
        SendOptions::default(),
    );
    expect::status(
        &reply,
        &[400],
        "400 Bad Request for a field written \"X-Test : 1\"",
    )
}

pub fn conflicting_length(context: &Context) -> Judgement {
    let request = context.request(
        "GET",
        "/helloWorld.html",
        "HTTP/1.1",
        &[("Content-Length", "3"), ("Content-Length", "5")],
    );
    let reply = context.send(
        &[request, b"abcde".to_vec()].concat(),
        SendOptions::default(),
    );
    expect::status(
        &reply,
        &[400],
        "400 Bad Request for two different Content-Length values",
    )
}

pub fn absolute_form(context: &Context) -> Judgement {
    let target = format!("http://{}/helloWorld.html", context.authority());
    let reply = context.send(
        &context.request("GET", &target, "HTTP/1.1", &[]),
        SendOptions::default(),
    );
    expect::file(context, &reply, "helloWorld.html")
}

pub fn not_modified(context: &Context) -> Judgement {
    let first = context.get("/helloWorld.html");
    let Some(last_modified) = first.field("last-modified") else {
        return Judgement::fail(
            "Last-Modified on the 200, then 304 Not Modified for If-Modified-Since (the textbook's conditional GET)",
            if first.answered() {
                "no Last-Modified field, so no conditional GET".to_string()
            } else {
                first.describe()
            },
            first.head(),
        );
    };
    let reply = context.send(
        &context.request(
            "GET",
            "/helloWorld.html",
            "HTTP/1.1",
            &[("If-Modified-Since", &last_modified)],
        ),
        SendOptions::default(),
    );
    match reply.code() {
        Some(304) if reply.after_head().is_empty() => Judgement::pass(),
        Some(304) => Judgement::fail(
            "304 without a body",
            format!("304 and {} body bytes", reply.after_head().len()),
            &reply.bytes,
        ),
        _ => Judgement::fail(
            format!("304 Not Modified for If-Modified-Since: {last_modified}"),
            reply.describe(),
            reply.head(),
        ),
    }
}

pub fn leading_empty_line(context: &Context) -> Judgement {
    let request = [
        b"\r\n".to_vec(),
        context.request("GET", "/helloWorld.html", "HTTP/1.1", &[]),
    ]
    .concat();
    let reply = context.send(&request, SendOptions::default());
    expect::file(context, &reply, "helloWorld.html")
}
