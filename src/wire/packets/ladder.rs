//! The segments as a ladder in the terminal (`probe --packets`, `check --verbose`): one
//! line per segment with its time, an arrow (the client on the left), its flags, relative
//! seq and ack, window, length, and the first bytes of its payload as visible text — the
//! textbook's figures and Wireshark's flow graph in a few columns. A long conversation keeps
//! its start and its end and says what was left out between. Pure: packets in, text out.

use std::fmt::Write;

use super::{Direction, Packets, Segment};
use crate::render::visible;
use crate::wire::transcript::{Side, plural_bytes};

/// Most segment lines; past it the first [`HEAD_LINES`] and last [`TAIL_LINES`] are shown.
const MAX_LINES: usize = 120;
const HEAD_LINES: usize = 80;
const TAIL_LINES: usize = 30;
/// Characters of payload shown on a line.
const PREVIEW_CHARS: usize = 44;

/// The ladder of `packets`, recorded by `side`; `times` adds the time column.
pub fn render(packets: &Packets, side: Side, times: bool) -> String {
    let mut out = String::new();
    let (left, right) = match side {
        Side::Client => ("httplab", "the server"),
        Side::Server => ("the client", "httplab (the server)"),
    };
    let _ = writeln!(
        out,
        "{} segments, {}{}",
        packets.segments.len(),
        packets.provenance(),
        if packets.truncated {
            " (truncated: past the capture's bounds, segments or bytes were not kept)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "→ {left} {} to {right} {}; seq and ack relative",
        packets.client, packets.server
    );
    if times {
        let _ = write!(out, "{:>12}  ", "time");
    }
    let header = format!(
        "    {:<13} {:>9} {:>9} {:>6} {:>6}  payload, or options",
        "flags", "seq", "ack", "win", "len"
    );
    let _ = writeln!(out, "{header}");
    let segments = &packets.segments;
    if segments.len() <= MAX_LINES {
        for segment in segments {
            line(&mut out, segment, times);
        }
        return out;
    }
    for segment in &segments[..HEAD_LINES] {
        line(&mut out, segment, times);
    }
    let cut = &segments[HEAD_LINES..segments.len() - TAIL_LINES];
    let _ = writeln!(out, "{}", left_out(cut));
    for segment in &segments[segments.len() - TAIL_LINES..] {
        line(&mut out, segment, times);
    }
    out
}

/// One segment on one line.
fn line(out: &mut String, segment: &Segment, times: bool) {
    if times {
        let _ = write!(out, "{:>12}  ", millis(segment.at_us));
    }
    let arrow = match segment.direction {
        Direction::ToServer => "→",
        Direction::ToClient => "←",
    };
    let what = if segment.len > 0 {
        preview(segment)
    } else {
        segment.options.summary()
    };
    let line = format!(
        " {arrow}  {:<13} {:>9} {:>9} {:>6} {:>6}  {what}",
        bracketed(segment),
        segment.seq,
        segment.ack,
        segment.window,
        segment.len,
    );
    let _ = writeln!(out, "{}", line.trim_end());
}

/// `[SYN, ACK]`, as Wireshark writes it.
fn bracketed(segment: &Segment) -> String {
    format!("[{}]", segment.flags.names())
}

/// The first bytes of the payload as one line of visible text, in quotes.
fn preview(segment: &Segment) -> String {
    let head = &segment.payload[..segment.payload.len().min(PREVIEW_CHARS * 4)];
    let text: String = visible(head).replace('\n', "");
    let mut shown: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().count() > PREVIEW_CHARS || segment.payload.len() > head.len() {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

/// What the left-out segments were, in one line.
fn left_out(cut: &[Segment]) -> String {
    let data = |direction| {
        let sizes: Vec<u64> = cut
            .iter()
            .filter(|s| s.direction == direction && s.len > 0)
            .map(|s| u64::from(s.len))
            .collect();
        let bytes: u64 = sizes.iter().sum();
        (sizes.len(), bytes as usize)
    };
    let (to_client, client_bytes) = data(Direction::ToClient);
    let (to_server, server_bytes) = data(Direction::ToServer);
    let empty = cut.iter().filter(|s| s.len == 0).count();
    let (from, to) = (
        cut.first().map_or(0, |s| s.at_us),
        cut.last().map_or(0, |s| s.at_us),
    );
    format!(
        "      ⋮  {} segments left out ({} to {}): {to_client} data segment(s) ← ({}), \
         {to_server} data segment(s) → ({}), {empty} without data",
        cut.len(),
        millis(from),
        millis(to).trim(),
        plural_bytes(client_bytes),
        plural_bytes(server_bytes)
    )
}

fn millis(at_us: u64) -> String {
    format!("+{:.3} ms", at_us as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::packets::{Source, TcpFlags, TcpOptions};

    fn segment(at_us: u64, direction: Direction, flags: u8, payload: &[u8]) -> Segment {
        Segment {
            at_us,
            direction,
            flags: TcpFlags(flags),
            seq: 1,
            ack: 1,
            window: 512,
            options: TcpOptions::default(),
            len: payload.len() as u32,
            payload: payload.to_vec(),
        }
    }

    fn packets(segments: Vec<Segment>) -> Packets {
        Packets {
            source: Source::Captured {
                interface: "lo".into(),
            },
            client: "127.0.0.1:50000".parse().unwrap(),
            server: "127.0.0.1:6789".parse().unwrap(),
            client_isn: 0,
            server_isn: 0,
            started_unix_us: 0,
            segments,
            truncated: false,
        }
    }

    #[test]
    fn one_line_per_segment_with_the_payload_visible() {
        let text = render(
            &packets(vec![
                segment(0, Direction::ToServer, TcpFlags::SYN, b""),
                segment(
                    1500,
                    Direction::ToServer,
                    0x18,
                    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                ),
            ]),
            Side::Client,
            true,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "2 segments, captured on lo");
        assert!(lines[3].starts_with("   +0.000 ms   →  [SYN]"), "{text}");
        assert_eq!(
            lines[2].find("flags"),
            lines[3].find("[SYN]").map(|i| i - 2)
        );
        assert!(
            lines[4].ends_with("\"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n\""),
            "{text}"
        );
    }

    #[test]
    fn a_long_run_keeps_its_ends_and_counts_the_middle() {
        let mut segments = Vec::new();
        for i in 0..300u64 {
            segments.push(segment(i, Direction::ToClient, 0x18, b"x"));
        }
        let text = render(&packets(segments), Side::Client, false);
        assert_eq!(text.lines().count(), 3 + HEAD_LINES + 1 + TAIL_LINES);
        assert!(
            text.contains(
                "190 segments left out (+0.080 ms to +0.269 ms): 190 data segment(s) ← (190 bytes)"
            ),
            "{text}"
        );
    }
}
