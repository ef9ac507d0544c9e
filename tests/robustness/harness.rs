//! The robustness tests' toolbox: the gate that keeps timing-sensitive tests apart from
//! CPU-heavy ones, a few raw clients of their own (pieces with pauses, a reset on close, a
//! response head alone), patterned large files, and, re-exported from `tests/common` so that
//! each section imports from one place, the server binary as its own process ([`Served`],
//! which reads `/proc/PID/{fd,status}`) and the raw client (connect, fetch, the response
//! reader).

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::{self, sleep};
use std::time::Duration;

pub use crate::common::binary::Served;
pub use crate::common::client::{
    HELLO, connect, distribution, fetch, get, get_and_close, read_until_closed,
};
pub use crate::common::parse_responses;
use crate::common::{RawResponse, read_response};

pub const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Keeping timing-sensitive tests away from CPU-heavy ones (the machine may have two cores).

static GATE: RwLock<()> = RwLock::new(());

/// For tests that measure a latency and are light themselves: they may run together.
pub fn measures_latency() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// For tests that load the CPU (or measure latency while doing so): they run alone among the
/// gated tests.
pub fn heavy() -> RwLockWriteGuard<'static, ()> {
    GATE.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// Clients.

/// Sends `pieces` (with a short pause between them) and reads every answer until the close.
pub fn exchange(addr: SocketAddr, pieces: &[&[u8]]) -> (Vec<u8>, bool) {
    let mut stream = connect(addr);
    let mut writer = stream.try_clone().unwrap();
    let owned: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
    let sending = thread::spawn(move || {
        for (i, piece) in owned.iter().enumerate() {
            if i > 0 {
                sleep(Duration::from_millis(5));
            }
            // Past a refusal the server may stop reading and reset: a write may fail.
            if writer.write_all(piece).is_err() {
                return;
            }
        }
    });
    let result = read_until_closed(&mut stream, Duration::from_secs(8));
    let _ = sending.join();
    result
}

/// SO_LINGER {on, 0}: closing the socket sends a reset instead of a FIN.
pub fn reset_on_close(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a pointer to a linger struct of the size given.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER)");
}

pub fn max(samples: &[Duration]) -> Duration {
    samples.iter().copied().max().unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Large files: 1 MiB blocks, each starting with its own number, so a byte out of place shows.

pub fn pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..MIB)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 9)) as u8)
            .collect()
    })
}

pub fn block_label(block: usize) -> [u8; 16] {
    let mut label = [b' '; 16];
    let text = format!("block {block:09}\n");
    label.copy_from_slice(text.as_bytes());
    label
}

/// Writes a file of `mib` patterned blocks.
pub fn write_patterned(path: &Path, mib: usize) {
    let mut file = std::io::BufWriter::new(File::create(path).unwrap());
    for block in 0..mib {
        file.write_all(&block_label(block)).unwrap();
        file.write_all(&pattern()[16..]).unwrap();
    }
    file.flush().unwrap();
}

/// A file of `mib` MiB with no data blocks (reads as zeros): cheap to make.
pub fn write_sparse(path: &Path, mib: usize) {
    File::create(path)
        .unwrap()
        .set_len((mib * MIB) as u64)
        .unwrap();
}

/// Whether `data`, found at `offset` of a patterned file, is what the file holds there.
pub fn matches_pattern(mut offset: usize, mut data: &[u8]) -> bool {
    while !data.is_empty() {
        let block = offset / MIB;
        let at = offset % MIB;
        let take = data.len().min(MIB - at);
        let (piece, rest) = data.split_at(take);
        let label = block_label(block);
        let label_part = 16usize.saturating_sub(at).min(take);
        if label_part > 0 && piece[..label_part] != label[at..at + label_part] {
            return false;
        }
        if piece[label_part..] != pattern()[at + label_part..at + take] {
            return false;
        }
        offset += take;
        data = rest;
    }
    true
}

/// Reads a response head off `stream`; returns it (with no body) and the body bytes that came
/// with it.
pub fn read_head(stream: &mut TcpStream) -> (RawResponse, Vec<u8>) {
    let mut rest = Vec::new();
    let head = read_response(stream, &mut rest, true);
    (head, rest)
}
