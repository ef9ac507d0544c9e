//! Verdicts shared by many checks: "this file, byte for byte", "this status".

use super::{Context, Judgement, Reply};
use crate::render::visible;
use crate::wire::analysis::Ending;

/// The reply is `200` with exactly the fixture's bytes.
pub fn file(context: &Context, reply: &Reply, fixture: &str) -> Judgement {
    let Some(expected) = context.docroot.file(fixture) else {
        return Judgement::skip(format!("the docroot has no {fixture}"));
    };
    if reply.code() != Some(200) {
        return Judgement::fail(
            format!("200 and the {} bytes of {fixture}", expected.len()),
            reply.describe(),
            &reply.bytes,
        );
    }
    let body = reply.body();
    if body == expected {
        return Judgement::pass();
    }
    let mut got = difference(&expected, &body);
    if reply.ending == Ending::Reset {
        got.push_str("; then the connection was reset (a server that closes with part of the request unread sends a reset, which can destroy its own response)");
    }
    let failed = Judgement::fail(
        format!("the {} bytes of {fixture}, byte for byte", expected.len()),
        got,
        &reply.bytes,
    );
    match body_cause(&expected, reply) {
        Some(cause) => failed.because(cause),
        None => failed,
    }
}

/// Why a 200's body is not the file, when the bytes tell: a Content-Length that counts
/// characters, or bytes sent after the body.
fn body_cause(expected: &[u8], reply: &Reply) -> Option<&'static str> {
    let declared: usize = reply.field("content-length")?.trim().parse().ok()?;
    let after = reply.after_head();
    let characters = String::from_utf8_lossy(expected).chars().count();
    if declared == expected.len() && after.len() > declared && after.starts_with(expected) {
        Some("bytes-after-body")
    } else if declared == characters && characters != expected.len() {
        Some("length-in-characters")
    } else {
        None
    }
}

/// Where `got` first differs from `expected`, in words.
pub fn difference(expected: &[u8], got: &[u8]) -> String {
    match expected.iter().zip(got).position(|(a, b)| a != b) {
        Some(at) => {
            let show = |bytes: &[u8]| visible(&bytes[at..bytes.len().min(at + 8)]);
            format!(
                "a {}-byte body that differs from byte {at} on: expected {:?}, got {:?}",
                got.len(),
                show(expected),
                show(got)
            )
        }
        None if got.len() < expected.len() => {
            format!("only the first {} of {} bytes", got.len(), expected.len())
        }
        None => format!(
            "{} bytes: the file and then {} more",
            got.len(),
            got.len() - expected.len()
        ),
    }
}

/// The reply's status is one of `codes`.
pub fn status(reply: &Reply, codes: &[u16], expected: &str) -> Judgement {
    match reply.code() {
        Some(code) if codes.contains(&code) => Judgement::pass(),
        _ => Judgement::fail(expected, reply.describe(), &reply.bytes),
    }
}
