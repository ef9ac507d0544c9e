//! Segments made up from a transcript when none could be captured, pure: the handshake, each
//! write and read as segments of at most the MSS with the other side's ACK, a FIN or a RST
//! as the transcript saw it, with consistent sequence and acknowledgement numbers. What a
//! capture shows and this cannot (how the sender's kernel really cut the bytes, delayed
//! ACKs, window updates, retransmissions) is not invented; every rendering of the result
//! says it was reconstructed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{Direction, Packets, Segment, Source, TcpFlags, TcpOptions};
use crate::wire::transcript::{EventKind, Side, Transcript};

/// The initial sequence numbers of a reconstruction (any would do: numbers are relative).
const CLIENT_ISN: u32 = 0x1000_0000;
const SERVER_ISN: u32 = 0x2000_0000;
/// The window a SYN offers on Linux's loopback, and the scaled one after it (512 × 2⁷).
const SYN_WINDOW: u16 = 65495;
const WINDOW: u16 = 512;
const WINDOW_SCALE: u8 = 7;
/// A client port for a conversation whose connection never came up.
const UNKNOWN_CLIENT_PORT: u16 = 49152;

/// What a reconstruction needs besides the transcript.
#[derive(Clone, Debug)]
pub struct Assumed {
    /// The largest segment (the connection's MSS when the socket told it).
    pub mss: u32,
    /// The transcript's start, µs since the Unix epoch.
    pub started_unix_us: u64,
    /// Why nothing was captured.
    pub why: String,
}

/// The MSS Linux uses on the loopback interface (MTU 65536, with timestamps).
pub const LOOPBACK_MSS: u32 = 65483;

/// A conversation being made up, segment by segment.
struct Builder {
    next_seq: [u32; 2],
    segments: Vec<Segment>,
    mss: u32,
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

fn other(direction: Direction) -> Direction {
    match direction {
        Direction::ToServer => Direction::ToClient,
        Direction::ToClient => Direction::ToServer,
    }
}

impl Builder {
    fn push(&mut self, at_us: u64, direction: Direction, flags: u8, payload: &[u8]) {
        let me = index(direction);
        let flags = TcpFlags(flags);
        let segment = Segment {
            at_us,
            direction,
            flags,
            seq: self.next_seq[me],
            ack: if flags.has(TcpFlags::ACK) {
                self.next_seq[1 - me]
            } else {
                0
            },
            window: if flags.has(TcpFlags::SYN) {
                SYN_WINDOW
            } else {
                WINDOW
            },
            options: if flags.has(TcpFlags::SYN) {
                TcpOptions {
                    mss: Some(self.mss.min(u32::from(u16::MAX)) as u16),
                    window_scale: Some(WINDOW_SCALE),
                    sack_permitted: true,
                    ..TcpOptions::default()
                }
            } else {
                TcpOptions::default()
            },
            len: payload.len() as u32,
            payload: payload.to_vec(),
        };
        self.next_seq[me] = self.next_seq[me].wrapping_add(segment.seq_len());
        self.segments.push(segment);
    }

    /// Bytes sent `direction`, cut at the MSS, then the receiver's ACK.
    fn data(&mut self, at_us: u64, direction: Direction, bytes: &[u8]) {
        let pieces: Vec<&[u8]> = bytes.chunks(self.mss.max(1) as usize).collect();
        for (i, piece) in pieces.iter().enumerate() {
            let push = if i + 1 == pieces.len() {
                TcpFlags::PSH
            } else {
                0
            };
            self.push(at_us, direction, TcpFlags::ACK | push, piece);
        }
        self.push(at_us, other(direction), TcpFlags::ACK, &[]);
    }
}

/// The segments of `transcript` as its events imply them.
pub fn reconstruct(transcript: &Transcript, assumed: &Assumed) -> Packets {
    let side = transcript.recorded_by;
    let (client, server) = endpoints(transcript);
    let mut b = Builder {
        next_seq: [0, 0],
        segments: Vec::new(),
        mss: assumed.mss,
    };
    // Which way the recorder's own segments go.
    let mine = match side {
        Side::Client => Direction::ToServer,
        Side::Server => Direction::ToClient,
    };
    let mut fin_sent = [false, false];
    for event in &transcript.events {
        let at = event.at_us;
        match &event.kind {
            EventKind::Connect { .. } => {
                let syn_at = if side == Side::Client { 0 } else { at };
                b.push(syn_at, Direction::ToServer, TcpFlags::SYN, &[]);
                b.push(at, Direction::ToClient, TcpFlags::SYN | TcpFlags::ACK, &[]);
                b.push(at, Direction::ToServer, TcpFlags::ACK, &[]);
            }
            EventKind::Write { bytes } => b.data(at, mine, bytes),
            EventKind::Read { bytes } => b.data(at, other(mine), bytes),
            EventKind::Shutdown | EventKind::Close if !fin_sent[index(mine)] => {
                fin_sent[index(mine)] = true;
                b.push(at, mine, TcpFlags::FIN | TcpFlags::ACK, &[]);
                b.push(at, other(mine), TcpFlags::ACK, &[]);
            }
            EventKind::PeerClosed if !fin_sent[index(other(mine))] => {
                fin_sent[index(other(mine))] = true;
                b.push(at, other(mine), TcpFlags::FIN | TcpFlags::ACK, &[]);
                b.push(at, mine, TcpFlags::ACK, &[]);
            }
            EventKind::Reset => {
                b.push(at, other(mine), TcpFlags::RST, &[]);
                break;
            }
            EventKind::Error { during, message }
                if during == "connecting" && message.contains("nothing listens") =>
            {
                b.push(0, Direction::ToServer, TcpFlags::SYN, &[]);
                b.push(at, Direction::ToClient, TcpFlags::RST | TcpFlags::ACK, &[]);
            }
            _ => {}
        }
    }
    Packets {
        source: Source::Reconstructed {
            why: assumed.why.clone(),
        },
        client,
        server,
        client_isn: CLIENT_ISN,
        server_isn: SERVER_ISN,
        started_unix_us: assumed.started_unix_us,
        segments: b.segments,
        truncated: false,
    }
}

/// The client's and the server's addresses, from the connect event or the target.
fn endpoints(transcript: &Transcript) -> (SocketAddr, SocketAddr) {
    let connect = transcript.events.iter().find_map(|e| match &e.kind {
        EventKind::Connect { local, remote } => Some((local.parse().ok(), remote.parse().ok())),
        _ => None,
    });
    let (local, remote): (Option<SocketAddr>, Option<SocketAddr>) = connect.unwrap_or_default();
    let (client, server) = match transcript.recorded_by {
        Side::Client => (local, remote),
        Side::Server => (remote, local),
    };
    let server = server
        .or_else(|| transcript.target.parse().ok())
        .unwrap_or_else(|| {
            let port = transcript
                .target
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(80);
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
        });
    let client =
        client.unwrap_or_else(|| SocketAddr::new(loopback_like(server.ip()), UNKNOWN_CLIENT_PORT));
    (client, server)
}

fn loopback_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::transcript::Event;

