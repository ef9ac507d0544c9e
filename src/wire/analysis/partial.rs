//! The answers to a conditional or a ranged GET (RFC 9110 §13, §14): a `206`'s
//! `Content-Range` against its body, a `416`'s `Content-Range: bytes */LEN`, a `304` with no
//! body, and a well-formed `ETag`. Read with the grammar the server writes with
//! (`http::range`, `http::multipart`, `http::conditional`).

use super::findings::{Analysis, Notes, Severity};
use crate::http::conditional::EntityTag;
use crate::http::multipart;
use crate::http::range::ContentRange;
use crate::render::visible;
use crate::wire::message;

/// What the status, `Content-Range` and `ETag` fields say against the body that came.
pub(super) fn partial(head: &[u8], body: &[u8], analysis: &Analysis, notes: &mut Notes) {
    etag(head, notes);
    let content_range = message::field(head, "content-range");
    match analysis.code {
        Some(206) => partial_content(head, body, content_range, notes),
        Some(416) => not_satisfiable(content_range, notes),
        Some(304) => notes.add(
            Severity::Good,
            "not-modified",
            "304 Not Modified: no body; the client uses the copy it has".to_string(),
        ),
        _ => {}
    }
}

/// An `ETag` must be one entity tag, quoted (RFC 9110 §8.8.3).
fn etag(head: &[u8], notes: &mut Notes) {
    if let Some(value) = message::field(head, "etag")
        && EntityTag::parse(value).is_none()
    {
        notes.add(
            Severity::Fault,
            "etag",
            format!(
                "ETag {:?} is not an entity tag: it must be quoted, as in \"abc\" or W/\"abc\" (RFC 9110 §8.8.3)",
                visible(value)
            ),
        );
    }
}

/// A `206`: one range labelled by `Content-Range` (its length is the body's), or a
/// `multipart/byteranges` body whose every part is labelled.
fn partial_content(head: &[u8], body: &[u8], content_range: Option<&[u8]>, notes: &mut Notes) {
    let content_type = message::field(head, "content-type").unwrap_or_default();
    if let Some(boundary) = multipart::boundary_of(content_type) {
        match multipart::parse(body, boundary) {
            Ok(parts) => {
                let unlabelled = parts.iter().filter(|p| !part_is_labelled(p)).count();
                let (severity, message) = if unlabelled == 0 {
                    (
                        Severity::Good,
                        format!(
                            "206: {} parts, each labelled by its Content-Range",
                            parts.len()
                        ),
                    )
                } else {
                    (
                        Severity::Fault,
                        format!(
                            "206: {unlabelled} of {} parts have no valid Content-Range or another length than it says (RFC 9110 §14.6)",
                            parts.len()
                        ),
                    )
                };
                notes.add(severity, "partial", message);
            }
            Err(why) => notes.add(
                Severity::Fault,
                "partial",
                format!("206 multipart/byteranges body: {why} (RFC 9110 §14.6)"),
            ),
        }
        return;
    }
    let Some(range) = content_range.and_then(ContentRange::parse) else {
        let got = content_range.map_or("none".to_string(), |v| format!("{:?}", visible(v)));
        notes.add(
            Severity::Fault,
            "partial",
            format!("206 without a valid Content-Range (got {got}): the client cannot tell which bytes these are (RFC 9110 §15.3.7)"),
        );
        return;
    };
    match range.part_len() {
        Some(len) if len == body.len() as u64 => notes.add(
            Severity::Good,
            "partial",
            format!("206: {len} bytes, as Content-Range says"),
        ),
        Some(len) => notes.add(
            Severity::Fault,
            "partial",
            format!(
                "206: Content-Range names {len} bytes but the body has {} (Content-Length is the part's length, RFC 9110 §14.4)",
                body.len()
            ),
        ),
        None => notes.add(
            Severity::Fault,
            "partial",
            "206 with Content-Range: bytes */…, which only a 416 may carry".to_string(),
        ),
    }
}

fn part_is_labelled(part: &multipart::RangePart) -> bool {
    part.content_range
        .and_then(|range| range.part_len())
        .is_some_and(|len| len == part.data.len() as u64)
}

/// A `416` says how long the file is: `Content-Range: bytes */LEN` (RFC 9110 §15.5.17).
fn not_satisfiable(content_range: Option<&[u8]>, notes: &mut Notes) {
    match content_range.and_then(ContentRange::parse) {
        Some(ContentRange::Unsatisfied { complete }) => notes.add(
            Severity::Good,
            "partial",
            format!("416: no byte of the range exists; the file has {complete} bytes"),
        ),
        _ => notes.add(
            Severity::Warning,
            "partial",
            "416 without Content-Range: bytes */LEN: the client is not told how long the file is (RFC 9110 §15.5.17)"
                .to_string(),
        ),
    }
}
