//! `serve --record DIR`: the server's side of each connection — what it read and wrote, the
//! FINs and resets, and its TCP segments, captured on loopback when permitted (else
//! reconstructed) — written to one file per connection, `DIR/NNNN-ADDRESS-PORT.txt` (the
//! transcript and the ladder), with the capture beside it as `.pcapng`.
//!
//! Recording is the thread model's business only (`--record` selects it, as `--flaw` does),
//! through an `Option` the driver passes: without `--record` the server does what it did.
//! Bytes sent with `sendfile` are read back from the file, for the transcript.

use std::fs::File;
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::wire::packets::capture::{NoCapture, unix_now_us};
use crate::wire::packets::ladder;
use crate::wire::packets::pcapng::pcapng;
use crate::wire::packets::reconstruct::{Assumed, LOOPBACK_MSS, reconstruct};
use crate::wire::packets::watch::ServerCapture;
use crate::wire::transcript::{Event, EventKind, RenderOptions, Transcript};

/// How long a connection's thread waits, after its close, for the close on the wire.
const CLOSE_GRACE: Duration = Duration::from_millis(50);
/// Bytes of a file sent with `sendfile` kept in the transcript (the rest is counted only).
const FILE_BYTES_KEPT: u64 = 4 * 1024 * 1024;

/// What every recorded connection of a server shares: the folder, a counter, the capture.
pub struct RecordSink {
    dir: PathBuf,
    next: AtomicU64,
    capture: Result<ServerCapture, NoCapture>,
}

impl RecordSink {
    /// Creates `dir` and starts capturing `server`'s conversations when permitted.
    pub fn start(dir: &Path, server: SocketAddr) -> std::io::Result<RecordSink> {
        std::fs::create_dir_all(dir)?;
        Ok(RecordSink {
            dir: dir.to_path_buf(),
            next: AtomicU64::new(1),
            capture: ServerCapture::start(server),
        })
    }

    /// Whether packets are captured, or why not.
    pub fn capturing(&self) -> Result<(), String> {
        self.capture.as_ref().map(|_| ()).map_err(NoCapture::why)
    }

    /// A record for a connection just accepted from `peer` on `local`.
    pub fn connection(&self, local: SocketAddr, peer: SocketAddr) -> ConnectionRecord<'_> {
        let started_unix_us = match &self.capture {
            Ok(capture) => capture.first_seen(peer).unwrap_or_else(unix_now_us),
            Err(_) => unix_now_us(),
        };
        let mut record = ConnectionRecord {
            sink: self,
            peer,
            started_unix_us,
            transcript: Transcript::of_server(local.to_string()),
            pending: None,
        };
        record.event(EventKind::Connect {
            local: local.to_string(),
            remote: peer.to_string(),
        });
        record
    }
}

/// What a transmit carried, noted before it went out.
pub enum Outgoing<'a> {
    Bytes(&'a [u8]),
    File { file: &'a File, offset: u64 },
}

/// One connection being recorded.
pub struct ConnectionRecord<'a> {
    sink: &'a RecordSink,
    peer: SocketAddr,
    started_unix_us: u64,
    transcript: Transcript,
    pending: Option<Pending>,
}

enum Pending {
    Bytes(Vec<u8>),
    File { file: File, offset: u64 },
}

impl ConnectionRecord<'_> {
    fn event(&mut self, kind: EventKind) {
        let at_us = unix_now_us().saturating_sub(self.started_unix_us);
        self.transcript.events.push(Event { at_us, kind });
    }

    /// `bytes` arrived from the client (empty: the client closed its side).
    pub fn read(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            self.event(EventKind::PeerClosed);
        } else {
            self.event(EventKind::Read {
                bytes: bytes.to_vec(),
            });
        }
    }

    pub fn reset(&mut self) {
        self.event(EventKind::Reset);
    }

    /// What the next write will carry.
    pub fn will_send(&mut self, outgoing: Outgoing<'_>) {
        self.pending = match outgoing {
            Outgoing::Bytes(bytes) => Some(Pending::Bytes(bytes.to_vec())),
            Outgoing::File { file, offset } => file
                .try_clone()
                .ok()
                .map(|file| Pending::File { file, offset }),
        };
    }

    /// The write went: `count` bytes of what was noted (`None`: the half-close).
    pub fn sent(&mut self, count: Option<usize>) {
        let Some(count) = count else {
            self.event(EventKind::Shutdown);
            return;
        };
        let bytes = match self.pending.take() {
            Some(Pending::Bytes(mut bytes)) => {
                bytes.truncate(count);
                bytes
            }
            Some(Pending::File { file, offset }) => {
                let mut bytes = vec![0u8; count.min(FILE_BYTES_KEPT as usize)];
                let read = file.read_at(&mut bytes, offset).unwrap_or(0);
                bytes.truncate(read);
                bytes
            }
            None => Vec::new(),
        };
        self.event(EventKind::Write { bytes });
    }

    /// The connection is closed: its packets are taken and both files written.
    pub fn finish(mut self) {
        self.event(EventKind::Close);
        let packets = match &self.sink.capture {
            Ok(capture) => capture
                .take(self.peer, CLOSE_GRACE, self.started_unix_us)
                .filter(|p| !p.segments.is_empty())
                .ok_or_else(|| NoCapture::Failed("the capture saw no packet of it".into())),
            Err(why) => Err(why.clone()),
        };
        let packets = packets.unwrap_or_else(|why| {
            let assumed = Assumed {
                mss: LOOPBACK_MSS,
                started_unix_us: self.started_unix_us,
                why: why.why(),
            };
            reconstruct(&self.transcript, &assumed)
        });
        let number = self.sink.next.fetch_add(1, Ordering::Relaxed);
        let stem = format!(
            "{number:04}-{}-{}",
            self.peer.ip().to_string().replace(':', "_"),
            self.peer.port()
        );
        let mut text = self.transcript.render(RenderOptions::FULL);
        text.push_str(&ladder::render(&packets, self.transcript.recorded_by, true));
        write(&self.sink.dir.join(format!("{stem}.txt")), text.as_bytes());
        match pcapng(&[&packets], "httplab serve --record") {
            Ok(bytes) => write(&self.sink.dir.join(format!("{stem}.pcapng")), &bytes),
            Err(error) => eprintln!("httplab: {stem}: {error}"),
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    if let Err(error) = std::fs::write(path, bytes) {
        eprintln!("httplab: cannot write {}: {error}", path.display());
    }
}
