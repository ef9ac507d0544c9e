//! From the bytes of an IP packet to a segment of one conversation, pure: [`decode`] reads
//! the IPv4 or IPv6 and TCP headers (with `etherparse`, a well-kept pure-Rust parser, rather
//! than offsets of our own); an [`Assembler`] keeps the segments of one conversation with
//! relative numbers, within its bounds, and tells when the conversation is over.

use std::net::{IpAddr, SocketAddr};

use etherparse::{NetSlice, SlicedPacket, TcpOptionElement, TransportSlice};

use super::{Direction, Packets, Segment, Source, TcpFlags, TcpOptions};

/// Most segments kept per conversation; past it, the capture says it was truncated.
pub const MAX_SEGMENTS: usize = 20_000;
/// Most payload bytes kept per conversation; past it, segments keep their length only.
pub const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// A TCP packet as it was on the wire: addresses and absolute numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WirePacket {
    pub source: SocketAddr,
    pub destination: SocketAddr,
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub options: TcpOptions,
    pub payload: Vec<u8>,
}

/// The TCP packet in `ip` (an IPv4 or IPv6 packet, no link header), or `None` for anything
/// else: another protocol, a fragment, a truncated or malformed packet.
pub fn decode(ip: &[u8]) -> Option<WirePacket> {
    let sliced = SlicedPacket::from_ip(ip).ok()?;
    let (source_ip, destination_ip): (IpAddr, IpAddr) = match sliced.net.as_ref()? {
        NetSlice::Ipv4(v4) => (
            v4.header().source_addr().into(),
            v4.header().destination_addr().into(),
        ),
        NetSlice::Ipv6(v6) => (
            v6.header().source_addr().into(),
            v6.header().destination_addr().into(),
        ),
        NetSlice::Arp(_) => return None,
    };
    if sliced.is_ip_payload_fragmented() {
        return None;
    }
    let Some(TransportSlice::Tcp(tcp)) = sliced.transport else {
        return None;
    };
    let flag_byte = tcp.header_slice().get(13).copied().unwrap_or(0);
    Some(WirePacket {
        source: SocketAddr::new(source_ip, tcp.source_port()),
        destination: SocketAddr::new(destination_ip, tcp.destination_port()),
        flags: TcpFlags(flag_byte),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        window: tcp.window_size(),
        options: options(tcp.options_iterator()),
        payload: tcp.payload().to_vec(),
    })
}

fn options<'a>(
    elements: impl Iterator<Item = Result<TcpOptionElement, etherparse::TcpOptionReadError>> + 'a,
) -> TcpOptions {
    let mut options = TcpOptions::default();
    for element in elements.map_while(Result::ok) {
        match element {
            TcpOptionElement::MaximumSegmentSize(mss) => options.mss = Some(mss),
            TcpOptionElement::WindowScale(scale) => options.window_scale = Some(scale),
            TcpOptionElement::SelectiveAcknowledgementPermitted => options.sack_permitted = true,
            TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                options.sack.push(first);
                options.sack.extend(rest.iter().flatten());
            }
            TcpOptionElement::Timestamp(value, echo) => options.timestamps = Some((value, echo)),
            TcpOptionElement::Noop => {}
        }
    }
    options
}

/// The segments of one conversation as they come, with relative numbers and within bounds.
#[derive(Debug)]
pub struct Assembler {
    /// The client's address; its IP may be unspecified (bound before connect), and is then
    /// learnt from the first packet.
    client: SocketAddr,
    server: SocketAddr,
    started_unix_us: u64,
    isn: [Option<u32>; 2],
    segments: Vec<Segment>,
    kept_bytes: usize,
    truncated: bool,
    /// Where each side's FIN ends (absolute), and the highest ACK each side sent.
    fin_end: [Option<u32>; 2],
    acked: [Option<u32>; 2],
    reset: bool,
}

fn side(direction: Direction) -> usize {
    match direction {
        Direction::ToServer => 0,
        Direction::ToClient => 1,
    }
}

impl Assembler {
    pub fn new(client: SocketAddr, server: SocketAddr, started_unix_us: u64) -> Assembler {
        Assembler {
            client,
            server,
            started_unix_us,
            isn: [None, None],
            segments: Vec::new(),
            kept_bytes: 0,
            truncated: false,
            fin_end: [None, None],
            acked: [None, None],
            reset: false,
        }
    }

