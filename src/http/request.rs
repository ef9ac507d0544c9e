//! Request heads: bytes in, a [`Request`] (or "incomplete", or a precise [`RequestError`]) out.
//!
//! `httparse` does the tokenising and is the judge of what is well-formed; this module adds
//! what httparse leaves to its caller: the size limits, the field semantics RFC 9112 puts on
//! a server (Host, Content-Length, Transfer-Encoding, Connection), and, when httparse rejects
//! a head, a diagnosis that names the exact fault instead of "invalid token".

use std::mem::MaybeUninit;

use super::conditional::Conditions;
use super::diagnose::diagnose;
use super::grammar::{is_host_byte, is_target_byte, trim_ows};
pub use super::request_error::RequestError;
use super::version::ConnectionOptions;
pub use super::version::Version;

/// Resource bounds on one request head. Exceeding one is answered, never buffered.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Request line plus fields plus the empty line; more is answered 431.
    pub max_head_bytes: usize,
    /// The request target; longer is answered 414.
    pub max_target_bytes: usize,
    /// Number of header fields; more is answered 431.
    pub max_fields: usize,
    /// A GET or HEAD may carry a Content-Length body up to this size, which is read and
    /// discarded so the connection can go on; a larger one closes the connection after the
    /// answer instead.
    pub max_discarded_body: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_head_bytes: 16 * 1024,
            max_target_bytes: 8 * 1024,
            max_fields: 100,
            max_discarded_body: 1024 * 1024,
        }
    }
}

/// Hard upper bound of header fields parsed at once (the array httparse fills lives on the stack).
const FIELD_SLOTS: usize = 256;

/// How the request says its body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes follow the head.
    Length(u64),
    /// A chunked body follows the head.
    Chunked,
}

/// A complete, well-formed request head. Borrowed from the input bytes.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub version: Version,
    pub host: Option<&'a [u8]>,
    pub framing: Framing,
    /// `Connection: close` was sent.
    pub connection_close: bool,
    /// `Connection: keep-alive` was sent (what lets an HTTP/1.0 connection persist).
    pub connection_keep_alive: bool,
    /// The conditional fields and `Range` (RFC 9110 §13.1, §14.2), as they arrived.
    pub conditions: Conditions<'a>,
    /// Bytes of input the head took, including any empty lines before it.
    pub head_len: usize,
}

impl Request<'_> {
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3).
    pub fn wants_persistence(&self) -> bool {
        self.version.persists(ConnectionOptions {
            close: self.connection_close,
            keep_alive: self.connection_keep_alive,
        })
    }
}

/// The result of looking at the bytes received so far.
#[derive(Debug)]
pub enum Parsed<'a> {
    /// The head is not complete yet and nothing wrong has been seen: read more.
    Incomplete,
    Complete(Request<'a>),
    /// The head is known to be bad; answer with `error.status()` and close.
    Invalid(RequestError),
}

/// Parses the request head at the start of `input`.
pub fn parse<'a>(input: &'a [u8], limits: &Limits) -> Parsed<'a> {
    let slots = limits.max_fields.min(FIELD_SLOTS);
    // Left uninitialised: httparse writes the fields it finds (zeroing 8 KiB per request
    // showed up in profiles).
    let mut fields = [const { MaybeUninit::<httparse::Header>::uninit() }; FIELD_SLOTS];
    let mut head = httparse::Request::new(&mut []);
    match head.parse_with_uninit_headers(input, &mut fields[..slots]) {
        Ok(httparse::Status::Complete(head_len)) => complete_head(&head, head_len, limits),
        Ok(httparse::Status::Partial) => {
            if let Some(limit) = partial_target_too_long(input, limits.max_target_bytes) {
                return Parsed::Invalid(RequestError::TargetTooLong { limit });
            }
            if input.len() > limits.max_head_bytes {
                return Parsed::Invalid(RequestError::HeadTooLarge {
                    limit: limits.max_head_bytes,
                });
            }
            Parsed::Incomplete
        }
        Err(httparse::Error::TooManyHeaders) => {
            Parsed::Invalid(RequestError::TooManyFields { limit: slots })
        }
        Err(error) => Parsed::Invalid(diagnose(
            input,
            skip_empty_lines(input),
            error,
            limits.max_target_bytes,
        )),
    }
}

