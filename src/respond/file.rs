//! The answer for a file: its validators (`Last-Modified`, a strong `ETag`), the cache
//! policy, the conditional GET (`304`, `412`, RFC 9110 §13) and ranges (`206`, `416`,
//! `multipart/byteranges`, RFC 9110 §14). What each field means and how each rule reads is
//! in `http::conditional`, `http::range` and `http::multipart`; this module only puts them
//! together for one file, in RFC 9110 §13.2.2's order:
//! `If-Match` → `If-Unmodified-Since` → `If-None-Match` → `If-Modified-Since` → `If-Range`.

use std::sync::Arc;

use super::{At, Rules, base, with_body};
use crate::http::conditional::{
    Precondition, Validators, evaluate, file_etag, http_date, if_range_holds,
};
use crate::http::date::whole_seconds;
use crate::http::multipart::{self, BodyPiece};
use crate::http::range::{self, ByteRange, RangeAnswer};
use crate::http::{Body, FieldValue, Request, Response, Status};
use crate::pages;
use crate::site::{FileContent, FileData, media_type};

/// `Accept-Ranges: bytes` is sent for files of this size or more. A range of a smaller file
/// saves less than the head of the `206` that would carry it, so advertising it only invites
/// range requests that return nearly the whole file (REDbot warns of that, `RANGE_CL_FULL`,
/// on the 47-byte hello page). Ranges of small files are served all the same: a client may
/// ask without being told (RFC 9110 §14.3).
const ADVERTISE_RANGES_FROM: u64 = 512;

/// A file's validators as field values, and as `http::conditional` compares them.
struct FileValidators {
    last_modified: Option<FieldValue>,
    etag: Option<FieldValue>,
    /// `Last-Modified` as a time: whole seconds, never later than `Date`.
    modified: Option<std::time::SystemTime>,
}

impl FileValidators {
    /// Takes the view's ready-made texts out of `content` (no copy), or makes them.
    fn take_from(content: &mut FileContent, now: &At) -> FileValidators {
        // Never later than Date (RFC 9110 §8.8.2.1).
        let modified = content.modified.map(|m| whole_seconds(m.min(now.time)));
        let last_modified = match (content.modified, content.last_modified.take()) {
            (Some(m), Some(text)) if m <= now.time => Some(text),
            _ => modified.map(|m| FieldValue::Owned(httpdate::fmt_http_date(m))),
        };
        let etag = content.etag.take().or_else(|| {
            content
                .modified
                .map(|m| FieldValue::Owned(file_etag(content.len, m)))
        });
        FileValidators {
            last_modified,
            etag,
            modified,
        }
    }

    /// `Last-Modified`, `ETag` and `Cache-Control`: what a `200`, a `206` and a `304` of the
    /// same file all carry (RFC 9110 §15.4.5).
    fn push_to(self, response: &mut Response, rules: &Rules) {
        if let Some(last_modified) = self.last_modified {
            response.push_header("Last-Modified", last_modified);
        }
        if let Some(etag) = self.etag {
            response.push_header("ETag", etag);
        }
        response.push_header("Cache-Control", rules.cache_control.clone());
    }
}