    fn is_client(&self, address: SocketAddr) -> bool {
        address.port() == self.client.port()
            && (self.client.ip().is_unspecified() || address.ip() == self.client.ip())
    }

    /// Which way `packet` goes, if it belongs to this conversation.
    pub fn direction_of(&self, packet: &WirePacket) -> Option<Direction> {
        if self.is_client(packet.source) && packet.destination == self.server {
            Some(Direction::ToServer)
        } else if packet.source == self.server && self.is_client(packet.destination) {
            Some(Direction::ToClient)
        } else {
            None
        }
    }

    /// Adds a packet seen at `at_unix_us`; false when it is not of this conversation.
    pub fn add(&mut self, packet: WirePacket, at_unix_us: u64) -> bool {
        let Some(direction) = self.direction_of(&packet) else {
            return false;
        };
        if self.client.ip().is_unspecified() {
            self.client = match direction {
                Direction::ToServer => packet.source,
                Direction::ToClient => packet.destination,
            };
        }
        let (me, peer) = (side(direction), 1 - side(direction));
        let isn = *self.isn[me].get_or_insert(if packet.flags.has(TcpFlags::SYN) {
            packet.seq
        } else {
            packet.seq.wrapping_sub(1)
        });
        let has_ack = packet.flags.has(TcpFlags::ACK);
        let ack = match (has_ack, self.isn[peer]) {
            (true, Some(peer_isn)) => packet.ack.wrapping_sub(peer_isn),
            (true, None) => packet.ack,
            (false, _) => 0,
        };
        self.track_close(me, &packet);
        let len = packet.payload.len() as u32;
        if self.segments.len() >= MAX_SEGMENTS {
            self.truncated = true;
            return true;
        }
        let room = MAX_PAYLOAD_BYTES.saturating_sub(self.kept_bytes);
        let mut payload = packet.payload;
        if payload.len() > room {
            payload.truncate(room);
            self.truncated = true;
        }
        self.kept_bytes += payload.len();
        self.segments.push(Segment {
            at_us: at_unix_us.saturating_sub(self.started_unix_us),
            direction,
            flags: packet.flags,
            seq: packet.seq.wrapping_sub(isn),
            ack,
            window: packet.window,
            options: packet.options,
            len,
            payload,
        });
        true
    }

    fn track_close(&mut self, me: usize, packet: &WirePacket) {
        if packet.flags.has(TcpFlags::RST) {
            self.reset = true;
        }
        if packet.flags.has(TcpFlags::FIN) {
            let syn = u32::from(packet.flags.has(TcpFlags::SYN));
            let end = packet
                .seq
                .wrapping_add(packet.payload.len() as u32 + syn + 1);
            self.fin_end[me] = Some(end);
        }
        if packet.flags.has(TcpFlags::ACK) {
            let newer = |old: u32| (packet.ack.wrapping_sub(old) as i32) > 0;
            if self.acked[me].is_none_or(newer) {
                self.acked[me] = Some(packet.ack);
            }
        }
    }

    /// Whether a FIN was sent `direction`, and the other side acknowledged it.
    fn fin_acked(&self, direction: Direction) -> bool {
        let (me, peer) = (side(direction), 1 - side(direction));
        match (self.fin_end[me], self.acked[peer]) {
            (Some(end), Some(ack)) => (ack.wrapping_sub(end) as i32) >= 0,
            _ => false,
        }
    }

    /// The conversation is over: reset, or both FINs sent and acknowledged.
    pub fn is_over(&self) -> bool {
        self.reset || (self.fin_acked(Direction::ToServer) && self.fin_acked(Direction::ToClient))
    }

