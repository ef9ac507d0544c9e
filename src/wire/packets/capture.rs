//! Capturing one conversation's segments on the loopback interface.
//!
//! Mechanism: an `AF_PACKET` datagram socket with a classic BPF program ([`super::filter`]),
//! rather than libpcap through the `pcap` crate: it needs no C library at build time (CI is
//! a fresh Debian machine, and the project has no C dependency), and the few system calls
//! are plain `libc`. The program is attached before the socket is bound, so no unfiltered
//! packet is ever queued; the kernel passes only the conversation's TCP packets, each once.
//! The client's port is known before its SYN leaves because the client's socket is bound
//! first (port 0), then connected (see `wire::connection`).
//!
//! A [`Tap`] is the socket; a [`Capture`] reads one on its own thread into an
//! [`Assembler`], bounded in segments and bytes, until the owner has closed the connection
//! and the close is complete on the wire (or a short grace has passed). Every wait is
//! bounded: the thread polls in steps of [`STEP`] and stops by itself when asked, when its
//! owner is gone, or at [`MAX_LIFETIME`].

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Packets;
use super::decode::{Assembler, decode};

/// The interface captured: httplab captures its own loopback conversations only.
pub const INTERFACE: &str = "lo";
/// How long the capture thread sleeps in one wait for packets.
pub const STEP: Duration = Duration::from_millis(5);
/// How much longer than its grace a finishing capture may take to hand its segments over.
const FINISH_MARGIN: Duration = Duration::from_secs(1);
/// A capture nobody finished ends by itself after this long.
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// The largest packet kept: `lo`'s MTU is 64 KiB, and a GSO packet is at most 64 KiB of IP.
pub const SNAP: u32 = 256 * 1024;
/// The environment variable that turns capture off (any non-empty value): the tests use it
/// to see the reconstruction.
pub const NO_CAPTURE_ENV: &str = "HTTPLAB_NO_CAPTURE";

/// Why no capture runs; the reconstruction says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoCapture {
    /// Capturing needs root or `CAP_NET_RAW`.
    NotPermitted,
    /// Turned off (`--no-capture`, or `HTTPLAB_NO_CAPTURE`).
    Off,
    /// The server is not on this machine's loopback interface.
    NotLoopback,
    /// The system refused for another reason.
    Failed(String),
}

impl NoCapture {
    pub fn why(&self) -> String {
        match self {
            NoCapture::NotPermitted => {
                "capturing packets needs root or CAP_NET_RAW (sudo, or setcap cap_net_raw+ep on httplab)".into()
            }
            NoCapture::Off => format!("capture turned off (--no-capture or {NO_CAPTURE_ENV})"),
            NoCapture::NotLoopback => {
                "httplab captures on the loopback interface only, and the server is elsewhere".into()
            }
            NoCapture::Failed(message) => format!("the capture could not start: {message}"),
        }
    }
}

/// Whether the environment turned capture off.
pub fn turned_off_by_environment() -> bool {
    std::env::var_os(NO_CAPTURE_ENV).is_some_and(|v| !v.is_empty())
}

/// Microseconds since the Unix epoch, now.
pub fn unix_now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// A packet socket on `lo` that the kernel feeds through a BPF program.
pub struct Tap {
    #[cfg(target_os = "linux")]
    fd: std::os::fd::OwnedFd,
    /// Ends a wait for packets early (the owner wants the capture to finish).
    pub waker: Arc<Waker>,
}

/// An `eventfd` that a wait for packets also watches.
pub struct Waker {
    #[cfg(target_os = "linux")]
    fd: Option<std::os::fd::OwnedFd>,
}

impl Waker {
    pub fn wake(&self) {
        sys::wake(self);
    }
}

impl Tap {
    /// Opens a tap for `server_port` (and `client_port`, when known).
    pub fn open(server: SocketAddr, client_port: Option<u16>) -> Result<Tap, NoCapture> {
        if turned_off_by_environment() {
            return Err(NoCapture::Off);
        }
        if !server.ip().is_loopback() && !server.ip().is_unspecified() {
            return Err(NoCapture::NotLoopback);
        }
        let program = super::filter::program(server.port(), client_port, SNAP);
        sys::open(&program)
    }

