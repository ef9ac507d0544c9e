//! Conversations as a `.pcapng` file that Wireshark and tshark open with their HTTP
//! dissector: `pcap-file` writes the blocks, `etherparse` builds each packet (IP + TCP, the
//! checksums computed) from its segment, so captured and reconstructed conversations take
//! the same road.
//!
//! Link type: raw IP (`LINKTYPE_RAW`, 101) — the capture reads IP packets already (an
//! `AF_PACKET` datagram socket strips `lo`'s all-zero Ethernet header), and tshark decodes
//! raw IPv4 and IPv6 alike by the version nibble. Captured and reconstructed segments go on
//! two interfaces, each with a comment saying which it is; a reconstructed conversation's
//! first packet says so again, and so does the section's comment.
//!
//! pcap-file 2.0 writes a packet's time in nanoseconds whatever the interface says, so each
//! interface declares nanoseconds (`if_tsresol` 9).

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader, TcpOptionElement};
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};

use super::decode::WirePacket;
use super::{Direction, Packets, Segment, Source, TcpFlags};

/// The hop limit written into rebuilt packets (Linux's default).
const TTL: u8 = 64;

/// Why no file could be made.
#[derive(Debug)]
pub struct PcapngError(String);

impl fmt::Display for PcapngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write the capture: {}", self.0)
    }
}

impl std::error::Error for PcapngError {}

/// The bytes of a `.pcapng` holding `conversations` in order; `title` heads the section's
/// comment (what recorded them).
pub fn pcapng(conversations: &[&Packets], title: &str) -> Result<Vec<u8>, PcapngError> {
    let fail = |e: pcap_file::PcapError| PcapngError(e.to_string());
    let section = SectionHeaderBlock {
        endianness: pcap_file::Endianness::Little,
        options: vec![
            SectionHeaderOption::Comment(Cow::Owned(section_comment(conversations, title))),
            SectionHeaderOption::UserApplication(Cow::Borrowed(concat!(
                "httplab ",
                env!("CARGO_PKG_VERSION")
            ))),
        ],
        ..SectionHeaderBlock::default()
    };
    let mut writer = PcapNgWriter::with_section_header(Vec::new(), section).map_err(fail)?;
    // One interface per source present: the captured first, then the reconstructed.
    let captured = conversations.iter().any(|p| p.is_captured());
    let reconstructed = conversations.iter().any(|p| !p.is_captured());
    let interfaces = [
        (
            captured,
            "lo",
            "packets captured by httplab on the loopback interface",
        ),
        (
            reconstructed,
            "reconstructed",
            "RECONSTRUCTED: no capture was possible; these packets were made up by httplab \
             from the socket calls (connect, each write and read, the close)",
        ),
    ];
    for (_, name, comment) in interfaces.into_iter().filter(|(used, ..)| *used) {
        writer
            .write_pcapng_block(InterfaceDescriptionBlock {
                linktype: DataLink::RAW,
                snaplen: 0,
                options: vec![
                    InterfaceDescriptionOption::IfName(Cow::Borrowed(name)),
                    InterfaceDescriptionOption::Comment(Cow::Borrowed(comment)),
                    InterfaceDescriptionOption::IfTsResol(9),
                ],
            })
            .map_err(fail)?;
    }
    for conversation in conversations {
        let interface = u32::from(captured && !conversation.is_captured());
        for (index, segment) in conversation.segments.iter().enumerate() {
            let data = ip_packet(&wire_packet(conversation, segment)).map_err(PcapngError)?;
            let missing = segment.len as usize - segment.payload.len().min(segment.len as usize);
            let mut options = vec![EnhancedPacketOption::Flags(match segment.direction {
                Direction::ToServer => 2, // outbound from the client
                Direction::ToClient => 1,
            })];
            if index == 0 && !conversation.is_captured() {
                options.push(EnhancedPacketOption::Comment(Cow::Owned(
                    conversation.provenance(),
                )));
            }
            let at = conversation.started_unix_us.saturating_add(segment.at_us);
            writer
                .write_pcapng_block(EnhancedPacketBlock {
                    interface_id: interface,
                    timestamp: Duration::from_micros(at),
                    original_len: (data.len() + missing) as u32,
                    data: Cow::Owned(data),
                    options,
                })
                .map_err(fail)?;
        }
    }
    Ok(writer.into_inner())
}

/// What the file holds, in a sentence or two: how many conversations, how many captured.
fn section_comment(conversations: &[&Packets], title: &str) -> String {
    let reconstructed: Vec<&str> = conversations
        .iter()
        .filter_map(|p| match &p.source {
            Source::Reconstructed { why } => Some(why.as_str()),
            Source::Captured { .. } => None,
        })
        .collect();
    let total = conversations.len();
    let mut comment = format!("{title}: {total} TCP conversation(s)");
    match reconstructed.first() {
        None => comment.push_str(", captured on the loopback interface."),
        Some(why) => comment.push_str(&format!(
            "; {} of them RECONSTRUCTED from the socket calls, not captured ({why}).",
            reconstructed.len()
        )),
    }
    comment
}