    /// The client's FIN was acknowledged (what it waits for after its close).
    pub fn client_close_acked(&self) -> bool {
        self.reset || self.fin_acked(Direction::ToServer)
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The conversation as data, captured on `interface`.
    pub fn finish(self, interface: &str) -> Packets {
        Packets {
            source: Source::Captured {
                interface: interface.to_string(),
            },
            client: self.client,
            server: self.server,
            client_isn: self.isn[0].unwrap_or(0),
            server_isn: self.isn[1].unwrap_or(0),
            started_unix_us: self.started_unix_us,
            segments: self.segments,
            truncated: self.truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::packets::pcapng::ip_packet;

    fn wire(from: &str, to: &str, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> WirePacket {
        WirePacket {
            source: from.parse().unwrap(),
            destination: to.parse().unwrap(),
            flags: TcpFlags(flags),
            seq,
            ack,
            window: 512,
            options: TcpOptions::default(),
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn decoding_reads_back_what_was_built_in_v4_and_v6() {
        for (client, server) in [
            ("127.0.0.1:50000", "127.0.0.1:6789"),
            ("[::1]:50000", "[::1]:6789"),
        ] {
            let mut packet = wire(client, server, 0x18, 7, 9, b"GET / HTTP/1.1\r\n\r\n");
            packet.options.timestamps = Some((1, 2));
            let bytes = ip_packet(&packet).unwrap();
            assert_eq!(decode(&bytes), Some(packet));
        }
    }

    #[test]
    fn anything_but_tcp_or_a_broken_packet_is_nothing() {
        assert_eq!(decode(b""), None);
        assert_eq!(decode(&[0x45; 19]), None);
        let mut bytes = ip_packet(&wire("127.0.0.1:1", "127.0.0.1:2", 0x10, 1, 1, b"x")).unwrap();
        bytes[9] = 17; // UDP
        assert_eq!(decode(&bytes), None);
        bytes.truncate(30);
        assert_eq!(decode(&bytes), None);
    }

    #[test]
    fn numbers_become_relative_and_the_close_is_noticed() {
        let (c, s) = ("127.0.0.1:50000", "127.0.0.1:6789");
        let mut assembler = Assembler::new("0.0.0.0:50000".parse().unwrap(), s.parse().unwrap(), 0);
        let steps = [
            wire(c, s, TcpFlags::SYN, 1000, 0, b""),
            wire(s, c, TcpFlags::SYN | TcpFlags::ACK, 5000, 1001, b""),
            wire(c, s, TcpFlags::ACK, 1001, 5001, b""),
            wire(c, s, TcpFlags::PSH | TcpFlags::ACK, 1001, 5001, b"GET"),
            wire(s, c, TcpFlags::FIN | TcpFlags::ACK, 5001, 1004, b"ok"),
            wire(c, s, TcpFlags::FIN | TcpFlags::ACK, 1004, 5004, b""),
        ];
        for (at, packet) in steps.into_iter().enumerate() {
            assert!(!assembler.is_over());
            assert!(assembler.add(packet, at as u64));
        }
        assert!(!assembler.add(wire("127.0.0.1:1", s, TcpFlags::SYN, 1, 0, b""), 9));
        assert!(
            !assembler.is_over(),
            "the client's FIN is not acknowledged yet"
        );
        assembler.add(wire(s, c, TcpFlags::ACK, 5004, 1005, b""), 7);
        assert!(assembler.is_over());
        let packets = assembler.finish("lo");
        assert_eq!(packets.client, c.parse().unwrap());
        let numbers: Vec<(u32, u32)> = packets.segments.iter().map(|s| (s.seq, s.ack)).collect();
        assert_eq!(
            numbers,
            [(0, 0), (0, 1), (1, 1), (1, 1), (1, 4), (4, 4), (4, 5)]
        );
    }

    #[test]
    fn a_reset_ends_it_and_bounds_hold() {
        let (c, s) = ("127.0.0.1:50000", "127.0.0.1:6789");
        let mut assembler = Assembler::new(c.parse().unwrap(), s.parse().unwrap(), 0);
        let big = vec![b'x'; MAX_PAYLOAD_BYTES + 10];
        assembler.add(wire(s, c, TcpFlags::ACK, 1, 1, &big), 1);
        let packets = {
            assembler.add(wire(s, c, TcpFlags::RST, 1, 0, b""), 2);
            assert!(assembler.is_over());
            assembler.finish("lo")
        };
        assert!(packets.truncated);
        assert_eq!(packets.segments[0].len as usize, big.len());
        assert_eq!(packets.segments[0].payload.len(), MAX_PAYLOAD_BYTES);
    }
}
