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
    Judgement::fail(
        format!("the {} bytes of {fixture}, byte for byte", expected.len()),
        got,
        &reply.bytes,
    )
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