/// A segment back on the wire: addresses and absolute sequence numbers.
pub fn wire_packet(packets: &Packets, segment: &Segment) -> WirePacket {
    let (source, destination, isn, peer_isn) = match segment.direction {
        Direction::ToServer => (
            packets.client,
            packets.server,
            packets.client_isn,
            packets.server_isn,
        ),
        Direction::ToClient => (
            packets.server,
            packets.client,
            packets.server_isn,
            packets.client_isn,
        ),
    };
    WirePacket {
        source,
        destination,
        flags: segment.flags,
        seq: segment.seq.wrapping_add(isn),
        ack: if segment.has(TcpFlags::ACK) {
            segment.ack.wrapping_add(peer_isn)
        } else {
            0
        },
        window: segment.window,
        options: segment.options.clone(),
        payload: segment.payload.clone(),
    }
}

/// The bytes of an IPv4 or IPv6 packet carrying `packet` (checksums computed).
pub fn ip_packet(packet: &WirePacket) -> Result<Vec<u8>, String> {
    let mut header = TcpHeader::new(
        packet.source.port(),
        packet.destination.port(),
        packet.seq,
        packet.window,
    );
    let flags = packet.flags;
    header.fin = flags.has(TcpFlags::FIN);
    header.syn = flags.has(TcpFlags::SYN);
    header.rst = flags.has(TcpFlags::RST);
    header.psh = flags.has(TcpFlags::PSH);
    header.ack = flags.has(TcpFlags::ACK);
    header.urg = flags.has(TcpFlags::URG);
    header.ece = flags.has(TcpFlags::ECE);
    header.cwr = flags.has(TcpFlags::CWR);
    header.acknowledgment_number = packet.ack;
    header
        .set_options(&option_elements(packet))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let built = match (packet.source, packet.destination) {
        (SocketAddr::V4(from), SocketAddr::V4(to)) => {
            PacketBuilder::ipv4(from.ip().octets(), to.ip().octets(), TTL)
                .tcp_header(header)
                .write(&mut out, &packet.payload)
        }
        (from, to) => PacketBuilder::ipv6(v6(from.ip()), v6(to.ip()), TTL)
            .tcp_header(header)
            .write(&mut out, &packet.payload),
    };
    built.map_err(|e| e.to_string())?;
    Ok(out)
}

fn v6(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// The options in the order Linux sends them, padded with NOPs as it does.
fn option_elements(packet: &WirePacket) -> Vec<TcpOptionElement> {
    let options = &packet.options;
    let mut elements = Vec::new();
    if let Some(mss) = options.mss {
        elements.push(TcpOptionElement::MaximumSegmentSize(mss));
    }
    match (options.sack_permitted, options.timestamps) {
        (true, Some((value, echo))) => {
            elements.push(TcpOptionElement::SelectiveAcknowledgementPermitted);
            elements.push(TcpOptionElement::Timestamp(value, echo));
        }
        (false, Some((value, echo))) => {
            elements.extend([TcpOptionElement::Noop, TcpOptionElement::Noop]);
            elements.push(TcpOptionElement::Timestamp(value, echo));
        }
        (true, None) => elements.extend([
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
            TcpOptionElement::SelectiveAcknowledgementPermitted,
        ]),
        (false, None) => {}
    }
    if let Some(scale) = options.window_scale {
        elements.extend([TcpOptionElement::Noop, TcpOptionElement::WindowScale(scale)]);
    }
    if let Some((&first, rest)) = options.sack.split_first() {
        let mut more = [None; 3];
        for (slot, block) in more.iter_mut().zip(rest) {
            *slot = Some(*block);
        }
        let blocks = 1 + rest.len().min(3);
        let room = 40 - elements_len(&elements);
        if 2 + 2 + 8 * blocks <= room {
            elements.extend([TcpOptionElement::Noop, TcpOptionElement::Noop]);
            elements.push(TcpOptionElement::SelectiveAcknowledgement(first, more));
        }
    }
    elements
}

fn elements_len(elements: &[TcpOptionElement]) -> usize {
    elements
        .iter()
        .map(|e| match e {
            TcpOptionElement::Noop => 1,
            TcpOptionElement::MaximumSegmentSize(_) => 4,
            TcpOptionElement::WindowScale(_) => 3,
            TcpOptionElement::SelectiveAcknowledgementPermitted => 2,
            TcpOptionElement::SelectiveAcknowledgement(_, more) => {
                10 + 8 * more.iter().flatten().count()
            }
            TcpOptionElement::Timestamp(..) => 10,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::packets::TcpOptions;
    use crate::wire::packets::decode::decode;

    #[test]
    fn options_survive_the_round_trip_within_forty_bytes() {
        let options = TcpOptions {
            mss: Some(65495),
            window_scale: Some(7),
            sack_permitted: true,
            sack: vec![],
            timestamps: Some((10, 0)),
        };
        let packet = WirePacket {
            source: "[::1]:40000".parse().unwrap(),
            destination: "[::1]:6789".parse().unwrap(),
            flags: TcpFlags(TcpFlags::SYN),
            seq: 42,
            ack: 0,
            window: 65483,
            options,
            payload: Vec::new(),
        };
        let bytes = ip_packet(&packet).unwrap();
        assert_eq!(decode(&bytes), Some(packet));
    }

    #[test]
    fn a_file_starts_with_a_section_header_and_says_what_it_holds() {
        let bytes = pcapng(&[], "httplab probe").unwrap();
        assert_eq!(&bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("httplab probe: 0 TCP conversation(s)"));
    }
}