/// A head httparse found complete and well-formed: the limits, the target's bytes, and the
/// fields the server acts on.
fn complete_head<'a>(
    head: &httparse::Request<'_, 'a>,
    head_len: usize,
    limits: &Limits,
) -> Parsed<'a> {
    let target = head.path.unwrap_or("");
    if target.len() > limits.max_target_bytes {
        return Parsed::Invalid(RequestError::TargetTooLong {
            limit: limits.max_target_bytes,
        });
    }
    if head_len > limits.max_head_bytes {
        return Parsed::Invalid(RequestError::HeadTooLarge {
            limit: limits.max_head_bytes,
        });
    }
    if let Some(b) = target.bytes().find(|b| !is_target_byte(*b)) {
        return Parsed::Invalid(RequestError::InvalidTargetByte(b));
    }
    let version = if head.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    match interpret_fields(head.headers, version) {
        Ok(fields) => Parsed::Complete(Request {
            method: head.method.unwrap_or(""),
            target,
            version,
            host: fields.host,
            framing: fields.framing,
            connection_close: fields.connection.close,
            connection_keep_alive: fields.connection.keep_alive,
            conditions: fields.conditions,
            head_len,
        }),
        Err(error) => Parsed::Invalid(error),
    }
}

/// The fields of a complete head that the server acts on.
struct Fields<'a> {
    host: Option<&'a [u8]>,
    framing: Framing,
    connection: ConnectionOptions,
    conditions: Conditions<'a>,
}

fn interpret_fields<'a>(
    headers: &[httparse::Header<'a>],
    version: Version,
) -> Result<Fields<'a>, RequestError> {
    let mut host = None;
    let mut content_length: Option<u64> = None;
    let mut codings: Vec<String> = Vec::new();
    let mut connection = ConnectionOptions::default();
    let mut conditions = Conditions::default();
    // Control bytes in values are already refused by httparse (see the test
    // `control_bytes_in_values_are_refused`), which names them in `diagnose`.
    for field in headers {
        let name = field.name;
        if name.eq_ignore_ascii_case("host") {
            host = Some(read_host(host, field.value)?);
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = add_content_length(content_length, field.value)?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            add_codings(&mut codings, field.value);
        } else if name.eq_ignore_ascii_case("connection") {
            connection.add(field.value);
        } else {
            conditions.add(name, field.value);
        }
    }
    let framing = body_framing(content_length, &codings, version)?;
    if version == Version::Http11 && host.is_none() {
        return Err(RequestError::MissingHost);
    }
    Ok(Fields {
        host,
        framing,
        connection,
        conditions,
    })
}

/// A Host field: the first one, and a valid host[:port].
fn read_host<'a>(seen: Option<&[u8]>, value: &'a [u8]) -> Result<&'a [u8], RequestError> {
    if seen.is_some() {
        return Err(RequestError::DuplicateHost);
    }
    if !value.iter().all(|b| is_host_byte(*b)) {
        return Err(RequestError::InvalidHost);
    }
    Ok(value)
}

/// The lengths of a Content-Length field (a list, RFC 9110 §8.6), which must agree with each
/// other and with the length of earlier fields.
fn add_content_length(seen: Option<u64>, value: &[u8]) -> Result<Option<u64>, RequestError> {
    let mut content_length = seen;
    for element in value.split(|b| *b == b',') {
        let length = parse_length(trim_ows(element))?;
        match content_length {
            Some(seen) if seen != length => {
                return Err(RequestError::ConflictingContentLength);
            }
            _ => content_length = Some(length),
        }
    }
    Ok(content_length)
}

