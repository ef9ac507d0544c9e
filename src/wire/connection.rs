//! A TCP connection that records every connect, write, read and close into a [`Transcript`],
//! and its TCP segments ([`Packets`](super::packets::Packets)): captured, or reconstructed.

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::dial::{CLOSE_GRACE, Capturing, Dialled, NotDialled, connect_to_any, resolve};
use super::packets::capture::{Capture, NoCapture, unix_now_us};
use super::packets::reconstruct::{Assumed, LOOPBACK_MSS, reconstruct};
use super::transcript::{Event, EventKind, Transcript};

/// Bytes asked of the kernel per read.
const READ_SIZE: usize = 64 * 1024;

/// Why no connection was made.
#[derive(Debug)]
pub enum ConnectError {
    /// The host name did not resolve.
    Resolve {
        host: String,
        message: String,
    },
    /// Every address refused: nothing listens there.
    Refused {
        addr: SocketAddr,
    },
    /// No answer to the connection attempt in time.
    TimedOut {
        addr: SocketAddr,
        after: Duration,
    },
    Other {
        addr: String,
        error: io::Error,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Resolve { host, message } => {
                write!(f, "cannot resolve the host name {host:?}: {message}")
            }
            ConnectError::Refused { addr } => {
                write!(f, "nothing listens on {addr} — is your server running?")
            }
            ConnectError::TimedOut { addr, after } => write!(
                f,
                "no answer from {addr} within {:.1} s — is the address right, and is a firewall in the way?",
                after.as_secs_f64()
            ),
            ConnectError::Other { addr, error } => write!(f, "cannot connect to {addr}: {error}"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// What one read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// This many bytes (appended to the caller's buffer).
    Bytes(usize),
    /// The server closed its side.
    PeerClosed,
    /// The server reset the connection.
    Reset,
    /// Nothing arrived in time.
    TimedOut,
    /// Another error (recorded in the transcript).
    Failed,
}

/// A connected socket and the record of everything done with it.
pub struct RecordingStream {
    stream: TcpStream,
    started: Instant,
    /// The same moment on the wall clock, for the packets' times.
    started_unix_us: u64,
    /// The capture of this connection's packets, or why there is none.
    capture: Result<Capture, NoCapture>,
    transcript: Transcript,
    /// Bytes read so far: past `read_limit`, reading stops.
    received: u64,
    read_limit: u64,
}

/// The most one connection reads (and records) unless told otherwise: a server that streams
/// without end would otherwise fill httplab's memory through the transcript.
pub const MAX_RECEIVED: u64 = 64 * 1024 * 1024;

impl RecordingStream {
    /// Connects to `host:port` (IPv4, IPv6 or a name), trying each address in turn, and
    /// captures the packets when allowed.
    // The transcript of a failed attempt is the point of the error (probe prints it).
    #[allow(clippy::result_large_err)]
    pub fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<RecordingStream, (ConnectError, Transcript)> {
        RecordingStream::connect_with(host, port, timeout, Capturing::WhenAllowed)
    }

    /// As [`connect`](Self::connect), capturing the packets or not as `capturing` says.
    // The transcript of a failed attempt is the point of the error (probe prints it).
    #[allow(clippy::result_large_err)]
    pub fn connect_with(
        host: &str,
        port: u16,
        timeout: Duration,
        capturing: Capturing,
    ) -> Result<RecordingStream, (ConnectError, Transcript)> {
        let started = Instant::now();
        let started_unix_us = unix_now_us();
        let mut transcript = Transcript::new(display_target(host, port));
        let connected = match resolve(host, port) {
            Ok(addrs) => connect_to_any(host, addrs, timeout, capturing, started_unix_us)
                .map_err(|e| ("connecting", e)),
            Err(error) => Err((
                "resolving",
                NotDialled {
                    error,
                    packets: None,
                    no_capture: None,
                },
            )),
        };
        match connected {
            Ok(Dialled {
                stream,
                addr,
                capture,
            }) => {
                let local = stream
                    .local_addr()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                record(
                    &mut transcript,
                    started,
                    EventKind::Connect {
                        local,
                        remote: addr.to_string(),
                    },
                );
                let _ = stream.set_nodelay(true);
                Ok(RecordingStream {
                    stream,
                    started,
                    started_unix_us,
                    capture,
                    transcript,
                    received: 0,
                    read_limit: MAX_RECEIVED,
                })
            }
            Err((during, not)) => {
                record(
                    &mut transcript,
                    started,
                    EventKind::Error {
                        during: during.into(),
                        message: not.error.to_string(),
                    },
                );
                let why = not.no_capture.unwrap_or(NoCapture::NotLoopback);
                transcript.packets = Some(not.packets.unwrap_or_else(|| {
                    Box::new(reconstruct(
                        &transcript,
                        &assumed(LOOPBACK_MSS, started_unix_us, &why),
                    ))
                }));
                Err((not.error, transcript))
            }
        }
    }

    fn record(&mut self, kind: EventKind) {
        record(&mut self.transcript, self.started, kind);
    }

    /// Sends `bytes`, recording each `write` call the kernel accepted.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.stream.write(rest) {
                Ok(0) => {
                    let error = io::Error::from(ErrorKind::WriteZero);
                    self.record_error("writing", &error);
                    return Err(error);
                }
                Ok(n) => {
                    self.record(EventKind::Write {
                        bytes: rest[..n].to_vec(),
                    });
                    rest = &rest[n..];
                }
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    self.record_error("writing", &error);
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Sends `bytes` in pieces of `piece` bytes with `pause` between them: the request a
    /// server gets when it arrives in many TCP segments.
    pub fn send_in_pieces(
        &mut self,
        bytes: &[u8],
        piece: usize,
        pause: Duration,
    ) -> io::Result<()> {
        for (i, chunk) in bytes.chunks(piece.max(1)).enumerate() {
            if i > 0 {
                std::thread::sleep(pause);
            }
            self.send(chunk)?;
        }
        Ok(())
    }

    /// Reads at most `bytes` in all on this connection (and records no more).
    pub fn limit_reads(&mut self, bytes: u64) {
        self.read_limit = bytes;
    }

    /// One read, waiting at most `wait`; new bytes are appended to `into`.
    pub fn receive(&mut self, into: &mut Vec<u8>, wait: Duration) -> Received {
        if self.received >= self.read_limit {
            self.record(EventKind::Error {
                during: "reading".into(),
                message: format!(
                    "stopped after {} KiB: more than this conversation needs",
                    self.read_limit >> 10
                ),
            });
            return Received::Failed;
        }
        if self
            .stream
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .is_err()
        {
            return Received::Failed;
        }
        let filled = into.len();
        into.resize(filled + READ_SIZE, 0);
        let result = loop {
            match self.stream.read(&mut into[filled..]) {
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match result {
            Ok(0) => {
                into.truncate(filled);
                self.record(EventKind::PeerClosed);
                Received::PeerClosed
            }
            Ok(n) => {
                into.truncate(filled + n);
                self.received += n as u64;
                self.record(EventKind::Read {
                    bytes: into[filled..].to_vec(),
                });
                Received::Bytes(n)
            }
            Err(error) => {
                into.truncate(filled);
                match error.kind() {
                    ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                        self.record(EventKind::Timeout {
                            waited_ms: wait.as_millis() as u64,
                        });
                        Received::TimedOut
                    }
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
                        self.record(EventKind::Reset);
                        Received::Reset
                    }
                    _ => {
                        self.record_error("reading", &error);
                        Received::Failed
                    }
                }
            }
        }
    }

    /// Stops sending (FIN): the server sees end-of-file.
    pub fn shutdown_write(&mut self) {
        match self.stream.shutdown(Shutdown::Write) {
            Ok(()) => self.record(EventKind::Shutdown),
            Err(error) => self.record_error("shutting down", &error),
        }
    }

    fn record_error(&mut self, during: &str, error: &io::Error) {
        self.record(EventKind::Error {
            during: during.into(),
            message: error.to_string(),
        });
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Time since the connection attempt started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// TCP segments that carried data from the server so far, as the kernel counted them
    /// (Linux `TCP_INFO`): how the server cut its response into packets.
    pub fn data_segments_received(&self) -> Option<u32> {
        data_segments_in(&self.stream)
    }

    /// Closes the socket and returns the whole transcript, with its packets: those captured
    /// until the close was complete on the wire, or else reconstructed from the events.
    pub fn close(mut self) -> Transcript {
        self.transcript.data_segments_received = self.data_segments_received();
        let mss = max_segment_size(&self.stream).unwrap_or(LOOPBACK_MSS);
        self.record(EventKind::Close);
        let RecordingStream {
            stream,
            started_unix_us,
            capture,
            mut transcript,
            ..
        } = self;
        drop(stream);
        let (captured, why) = match capture {
            Ok(capture) => (
                capture.finish(CLOSE_GRACE),
                NoCapture::Failed("the capture saw no packet of this connection".into()),
            ),
            Err(why) => (None, why),
        };
        transcript.packets = Some(Box::new(
            match captured.filter(|p| !p.segments.is_empty()) {
                Some(packets) => packets,
                None => reconstruct(&transcript, &assumed(mss, started_unix_us, &why)),
            },
        ));
        transcript
    }
}

fn assumed(mss: u32, started_unix_us: u64, why: &NoCapture) -> Assumed {
    Assumed {
        mss,
        started_unix_us,
        why: why.why(),
    }
}

/// The MSS the connection advertised (`TCP_INFO`), for a reconstruction: `TCP_MAXSEG`
/// would give the current one, which Linux bounds by half the peer's window.
#[cfg(target_os = "linux")]
fn max_segment_size(stream: &TcpStream) -> Option<u32> {
    tcp_info(stream)
        .map(|info| info.tcpi_advmss)
        .filter(|mss| *mss > 0)
}

#[cfg(not(target_os = "linux"))]
fn max_segment_size(_stream: &TcpStream) -> Option<u32> {
    None
}

#[cfg(target_os = "linux")]
fn data_segments_in(stream: &TcpStream) -> Option<u32> {
    let info = tcp_info(stream)?;
    Some(info.tcpi_data_segs_in)
}

/// The kernel's `TCP_INFO` of the connection, when it gives all of it up to the fields read.
#[cfg(target_os = "linux")]
fn tcp_info(stream: &TcpStream) -> Option<libc::tcp_info> {
    use std::os::fd::AsRawFd;
    // SAFETY: getsockopt writes at most `len` bytes into a zeroed tcp_info, which is plain data.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        (rc == 0 && len as usize >= std::mem::offset_of!(libc::tcp_info, tcpi_data_segs_in) + 4)
            .then_some(info)
    }
}

#[cfg(not(target_os = "linux"))]
fn data_segments_in(_stream: &TcpStream) -> Option<u32> {
    None
}

fn record(transcript: &mut Transcript, started: Instant, kind: EventKind) {
    transcript.events.push(Event {
        at_us: started.elapsed().as_micros() as u64,
        kind,
    });
}

/// `host:port`, with brackets around an IPv6 literal.
pub fn display_target(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}
