/// Renders bytes as text with nothing hidden: `\r` and `\n` are spelled out (and a real line
/// break follows each `\n`, so lines stay lines), tabs are `\t`, a backslash is `\\`, other
/// control bytes and bytes that are not valid UTF-8 are `\xNN`. Valid UTF-8 text is kept.
pub fn visible(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n\n"),
                '\t' => out.push_str("\\t"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        out.push_str(&format!("\\x{b:02x}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn line_ends_and_invisible_bytes_are_spelled_out() {
        assert_eq!(visible(b"A\r\nB\n"), "A\\r\\n\nB\\n\n");
        assert_eq!(visible(b"\t\\\x00\x7f"), "\\t\\\\\\x00\\x7f");
        assert_eq!(visible("é".as_bytes()), "é");
        assert_eq!(visible(b"\xc3"), "\\xc3");
    }
}
