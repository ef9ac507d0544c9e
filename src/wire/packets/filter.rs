//! The classic BPF program the kernel runs on each packet of `lo` before it reaches the
//! capture, pure: only TCP over IPv4 or IPv6 between the conversation's ports is let
//! through, and each packet only once (loopback shows every packet twice to a packet
//! socket, as it leaves and as it arrives: the leaving copy, `PACKET_OUTGOING`, is dropped,
//! as libpcap does on `lo`). The socket is a datagram one, so the program sees the IP
//! header at offset 0.
//!
//! A tiny assembler with labels keeps the program readable; the tests run it in a tiny
//! interpreter, so the filter is proven without a socket.

/// One classic BPF instruction (`struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcodes (linux/filter.h, linux/bpf_common.h).
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const LD_H_IND: u16 = 0x48;
const LDX_B_MSH: u16 = 0xb1;
const LDX_IMM: u16 = 0x01;
const AND_K: u16 = 0x54;
const JA: u16 = 0x05;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;
/// `SKF_AD_OFF + SKF_AD_PKTTYPE`: loads the packet's type instead of a byte of it.
const PKTTYPE: u32 = 0xffff_f000 + 4;
const PACKET_OUTGOING: u32 = 4;
const TCP: u32 = 6;

/// Where a jump goes: the next instruction, or a label.
#[derive(Clone, Copy)]
enum To {
    Next,
    Label(&'static str),
}

enum Line {
    Op(u16, u32, To, To),
    Label(&'static str),
}

fn op(code: u16, k: u32) -> Line {
    Line::Op(code, k, To::Next, To::Next)
}

fn jump(code: u16, k: u32, yes: To, no: To) -> Line {
    Line::Op(code, k, yes, no)
}

/// The program for a conversation on `server_port`: with `client_port`, only the packets
/// between those two ports; without, every packet to or from `server_port` (a server's own
/// capture, which learns each client from its SYN). Accepted packets are kept whole up to
/// `snap` bytes.
pub fn program(server_port: u16, client_port: Option<u16>, snap: u32) -> Vec<Instruction> {
    use To::{Label as L, Next};
    let (s, drop, ok) = (u32::from(server_port), L("drop"), L("accept"));
    let mut lines = vec![
        op(LD_W_ABS, PKTTYPE),
        jump(JEQ_K, PACKET_OUTGOING, drop, Next),
        op(LD_B_ABS, 0),
        op(AND_K, 0xf0),
        jump(JEQ_K, 0x40, L("v4"), Next),
        jump(JEQ_K, 0x60, L("v6"), drop),
        Line::Label("v6"),
        op(LD_B_ABS, 6), // next header: TCP, with no extension header on loopback
        jump(JEQ_K, TCP, Next, drop),
        op(LDX_IMM, 40),
        jump(JA, 0, Next, Next), // patched below to jump to "ports"
        Line::Label("v4"),
        op(LD_B_ABS, 9),
        jump(JEQ_K, TCP, Next, drop),
        op(LD_H_ABS, 6),
        jump(JSET_K, 0x1fff, drop, Next), // a fragment after the first: no TCP header
        op(LDX_B_MSH, 0),                 // X = the IPv4 header's length
        Line::Label("ports"),
        op(LD_H_IND, 0),
    ];
    match client_port.map(u32::from) {
        None => lines.extend([
            jump(JEQ_K, s, ok, Next),
            op(LD_H_IND, 2),
            jump(JEQ_K, s, ok, drop),
        ]),
        Some(c) => lines.extend([
            jump(JEQ_K, s, L("to_client"), Next),
            jump(JEQ_K, c, L("to_server"), drop),
            Line::Label("to_client"),
            op(LD_H_IND, 2),
            jump(JEQ_K, c, ok, drop),
            Line::Label("to_server"),
            op(LD_H_IND, 2),
            jump(JEQ_K, s, ok, drop),
        ]),
    }
    lines.extend([
        Line::Label("accept"),
        op(RET_K, snap),
        Line::Label("drop"),
        op(RET_K, 0),
    ]);
    assemble(&lines)
}

/// Resolves the labels into forward offsets (the only jumps classic BPF has).
fn assemble(lines: &[Line]) -> Vec<Instruction> {
    let mut labels = Vec::new();
    let mut count = 0usize;
    for line in lines {
        match line {
            Line::Label(name) => labels.push((*name, count)),
            Line::Op(..) => count += 1,
        }
    }
    let at = |name: &str| {
        labels
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, i)| *i)
    };
    let mut out = Vec::with_capacity(count);
    for line in lines {
        let Line::Op(code, k, yes, no) = line else {
            continue;
        };
        let here = out.len();
        let offset = |to: &To| match to {
            To::Next => 0,
            To::Label(name) => at(name).saturating_sub(here + 1),
        };
        let instruction = if *code == JA {
            Instruction {
                code: JA,
                jt: 0,
                jf: 0,
                k: at("ports").saturating_sub(here + 1) as u32,
            }
        } else {
            Instruction {
                code: *code,
                jt: offset(yes) as u8,
                jf: offset(no) as u8,
                k: *k,
            }
        };
        out.push(instruction);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::packets::TcpFlags;
    use crate::wire::packets::decode::WirePacket;
    use crate::wire::packets::pcapng::ip_packet;

    /// Runs `program` on `packet` as the kernel would, for the opcodes it uses.
    fn run(program: &[Instruction], packet: &[u8], pkttype: u32) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let byte = |i: usize| u32::from(packet.get(i).copied().unwrap_or(0));
        let half = |i: usize| byte(i) << 8 | byte(i + 1);
        while let Some(i) = program.get(pc) {
            pc += 1;
            let jump = |taken: bool| usize::from(if taken { i.jt } else { i.jf });
            match i.code {
                LD_W_ABS if i.k == PKTTYPE => a = pkttype,
                LD_H_ABS => a = half(i.k as usize),
                LD_B_ABS => a = byte(i.k as usize),
                LD_H_IND => a = half((x + i.k) as usize),
                LDX_B_MSH => x = (byte(i.k as usize) & 0xf) * 4,
                LDX_IMM => x = i.k,
                AND_K => a &= i.k,
                JA => pc += i.k as usize,
                JEQ_K => pc += jump(a == i.k),
                JSET_K => pc += jump(a & i.k != 0),
                RET_K => return i.k,
                other => panic!("opcode {other:#x} not interpreted"),
            }
        }
        panic!("the program fell off its end")
    }

