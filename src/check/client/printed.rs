//! What a client printed, read back: a Python bytes literal decoded, how much of a body it
//! holds, in a few words for a report.

use crate::render::visible;

/// What a client printed, in a few words.
pub fn describe_output(stdout: &[u8], stderr: &str) -> String {
    if stdout.is_empty() {
        let err = stderr.lines().last().unwrap_or_default();
        return if err.is_empty() {
            "nothing on stdout".into()
        } else {
            format!("nothing on stdout; stderr ends with {err:?}")
        };
    }
    let start = &stdout[..stdout.len().min(80)];
    format!(
        "{} bytes on stdout, starting {:?}",
        stdout.len(),
        visible(start).replace('\n', "")
    )
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// How many bytes of `body`'s start appear in `printed` (where the printing stopped).
pub fn longest_prefix_printed(printed: &[u8], body: &[u8]) -> usize {
    let (mut low, mut high) = (0, body.len());
    while low < high {
        let mid = (low + high).div_ceil(2);
        if contains(printed, &body[..mid]) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    low
}

/// The bytes of a Python bytes literal printed by the client (`b'HTTP/1.1 ...\r\n'`, as
/// `print(repr(data))` or `print(data)` writes it), when stdout holds one.
pub fn python_bytes_literal(stdout: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(stdout).ok()?;
    let start = text.find("b'").or_else(|| text.find("b\""))?;
    let quote = text[start + 1..].chars().next()?;
    let mut out = Vec::new();
    let mut chars = text[start + 2..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'r' => out.push(b'\r'),
                'n' => out.push(b'\n'),
                't' => out.push(b'\t'),
                '\\' => out.push(b'\\'),
                '\'' => out.push(b'\''),
                '"' => out.push(b'"'),
                'x' => {
                    let hex: String = chars.by_ref().take(2).collect();
                    out.push(u8::from_str_radix(&hex, 16).ok()?);
                }
                other => {
                    out.push(b'\\');
                    out.extend_from_slice(other.to_string().as_bytes());
                }
            },
            c if c == quote => return Some(out),
            c => out.extend_from_slice(c.to_string().as_bytes()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_bytes_literal_is_read_back() {
        assert_eq!(
            python_bytes_literal(b"Received b'HTTP/1.1 200 OK\\r\\n\\r\\n\\xe4'\n"),
            Some(b"HTTP/1.1 200 OK\r\n\r\n\xe4".to_vec())
        );
        assert_eq!(python_bytes_literal(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
