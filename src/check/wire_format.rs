//! The `wire.*` checks: the bytes of the response itself (status line, line ends, lengths,
//! types, dates).

use super::{Context, Judgement, SendOptions, expect};
use crate::http::Status;
use crate::http::date::{DateForm, date_form};
use crate::http::grammar::count_bare_lf;
use crate::render::visible;
use crate::wire::analysis::{StatusLine, in_tiny_segments, tiny_segments_captured};

pub fn status_line(context: &Context) -> Judgement {
    let reply = context.get("/helloWorld.html");
    if !reply.answered() {
        return Judgement::fail("a response", reply.describe(), &[]);
    }
    let line_end = reply
        .bytes
        .iter()
        .position(|b| *b == b'\n')
        .map_or(reply.bytes.len(), |i| i + 1);
    let line = &reply.bytes[..line_end];
    // The line's end (CRLF or a bare LF) is wire.crlf's business: each fault is named once.
    let content = line.strip_suffix(b"\n").unwrap_or(line);
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    let expected = "HTTP/1.x, a space, three digits, a space, a reason — and nothing before it";
    let why = match StatusLine::read(content) {
        Some(status_line) if status_line.is_well_formed() => return Judgement::pass(),
        None => "no HTTP/ at the start".to_string(),
        Some(StatusLine { leading: [], .. }) => {
            "the parts are not separated as the grammar says".to_string()
        }
        Some(StatusLine { leading, .. }) => {
            let why = format!(
                "{} byte(s) before HTTP/: {:?}",
                leading.len(),
                visible(leading)
            );
            return Judgement::fail(expected, format!("{:?}: {why}", visible(content)), line)
                .because("status-line-prefix");
        }
    };
    Judgement::fail(expected, format!("{:?}: {why}", visible(content)), line)
}

pub fn crlf(context: &Context) -> Judgement {
    let reply = context.get("/helloWorld.html");
    if !reply.answered() {
        return Judgement::fail("a response", reply.describe(), &[]);
    }
    let head = reply.head();
    let expected =
        "every head line ending in CRLF (\\r\\n), and an empty line (CRLF CRLF) ending the head";
    if !reply.head_complete() {
        return Judgement::fail(
            expected,
            "the head never ends: no empty line after the header fields",
            head,
        )
        .because("no-head-end");
    }
    // A complete head without a bare LF ends in CRLF CRLF.
    match count_bare_lf(head) {
        0 => Judgement::pass(),
        bare => Judgement::fail(
            expected,
            format!("{bare} line(s) ending in a bare LF (\\n)"),
            head,
        )
        .because("bare-lf"),
    }
}

/// Content-Length counts bytes: shown on a page whose bytes outnumber its characters.
pub fn content_length(context: &Context) -> Judgement {
    let Some(file) = context.docroot.file("unicode.html") else {
        return Judgement::skip("the docroot has no unicode.html");
    };
    let reply = context.send(
        &context.request("GET", "/unicode.html", "HTTP/1.1", &[]),
        SendOptions {
            read_to_close: true,
            ..SendOptions::default()
        },
    );
    if reply.code() != Some(200) {
        return Judgement::fail("200 and unicode.html", reply.describe(), &reply.bytes);
    }
    let after = reply.after_head();
    let Some(declared) = reply.field("content-length") else {
        return if after == file {
            Judgement::pass_with("no Content-Length: the body ends at the close (HTTP/1.0 style)")
        } else {
            Judgement::fail(
                "the body of unicode.html",
                expect::difference(&file, after),
                &reply.bytes,
            )
        };
    };
    let expected = format!(
        "Content-Length: {} (the file's bytes; it has {} characters)",
        file.len(),
        String::from_utf8_lossy(&file).chars().count()
    );
    match declared.parse::<usize>() {
        Ok(n) if n == after.len() && after == file => Judgement::pass(),
        Ok(n) => {
            let chars = String::from_utf8_lossy(&file).chars().count();
            let (hint, cause) = if n == chars && n != file.len() {
                (
                    " — the character count, not the byte count",
                    Some("length-in-characters"),
                )
            } else if n == file.len() && after.len() > n && after.starts_with(&file) {
                (
                    " — right, but more bytes follow the body",
                    Some("bytes-after-body"),
                )
            } else {
                ("", None)
            };
            let failed = Judgement::fail(
                expected,
                format!(
                    "Content-Length: {n}{hint}, and {} bytes after the head",
                    after.len()
                ),
                reply.head(),
            );
            match cause {
                Some(cause) => failed.because(cause),
                None => failed,
            }
        }
        Err(_) => Judgement::fail(
            expected,
            format!("Content-Length: {declared:?}, not a number"),
            reply.head(),
        ),
    }
}

