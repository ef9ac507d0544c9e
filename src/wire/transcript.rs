//! A transcript: everything that happened on one connection, in order, with the bytes and
//! the time. Recording ([`RecordingStream`](super::RecordingStream)) and rendering (this
//! module: stable text, one-line summary, JSON) are separate, so that a snapshot can leave
//! out what changes from run to run (times, ephemeral ports).

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::packets::Packets;
use crate::render::{hexdump, visible};

/// Which end of the connection recorded a transcript. `Write` is always what the recorder
/// sent, `Read` what it received: from the client's side (probe, check) writes go to the
/// server; from the server's side (check-client's server) they go to the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    #[default]
    Client,
    Server,
}

impl Side {
    fn is_client(&self) -> bool {
        *self == Side::Client
    }
}

/// What happened on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transcript {
    /// The server as asked for: `host:port` (from the server's side: its own address).
    pub target: String,
    /// Which end recorded it.
    #[serde(default, skip_serializing_if = "Side::is_client")]
    pub recorded_by: Side,
    pub events: Vec<Event>,
    /// TCP segments with data that arrived from the server (Linux `TCP_INFO`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_segments_received: Option<u32>,
    /// The TCP segments of the conversation: captured, or reconstructed from the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<Box<Packets>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Microseconds since the connection attempt started.
    pub at_us: u64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// One thing that happened. Writes go client → server, reads server → client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// The TCP connection was established.
    Connect { local: String, remote: String },
    /// One `write` call and the bytes it took.
    Write {
        #[serde(with = "hex_bytes")]
        bytes: Vec<u8>,
    },
    /// One `read` call and the bytes it returned.
    Read {
        #[serde(with = "hex_bytes")]
        bytes: Vec<u8>,
    },
    /// The client stopped sending (half-close, FIN).
    Shutdown,
    /// The server closed its side: a read returned end-of-file.
    PeerClosed,
    /// The server reset the connection (RST).
    Reset,
    /// Nothing arrived for this long.
    Timeout { waited_ms: u64 },
    /// The client closed the socket.
    Close,
    /// Something else failed.
    Error { during: String, message: String },
}

/// Bytes as a hex string in JSON, so a transcript survives any bytes.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

/// What a text rendering includes.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    /// Milliseconds since connect before each event.
    pub times: bool,
    /// Local and remote addresses on `connect` (the local port changes every run).
    pub addresses: bool,
    /// Consecutive reads shown as one (how the kernel cut a stream into reads is not stable).
    pub merge_reads: bool,
}

impl RenderOptions {
    /// Everything: for people and for saved transcripts.
    pub const FULL: RenderOptions = RenderOptions {
        times: true,
        addresses: true,
        merge_reads: false,
    };
    /// Byte-stable from run to run: for snapshots.
    pub const STABLE: RenderOptions = RenderOptions {
        times: false,
        addresses: false,
        merge_reads: true,
    };
}

impl Transcript {
    pub fn new(target: impl Into<String>) -> Transcript {
        Transcript {
            target: target.into(),
            recorded_by: Side::Client,
            events: Vec::new(),
            data_segments_received: None,
            packets: None,
        }
    }

    /// A transcript recorded by a server of httplab's (its writes go to the client).
    pub fn of_server(target: impl Into<String>) -> Transcript {
        Transcript {
            recorded_by: Side::Server,
            ..Transcript::new(target)
        }
    }

    /// What the client sent, whichever end recorded it.
    pub fn client_bytes(&self) -> Vec<u8> {
        match self.recorded_by {
            Side::Client => self.sent(),
            Side::Server => self.received(),
        }
    }

    /// What the server sent, whichever end recorded it.
    pub fn server_bytes(&self) -> Vec<u8> {
        match self.recorded_by {
            Side::Client => self.received(),
            Side::Server => self.sent(),
        }
    }

