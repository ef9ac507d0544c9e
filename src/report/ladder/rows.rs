//! The diagram's model, pure: a transcript's events become rows — one arrow for each run of
//! writes or reads without a pause, a mark for each FIN, close, reset, timeout or error — and
//! a long conversation keeps its start and its end, with one row that says what was left out.
//!
//! Reads (or writes) that follow each other without a pause are one arrow ("126 reads, 348
//! bytes"), since how the kernel cut a stream into reads says nothing, while a pause does.

use crate::render::visible;
use crate::wire::transcript::{EventKind, Side, Transcript};

/// A pause at least this long (µs) between two reads, or two writes, starts a new arrow:
/// httplab's pieces of a split request (25 ms apart) stay apart, one read per byte does not.
const PAUSE_US: u64 = 10_000;
/// Most rows drawn; past it, the first [`HEAD_ROWS`] and the last [`TAIL_ROWS`] are kept.
const MAX_ROWS: usize = 36;
const HEAD_ROWS: usize = 26;
const TAIL_ROWS: usize = 8;
/// Characters of a first line in a label.
const LABEL_CHARS: usize = 52;

/// Which way bytes went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Way {
    /// A write: client → server.
    ToServer,
    /// A read: server → client.
    ToClient,
}

/// One row of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Row {
    /// The TCP handshake, and how long it took.
    Connect { handshake_us: u64 },
    /// One arrow: `count` consecutive writes or reads, `bytes` in all, the first at `at_us`
    /// and the last at `until_us` (since connect).
    Data {
        way: Way,
        at_us: u64,
        until_us: u64,
        count: usize,
        bytes: usize,
        first_line: String,
    },
    /// Captured data segments: one, or a run of them one way (ACKs back between them).
    Segments {
        way: Way,
        at_us: u64,
        until_us: u64,
        /// Flags and numbers, or what the run was.
        head: String,
        first_line: String,
        bytes: usize,
        /// Data segments it stands for.
        count: usize,
    },
    /// A FIN, a close or a reset: an arrow without data.
    Signal {
        way: Way,
        at_us: u64,
        text: String,
        alarm: bool,
    },
    /// Something that happened at the client alone: a timeout, an error.
    Note {
        at_us: u64,
        text: String,
        alarm: bool,
    },
    /// Rows left out.
    LeftOut {
        rows: usize,
        events: usize,
        from_us: u64,
        until_us: u64,
    },
}

/// The rows of a transcript: consecutive data merged, the middle left out when long.
pub(crate) fn rows(transcript: &Transcript) -> Vec<Row> {
    let side = transcript.recorded_by;
    let base = transcript
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Connect { .. }))
        .map_or(0, |e| e.at_us);
    let mut rows: Vec<Row> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for event in &transcript.events {
        let at = event.at_us.saturating_sub(base);
        if let Some(Row::Data {
            way,
            until_us,
            count,
            bytes,
            ..
        }) = rows.last_mut()
        {
            let same = match &event.kind {
                EventKind::Write { bytes } | EventKind::Read { bytes }
                    if data_way(&event.kind, side) == *way =>
                {
                    Some(bytes.len())
                }
                _ => None,
            };
            if let Some(more) = same.filter(|_| at.saturating_sub(*until_us) < PAUSE_US) {
                *until_us = at;
                *count += 1;
                *bytes += more;
                if let Some(events) = counts.last_mut() {
                    *events += 1;
                }
                continue;
            }
        }
        rows.push(row(&event.kind, at, event.at_us, side));
        counts.push(1);
    }
    fill_first_lines(transcript, &mut rows);
    leave_out_middle(rows, &counts)
}

/// Which way a write or a read goes: the recorder's writes go to the other end.
fn data_way(kind: &EventKind, side: Side) -> Way {
    match (kind, side) {
        (EventKind::Write { .. }, Side::Client) | (EventKind::Read { .. }, Side::Server) => {
            Way::ToServer
        }
        _ => Way::ToClient,
    }
}

/// The row of one event, `at` µs after connect (`raw` since the attempt began), as the end
/// that recorded it (`side`) saw it.
fn row(kind: &EventKind, at: u64, raw: u64, side: Side) -> Row {
    let signal = |way, text: &str, alarm| Row::Signal {
        way,
        at_us: at,
        text: text.to_string(),
        alarm,
    };
    match kind {
        EventKind::Connect { .. } => Row::Connect { handshake_us: raw },
        EventKind::Write { bytes } | EventKind::Read { bytes } => Row::Data {
            way: data_way(kind, side),
            at_us: at,
            until_us: at,
            count: 1,
            bytes: bytes.len(),
            first_line: String::new(),
        },
        EventKind::Shutdown if side == Side::Server => {
            signal(Way::ToClient, "FIN — httplab stops sending", false)
        }
        EventKind::Shutdown => signal(
            Way::ToServer,
            "FIN — shutdown(SHUT_WR): httplab stops sending",
            false,
        ),
        EventKind::PeerClosed if side == Side::Server => {
            signal(Way::ToServer, "FIN — the client closed", false)
        }
        EventKind::PeerClosed => signal(Way::ToClient, "FIN — the server closed", false),
        EventKind::Reset if side == Side::Server => {
            signal(Way::ToServer, "RST — the client reset the connection", true)
        }
        EventKind::Reset => signal(Way::ToClient, "RST — the server reset the connection", true),
        EventKind::Close if side == Side::Server => signal(Way::ToClient, "close()", false),
        EventKind::Close => signal(Way::ToServer, "close()", false),
        EventKind::Timeout { waited_ms } => Row::Note {
            at_us: at,
            text: format!("⏱ timeout: nothing arrived for {waited_ms} ms"),
            alarm: true,
        },
        EventKind::Error { during, message } => Row::Note {
            at_us: at,
            text: format!("✗ error while {during}: {message}"),
            alarm: true,
        },
    }
}