/// What the conditional fields and `Range` decide, in RFC 9110 §13.2.2's order.
enum Decision {
    NotModified,
    Failed(&'static str),
    Send(RangeAnswer),
}

fn decide(fields: &FileValidators, request: &Request<'_>, now: &At, len: u64) -> Decision {
    if request.conditions.is_empty() {
        return Decision::Send(RangeAnswer::Whole); // A plain GET: nothing to evaluate.
    }
    let etag = fields.etag.as_ref().map(FieldValue::to_text);
    let validators = Validators {
        etag: etag.as_deref(),
        last_modified: fields.modified,
        now: now.time,
    };
    match evaluate(&request.conditions, &validators) {
        Precondition::Proceed => {}
        Precondition::NotModified => return Decision::NotModified,
        Precondition::Failed(field) => return Decision::Failed(field),
    }
    Decision::Send(match request.conditions.range {
        // Ranges are defined for GET only (RFC 9110 §14.2); If-Range may void them.
        Some(range) if request.method == "GET" => match request.conditions.if_range {
            Some(if_range) if !if_range_holds(if_range, &validators) => RangeAnswer::Whole,
            _ => range::resolve(range, len),
        },
        _ => RangeAnswer::Whole,
    })
}

/// `200` with the file, or what its conditional fields and `Range` ask for.
pub(super) fn file(
    name: &[u8],
    mut content: FileContent,
    request: &Request<'_>,
    now: &At,
    rules: &Rules,
) -> Response {
    let fields = FileValidators::take_from(&mut content, now);
    let answer = match decide(&fields, request, now, content.len) {
        Decision::Send(answer) => answer,
        Decision::NotModified => {
            let mut response = base(Status::NOT_MODIFIED, now);
            fields.push_to(&mut response, rules);
            return response;
        }
        Decision::Failed(field) => return precondition_failed(field, request, &fields, now),
    };
    let advertise_ranges = content.len >= ADVERTISE_RANGES_FROM;
    let media_type = content
        .media_type
        .take()
        .unwrap_or_else(|| media_type(name));
    let mut response = match answer {
        RangeAnswer::Whole => {
            let mut response = base(Status::OK, now);
            response.push_header("Content-Type", media_type);
            response.push_header("Content-Length", content.len);
            response.body = whole_body(content.data, content.len);
            response
        }
        RangeAnswer::Partial(ranges) => match ranges.as_slice() {
            [one] => one_range(*one, content, media_type, now),
            _ => {
                let etag = fields.etag.as_ref().map(FieldValue::to_text);
                multipart(&ranges, content, &media_type, etag.as_deref(), now)
            }
        },
        RangeAnswer::Unsatisfiable => return not_satisfiable(request, content.len, now),
    };
    fields.push_to(&mut response, rules);
    if advertise_ranges {
        response.push_header("Accept-Ranges", "bytes");
    }
    response
}

fn whole_body(data: FileData, len: u64) -> Body {
    match data {
        FileData::Shared(bytes) => Body::Shared(bytes),
        FileData::Disk(file) => Body::File {
            file,
            offset: 0,
            len,
        },
    }
}

/// `206` with one range: a plain body, labelled by `Content-Range`; from the disk it is a
/// range of the open file, streamed like a whole one.
fn one_range(range: ByteRange, content: FileContent, media_type: FieldValue, now: &At) -> Response {
    let mut response = base(Status::PARTIAL_CONTENT, now);
    response.push_header("Content-Type", media_type);
    response.push_header("Content-Length", range.len);
    response.push_header("Content-Range", range.content_range(content.len));
    response.body = match content.data {
        FileData::Shared(bytes) => Body::Bytes(slice(&bytes, range).to_vec()),
        FileData::Disk(file) => Body::File {
            file,
            offset: range.start,
            len: range.len,
        },
    };
    response
}

/// `206` with several ranges, as `multipart/byteranges`: small texts between ranges of the
/// file, which still stream from the disk.
fn multipart(
    ranges: &[ByteRange],
    content: FileContent,
    media_type: &FieldValue,
    etag: Option<&str>,
    now: &At,
) -> Response {
    let boundary = multipart::boundary(etag, content.len);
    let pieces = multipart::layout(ranges, &media_type.to_text(), content.len, &boundary);
    let mut response = base(Status::PARTIAL_CONTENT, now);
    response.push_header("Content-Type", multipart::content_type(&boundary));
    response.push_header(
        "Content-Length",
        pieces.iter().map(BodyPiece::len).sum::<u64>(),
    );
    response.body = match content.data {
        FileData::Shared(bytes) => Body::Bytes(in_memory(&bytes, pieces)),
        FileData::Disk(file) => Body::FileParts { file, pieces },
    };
    response
}

/// The pieces of a multipart body of a file already in memory, joined.
fn in_memory(bytes: &Arc<[u8]>, pieces: Vec<BodyPiece>) -> Vec<u8> {
    let mut body = Vec::with_capacity(pieces.iter().map(|p| p.len() as usize).sum());
    for piece in pieces {
        match piece {
            BodyPiece::Text(text) => body.extend_from_slice(&text),
            BodyPiece::Range(range) => body.extend_from_slice(slice(bytes, range)),
        }
    }
    body
}

/// The bytes of `range`; `range::resolve` only gives ranges inside the file.
fn slice(bytes: &[u8], range: ByteRange) -> &[u8] {
    let start = usize::try_from(range.start).unwrap_or(usize::MAX);
    let end = usize::try_from(range.start + range.len).unwrap_or(usize::MAX);
    bytes.get(start..end).unwrap_or_default()
}

/// `416`: no range asked for lies inside the file; `Content-Range` says how long it is.
fn not_satisfiable(request: &Request<'_>, len: u64, now: &At) -> Response {
    let asked = String::from_utf8_lossy(request.conditions.range.unwrap_or_default());
    let why = format!(
        "Range: {asked} names no byte of this file: it has {len} bytes, at positions 0 to {}",
        len.saturating_sub(1),
    );
    let mut response = base(Status::RANGE_NOT_SATISFIABLE, now);
    response.push_header("Content-Range", range::unsatisfied_range(len));
    let mut response = with_body(
        response,
        "text/plain; charset=utf-8",
        pages::plain_reason(Status::RANGE_NOT_SATISFIABLE, &why),
    );
    response.why = Some(why);
    response
}

/// `412`: the client asked for the file only if it is still the version it names.
fn precondition_failed(
    field: &str,
    request: &Request<'_>,
    validators: &FileValidators,
    now: &At,
) -> Response {
    let text = |value: &Option<FieldValue>| {
        value
            .as_ref()
            .map_or_else(|| "none".to_string(), |v| v.to_string())
    };
    let why = if field == "If-Match" {
        let asked: Vec<_> = request
            .conditions
            .if_match
            .iter()
            .map(|v| String::from_utf8_lossy(v))
            .collect();
        format!(
            "If-Match: {} names no current version of this file: its ETag is {}",
            asked.join(", "),
            text(&validators.etag)
        )
    } else {
        let asked = request.conditions.if_unmodified_since.unwrap_or_default();
        let asked = http_date(asked).map_or_else(
            || String::from_utf8_lossy(asked).into_owned(),
            httpdate::fmt_http_date,
        );
        format!(
            "If-Unmodified-Since: {asked}, but the file was modified since: Last-Modified: {}",
            text(&validators.last_modified)
        )
    };
    let mut response = with_body(
        base(Status::PRECONDITION_FAILED, now),
        "text/plain; charset=utf-8",
        pages::plain_reason(Status::PRECONDITION_FAILED, &why),
    );
    response.why = Some(why);
    response
}