    /// Every byte read, in order.
    pub fn received(&self) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Read { bytes } => Some(bytes.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    /// Every byte written, in order.
    pub fn sent(&self) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Write { bytes } => Some(bytes.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }

    /// The sizes of the reads, in order.
    pub fn read_sizes(&self) -> Vec<usize> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Read { bytes } => Some(bytes.len()),
                _ => None,
            })
            .collect()
    }

    pub fn peer_closed(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::PeerClosed | EventKind::Reset))
    }

    /// The events, with consecutive reads (or writes) joined when asked.
    fn events_for(&self, options: RenderOptions) -> Vec<Event> {
        if !options.merge_reads {
            return self.events.clone();
        }
        let mut merged: Vec<Event> = Vec::with_capacity(self.events.len());
        for event in &self.events {
            if let (
                Some(Event {
                    kind: EventKind::Read { bytes: last },
                    ..
                }),
                EventKind::Read { bytes },
            ) = (merged.last_mut(), &event.kind)
            {
                last.extend_from_slice(bytes);
                continue;
            }
            merged.push(event.clone());
        }
        merged
    }

    /// The full text form: each event, and for writes and reads their bytes as a hex dump
    /// and as text with CR and LF visible.
    pub fn render(&self, options: RenderOptions) -> String {
        let mut out = String::new();
        if options.addresses {
            let _ = writeln!(out, "transcript of a connection to {}", self.target);
        }
        for event in self.events_for(options) {
            if options.times {
                let _ = write!(out, "{:>10}  ", millis(event.at_us));
            }
            out.push_str(&headline(&event.kind, options.addresses, self.recorded_by));
            out.push('\n');
            if let EventKind::Write { bytes } | EventKind::Read { bytes } = &event.kind {
                for line in hexdump(bytes).lines() {
                    let _ = writeln!(out, "    {line}");
                }
                for line in visible(bytes).lines() {
                    let _ = writeln!(out, "    | {line}");
                }
            }
        }
        out
    }

    /// One line per event; a run of three or more reads of the same size is one line
    /// (`read 1 byte ×47`), so a server that sends a byte at a time is plain to see.
    pub fn summary(&self, times: bool) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.events.len() {
            let event = &self.events[i];
            let mut run = 1;
            if let EventKind::Read { bytes } = &event.kind {
                while let Some(Event {
                    kind: EventKind::Read { bytes: next },
                    ..
                }) = self.events.get(i + run)
                {
                    if next.len() != bytes.len() {
                        break;
                    }
                    run += 1;
                }
            }
            if times {
                let _ = write!(out, "{:>10}  ", millis(event.at_us));
            }
            if run >= 3 {
                let last = &self.events[i + run - 1];
                let size = self.read_sizes_at(i);
                let _ = write!(out, "read {} ×{run}", plural_bytes(size));
                if times {
                    let _ = write!(out, " (until {})", millis(last.at_us).trim());
                }
                out.push('\n');
                i += run;
                continue;
            }
            out.push_str(&headline(&event.kind, true, self.recorded_by));
            if let (EventKind::Close, Some(segments)) = (&event.kind, self.data_segments_received) {
                let bytes = self.received().len();
                let _ = write!(
                    out,
                    " ({} from the server came in {segments} TCP segment{})",
                    plural_bytes(bytes),
                    if segments == 1 { "" } else { "s" }
                );
            }
            out.push('\n');
            i += 1;
        }
        out
    }

    fn read_sizes_at(&self, index: usize) -> usize {
        match &self.events[index].kind {
            EventKind::Read { bytes } => bytes.len(),
            _ => 0,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn millis(at_us: u64) -> String {
    format!("+{:.3} ms", at_us as f64 / 1000.0)
}

pub(crate) fn plural_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

fn headline(kind: &EventKind, addresses: bool, side: Side) -> String {
    if side == Side::Server {
        return server_headline(kind, addresses);
    }
    match kind {
        EventKind::Connect { local, remote } if addresses => format!("connect {local} → {remote}"),
        EventKind::Connect { .. } => "connect".to_string(),
        EventKind::Write { bytes } => format!("write {} →", plural_bytes(bytes.len())),
        EventKind::Read { bytes } => format!("read {} ←", plural_bytes(bytes.len())),
        EventKind::Shutdown => "shutdown: the client stops sending (FIN)".to_string(),
        EventKind::PeerClosed => "the server closed the connection".to_string(),
        EventKind::Reset => "the server reset the connection (RST)".to_string(),
        EventKind::Timeout { waited_ms } => format!("timeout: nothing arrived for {waited_ms} ms"),
        EventKind::Close => "close".to_string(),
        EventKind::Error { during, message } => format!("error while {during}: {message}"),
    }
}

/// An event as the server that recorded it saw it.
fn server_headline(kind: &EventKind, addresses: bool) -> String {
    match kind {
        EventKind::Connect { local, remote } if addresses => {
            format!("accept {remote} → {local}")
        }
        EventKind::Connect { .. } => "accept".to_string(),
        EventKind::Write { bytes } => format!("write {} → the client", plural_bytes(bytes.len())),
        EventKind::Read { bytes } => format!("read {} ← the client", plural_bytes(bytes.len())),
        EventKind::Shutdown => "shutdown: httplab stops sending (FIN)".to_string(),
        EventKind::PeerClosed => "the client closed the connection".to_string(),
        EventKind::Reset => "the client reset the connection (RST)".to_string(),
        EventKind::Timeout { waited_ms } => {
            format!("timeout: nothing came from the client for {waited_ms} ms")
        }
        EventKind::Close => "close".to_string(),
        EventKind::Error { during, message } => format!("error while {during}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Transcript {
        let mut t = Transcript::new("127.0.0.1:6789");
        let mut at = 0;
        let mut push = |kind| {
            at += 1000;
            t.events.push(Event { at_us: at, kind });
        };
        push(EventKind::Connect {
            local: "127.0.0.1:50000".into(),
            remote: "127.0.0.1:6789".into(),
        });
        push(EventKind::Write {
            bytes: b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        });
        for b in b"abcd" {
            push(EventKind::Read { bytes: vec![*b] });
        }
        push(EventKind::PeerClosed);
        t
    }

    #[test]
    fn summary_collapses_runs_of_equal_reads() {
        let summary = sample().summary(false);
        assert_eq!(
            summary,
            "connect 127.0.0.1:50000 → 127.0.0.1:6789\nwrite 18 bytes →\nread 1 byte ×4\nthe server closed the connection\n"
        );
    }

    #[test]
    fn stable_render_merges_reads_and_drops_times_and_ports() {
        let text = sample().render(RenderOptions::STABLE);
        assert!(text.contains("read 4 bytes ←\n"));
        assert!(!text.contains("50000") && !text.contains(" ms"));
    }

    #[test]
    fn json_round_trips() {
        let t = sample();
        let back: Transcript = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(back, t);
        assert!(t.to_json().contains("\"bytes\": \"474554"));
    }
}
