//! The `http.*` checks of validators and ranges (RFC 9110 §8.8, §13, §14): an `ETag`, the
//! conditional GET by entity tag, and the partial GET. A server may ignore `Range` (most
//! student servers do, and that is allowed); only a wrong `206` or `416` fails. Each answer is
//! read with the grammar httplab's own server writes with (`http::conditional`,
//! `http::range`, `http::multipart`).

use super::{Context, Judgement, Reply, SendOptions};
use crate::http::conditional::EntityTag;
use crate::http::multipart;
use crate::http::range::ContentRange;

/// The file these checks ask for, and a version of it that never exists.
const FILE: &str = "helloWorld.html";
const TARGET: &str = "/helloWorld.html";
const STALE_TAG: &str = "\"httplab-no-such-version\"";

/// One more request of the range check: its fields, how its answer is judged (`Err` says
/// what is wrong), and what was expected.
type Step<'a> = (
    &'a [(&'a str, &'a str)],
    fn(&Reply, &[u8]) -> Result<(), String>,
    &'static str,
);

fn get_with(context: &Context, fields: &[(&str, &str)]) -> Reply {
    let request = context.request("GET", TARGET, "HTTP/1.1", fields);
    context.send(&request, SendOptions::default())
}

pub fn etag(context: &Context) -> Judgement {
    let expected =
        "an ETag on the 200, one quoted entity tag, the same while the file is unchanged";
    let first = context.get(TARGET);
    if first.code() != Some(200) {
        return Judgement::fail(expected, first.describe(), &first.bytes);
    }
    let Some(tag) = first.field("etag") else {
        return Judgement::fail(
            expected,
            "no ETag field: a client can revalidate its copy only by date, to the second",
            first.head(),
        );
    };
    if EntityTag::parse(tag.as_bytes()).is_none() {
        return Judgement::fail(
            expected,
            format!("ETag: {tag} is not an entity tag (it must be quoted: \"v1\" or W/\"v1\")"),
            first.head(),
        );
    }
    let second = context.get(TARGET);
    match second.field("etag") {
        Some(again) if again == tag => Judgement::pass_with(format!("ETag: {tag}")),
        again => Judgement::fail(
            expected,
            format!(
                "ETag: {tag}, then {} for the same unchanged file: a cache never finds its copy current",
                again.map_or("none".to_string(), |a| format!("ETag: {a}"))
            ),
            second.head(),
        ),
    }
}

pub fn conditional(context: &Context) -> Judgement {
    let first = context.get(TARGET);
    if first.code() != Some(200) {
        return Judgement::fail("200 for the file", first.describe(), &first.bytes);
    }
    // Without an ETag, "*" asks the same question: "send it only if it does not exist".
    let tag = first.field("etag");
    let asked = tag.clone().unwrap_or_else(|| "*".to_string());
    let reply = get_with(context, &[("If-None-Match", &asked)]);
    let expected = format!("304 Not Modified for If-None-Match: {asked}, with the same ETag");
    match reply.code() {
        Some(304) if !reply.after_head().is_empty() => {
            let got = format!("304 and {} body bytes", reply.after_head().len());
            return Judgement::fail("a 304 without a body", got, &reply.bytes);
        }
        Some(304) if reply.field("etag") != tag => {
            let got = format!(
                "304 with ETag {:?} where the 200 had {tag:?}",
                reply.field("etag")
            );
            return Judgement::fail(expected, got, reply.head());
        }
        Some(304) => {}
        _ => return Judgement::fail(expected, reply.describe(), reply.head()),
    }
    if let Some(last_modified) = first.field("last-modified") {
        let fields = [
            ("If-None-Match", STALE_TAG),
            ("If-Modified-Since", last_modified.as_str()),
        ];
        let reply = get_with(context, &fields);
        if reply.code() != Some(200) {
            return Judgement::fail(
                "200 when If-None-Match names another version, whatever If-Modified-Since says (If-None-Match wins, RFC 9110 §13.2.2)",
                reply.describe(),
                reply.head(),
            );
        }
    }
    let reply = get_with(context, &[("If-Match", STALE_TAG)]);
    if reply.code() != Some(412) {
        return Judgement::fail(
            format!(
                "412 Precondition Failed for If-Match: {STALE_TAG}, a version that is not the file's"
            ),
            reply.describe(),
            reply.head(),
        );
    }
    Judgement::pass()
}

