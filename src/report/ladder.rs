//! A conversation as a ladder (sequence) diagram, in SVG, like the textbook's figures: the
//! client (httplab) on the left, the server on the right, time going down; one slanted arrow
//! per write (client → server) and per read (server → client), each labelled with its first
//! line and its size; the handshake, the half-close, the close, a reset and a timeout marked;
//! the time since connect on the left.
//!
//! The layout is by event, not to scale: a 3 s timeout would otherwise push everything else
//! off the page. The times on the left tell the real time. Pure: a transcript in, text out.
//!
//! Long conversations stay readable (`rows`): reads (or writes) that follow each other without
//! a pause are one arrow ("126 reads, 348 bytes"); past a few dozen rows the middle is left
//! out, and the diagram says how many events that was.

use std::fmt::Write;

mod rows;
mod segments;

use super::html::escape;
use crate::wire::transcript::{Side, Transcript, plural_bytes};
use rows::{Row, Way, leave_out_middle, rows};
use segments::segment_rows;

// Geometry, in SVG user units (CSS pixels at 100 %).
const WIDTH: u32 = 780;
const CLIENT_X: u32 = 200;
const SERVER_X: u32 = 700;
const TOP: u32 = 30;
const SLANT: u32 = 16;

/// Milliseconds since connect, for the time column and labels.
pub(crate) fn ms(at_us: u64) -> String {
    format!("+{:.2} ms", at_us as f64 / 1000.0)
}

fn bytes_label(count: usize, bytes: usize, way: Way, span_us: u64) -> String {
    let size = plural_bytes(bytes);
    let what = match way {
        Way::ToServer => "writes",
        Way::ToClient => "reads",
    };
    if count == 1 {
        size
    } else {
        format!(
            "{count} {what}, {size}, over {:.2} ms",
            span_us as f64 / 1000.0
        )
    }
}

/// The diagram of one conversation as an inline `<svg>`, every label escaped.
/// Captured segments are drawn when the transcript has them (the socket calls otherwise:
/// reconstructed segments would only repeat them).
pub(crate) fn svg(transcript: &Transcript) -> String {
    let captured = transcript.packets.as_deref().filter(|p| p.is_captured());
    let (rows, what) = match captured {
        Some(packets) => {
            let (rows, counts) = segment_rows(packets);
            (
                leave_out_middle(rows, &counts),
                format!("TCP segments {}", packets.provenance()),
            )
        }
        None => (rows(transcript), "socket calls".to_string()),
    };
    let height = TOP + rows.iter().map(row_height).sum::<u32>() + 16;
    let arrows = rows
        .iter()
        .filter(|r| {
            matches!(
                r,
                Row::Data { .. } | Row::Segments { .. } | Row::Signal { .. }
            )
        })
        .count();
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"ladder\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\" role=\"img\" font-family=\"ui-monospace, monospace\" \
         font-size=\"12\" style=\"white-space: pre\"><title>Ladder diagram of a connection to {}: \
         {arrows} arrows, {}</title>",
        escape(&transcript.target),
        escape(&what)
    );
    lifelines(&mut out, transcript, height, captured.is_some());
    let mut y = TOP;
    for row in &rows {
        draw(&mut out, row, y);
        y += row_height(row);
    }
    out.push_str("</svg>");
    out
}

/// Height of a line of label text.
const LINE: u32 = 13;

/// How tall a row is: an arrow's band holds its label lines, then the arrow.
fn row_height(row: &Row) -> u32 {
    let arrow = |lines: u32| LINE * lines + 6 + SLANT + 8;
    match row {
        Row::Data { .. } | Row::Segments { .. } => arrow(2),
        Row::Connect { .. } | Row::Signal { .. } => arrow(1),
        Row::Note { .. } => 26,
        Row::LeftOut { .. } => 30,
    }
}

/// The two timelines and their names.
fn lifelines(out: &mut String, transcript: &Transcript, height: u32, segments: bool) {
    let bottom = height - 8;
    let (client, server) = match transcript.recorded_by {
        Side::Client => (
            "httplab (client)".to_string(),
            format!("server {}", transcript.target),
        ),
        Side::Server => (
            "your client".to_string(),
            format!("httplab (server) {}", transcript.target),
        ),
    };
    let _ = write!(
        out,
        "<text x=\"4\" y=\"16\" fill=\"#57606a\">{}</text>\
         <text x=\"{CLIENT_X}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
         <text x=\"{SERVER_X}\" y=\"16\" text-anchor=\"end\" font-weight=\"bold\">{}</text>\
         <line x1=\"{CLIENT_X}\" y1=\"24\" x2=\"{CLIENT_X}\" y2=\"{bottom}\" stroke=\"#444\" stroke-width=\"2\"/>\
         <line x1=\"{SERVER_X}\" y1=\"24\" x2=\"{SERVER_X}\" y2=\"{bottom}\" stroke=\"#444\" stroke-width=\"2\"/>",
        if segments {
            "ms since the SYN"
        } else {
            "ms since connect"
        },
        escape(&client),
        escape(&server)
    );
}

