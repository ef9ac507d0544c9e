//! Every way a request head can be refused: the status it gets, what is wrong
//! ([`RequestError::fault`]) and what was expected, with the RFC section
//! ([`RequestError::expected`]). The body of a refusal puts what arrived between the two
//! (`explain::explain_refusal`).

use std::fmt;

use super::Status;

/// Every way a request head can be refused, each with its status and its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Something before the request line that is not an empty line.
    LeadingWhitespace,
    /// The bytes of a TLS ClientHello: an `https://` client talking to a plain-HTTP port.
    TlsHandshake,
    InvalidMethod,
    /// More or fewer than one space between the parts of the request line.
    RequestLineSpacing,
    /// Only two parts: `GET /path` with no version (HTTP/0.9 style).
    MissingVersion,
    /// A target byte that is not allowed in a URI (a space, a control byte, non-ASCII).
    InvalidTargetByte(u8),
    /// A version token that is not `HTTP/DIGIT.DIGIT`.
    MalformedVersion,
    /// Well-formed, but not HTTP/1.0 or HTTP/1.1.
    UnsupportedVersion(String),
    TrailingWhitespaceInRequestLine,
    /// A CR not followed by LF.
    BareCr,
    ObsFold,
    WhitespaceBeforeColon,
    MissingColon,
    EmptyFieldName,
    InvalidFieldNameByte(u8),
    ControlInFieldValue(u8),
    MissingHost,
    DuplicateHost,
    InvalidHost,
    InvalidContentLength,
    ConflictingContentLength,
    LengthWithTransferEncoding,
    TransferEncodingInHttp10,
    ChunkedNotLast,
    UnsupportedTransferCoding(String),
    TargetTooLong {
        limit: usize,
    },
    HeadTooLarge {
        limit: usize,
    },
    TooManyFields {
        limit: usize,
    },
}

impl RequestError {
    pub fn status(&self) -> Status {
        use RequestError::*;
        match self {
            UnsupportedVersion(_) => Status::VERSION_NOT_SUPPORTED,
            UnsupportedTransferCoding(_) => Status::NOT_IMPLEMENTED,
            TargetTooLong { .. } => Status::URI_TOO_LONG,
            HeadTooLarge { .. } | TooManyFields { .. } => Status::HEADER_FIELDS_TOO_LARGE,
            _ => Status::BAD_REQUEST,
        }
    }
}

impl RequestError {
    /// What is wrong, in a few words and without the evidence: the part of a refusal that
    /// names the fault ("the request line has no HTTP version").
    pub fn fault(&self) -> String {
        use RequestError::*;
        match self {
            LeadingWhitespace => "whitespace before the request line".into(),
            TlsHandshake => "this is a TLS handshake, not an HTTP request".into(),
            InvalidMethod => "the method is not a token".into(),
            RequestLineSpacing => {
                "the parts of the request line are not separated by single spaces".into()
            }
            MissingVersion => "the request line has no HTTP version".into(),
            InvalidTargetByte(b) => {
                format!("{} is not allowed in a request target", byte_name(*b))
            }
            MalformedVersion => "the HTTP version is not HTTP/DIGIT.DIGIT".into(),
            UnsupportedVersion(v) => format!("{v} is not supported"),
            TrailingWhitespaceInRequestLine => {
                "whitespace after the HTTP version on the request line".into()
            }
            BareCr => "a CR (\\r) not followed by LF (\\n)".into(),
            ObsFold => "a header line starts with whitespace (obsolete line folding)".into(),
            WhitespaceBeforeColon => "whitespace between a header field name and its colon".into(),
            MissingColon => "a header line without a colon".into(),
            EmptyFieldName => "a header field with an empty name".into(),
            InvalidFieldNameByte(b) => {
                format!("{} is not allowed in a header field name", byte_name(*b))
            }
            ControlInFieldValue(b) => format!("{} in a header field value", byte_name(*b)),
            MissingHost => "an HTTP/1.1 request must have a Host header field".into(),
            DuplicateHost => "more than one Host header field".into(),
            InvalidHost => "the Host header field is not a valid host[:port]".into(),
            InvalidContentLength => {
                "Content-Length is not a non-negative decimal number that fits in 64 bits".into()
            }
            ConflictingContentLength => "conflicting Content-Length values".into(),
            LengthWithTransferEncoding => "both Transfer-Encoding and Content-Length".into(),
            TransferEncodingInHttp10 => "Transfer-Encoding in an HTTP/1.0 request".into(),
            ChunkedNotLast => "Transfer-Encoding does not end in chunked".into(),
            UnsupportedTransferCoding(c) => format!("transfer coding {c:?} is not implemented"),
            TargetTooLong { limit } => {
                format!("the request target is longer than {limit} bytes")
            }
            HeadTooLarge { limit } => format!("the request head is larger than {limit} bytes"),
            TooManyFields { limit } => format!("more than {limit} header fields"),
        }
    }