/// Gives each data row the first line of its bytes (all the bytes of the writes or reads it
/// stands for), visible and cut.
fn fill_first_lines(transcript: &Transcript, rows: &mut [Row]) {
    let mut events = transcript.events.iter().filter_map(|e| match &e.kind {
        EventKind::Write { bytes } | EventKind::Read { bytes } => Some(bytes.as_slice()),
        _ => None,
    });
    for row in rows {
        if let Row::Data {
            count, first_line, ..
        } = row
        {
            let mut joined = Vec::new();
            for bytes in events.by_ref().take(*count) {
                if joined.len() < 256 {
                    joined.extend_from_slice(&bytes[..bytes.len().min(256)]);
                }
            }
            *first_line = first_visible_line(&joined);
        }
    }
}

/// The first line of `bytes` as [`visible`] spells it (with its `\r\n`), cut to fit a label.
pub(super) fn first_visible_line(bytes: &[u8]) -> String {
    let text = visible(&bytes[..bytes.len().min(256)]);
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > LABEL_CHARS {
        line.chars().take(LABEL_CHARS - 1).collect::<String>() + "…"
    } else {
        line.to_string()
    }
}

/// Past [`MAX_ROWS`], the first and last rows and one row that says what was left out.
pub(super) fn leave_out_middle(rows: Vec<Row>, counts: &[usize]) -> Vec<Row> {
    if rows.len() <= MAX_ROWS {
        return rows;
    }
    let cut = HEAD_ROWS..rows.len() - TAIL_ROWS;
    let left_out = Row::LeftOut {
        rows: cut.len(),
        events: counts[cut.clone()].iter().sum(),
        from_us: start_of(&rows[cut.start]),
        until_us: start_of(&rows[cut.end - 1]),
    };
    let mut kept = rows[..cut.start].to_vec();
    kept.push(left_out);
    kept.extend_from_slice(&rows[cut.end..]);
    kept
}

fn start_of(row: &Row) -> u64 {
    match row {
        Row::Connect { .. } => 0,
        Row::Data { at_us, .. }
        | Row::Segments { at_us, .. }
        | Row::Signal { at_us, .. }
        | Row::Note { at_us, .. } => *at_us,
        Row::LeftOut { from_us, .. } => *from_us,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::wire::transcript::Event;

    pub(in crate::report::ladder) fn transcript(events: &[(u64, EventKind)]) -> Transcript {
        let mut t = Transcript::new("127.0.0.1:6789");
        t.events = events
            .iter()
            .map(|(at_us, kind)| Event {
                at_us: *at_us,
                kind: kind.clone(),
            })
            .collect();
        t
    }

    pub(in crate::report::ladder) fn connect() -> EventKind {
        EventKind::Connect {
            local: "127.0.0.1:50000".into(),
            remote: "127.0.0.1:6789".into(),
        }
    }

    pub(in crate::report::ladder) fn write(bytes: &[u8]) -> EventKind {
        EventKind::Write {
            bytes: bytes.to_vec(),
        }
    }

    pub(in crate::report::ladder) fn read(bytes: &[u8]) -> EventKind {
        EventKind::Read {
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn a_long_conversation_leaves_out_its_middle_and_says_so() {
        let mut events = vec![(0, connect())];
        // 100 writes 20 ms apart: each its own arrow, too many to draw.
        for i in 0..100u64 {
            events.push((i * 20_000, write(b"x")));
        }
        let rows = rows(&transcript(&events));
        assert_eq!(rows.len(), MAX_ROWS - 1);
        let left_out = rows.iter().find_map(|r| match r {
            Row::LeftOut { rows, events, .. } => Some((*rows, *events)),
            _ => None,
        });
        // 101 rows: 26 kept first, 8 last, 67 left out.
        assert_eq!(left_out, Some((67, 67)));
    }

    #[test]
    fn reads_without_a_pause_are_one_row_with_the_first_line_of_all_their_bytes() {
        let events = [
            (100, connect()),
            (200, write(b"GET / HTTP/1.1\r\n\r\n")),
            (1_000, read(b"HT")),
            (1_050, read(b"TP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
            // 30 ms later: a second arrow.
            (31_050, read(b"extra")),
        ];
        let rows = rows(&transcript(&events));
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!(
            rows[2],
            Row::Data {
                way: Way::ToClient,
                at_us: 900,
                until_us: 950,
                count: 2,
                bytes: 38,
                first_line: "HTTP/1.1 200 OK\\r\\n".into(),
            }
        );
        assert!(
            matches!(&rows[3], Row::Data { count: 1, first_line, .. } if first_line == "extra")
        );
    }
}
