//! Packets: the TCP segments of one conversation — captured on the loopback interface when
//! the process may (root or `CAP_NET_RAW`), else reconstructed from the socket-level
//! transcript — attached to its [`Transcript`](super::Transcript) as data, like the events.
//!
//! One job per file: `decode` (bytes of an IP packet → a segment, pure), `filter` (the classic
//! BPF program the kernel runs, pure), `capture` (the `AF_PACKET` socket and its thread),
//! `reconstruct` (transcript → segments, pure), `pcapng` (segments → a file Wireshark opens),
//! `ladder` (segments → one text line each), `watch` (every conversation with a server's port,
//! for `serve --record`). Renderings say plainly when the segments were
//! reconstructed.

pub mod capture;
pub mod decode;
pub mod filter;
pub mod ladder;
pub mod pcapng;
pub mod reconstruct;
pub mod watch;

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Where the segments come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// Seen by the kernel on this interface (`lo`).
    Captured { interface: String },
    /// Made up from the socket calls, because no capture was possible: `why` says why.
    Reconstructed { why: String },
}

/// Which way a segment went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ToServer,
    ToClient,
}

/// The TCP flags of a segment, as on the wire (FIN = 0x01 … CWR = 0x80).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
    const NAMES: [(u8, &'static str); 8] = [
        (Self::SYN, "SYN"),
        (Self::FIN, "FIN"),
        (Self::RST, "RST"),
        (Self::PSH, "PSH"),
        (Self::ACK, "ACK"),
        (Self::URG, "URG"),
        (Self::ECE, "ECE"),
        (Self::CWR, "CWR"),
    ];

    pub fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }

    /// `SYN, ACK` — the order Wireshark writes them in.
    pub fn names(self) -> String {
        Self::NAMES
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The TCP options a segment carried (those Linux sends; others are left out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mss: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_scale: Option<u8>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sack_permitted: bool,
    /// SACK blocks, as absolute sequence numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sack: Vec<(u32, u32)>,
    /// TSval and TSecr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<(u32, u32)>,
}

impl TcpOptions {
    pub fn is_empty(&self) -> bool {
        *self == TcpOptions::default()
    }

    /// `mss 65495, sack, ts, ws 7`: short, in the order Wireshark's info column uses.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(mss) = self.mss {
            parts.push(format!("mss {mss}"));
        }
        if self.sack_permitted {
            parts.push("sack ok".to_string());
        }
        if !self.sack.is_empty() {
            parts.push(format!("sack ×{}", self.sack.len()));
        }
        if self.timestamps.is_some() {
            parts.push("ts".to_string());
        }
        if let Some(scale) = self.window_scale {
            parts.push(format!("ws {scale}"));
        }
        parts.join(", ")
    }
}

/// One TCP segment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Microseconds since the transcript's start (the same origin as its events).
    pub at_us: u64,
    pub direction: Direction,
    pub flags: TcpFlags,
    /// Relative to the sender's initial sequence number (the SYN is 0, the first byte 1).
    pub seq: u32,
    /// Relative to the receiver's initial sequence number; 0 without ACK.
    pub ack: u32,
    /// The window field as sent (before scaling).
    pub window: u16,
    #[serde(default, skip_serializing_if = "TcpOptions::is_empty")]
    pub options: TcpOptions,
    /// Payload bytes on the wire.
    pub len: u32,
    /// The payload kept: all of it, or its start once the capture's byte bound is reached.
    #[serde(with = "hex_payload")]
    pub payload: Vec<u8>,
}

impl Segment {
    pub fn has(&self, flag: u8) -> bool {
        self.flags.has(flag)
    }

    /// Sequence space it takes: its bytes, plus one for a SYN and one for a FIN.
    pub fn seq_len(&self) -> u32 {
        self.len
            .saturating_add(u32::from(self.has(TcpFlags::SYN)))
            .saturating_add(u32::from(self.has(TcpFlags::FIN)))
    }
}