    /// What was expected instead, with the RFC section: the part of a refusal that says how
    /// the request should have looked. It reads after "expected": `expected HTTP/1.1 or
    /// HTTP/1.0 (RFC 9110 §15.6.6)`.
    pub fn expected(&self) -> String {
        use RequestError::*;
        match self {
            LeadingWhitespace => {
                "the method first, as in \"GET /path HTTP/1.1\" (RFC 9112 §2.2)".into()
            }
            TlsHandshake => {
                "plain HTTP: the client used https://, but this server speaks http://".into()
            }
            InvalidMethod => "a method of letters, digits or !#$%&'*+-.^_`|~, such as GET, \
                              then one space (RFC 9110 §9.1)"
                .into(),
            RequestLineSpacing => "method, target and version with one space between each, \
                                   as in \"GET /path HTTP/1.1\" (RFC 9112 §3)"
                .into(),
            MissingVersion => "the version after the target, as in \"GET /path HTTP/1.1\" (a \
                               request line without one is HTTP/0.9, which is not supported; \
                               RFC 9112 §3)"
                .into(),
            InvalidTargetByte(b) => {
                format!("%{b:02X} in its place, percent-encoded (RFC 3986 §2.1)")
            }
            MalformedVersion => {
                "HTTP/1.1, in capitals, right after the target and one space (RFC 9112 §2.3)".into()
            }
            UnsupportedVersion(_) => "HTTP/1.1 or HTTP/1.0 (RFC 9110 §15.6.6)".into(),
            TrailingWhitespaceInRequestLine => {
                "the line end right after the version: HTTP/1.1\\r\\n (RFC 9112 §3)".into()
            }
            BareCr => "\\r\\n, CR then LF, at the end of every line, and a CR nowhere else \
                       (RFC 9112 §2.2)"
                .into(),
            ObsFold => "each header line to start with its name, as in \"Host: localhost\"; \
                        a value cannot go on over the next line (RFC 9112 §5.2)"
                .into(),
            WhitespaceBeforeColon => {
                "the colon right after the name, as in \"Host: localhost\" (RFC 9112 §5.1)".into()
            }
            MissingColon => "Name: value, as in \"Host: localhost\" (RFC 9112 §5)".into(),
            EmptyFieldName => {
                "a name before the colon, as in \"Host: localhost\" (RFC 9110 §5.1)".into()
            }
            InvalidFieldNameByte(_) => {
                "a name of letters, digits and -, as in \"Content-Type\" (RFC 9110 §5.1)".into()
            }
            ControlInFieldValue(_) => {
                "a value of visible text, spaces and tabs (RFC 9110 §5.5)".into()
            }
            MissingHost => "a line such as \"Host: localhost:6789\\r\\n\" after the request \
                            line (RFC 9112 §3.2)"
                .into(),
            DuplicateHost => "exactly one Host line (RFC 9112 §3.2)".into(),
            InvalidHost => "a host name or address and perhaps a port, as in \
                            \"Host: localhost:6789\", with no path and no space (RFC 9112 §3.2)"
                .into(),
            InvalidContentLength => {
                "the body's length in bytes, in digits, as in \"Content-Length: 47\" \
                 (RFC 9112 §6.3)"
                    .into()
            }
            ConflictingContentLength => "one length, given once (RFC 9112 §6.3)".into(),
            LengthWithTransferEncoding => {
                "one of the two, and a GET needs neither (RFC 9112 §6.3)".into()
            }
            TransferEncodingInHttp10 => {
                "Content-Length, or HTTP/1.1: HTTP/1.0 has no chunked bodies (RFC 9112 §6.1)".into()
            }
            ChunkedNotLast => "chunked, once and last (RFC 9112 §6.3)".into(),
            UnsupportedTransferCoding(_) => {
                "chunked, the only transfer coding this server understands (RFC 9112 §6.1)".into()
            }
            TargetTooLong { limit } => format!("a target of {limit} bytes at most (RFC 9112 §3)"),
            HeadTooLarge { limit } => {
                format!("a head of {limit} bytes at most, ended by an empty line (RFC 6585 §5)")
            }
            TooManyFields { limit } => format!("{limit} header fields at most (RFC 6585 §5)"),
        }
    }
}

/// The rule without the evidence: what is wrong, then what was expected. A refusal's body
/// says more (`explain_refusal`: what arrived, between the two).
impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; expected {}", self.fault(), self.expected())
    }
}

/// A byte named so that a student recognises it: `byte 0x20 (a space)`, `byte 0x28 ("(")`.
pub(super) fn byte_name(b: u8) -> String {
    let what = match b {
        b' ' => "a space".to_string(),
        b'\t' => "a tab".to_string(),
        b'\r' => "a CR, \\r".to_string(),
        b'\n' => "an LF, \\n".to_string(),
        0x7f => "DEL, a control byte".to_string(),
        _ if b < 0x20 => "a control byte".to_string(),
        _ if b >= 0x80 => "not ASCII".to_string(),
        _ => format!("\"{}\"", b as char),
    };
    format!("byte 0x{b:02X} ({what})")
}

impl std::error::Error for RequestError {}
