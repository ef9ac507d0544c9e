use std::fmt::Write;

/// A `hexdump -C` style dump: offset, 16 bytes in hex (two groups of 8), then the printable
/// column with `.` for every byte that is not printable ASCII; the last line is the length.
pub fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 16);
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", row * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        for &b in chunk {
            out.push(if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            });
        }
        out.push_str("|\n");
    }
    let _ = writeln!(out, "{:08x}", bytes.len());
    out
}

#[cfg(test)]
mod tests {
    use super::hexdump;

    #[test]
    fn matches_hexdump_c() {
        assert_eq!(
            hexdump(b"HTTP/1.1 200 OK\r\n\r\n"),
            "00000000  48 54 54 50 2f 31 2e 31  20 32 30 30 20 4f 4b 0d  |HTTP/1.1 200 OK.|\n\
             00000010  0a 0d 0a                                          |...|\n\
             00000013\n"
        );
    }
}