    fn packet(from: &str, to: &str) -> Vec<u8> {
        ip_packet(&WirePacket {
            source: from.parse().unwrap(),
            destination: to.parse().unwrap(),
            flags: TcpFlags(TcpFlags::ACK),
            seq: 1,
            ack: 1,
            window: 1,
            options: Default::default(),
            payload: b"hi".to_vec(),
        })
        .unwrap()
    }

    #[test]
    fn only_the_conversation_passes_once_in_v4_and_v6() {
        let conversation = program(6789, Some(50000), 9000);
        for (client, server, other) in [
            ("127.0.0.1:50000", "127.0.0.1:6789", "127.0.0.1:50001"),
            ("[::1]:50000", "[::1]:6789", "[::1]:50001"),
        ] {
            assert_eq!(run(&conversation, &packet(client, server), 0), 9000);
            assert_eq!(run(&conversation, &packet(server, client), 0), 9000);
            assert_eq!(run(&conversation, &packet(client, server), 4), 0);
            assert_eq!(run(&conversation, &packet(other, server), 0), 0);
            assert_eq!(run(&conversation, &packet(server, other), 0), 0);
            let everyone = program(6789, None, 9000);
            assert_eq!(run(&everyone, &packet(other, server), 0), 9000);
            assert_eq!(run(&everyone, &packet(server, other), 0), 9000);
            assert_eq!(run(&everyone, &packet(other, client), 0), 0);
        }
    }

    #[test]
    fn other_protocols_and_fragments_are_dropped() {
        let conversation = program(6789, Some(50000), 9000);
        let mut udp = packet("127.0.0.1:50000", "127.0.0.1:6789");
        udp[9] = 17;
        assert_eq!(run(&conversation, &udp, 0), 0);
        let mut fragment = packet("127.0.0.1:50000", "127.0.0.1:6789");
        fragment[7] = 8;
        assert_eq!(run(&conversation, &fragment, 0), 0);
        assert_eq!(run(&conversation, b"\x00", 0), 0);
    }
}