pub fn binary(context: &Context) -> Judgement {
    let reply = context.get("/logo.png");
    let judgement = expect::file(context, &reply, "logo.png");
    if reply.connect_error.is_none() && reply.code().is_none_or(|code| code == 200) {
        // The PNG came back but not as it is on disk, or the server choked on it (a text-mode
        // read raises UnicodeDecodeError).
        judgement.or_because("text-mode")
    } else {
        judgement
    }
}

pub fn content_type(context: &Context) -> Judgement {
    for (path, want) in [
        ("/helloWorld.html", "text/html"),
        ("/style.css", "text/css"),
    ] {
        let reply = context.get(path);
        let got = reply.field("content-type");
        let matches = got.as_deref().is_some_and(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(want)
        });
        if !matches {
            let got = match got {
                Some(t) => format!("Content-Type: {t} for {path}"),
                None if reply.answered() => format!("no Content-Type for {path}"),
                None => reply.describe(),
            };
            return Judgement::fail(
                format!("Content-Type: {want} for {path}"),
                got,
                reply.head(),
            );
        }
    }
    Judgement::pass()
}

pub fn date(context: &Context) -> Judgement {
    let reply = context.get("/helloWorld.html");
    let expected = "a Date field in IMF-fixdate form, like Date: Wed, 25 Nov 2026 15:00:00 GMT";
    match reply.field("date") {
        None if reply.answered() => Judgement::fail(expected, "no Date field", reply.head()),
        None => Judgement::fail(expected, reply.describe(), &[]),
        Some(value) if date_form(&value) == Some(DateForm::ImfFixdate) => Judgement::pass(),
        Some(value) => Judgement::fail(expected, format!("Date: {value}"), reply.head()),
    }
}

pub fn reason(context: &Context) -> Judgement {
    for path in ["/helloWorld.html", "/httplab-no-such-file.html"] {
        let reply = context.get(path);
        let Some(code) = reply.code() else {
            return Judgement::fail("a status line", reply.describe(), &reply.bytes);
        };
        let first = reply.first_line();
        // From HTTP/ on, whatever came before it (wire.status-line judges that).
        let reason = StatusLine::read(first)
            .and_then(|line| line.reason)
            .map(|reason| String::from_utf8_lossy(reason).trim().to_string())
            .unwrap_or_default();
        let status = Status(code);
        if !status.matches_reason(&reason) {
            return Judgement::fail(
                format!("{code} {}", status.reason()),
                format!("{code} {reason}: the phrase says something else than the code"),
                String::from_utf8_lossy(first).as_bytes(),
            )
            .because("reason-phrase");
        }
    }
    Judgement::pass()
}

/// A response sent in a few writes, not one TCP segment per byte.
pub fn segments(context: &Context) -> Judgement {
    let reply = context.send(
        &context.request("GET", "/unicode.html", "HTTP/1.1", &[]),
        SendOptions {
            read_to_close: true,
            ..SendOptions::default()
        },
    );
    if !reply.answered() {
        return Judgement::fail("a response", reply.describe(), &[]);
    }
    let bytes = reply.bytes.len();
    if let Some(sizes) = &reply.captured_segments {
        return match tiny_segments_captured(sizes) {
            None => Judgement::pass_with(format!(
                "{bytes} bytes in {} data segment(s), as captured",
                sizes.len()
            )),
            Some(finding) => Judgement::fail(
                "a small response in a few TCP segments (one send of the whole response)",
                finding.message,
                &reply.bytes[..bytes.min(64)],
            )
            .because("tiny-sends"),
        };
    }
    let Some(segments) = reply.data_segments else {
        return Judgement::skip("this system does not count TCP segments");
    };
    if !in_tiny_segments(segments, bytes) {
        Judgement::pass_with(format!("{bytes} bytes in {segments} TCP segment(s)"))
    } else {
        Judgement::fail(
            "a small response in a few TCP segments (one send of the whole response)",
            format!(
                "{bytes} bytes in {segments} TCP segments: the server sends in tiny pieces (one send() per byte or per line?)"
            ),
            &reply.bytes[..bytes.min(64)],
        )
        .because("tiny-sends")
    }
}
