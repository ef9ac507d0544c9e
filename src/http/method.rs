//! What httplab does with a method: serve it, refuse it as not allowed here (405), or say it
//! does not know it (501). Methods are case-sensitive (RFC 9110 §9.1): `get` is unknown.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodKind {
    Get,
    Head,
    /// A registered method a static server does not allow: 405 with `Allow: GET, HEAD`.
    NotAllowed,
    /// Not a method httplab knows: 501 (RFC 9110 §9.1).
    Unknown,
}

/// The methods a static file server supports, for the `Allow` field.
pub const ALLOWED: &str = "GET, HEAD";

/// Methods in the IANA HTTP Method Registry that are refused with 405 rather than 501.
const REGISTERED: &[&str] = &[
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "QUERY",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "SEARCH",
    "REPORT",
    "MKCALENDAR",
    "ACL",
    "BIND",
    "UNBIND",
    "REBIND",
    "CHECKIN",
    "CHECKOUT",
    "UNCHECKOUT",
    "VERSION-CONTROL",
    "MERGE",
    "LABEL",
    "UPDATE",
    "MKACTIVITY",
    "MKWORKSPACE",
    "BASELINE-CONTROL",
    "ORDERPATCH",
    "MKREDIRECTREF",
    "UPDATEREDIRECTREF",
    "PRI",
];

pub fn classify(method: &str) -> MethodKind {
    match method {
        "GET" => MethodKind::Get,
        "HEAD" => MethodKind::Head,
        m if REGISTERED.contains(&m) => MethodKind::NotAllowed,
        _ => MethodKind::Unknown,
    }
}
