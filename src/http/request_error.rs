//! Every way a request head can be refused: the status it gets and the one-line reason,
//! with the RFC section, that goes in the body.

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

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RequestError::*;
        match self {
            LeadingWhitespace => write!(f, "whitespace before the request line (RFC 9112 §2.2)"),
            TlsHandshake => write!(
                f,
                "this is a TLS handshake: the client used https:// but this server speaks plain http://"
            ),
            InvalidMethod => write!(f, "the method is not a token (RFC 9110 §9.1)"),
            RequestLineSpacing => write!(
                f,
                "the request line must be method, target and version separated by single spaces (RFC 9112 §3)"
            ),
            MissingVersion => write!(
                f,
                "the request line has no HTTP version; HTTP/0.9 is not supported (RFC 9112 §3)"
            ),
            InvalidTargetByte(b) => write!(
                f,
                "byte 0x{b:02X} is not allowed in a request target; percent-encode it (RFC 3986 §2.1)"
            ),
            MalformedVersion => write!(
                f,
                "the HTTP version is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)"
            ),
            UnsupportedVersion(v) => write!(
                f,
                "{v} is not supported; use HTTP/1.1 or HTTP/1.0 (RFC 9110 §15.6.6)"
            ),
            TrailingWhitespaceInRequestLine => {
                write!(
                    f,
                    "whitespace after the HTTP version on the request line (RFC 9112 §3)"
                )
            }
            BareCr => write!(f, "a CR not followed by LF (RFC 9112 §2.2)"),
            ObsFold => write!(
                f,
                "a header line starts with whitespace (obsolete line folding, RFC 9112 §5.2)"
            ),
            WhitespaceBeforeColon => {
                write!(
                    f,
                    "whitespace between a header field name and its colon (RFC 9112 §5.1)"
                )
            }
            MissingColon => write!(f, "a header line without a colon (RFC 9112 §5)"),
            EmptyFieldName => write!(f, "a header field with an empty name (RFC 9110 §5.1)"),
            InvalidFieldNameByte(b) => {
                write!(
                    f,
                    "byte 0x{b:02X} is not allowed in a header field name (RFC 9110 §5.1)"
                )
            }
            ControlInFieldValue(b) => {
                write!(
                    f,
                    "control byte 0x{b:02X} in a header field value (RFC 9110 §5.5)"
                )
            }
            MissingHost => write!(
                f,
                "an HTTP/1.1 request must have a Host header field (RFC 9112 §3.2)"
            ),
            DuplicateHost => write!(f, "more than one Host header field (RFC 9112 §3.2)"),
            InvalidHost => write!(
                f,
                "the Host header field is not a valid host[:port] (RFC 9112 §3.2)"
            ),
            InvalidContentLength => write!(
                f,
                "Content-Length is not a non-negative decimal number that fits in 64 bits (RFC 9112 §6.3)"
            ),
            ConflictingContentLength => {
                write!(f, "conflicting Content-Length values (RFC 9112 §6.3)")
            }
            LengthWithTransferEncoding => {
                write!(
                    f,
                    "both Transfer-Encoding and Content-Length (RFC 9112 §6.3)"
                )
            }
            TransferEncodingInHttp10 => write!(
                f,
                "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"
            ),
            ChunkedNotLast => write!(
                f,
                "Transfer-Encoding does not end in chunked (RFC 9112 §6.3)"
            ),
            UnsupportedTransferCoding(c) => write!(
                f,
                "transfer coding {c:?} is not implemented (RFC 9112 §6.1)"
            ),
            TargetTooLong { limit } => write!(
                f,
                "the request target is longer than {limit} bytes (RFC 9112 §3)"
            ),
            HeadTooLarge { limit } => write!(
                f,
                "the request head is larger than {limit} bytes (RFC 6585 §5)"
            ),
            TooManyFields { limit } => write!(f, "more than {limit} header fields (RFC 6585 §5)"),
        }
    }
}

impl std::error::Error for RequestError {}