/// The segments of one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packets {
    #[serde(flatten)]
    pub source: Source,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The absolute initial sequence numbers, to write the packets as they were.
    pub client_isn: u32,
    pub server_isn: u32,
    /// The transcript's start, in microseconds since the Unix epoch (pcapng's clock).
    pub started_unix_us: u64,
    pub segments: Vec<Segment>,
    /// Segments (or payload bytes) past the capture's bounds were not kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Packets {
    pub fn is_captured(&self) -> bool {
        matches!(self.source, Source::Captured { .. })
    }

    /// "captured on lo" or "reconstructed from the socket calls (why)".
    pub fn provenance(&self) -> String {
        match &self.source {
            Source::Captured { interface } => format!("captured on {interface}"),
            Source::Reconstructed { why } => {
                format!("RECONSTRUCTED from the socket calls, not captured: {why}")
            }
        }
    }

    /// The payload sizes of the data segments going `direction`, in order.
    pub fn data_sizes(&self, direction: Direction) -> Vec<usize> {
        self.segments
            .iter()
            .filter(|s| s.direction == direction && s.len > 0)
            .map(|s| s.len as usize)
            .collect()
    }

    /// The payload sizes of the data segments going `direction` that carried bytes of the
    /// stream range `from..to` (offsets from the first byte that way): how one response
    /// of several on a connection was cut into segments.
    pub fn data_sizes_within(&self, direction: Direction, from: u64, to: u64) -> Vec<usize> {
        self.segments
            .iter()
            .filter(|s| s.direction == direction && s.len > 0)
            .filter(|s| {
                let start = u64::from(s.seq.wrapping_sub(1));
                start < to && start + u64::from(s.len) > from
            })
            .map(|s| s.len as usize)
            .collect()
    }
}

/// Payload bytes as a hex string in JSON, as the transcript's bytes are.
mod hex_payload {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(seq: u32, len: u32) -> Segment {
        Segment {
            at_us: 0,
            direction: Direction::ToClient,
            flags: TcpFlags(TcpFlags::ACK | TcpFlags::PSH),
            seq,
            ack: 1,
            window: 512,
            options: TcpOptions::default(),
            len,
            payload: vec![b'x'; len as usize],
        }
    }

    #[test]
    fn hostile_numbers_from_a_json_file_never_panic_a_rendering() {
        let mut odd = data(u32::MAX, 0);
        odd.len = u32::MAX;
        odd.at_us = u64::MAX;
        let packets = Packets {
            source: Source::Reconstructed { why: "x".into() },
            client: "[::1]:1".parse().unwrap(),
            server: "127.0.0.1:2".parse().unwrap(),
            client_isn: u32::MAX,
            server_isn: u32::MAX,
            started_unix_us: u64::MAX,
            segments: vec![odd.clone(), data(0, 1), odd],
            truncated: true,
        };
        let text = ladder::render(&packets, crate::wire::transcript::Side::Server, true);
        assert!(text.contains("truncated"));
        assert!(pcapng::pcapng(&[&packets], "t").is_ok());
        assert_eq!(
            packets
                .data_sizes_within(Direction::ToClient, 0, u64::MAX)
                .len(),
            3
        );
    }

    #[test]
    fn flags_read_as_wireshark_writes_them() {
        assert_eq!(TcpFlags(0x12).names(), "SYN, ACK");
        assert_eq!(TcpFlags(0x19).names(), "FIN, PSH, ACK");
    }

    #[test]
    fn data_within_a_range_picks_the_segments_of_one_response() {
        let packets = Packets {
            source: Source::Captured {
                interface: "lo".into(),
            },
            client: "127.0.0.1:5000".parse().unwrap(),
            server: "127.0.0.1:80".parse().unwrap(),
            client_isn: 0,
            server_isn: 0,
            started_unix_us: 0,
            segments: vec![data(1, 10), data(11, 1), data(12, 1), data(13, 5)],
            truncated: false,
        };
        assert_eq!(
            packets.data_sizes_within(Direction::ToClient, 10, 12),
            [1, 1]
        );
        assert_eq!(packets.data_sizes(Direction::ToClient), [10, 1, 1, 5]);
        let json = serde_json::to_string(&packets).unwrap();
        assert!(json.contains("\"source\":\"captured\""), "{json}");
        assert_eq!(serde_json::from_str::<Packets>(&json).unwrap(), packets);
    }
}