    fn transcript(events: Vec<(u64, EventKind)>) -> Transcript {
        let mut t = Transcript::new("127.0.0.1:6789");
        t.events = events
            .into_iter()
            .map(|(at_us, kind)| Event { at_us, kind })
            .collect();
        t
    }

    fn assumed(mss: u32) -> Assumed {
        Assumed {
            mss,
            started_unix_us: 0,
            why: "capture turned off".into(),
        }
    }

    fn lines(packets: &Packets) -> Vec<String> {
        packets
            .segments
            .iter()
            .map(|s| {
                let arrow = if s.direction == Direction::ToServer {
                    "→"
                } else {
                    "←"
                };
                format!("{arrow} {} {}/{} {}", s.flags.names(), s.seq, s.ack, s.len)
            })
            .collect()
    }

    #[test]
    fn a_get_becomes_handshake_data_acks_and_fins_with_consistent_numbers() {
        let t = transcript(vec![
            (
                100,
                EventKind::Connect {
                    local: "127.0.0.1:50000".into(),
                    remote: "127.0.0.1:6789".into(),
                },
            ),
            (
                200,
                EventKind::Write {
                    bytes: vec![b'G'; 18],
                },
            ),
            (
                300,
                EventKind::Read {
                    bytes: vec![b'H'; 25],
                },
            ),
            (400, EventKind::PeerClosed),
            (500, EventKind::Close),
        ]);
        let packets = reconstruct(&t, &assumed(10));
        assert_eq!(
            lines(&packets),
            [
                "→ SYN 0/0 0",
                "← SYN, ACK 0/1 0",
                "→ ACK 1/1 0",
                "→ ACK 1/1 10",
                "→ PSH, ACK 11/1 8",
                "← ACK 1/19 0",
                "← ACK 1/19 10",
                "← ACK 11/19 10",
                "← PSH, ACK 21/19 5",
                "→ ACK 19/26 0",
                "← FIN, ACK 26/19 0",
                "→ ACK 19/27 0",
                "→ FIN, ACK 19/27 0",
                "← ACK 27/20 0",
            ]
        );
        assert_eq!(packets.client.port(), 50000);
        assert!(!packets.is_captured());
        assert!(packets.provenance().contains("RECONSTRUCTED"));
    }

    #[test]
    fn a_refused_connection_and_a_reset_are_shown_as_such() {
        let refused = transcript(vec![(
            300,
            EventKind::Error {
                during: "connecting".into(),
                message: "nothing listens on 127.0.0.1:6789 — is your server running?".into(),
            },
        )]);
        assert_eq!(
            lines(&reconstruct(&refused, &assumed(100))),
            ["→ SYN 0/0 0", "← RST, ACK 0/1 0"]
        );
        let reset = transcript(vec![
            (
                1,
                EventKind::Connect {
                    local: "[::1]:50000".into(),
                    remote: "[::1]:6789".into(),
                },
            ),
            (2, EventKind::Reset),
            (3, EventKind::Close),
        ]);
        let packets = reconstruct(&reset, &assumed(100));
        assert_eq!(
            lines(&packets).last().map(String::as_str),
            Some("← RST 1/0 0")
        );
        assert!(packets.server.is_ipv6());
    }
}