pub fn range(context: &Context) -> Judgement {
    let Some(file) = context.docroot.file(FILE) else {
        return Judgement::skip(format!("the docroot has no {FILE}"));
    };
    let len = file.len();
    if len < 21 {
        return Judgement::skip(format!("{FILE} is shorter than 21 bytes"));
    }
    let reply = get_with(context, &[("Range", "bytes=10-20")]);
    match reply.code() {
        Some(200) => {
            return Judgement::pass_with("Range ignored: 200 with the whole file (allowed)");
        }
        Some(206) => {}
        _ => {
            let expected = "206 with bytes 10-20, or 200 with the whole file";
            return Judgement::fail(expected, reply.describe(), &reply.bytes);
        }
    }
    if let Err(got) = one_part(&reply, &file, (10, 20)) {
        let expected = format!("206 with Content-Range: bytes 10-20/{len} and those 11 bytes");
        return Judgement::fail(expected, got, &reply.bytes);
    }
    let past_the_end_range = format!("bytes={len}-");
    let steps: [Step; 3] = [
        (
            &[("Range", &past_the_end_range)],
            past_the_end,
            "416 with Content-Range: bytes */LEN (or 200) for a range past the end",
        ),
        (
            &[("Range", "bytes=0-4"), ("If-Range", STALE_TAG)],
            stale_if_range,
            "200 with the whole file when If-Range names another version (RFC 9110 §13.1.5)",
        ),
        (
            &[("Range", "bytes=0-4,10-14")],
            two_ranges,
            "206 multipart/byteranges with bytes 0-4 and 10-14 (or one part that holds both, or 200)",
        ),
    ];
    for (fields, judge, expected) in steps {
        let reply = get_with(context, fields);
        if let Err(got) = judge(&reply, &file) {
            return Judgement::fail(expected.replace("LEN", &len.to_string()), got, &reply.bytes);
        }
    }
    Judgement::pass_with("206, 416 and multipart/byteranges, each labelled right")
}

/// A 206 of one range: `Content-Range` names `want` of this file, the body is those bytes,
/// and `Content-Length` their count.
fn one_part(reply: &Reply, file: &[u8], want: (u64, u64)) -> Result<(), String> {
    let value = reply.field("content-range").unwrap_or_default();
    let labelled = label(ContentRange::parse(value.as_bytes()), file.len()).ok_or_else(|| {
        format!(
            "Content-Range: {value:?}, not bytes FIRST-LAST/{}",
            file.len()
        )
    })?;
    if labelled != want {
        return Err(format!("Content-Range: {value}, another range than asked"));
    }
    let body = reply.body();
    let slice = &file[want.0 as usize..=want.1 as usize];
    if body != slice {
        return Err(format!(
            "Content-Range: {value}, but the {} body bytes are not those bytes of the file (Content-Length is the part's length)",
            body.len()
        ));
    }
    Ok(())
}

/// `(first, last)` of a range label, if it is a range of a file of `len` bytes (a server
/// may write `/*` for the length, but never a byte past the end).
fn label(range: Option<ContentRange>, len: usize) -> Option<(u64, u64)> {
    match range? {
        ContentRange::Range {
            first,
            last,
            complete,
        } if complete.is_none_or(|c| c == len as u64) && last < len as u64 => Some((first, last)),
        _ => None,
    }
}

fn past_the_end(reply: &Reply, file: &[u8]) -> Result<(), String> {
    let unsatisfied = ContentRange::Unsatisfied {
        complete: file.len() as u64,
    };
    match reply.code() {
        Some(200) => Ok(()),
        Some(416) => {
            let value = reply.field("content-range").unwrap_or_default();
            if ContentRange::parse(value.as_bytes()) == Some(unsatisfied) {
                Ok(())
            } else {
                Err(format!(
                    "416 with Content-Range: {value:?}: the client is not told the file's length"
                ))
            }
        }
        _ => Err(reply.describe()),
    }
}

fn stale_if_range(reply: &Reply, _file: &[u8]) -> Result<(), String> {
    match reply.code() {
        Some(200) => Ok(()),
        Some(206) => Err("206: part of a version the client does not have; spliced into its copy, it corrupts the file".into()),
        _ => Err(reply.describe()),
    }
}