/// One row, in its band from `y` down.
fn draw(out: &mut String, row: &Row, y: u32) {
    const GREY: &str = "#57606a";
    const RED: &str = "#b42318";
    match row {
        Row::Connect { handshake_us } => {
            let label = format!(
                "connect — the TCP handshake took {:.2} ms",
                *handshake_us as f64 / 1000.0
            );
            let style = ("connect", GREY, true);
            arrow_row(out, y, Way::ToServer, 0, style, &[&label]);
        }
        Row::Data {
            way,
            at_us,
            until_us,
            count,
            bytes,
            first_line,
        } => {
            let style = match way {
                Way::ToServer => ("write", "#1f5fa8", false),
                Way::ToClient => ("read", "#1a7f37", false),
            };
            let size = bytes_label(*count, *bytes, *way, until_us - at_us);
            arrow_row(out, y, *way, *at_us, style, &[first_line, &size]);
        }
        Row::Segments {
            way,
            at_us,
            until_us,
            head,
            first_line,
            bytes,
            count,
        } => {
            let style = match way {
                Way::ToServer => ("write segment", "#1f5fa8", false),
                Way::ToClient => ("read segment", "#1a7f37", false),
            };
            let size = if *count == 1 {
                format!("{head} · {}", plural_bytes(*bytes))
            } else {
                format!(
                    "{head} · {} over {:.2} ms",
                    plural_bytes(*bytes),
                    until_us.saturating_sub(*at_us) as f64 / 1000.0
                )
            };
            arrow_row(out, y, *way, *at_us, style, &[first_line, &size]);
        }
        Row::Signal {
            way,
            at_us,
            text,
            alarm,
        } => {
            let style = ("signal", if *alarm { RED } else { GREY }, true);
            arrow_row(out, y, *way, *at_us, style, &[text]);
        }
        Row::Note { at_us, text, alarm } => {
            time(out, *at_us, y + 17);
            let colour = if *alarm { RED } else { GREY };
            let _ = write!(
                out,
                "<text class=\"note\" x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
                CLIENT_X + 10,
                y + 17,
                escape(text)
            );
        }
        Row::LeftOut { .. } => left_out(out, row, y),
    }
}

/// The row that stands for the rows left out: how many, and when they were.
fn left_out(out: &mut String, row: &Row, y: u32) {
    let Row::LeftOut {
        rows,
        events,
        from_us,
        until_us,
    } = row
    else {
        return;
    };
    let text = format!(
        "⋮ {rows} more arrows ({events} events, {} to {}) left out",
        ms(*from_us),
        ms(*until_us)
    );
    let _ = write!(
        out,
        "<text class=\"left-out\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#57606a\">{}</text>",
        (CLIENT_X + SERVER_X) / 2,
        y + 19,
        escape(&text)
    );
}

/// An arrow's band: its label lines centred on top (the first in the arrow's colour, the
/// others, its size, in grey), the arrow under them, and the time on the left where the
/// arrow leaves the client (a write) or reaches it (a read). `style` is the arrow's class,
/// colour and whether it is dashed (no data: the handshake, a FIN, a close, a reset).
fn arrow_row(
    out: &mut String,
    y: u32,
    way: Way,
    at_us: u64,
    style: (&str, &str, bool),
    lines: &[&str],
) {
    let (class, colour, dashed) = style;
    let x = (CLIENT_X + SERVER_X) / 2;
    let mut line_y = y;
    for (index, line) in lines.iter().enumerate() {
        line_y += LINE;
        let (fill, size) = if index == 0 {
            (colour, 12)
        } else {
            ("#57606a", 11)
        };
        let kind = if index == 0 { "label" } else { "size" };
        let _ = write!(
            out,
            "<text class=\"{kind}\" x=\"{x}\" y=\"{line_y}\" text-anchor=\"middle\" fill=\"{fill}\" \
             font-size=\"{size}\">{}</text>",
            escape(line)
        );
    }
    let top = line_y + 6;
    let at_client = match way {
        Way::ToServer => top,
        Way::ToClient => top + SLANT,
    };
    time(out, at_us, at_client);
    arrow(out, way, top, class, colour, dashed);
}