/// The transfer codings of a Transfer-Encoding field, lowercased, in order.
fn add_codings(codings: &mut Vec<String>, value: &[u8]) {
    for coding in value.split(|b| *b == b',') {
        let coding = trim_ows(coding);
        if !coding.is_empty() {
            codings.push(String::from_utf8_lossy(coding).to_ascii_lowercase());
        }
    }
}

/// How the body is delimited (RFC 9112 §6.3): chunked must be the last and only coding, and
/// never comes with Content-Length or in HTTP/1.0.
fn body_framing(
    content_length: Option<u64>,
    codings: &[String],
    version: Version,
) -> Result<Framing, RequestError> {
    if codings.is_empty() {
        return Ok(match content_length {
            Some(0) | None => Framing::None,
            Some(length) => Framing::Length(length),
        });
    }
    if version == Version::Http10 {
        return Err(RequestError::TransferEncodingInHttp10);
    }
    if content_length.is_some() {
        return Err(RequestError::LengthWithTransferEncoding);
    }
    let chunked_at = codings.iter().position(|c| c == "chunked");
    if chunked_at != Some(codings.len() - 1) {
        return Err(RequestError::ChunkedNotLast);
    }
    if let Some(other) = codings.iter().find(|c| *c != "chunked") {
        return Err(RequestError::UnsupportedTransferCoding(other.clone()));
    }
    if codings.len() > 1 {
        return Err(RequestError::ChunkedNotLast);
    }
    Ok(Framing::Chunked)
}

/// `1*DIGIT` that fits in a u64: no sign, no spaces, no hex, no empty value.
fn parse_length(digits: &[u8]) -> Result<u64, RequestError> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(RequestError::InvalidContentLength);
    }
    digits.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(d - b'0')))
            .ok_or(RequestError::InvalidContentLength)
    })
}

/// Skips the empty lines a server should ignore before a request line (RFC 9112 §2.2).
pub fn skip_empty_lines(input: &[u8]) -> &[u8] {
    let mut rest = input;
    loop {
        if let Some(after) = rest.strip_prefix(b"\r\n") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"\n") {
            rest = after;
        } else {
            return rest;
        }
    }
}

/// While the request line is still arriving: has its target already passed the limit?
fn partial_target_too_long(input: &[u8], limit: usize) -> Option<usize> {
    let line = skip_empty_lines(input);
    let line = match line.iter().position(|b| *b == b'\n') {
        Some(end) => &line[..end],
        None => line,
    };
    let after_method = line.iter().position(|b| *b == b' ')? + 1;
    let target = &line[after_method..];
    let target_len = target
        .iter()
        .position(|b| *b == b' ')
        .unwrap_or(target.len());
    (target_len > limit).then_some(limit)
}

/// The method token at the start of the input, if the request line has one.
pub fn method_of(input: &[u8]) -> Option<&str> {
    let line = skip_empty_lines(input);
    let end = line.iter().position(|b| *b == b' ')?;
    std::str::from_utf8(&line[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// httparse refuses every control byte but HTAB in a field value; `interpret_fields`
    /// relies on it instead of scanning every value again.
    #[test]
    fn control_bytes_in_values_are_refused() {
        for b in (0u8..0x20).chain([0x7f]) {
            if b == b'\t' || b == b'\n' || b == b'\r' {
                continue;
            }
            let request = [
                b"GET / HTTP/1.1\r\nHost: x\r\nX: a".as_slice(),
                &[b],
                b"b\r\n\r\n",
            ]
            .concat();
            match parse(&request, &Limits::default()) {
                Parsed::Invalid(RequestError::ControlInFieldValue(found)) => assert_eq!(found, b),
                other => panic!("0x{b:02x}: {other:?}"),
            }
        }
    }
}
