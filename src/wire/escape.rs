//! `--raw` bytes typed on a command line: `\r \n \t \0 \\ \xNN` understood, the rest literal.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    pub at: usize,
    pub message: &'static str,
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.at, self.message)
    }
}

impl std::error::Error for EscapeError {}

pub fn unescape(text: &str) -> Result<Vec<u8>, EscapeError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let error = |message| EscapeError { at: i, message };
        match bytes.get(i + 1) {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = bytes
                    .get(i + 2..i + 4)
                    .ok_or_else(|| error("\\x needs two hex digits"))?;
                let hex =
                    std::str::from_utf8(hex).map_err(|_| error("\\x needs two hex digits"))?;
                out.push(
                    u8::from_str_radix(hex, 16).map_err(|_| error("\\x needs two hex digits"))?,
                );
                i += 4;
                continue;
            }
            Some(_) => return Err(error("unknown escape; use \\r \\n \\t \\0 \\\\ or \\xNN")),
            None => return Err(error("a lone backslash at the end")),
        }
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn escapes() {
        assert_eq!(
            unescape(r"GET / HTTP/1.1\r\nX: \x41\t\\\0").unwrap(),
            b"GET / HTTP/1.1\r\nX: A\t\\\0"
        );
        assert!(unescape(r"\q").is_err());
        assert!(unescape(r"\x4").is_err());
        assert!(unescape("\\").is_err());
    }
}