/// The time on the left, level with `y`.
fn time(out: &mut String, at_us: u64, y: u32) {
    let _ = write!(
        out,
        "<text class=\"t\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"#57606a\">{}</text>",
        CLIENT_X - 8,
        y + 4,
        ms(at_us)
    );
}

/// A slanted arrow between the timelines, from `y` to `SLANT` below it.
fn arrow(out: &mut String, way: Way, y: u32, class: &str, colour: &str, dashed: bool) {
    let (x1, x2) = match way {
        Way::ToServer => (CLIENT_X as f64, SERVER_X as f64),
        Way::ToClient => (SERVER_X as f64, CLIENT_X as f64),
    };
    let (y1, y2) = (y as f64, (y + SLANT) as f64);
    // The head: two points 10 units back along the line, 4 units to each side.
    let (dx, dy) = (x2 - x1, y2 - y1);
    let length = (dx * dx + dy * dy).sqrt();
    let (ux, uy) = (dx / length, dy / length);
    let (bx, by) = (x2 - 10.0 * ux, y2 - 10.0 * uy);
    let (px, py) = (-uy * 4.0, ux * 4.0);
    let dash = if dashed {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    };
    let _ = write!(
        out,
        "<g class=\"arrow {class}\"><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{bx:.1}\" y2=\"{by:.1}\" \
         stroke=\"{colour}\" stroke-width=\"1.6\"{dash}/><polygon points=\"{x2},{y2} {:.1},{:.1} {:.1},{:.1}\" \
         fill=\"{colour}\"/></g>",
        bx + px,
        by + py,
        bx - px,
        by - py
    );
}

#[cfg(test)]
mod tests {
    use super::rows::tests::{connect, read, transcript, write};
    use super::*;
    use crate::wire::transcript::EventKind;

    /// The times of the left column, in the order drawn, in ms.
    fn times(svg: &str) -> Vec<f64> {
        svg.split("<text class=\"t\"")
            .skip(1)
            .map(|t| {
                let text = &t[t.find('>').unwrap() + 2..t.find(" ms<").unwrap()];
                text.parse().unwrap()
            })
            .collect()
    }

    #[test]
    fn one_arrow_per_write_and_per_run_of_reads_times_in_order() {
        let mut events = vec![
            (100, connect()),
            (200, write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
        ];
        // A server that sends a byte at a time: 300 reads, 100 µs apart, are one arrow.
        for i in 0..300u64 {
            events.push((1_000 + i * 100, read(b"H")));
        }
        // After a pause of 29 ms, more: a second arrow.
        events.push((60_000, read(b"late\n")));
        events.push((61_000, EventKind::PeerClosed));
        events.push((61_500, EventKind::Close));
        let svg = svg(&transcript(&events));
        assert_eq!(svg.matches("class=\"arrow ").count(), 6, "{svg}");
        assert_eq!(svg.matches("class=\"arrow read\"").count(), 2);
        assert!(svg.contains("300 reads, 300 bytes, over 29.90 ms"), "{svg}");
        let times = times(&svg);
        assert_eq!(times.first(), Some(&0.0));
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(times.len(), 6);
    }

    #[test]
    fn a_long_conversation_says_how_much_was_left_out() {
        let mut events = vec![(0, connect())];
        for i in 0..100u64 {
            events.push((i * 20_000, write(b"x")));
        }
        let svg = svg(&transcript(&events));
        assert!(
            svg.contains("⋮ 67 more arrows (67 events, +500.00 ms to +1820.00 ms) left out"),
            "{svg}"
        );
        assert_eq!(svg.matches("class=\"arrow ").count(), 35 - 1);
    }

    #[test]
    fn labels_are_escaped_and_show_the_line_end() {
        let events = [
            (0, connect()),
            (10, write(b"GET /<script> HTTP/1.1\r\n\r\n")),
            (20, read(b"<img src=x onerror=alert(1)>\r\n\x00\xff")),
            (30, EventKind::Reset),
            (40, EventKind::Timeout { waited_ms: 300 }),
        ];
        let svg = svg(&transcript(&events));
        assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
        assert!(svg.contains("GET /&lt;script&gt; HTTP/1.1\\r\\n"), "{svg}");
        assert!(
            svg.contains("&lt;img src=x onerror=alert(1)&gt;\\r\\n"),
            "{svg}"
        );
        assert!(svg.contains("RST — the server reset the connection"));
        assert!(svg.contains("nothing arrived for 300 ms"));
    }
}
