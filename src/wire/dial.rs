//! Making the connection: resolve the host, then try each address — and, when packets may
//! be captured, start the capture before the SYN leaves. The socket is bound first (port 0)
//! so that its port is known, and the kernel's filter can be narrowed to exactly this
//! conversation, before `connect`.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::connection::ConnectError;
use super::packets::Packets;
use super::packets::capture::{Capture, NoCapture};

/// Whether a connection captures its packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Capturing {
    /// When the process may (root or `CAP_NET_RAW`) and the server is on loopback, unless
    /// `HTTPLAB_NO_CAPTURE` is set.
    #[default]
    WhenAllowed,
    /// Never (`probe --no-capture`): the segments are reconstructed.
    Off,
}

/// How long, after the close, a capture waits for the close to complete on the wire.
pub const CLOSE_GRACE: Duration = Duration::from_millis(30);
/// A failed attempt's capture waits this long for the server's answer to the SYN.
const FAILED_GRACE: Duration = Duration::from_millis(10);

/// A connected socket and its capture (or why there is none).
pub struct Dialled {
    pub stream: TcpStream,
    pub addr: SocketAddr,
    pub capture: Result<Capture, NoCapture>,
}

/// Why no connection was made, and what the last attempt's capture saw.
pub struct NotDialled {
    pub error: ConnectError,
    pub packets: Option<Box<Packets>>,
    pub no_capture: Option<NoCapture>,
}

/// The addresses `host` resolves to (an IPv6 literal may come in brackets).
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    let host_for_lookup = host.trim_start_matches('[').trim_end_matches(']');
    match (host_for_lookup, port).to_socket_addrs() {
        Ok(addrs) => Ok(addrs.collect()),
        Err(error) => Err(ConnectError::Resolve {
            host: host.to_string(),
            message: error.to_string(),
        }),
    }
}

/// The first of `addrs` that accepts a connection, or why the last one did not.
pub fn connect_to_any(
    host: &str,
    addrs: Vec<SocketAddr>,
    timeout: Duration,
    capturing: Capturing,
    started_unix_us: u64,
) -> Result<Dialled, NotDialled> {
    let mut last = None;
    for addr in addrs {
        match dial(addr, timeout, capturing, started_unix_us) {
            Ok(dialled) => return Ok(dialled),
            Err(not) => last = Some(not),
        }
    }
    Err(last.unwrap_or(NotDialled {
        error: ConnectError::Resolve {
            host: host.to_string(),
            message: "no addresses".into(),
        },
        packets: None,
        no_capture: None,
    }))
}

/// One attempt: bind, start the capture, connect.
fn dial(
    addr: SocketAddr,
    timeout: Duration,
    capturing: Capturing,
    started_unix_us: u64,
) -> Result<Dialled, NotDialled> {
    let other = |error: std::io::Error| NotDialled {
        error: ConnectError::Other {
            addr: addr.to_string(),
            error,
        },
        packets: None,
        no_capture: None,
    };
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(other)?;
    let capture = match capturing {
        Capturing::Off => Err(NoCapture::Off),
        Capturing::WhenAllowed => bound_capture(&socket, addr, started_unix_us),
    };
    match socket.connect_timeout(&addr.into(), timeout) {
        Ok(()) => Ok(Dialled {
            stream: socket.into(),
            addr,
            capture,
        }),
        Err(error) => {
            drop(socket);
            let error = match error.kind() {
                ErrorKind::ConnectionRefused => ConnectError::Refused { addr },
                ErrorKind::TimedOut | ErrorKind::WouldBlock => ConnectError::TimedOut {
                    addr,
                    after: timeout,
                },
                _ => ConnectError::Other {
                    addr: addr.to_string(),
                    error,
                },
            };
            let (packets, no_capture) = match capture {
                Ok(capture) => (capture.finish(FAILED_GRACE).map(Box::new), None),
                Err(why) => (None, Some(why)),
            };
            Err(NotDialled {
                error,
                packets,
                no_capture,
            })
        }
    }
}

/// Binds `socket` to a free port of its family and captures the conversation from it to
/// `server`; not on loopback, nothing is bound (the kernel picks the port at connect).
fn bound_capture(
    socket: &Socket,
    server: SocketAddr,
    started_unix_us: u64,
) -> Result<Capture, NoCapture> {
    if !server.ip().is_loopback() {
        return Err(NoCapture::NotLoopback);
    }
    if super::packets::capture::turned_off_by_environment() {
        return Err(NoCapture::Off);
    }
    let any: IpAddr = match server {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let failed = |e: std::io::Error| NoCapture::Failed(format!("binding the client's socket: {e}"));
    socket
        .bind(&SocketAddr::new(any, 0).into())
        .map_err(failed)?;
    let local = socket
        .local_addr()
        .map_err(failed)?
        .as_socket()
        .ok_or_else(|| NoCapture::Failed("the client's socket has no address".into()))?;
    Capture::start(local, server, started_unix_us)
}