    /// The next packet, waiting at most `wait`: its IP bytes and when the kernel saw it
    /// (µs since the Unix epoch); `None` when nothing came.
    pub fn next(&self, buffer: &mut [u8], wait: Duration) -> Option<(usize, u64)> {
        sys::next(self, buffer, wait)
    }
}

/// The owner's wishes, shared with the capture thread.
struct Control {
    /// µs after `born` when the owner asked to finish (0: not yet).
    finish_after_us: AtomicU64,
    /// How long after that the thread may wait for the close, in µs.
    grace_us: AtomicU64,
    abandoned: AtomicBool,
    born: Instant,
}

/// One conversation being captured on its own thread.
pub struct Capture {
    control: Arc<Control>,
    /// Wakes the thread from its wait for packets.
    tap_wake: Arc<Waker>,
    /// Where the thread hands the segments over, before it closes the socket.
    packets: mpsc::Receiver<Packets>,
}

impl Capture {
    /// Starts capturing the conversation from `client` (its IP may be unspecified, its port
    /// not) to `server`, before the SYN. Times are counted from `started_unix_us`.
    pub fn start(
        client: SocketAddr,
        server: SocketAddr,
        started_unix_us: u64,
    ) -> Result<Capture, NoCapture> {
        let tap = Tap::open(server, Some(client.port()))?;
        let control = Arc::new(Control {
            finish_after_us: AtomicU64::new(0),
            grace_us: AtomicU64::new(0),
            abandoned: AtomicBool::new(false),
            born: Instant::now(),
        });
        let assembler = Assembler::new(client, server, started_unix_us);
        let shared = control.clone();
        let waker = tap.waker.clone();
        let (hand_over, packets) = mpsc::sync_channel(1);
        thread::Builder::new()
            .name("httplab-capture".into())
            .spawn(move || {
                let _ = hand_over.send(run(&tap, assembler, &shared));
                // Closing a packet socket waits for the kernel's RCU grace period (several
                // ms): it happens here, after the owner has its segments.
                drop(tap);
            })
            .map_err(|e| NoCapture::Failed(e.to_string()))?;
        Ok(Capture {
            control,
            tap_wake: waker,
            packets,
        })
    }

    /// After the owner's close: waits for the close to complete on the wire (at most
    /// `grace`), stops, and gives the segments.
    pub fn finish(self, grace: Duration) -> Option<Packets> {
        let now = self.control.born.elapsed().as_micros() as u64;
        self.control
            .grace_us
            .store(grace.as_micros() as u64, Ordering::Release);
        self.control
            .finish_after_us
            .store(now.max(1), Ordering::Release);
        self.tap_wake.wake();
        self.packets.recv_timeout(grace + FINISH_MARGIN).ok()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.control.abandoned.store(true, Ordering::Release);
        self.tap_wake.wake();
    }
}

/// The capture thread: packets into the assembler until it is time to stop.
fn run(tap: &Tap, mut assembler: Assembler, control: &Control) -> Packets {
    let mut buffer = vec![0u8; SNAP as usize];
    loop {
        let now = control.born.elapsed();
        let asked = control.finish_after_us.load(Ordering::Acquire);
        if asked > 0 {
            let grace = control.grace_us.load(Ordering::Acquire);
            let waited = (now.as_micros() as u64).saturating_sub(asked);
            if assembler.is_over() || waited >= grace {
                break;
            }
        }
        if control.abandoned.load(Ordering::Acquire) || now >= MAX_LIFETIME {
            break;
        }
        if let Some((len, at)) = tap.next(&mut buffer, STEP)
            && let Some(packet) = decode(&buffer[..len])
        {
            // A packet of another conversation cannot pass the filter; if one did, the
            // assembler leaves it out.
            let _ = assembler.add(packet, at);
        }
    }
    assembler.finish(INTERFACE)
}

#[cfg(target_os = "linux")]
mod sys;

#[cfg(not(target_os = "linux"))]
#[path = "capture/sys_other.rs"]
mod sys;