fn two_ranges(reply: &Reply, file: &[u8]) -> Result<(), String> {
    match reply.code() {
        Some(200) => return Ok(()),
        Some(206) => {}
        _ => return Err(reply.describe()),
    }
    let content_type = reply.field("content-type").unwrap_or_default();
    let Some(boundary) = multipart::boundary_of(content_type.as_bytes()) else {
        // One part may hold both ranges (RFC 9110 §14.2 lets a server coalesce them).
        let value = reply.field("content-range").unwrap_or_default();
        let (first, last) = label(ContentRange::parse(value.as_bytes()), file.len())
            .filter(|(first, last)| *first == 0 && *last >= 14)
            .ok_or_else(|| {
                format!("one part labelled {value:?}, which does not hold bytes 0-4 and 10-14")
            })?;
        return one_part(reply, file, (first, last));
    };
    let body = reply.body();
    let parts =
        multipart::parse(&body, boundary).map_err(|why| format!("multipart/byteranges: {why}"))?;
    for part in &parts {
        let (first, last) =
            label(part.content_range, file.len()).ok_or("a part without a valid Content-Range")?;
        if part.data != &file[first as usize..=last as usize] {
            return Err(format!(
                "the part labelled bytes {first}-{last} holds other bytes"
            ));
        }
    }
    let labels: Vec<_> = parts
        .iter()
        .filter_map(|p| label(p.content_range, file.len()))
        .collect();
    if labels != [(0, 4), (10, 14)] {
        return Err(format!("parts {labels:?}, not bytes 0-4 and 10-14"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::analysis::Ending;

    const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";

    fn reply(head: &str, body: &[u8]) -> Reply {
        let mut bytes = format!("HTTP/1.1 {head}\r\n\r\n").into_bytes();
        bytes.extend_from_slice(body);
        Reply {
            bytes,
            ending: Ending::Complete,
            connect_error: None,
            data_segments: None,
            captured_segments: None,
            request_was_head: false,
        }
    }

    fn partial(content_range: &str, length: usize, body: &[u8]) -> Reply {
        let head = format!(
            "206 Partial Content\r\nContent-Range: {content_range}\r\nContent-Length: {length}"
        );
        reply(&head, body)
    }

    #[test]
    fn a_wrong_206_or_416_is_named_and_ignoring_range_is_not() {
        let right = partial("bytes 10-20/47", 11, &HELLO[10..21]);
        assert_eq!(one_part(&right, HELLO, (10, 20)), Ok(()));
        // The last position is inclusive: 10-21 is twelve bytes.
        let off_by_one = partial("bytes 10-21/47", 11, &HELLO[10..21]);
        assert!(one_part(&off_by_one, HELLO, (10, 20)).is_err());
        let whole_length = partial("bytes 10-20/47", 47, HELLO);
        assert!(one_part(&whole_length, HELLO, (10, 20)).is_err());
        let other_bytes = partial("bytes 10-20/47", 11, &HELLO[0..11]);
        assert!(one_part(&other_bytes, HELLO, (10, 20)).is_err());
        let wrong_size = partial("bytes 10-20/48", 11, &HELLO[10..21]);
        assert!(one_part(&wrong_size, HELLO, (10, 20)).is_err());

        let bare_416 = reply("416 Range Not Satisfiable\r\nContent-Length: 0", b"");
        assert!(past_the_end(&bare_416, HELLO).is_err());
        let good_416 = reply(
            "416 Range Not Satisfiable\r\nContent-Range: bytes */47\r\nContent-Length: 0",
            b"",
        );
        assert_eq!(past_the_end(&good_416, HELLO), Ok(()));
        let whole = reply("200 OK\r\nContent-Length: 47", HELLO);
        assert_eq!(past_the_end(&whole, HELLO), Ok(()));
        assert_eq!(stale_if_range(&whole, HELLO), Ok(()));
        assert!(stale_if_range(&partial("bytes 0-4/47", 5, &HELLO[..5]), HELLO).is_err());

        let coalesced = partial("bytes 0-14/47", 15, &HELLO[..15]);
        assert_eq!(two_ranges(&coalesced, HELLO), Ok(()));
        let body = [
            b"--B\r\nContent-Range: bytes 0-4/47\r\n\r\n".as_slice(),
            &HELLO[..5],
            b"\r\n--B\r\nContent-Range: bytes 10-14/47\r\n\r\n",
            &HELLO[10..15],
            b"\r\n--B--\r\n",
        ]
        .concat();
        let head = format!(
            "206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=B\r\nContent-Length: {}",
            body.len()
        );
        assert_eq!(two_ranges(&reply(&head, &body), HELLO), Ok(()));
        let mislabelled = String::from_utf8_lossy(&body).replace("10-14", "11-15");
        assert!(two_ranges(&reply(&head, mislabelled.as_bytes()), HELLO).is_err());
        // A label past the end, with the length left out, is wrong, not a panic.
        let past = String::from_utf8_lossy(&body).replace("10-14/47", "45-49/*");
        assert!(two_ranges(&reply(&head, past.as_bytes()), HELLO).is_err());
        let huge = partial("bytes 0-99999/*", 15, &HELLO[..15]);
        assert!(two_ranges(&huge, HELLO).is_err());
    }
}
