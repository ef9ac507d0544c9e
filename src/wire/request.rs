//! The requests httplab's clients write (`probe`'s and `check`'s): the request line, the
//! default fields a caller's field of the same name replaces, the caller's fields, the empty
//! line.

use crate::http::Version;

/// A request head. Each of `defaults` is written unless `fields` has a field of its name
/// (names compare case-insensitively); then `fields`, in order.
pub fn request_head(
    request_line: [&str; 3],
    defaults: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> Vec<u8> {
    let [method, target, version] = request_line;
    let mut head = format!("{method} {target} {version}\r\n");
    for (name, value) in defaults {
        if !has_field(fields, name) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    for (name, value) in fields {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Whether `fields` has one called `name` (case-insensitively).
pub fn has_field(fields: &[(&str, &str)], name: &str) -> bool {
    fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// The Connection field a client adds so that the connection persists (`persist`) or closes
/// after this request, for the version it writes; `None` when the version does that by
/// default, or is not one httplab speaks.
pub fn connection_field(version: &str, persist: bool) -> Option<(&'static str, &'static str)> {
    let option = Version::from_token(version.as_bytes())?.connection_option(persist)?;
    Some(("Connection", option))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_of_the_callers_replaces_a_default() {
        let head = request_head(
            ["GET", "/", "HTTP/1.1"],
            &[("Host", "a:1"), ("User-Agent", "x")],
            &[("host", "b"), ("Accept", "*/*")],
        );
        assert_eq!(
            head,
            b"GET / HTTP/1.1\r\nUser-Agent: x\r\nhost: b\r\nAccept: */*\r\n\r\n"
        );
        assert_eq!(
            connection_field("HTTP/1.1", false),
            Some(("Connection", "close"))
        );
        assert_eq!(connection_field("HTTP/1.0", false), None);
        assert_eq!(connection_field("HTTP/2.0", false), None);
    }
}
