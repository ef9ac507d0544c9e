//! Capturing every conversation with one server port (`serve --record`): a server learns of
//! a connection only at `accept`, after the handshake, so one capture runs for the server's
//! whole life, filtered in the kernel to its port, and keeps each client's conversation from
//! its SYN on; the connection's thread takes it when the connection ends.
//!
//! Bounded: at most [`MAX_CONVERSATIONS`] kept at once (new ones past it are not captured),
//! each within the [`Assembler`]'s bounds; conversations nobody took are forgotten
//! [`FORGET_AFTER`] after they are over. Every wait is bounded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use super::Packets;
use super::TcpFlags;
use super::capture::{INTERFACE, NoCapture, SNAP, STEP, Tap};
use super::decode::{Assembler, decode};

/// Conversations kept at once.
pub const MAX_CONVERSATIONS: usize = 256;
/// A conversation over and not taken is forgotten after this long.
pub const FORGET_AFTER: Duration = Duration::from_secs(10);

/// One client's conversation, with when it was first seen.
struct Kept {
    assembler: Assembler,
    first_unix_us: u64,
    over_since: Option<Instant>,
}

struct State {
    conversations: Mutex<HashMap<SocketAddr, Kept>>,
    stop: AtomicBool,
}

/// The capture of every conversation with a server port, on its own thread until dropped.
pub struct ServerCapture {
    state: Arc<State>,
    waker: Arc<super::capture::Waker>,
}

fn lock(state: &State) -> MutexGuard<'_, HashMap<SocketAddr, Kept>> {
    state
        .conversations
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl ServerCapture {
    /// Starts capturing every conversation with `server`.
    pub fn start(server: SocketAddr) -> Result<ServerCapture, NoCapture> {
        let tap = Tap::open(server, None)?;
        let state = Arc::new(State {
            conversations: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let waker = tap.waker.clone();
        let shared = state.clone();
        thread::Builder::new()
            .name("httplab-record-capture".into())
            .spawn(move || run(&tap, server, &shared))
            .map_err(|e| NoCapture::Failed(e.to_string()))?;
        Ok(ServerCapture { state, waker })
    }

    /// When the SYN of `client`'s conversation was seen (µs since the Unix epoch).
    pub fn first_seen(&self, client: SocketAddr) -> Option<u64> {
        lock(&self.state).get(&client).map(|k| k.first_unix_us)
    }

    /// The conversation of `client`, once it is over on the wire or `grace` has passed;
    /// times counted from `started_unix_us`.
    pub fn take(
        &self,
        client: SocketAddr,
        grace: Duration,
        started_unix_us: u64,
    ) -> Option<Packets> {
        let deadline = Instant::now() + grace;
        loop {
            let over = lock(&self.state)
                .get(&client)
                .is_none_or(|k| k.assembler.is_over());
            if over || Instant::now() >= deadline {
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        let kept = lock(&self.state).remove(&client)?;
        let mut packets = kept.assembler.finish(INTERFACE);
        for segment in &mut packets.segments {
            segment.at_us = packets
                .started_unix_us
                .saturating_add(segment.at_us)
                .saturating_sub(started_unix_us);
        }
        packets.started_unix_us = started_unix_us;
        Some(packets)
    }
}

impl Drop for ServerCapture {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// The capture thread: each packet to its client's conversation, a new one on each SYN.
fn run(tap: &Tap, server: SocketAddr, state: &State) {
    let mut buffer = vec![0u8; SNAP as usize];
    let mut last_sweep = Instant::now();
    while !state.stop.load(Ordering::Acquire) {
        if last_sweep.elapsed() >= Duration::from_secs(1) {
            last_sweep = Instant::now();
            lock(state).retain(|_, k| k.over_since.is_none_or(|t| t.elapsed() < FORGET_AFTER));
        }
        let Some((len, at)) = tap.next(&mut buffer, STEP) else {
            continue;
        };
        let Some(packet) = decode(&buffer[..len]) else {
            continue;
        };
        let client = if packet.destination.port() == server.port() {
            packet.source
        } else {
            packet.destination
        };
        let mut conversations = lock(state);
        let opening = packet.flags.0 & (TcpFlags::SYN | TcpFlags::ACK) == TcpFlags::SYN;
        if opening && conversations.len() < MAX_CONVERSATIONS {
            // A new SYN from the same address and port starts the conversation afresh.
            let assembler = Assembler::new(client, server_seen(&packet, server), 0);
            conversations.insert(
                client,
                Kept {
                    assembler,
                    first_unix_us: at,
                    over_since: None,
                },
            );
        }
        if let Some(kept) = conversations.get_mut(&client) {
            let _ = kept.assembler.add(packet, at);
            if kept.over_since.is_none() && kept.assembler.is_over() {
                kept.over_since = Some(Instant::now());
            }
        }
    }
}

/// The server's address as the packets give it (a server bound to 0.0.0.0 is reached at
/// 127.0.0.1 or another loopback address).
fn server_seen(packet: &super::decode::WirePacket, server: SocketAddr) -> SocketAddr {
    if packet.destination.port() == server.port() {
        packet.destination
    } else {
        packet.source
    }
}
