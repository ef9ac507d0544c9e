//! The byte classes of HTTP's grammar: which bytes a method, a field name, a request target,
//! a field value and a Host may hold. The parser and the diagnosis of a refused head both
//! judge through these.

/// `value` without the optional whitespace (spaces and tabs) around it (RFC 9110 §5.6.3).
pub(super) fn trim_ows(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = value.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(start), Some(end)) => &value[start..=end],
        _ => &[],
    }
}

/// `tchar` of RFC 9110 §5.6.2: the bytes a method or a field name may contain.
pub(super) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Printable ASCII. Controls, spaces and non-ASCII bytes must reach a server
/// percent-encoded (RFC 3986 §2.1); the other printable bytes RFC 3986 leaves out (`"`, `{`,
/// `|`, ...) are let through, as browsers send some of them raw and as a path can hold them.
pub(super) fn is_target_byte(b: u8) -> bool {
    b.is_ascii_graphic()
}

/// A control byte other than HTAB: not allowed in a field value (RFC 9110 §5.5).
pub(super) fn is_forbidden_value_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// uri-host [":" port]: reg-name, IPv4 or a bracketed IP literal (RFC 3986 §3.2.2).
pub(super) fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
        )
}

/// Lines of the head that end in LF without a CR before it (RFC 9112 §2.1).
pub fn count_bare_lf(head: &[u8]) -> usize {
    head.iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' && (*i == 0 || head[i - 1] != b'\r'))
        .count()
}
