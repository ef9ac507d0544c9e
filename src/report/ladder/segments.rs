//! The diagram's rows when the conversation's segments were captured, pure: one arrow per
//! segment — the handshake, each data segment with its flags, numbers and first line, the
//! ACKs, FIN and RST — so the page shows what went over the wire rather than the socket
//! calls. A run of data segments one way with only ACKs coming back (a response sent a
//! byte per `send()`) is one arrow that says how many segments it was. Times are since the
//! first segment (the SYN).

use super::rows::{Row, Way, first_visible_line};
use crate::wire::packets::{Direction, Packets, Segment, TcpFlags};

/// A run of at least this many data segments one way (ACKs between) is one arrow.
const RUN: usize = 4;

fn way(direction: Direction) -> Way {
    match direction {
        Direction::ToServer => Way::ToServer,
        Direction::ToClient => Way::ToClient,
    }
}

/// The rows of captured `packets`, and how many segments each stands for.
pub(crate) fn segment_rows(packets: &Packets) -> (Vec<Row>, Vec<usize>) {
    let segments = &packets.segments;
    let mut rows = Vec::new();
    let mut counts = Vec::new();
    let mut i = 0;
    while i < segments.len() {
        let run = run_length(&segments[i..]);
        if run.data >= RUN {
            let group = &segments[i..i + run.segments];
            rows.push(run_row(group, run.data));
            counts.push(run.segments);
            i += run.segments;
            continue;
        }
        rows.push(single_row(&segments[i]));
        counts.push(1);
        i += 1;
    }
    let base = segments.first().map_or(0, |s| s.at_us);
    for row in &mut rows {
        if let Row::Segments {
            at_us, until_us, ..
        } = row
        {
            *at_us = at_us.saturating_sub(base);
            *until_us = until_us.saturating_sub(base);
        } else if let Row::Signal { at_us, .. } = row {
            *at_us = at_us.saturating_sub(base);
        }
    }
    (rows, counts)
}

/// How far a run of small data segments one way, with only pure ACKs the other way between
/// them, goes from the start of `segments`.
struct Run {
    segments: usize,
    data: usize,
}

fn run_length(segments: &[Segment]) -> Run {
    let Some(first) = segments.first().filter(|s| s.len > 0) else {
        return Run {
            segments: 1,
            data: 0,
        };
    };
    let (mut taken, mut data, mut last_data) = (0, 0, 0);
    for segment in segments {
        let same_way = segment.direction == first.direction;
        let pure_ack = segment.len == 0 && segment.flags == TcpFlags(TcpFlags::ACK);
        if same_way && segment.len > 0 && !segment.has(TcpFlags::FIN | TcpFlags::RST) {
            data += 1;
            taken += 1;
            last_data = taken;
        } else if !same_way && pure_ack {
            taken += 1;
        } else {
            break;
        }
    }
    // The ACK of the run's last segment belongs to it; what follows does not.
    let segments_taken = (last_data + 1).min(taken).max(1);
    Run {
        segments: segments_taken,
        data,
    }
}

fn run_row(group: &[Segment], data: usize) -> Row {
    let first = &group[0];
    let last = &group[group.len() - 1];
    let bytes: usize = group.iter().map(|s| s.len as usize).sum();
    let mut joined = Vec::new();
    for segment in group.iter().filter(|s| s.direction == first.direction) {
        if joined.len() >= 256 {
            break;
        }
        joined.extend_from_slice(&segment.payload);
    }
    let acks = group.len() - data;
    Row::Segments {
        way: way(first.direction),
        at_us: first.at_us,
        until_us: last.at_us,
        head: format!(
            "{data} data segments [{}], seq {}–{}, with {acks} ACK(s) back",
            first.flags.names(),
            first.seq,
            last_seq_end(group, first.direction)
        ),
        first_line: first_visible_line(&joined),
        bytes,
        count: data,
    }
}

fn last_seq_end(group: &[Segment], direction: Direction) -> u32 {
    group
        .iter()
        .rev()
        .find(|s| s.direction == direction)
        .map_or(0, |s| s.seq.wrapping_add(s.len))
}

fn single_row(segment: &Segment) -> Row {
    let mut head = format!(
        "[{}] seq={} ack={} win={}",
        segment.flags.names(),
        segment.seq,
        segment.ack,
        segment.window
    );
    if segment.len == 0 {
        let options = segment.options.summary();
        if !options.is_empty() {
            head.push_str(&format!(" · {options}"));
        }
        return Row::Signal {
            way: way(segment.direction),
            at_us: segment.at_us,
            text: head,
            alarm: segment.has(TcpFlags::RST),
        };
    }
    Row::Segments {
        way: way(segment.direction),
        at_us: segment.at_us,
        until_us: segment.at_us,
        head,
        first_line: first_visible_line(&segment.payload),
        bytes: segment.len as usize,
        count: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::packets::{Source, TcpOptions};

    fn segment(direction: Direction, flags: u8, seq: u32, payload: &[u8]) -> Segment {
        Segment {
            at_us: u64::from(seq),
            direction,
            flags: TcpFlags(flags),
            seq,
            ack: 1,
            window: 512,
            options: TcpOptions::default(),
            len: payload.len() as u32,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn a_byte_per_segment_run_is_one_arrow_and_the_rest_one_each() {
        let mut segments = vec![
            segment(Direction::ToServer, TcpFlags::SYN, 0, b""),
            segment(Direction::ToServer, 0x18, 1, b"GET / HTTP/1.1\r\n\r\n"),
        ];
        for (i, byte) in b"HTTP/1.1 200 OK\r\n".iter().enumerate() {
            segments.push(segment(Direction::ToClient, 0x18, 1 + i as u32, &[*byte]));
            segments.push(segment(Direction::ToServer, TcpFlags::ACK, 19, b""));
        }
        segments.push(segment(Direction::ToClient, 0x11, 18, b""));
        let packets = Packets {
            source: Source::Captured {
                interface: "lo".into(),
            },
            client: "127.0.0.1:5000".parse().unwrap(),
            server: "127.0.0.1:80".parse().unwrap(),
            client_isn: 0,
            server_isn: 0,
            started_unix_us: 0,
            segments,
            truncated: false,
        };
        let (rows, counts) = segment_rows(&packets);
        assert_eq!(rows.len(), 4, "{rows:#?}");
        assert_eq!(counts, [1, 1, 34, 1]);
        let Row::Segments {
            head, first_line, ..
        } = &rows[2]
        else {
            panic!("{:?}", rows[2]);
        };
        assert_eq!(
            head,
            "17 data segments [PSH, ACK], seq 1–18, with 17 ACK(s) back"
        );
        assert_eq!(first_line, "HTTP/1.1 200 OK\\r\\n");
    }
}
