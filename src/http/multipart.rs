//! `multipart/byteranges` (RFC 9110 §14.6): the body of a `206` that carries several ranges.
//! The server lays it out with [`layout`] — small texts (the boundaries and each part's
//! head) between ranges of the file, so that the file's bytes still stream from the disk —
//! and `check` and `probe` read a server's with [`parse`].

use super::range::{ByteRange, ContentRange};

/// One piece of a body made of a file's ranges: a text written by the server, or bytes of
/// the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyPiece {
    Text(Vec<u8>),
    Range(ByteRange),
}

impl BodyPiece {
    pub fn len(&self) -> u64 {
        match self {
            BodyPiece::Text(text) => text.len() as u64,
            BodyPiece::Range(range) => range.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The boundary between parts: made from the file's `ETag` (or its length), so the same
/// request gets the same bytes (snapshots, caches), and long and odd enough never to appear
/// in a file by chance. Only boundary characters (RFC 2046 §5.1.1): letters, digits, `-`.
pub fn boundary(etag: Option<&str>, len: u64) -> String {
    match etag {
        Some(tag) => {
            let tag: String = tag
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            format!("httplab-byteranges-{tag}")
        }
        None => format!("httplab-byteranges-{len:x}"),
    }
}

/// The `Content-Type` of the whole answer.
pub fn content_type(boundary: &str) -> String {
    format!("multipart/byteranges; boundary={boundary}")
}

/// The body of a multipart answer: each range after a delimiter line and its own head
/// (`Content-Type`, `Content-Range`), then the closing delimiter.
pub fn layout(
    ranges: &[ByteRange],
    media_type: &str,
    complete: u64,
    boundary: &str,
) -> Vec<BodyPiece> {
    let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
    for (i, range) in ranges.iter().enumerate() {
        // The delimiter begins a line: after the first part, the CRLF that ends the data.
        let line_end = if i == 0 { "" } else { "\r\n" };
        let head = format!(
            "{line_end}--{boundary}\r\nContent-Type: {media_type}\r\nContent-Range: {}\r\n\r\n",
            range.content_range(complete)
        );
        pieces.push(BodyPiece::Text(head.into_bytes()));
        pieces.push(BodyPiece::Range(*range));
    }
    pieces.push(BodyPiece::Text(
        format!("\r\n--{boundary}--\r\n").into_bytes(),
    ));
    pieces
}

/// One part of a multipart body, as a server sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangePart<'a> {
    /// Its `Content-Range`, when it had a valid one.
    pub content_range: Option<ContentRange>,
    pub data: &'a [u8],
}

/// The `boundary` parameter of a `multipart/byteranges` Content-Type, unquoted.
pub fn boundary_of(content_type: &[u8]) -> Option<&[u8]> {
    let mut params = content_type.split(|&b| b == b';');
    let media = params.next()?;
    if !trim(media).eq_ignore_ascii_case(b"multipart/byteranges") {
        return None;
    }
    params.find_map(|param| {
        let param = trim(param);
        let value = param
            .get(..9)
            .filter(|name| name.eq_ignore_ascii_case(b"boundary="))
            .map(|_| &param[9..])?;
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        (!value.is_empty()).then_some(value)
    })
}

/// Reads a `multipart/byteranges` body: its parts in order, or what is wrong with it.
pub fn parse<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<RangePart<'a>>, String> {
    let delimiter = [b"--".as_slice(), boundary].concat();
    let Some(first) = find(body, &delimiter) else {
        return Err("no boundary line: the body does not start with --boundary".into());
    };
    let mut parts = Vec::new();
    let mut at = first + delimiter.len();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let Some(head_start) = rest.windows(2).position(|w| w == b"\r\n").map(|i| i + 2) else {
            return Err("a boundary line without its CRLF".into());
        };
        let Some(head_len) = find(&rest[head_start..], b"\r\n\r\n") else {
            return Err(format!(
                "part {} has no empty line after its head",
                parts.len() + 1
            ));
        };
        let head = &rest[head_start..head_start + head_len];
        let data_start = head_start + head_len + 4;
        let next = [b"\r\n".as_slice(), &delimiter].concat();
        let Some(data_len) = find(&rest[data_start..], &next) else {
            return Err(format!(
                "part {} never ends: no closing boundary",
                parts.len() + 1
            ));
        };
        parts.push(RangePart {
            content_range: field(head, b"content-range").and_then(ContentRange::parse),
            data: &rest[data_start..data_start + data_len],
        });
        at += data_start + data_len + next.len();
    }
}

/// The value of a field in a part's head.
fn field<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        trim(&line[..colon])
            .eq_ignore_ascii_case(name)
            .then(|| trim(&line[colon + 1..]))
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_laid_out_reads_back() {
        let file = b"0123456789abcdefghij";
        let ranges = [
            ByteRange { start: 0, len: 3 },
            ByteRange { start: 10, len: 2 },
        ];
        let boundary = boundary(Some("\"14-ff\""), 20);
        assert_eq!(boundary, "httplab-byteranges-14-ff");
        let pieces = layout(&ranges, "text/plain", 20, &boundary);
        let mut body = Vec::new();
        for piece in &pieces {
            match piece {
                BodyPiece::Text(text) => body.extend_from_slice(text),
                BodyPiece::Range(r) => {
                    body.extend_from_slice(&file[r.start as usize..][..r.len as usize])
                }
            }
        }
        assert_eq!(
            body.len() as u64,
            pieces.iter().map(BodyPiece::len).sum::<u64>()
        );
        let parts = parse(&body, boundary.as_bytes()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].data, b"012");
        assert_eq!(parts[1].data, b"ab");
        assert_eq!(parts[1].content_range.and_then(|r| r.part_len()), Some(2));
        let content_type = content_type(&boundary);
        assert_eq!(
            boundary_of(content_type.as_bytes()),
            Some(boundary.as_bytes())
        );
        assert_eq!(
            boundary_of(b"Multipart/Byteranges; charset=x; Boundary=\"a b\""),
            Some(&b"a b"[..])
        );
        assert_eq!(boundary_of(b"text/html; boundary=x"), None);
        assert!(parse(b"--x\r\nA: b\r\n\r\ndata", b"x").is_err());
        assert!(parse(b"nothing", b"x").is_err());
    }
}
