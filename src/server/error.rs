use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why `serve` could not start. Each says what went wrong and what to try.
#[derive(Debug)]
pub enum ServeError {
    /// The folder to serve is missing, not a folder, or unreadable.
    Folder { path: PathBuf, source: io::Error },
    /// The address could not be bound.
    Bind { addr: SocketAddr, source: io::Error },
    /// The folder of `--record` could not be made.
    Record { path: PathBuf, source: io::Error },
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Record { path, source } => {
                write!(f, "cannot record into '{}': {source}", path.display())
            }
            ServeError::Folder { path, source } => {
                let path = path.display();
                match source.kind() {
                    io::ErrorKind::NotFound => write!(f, "cannot serve '{path}': no such folder"),
                    io::ErrorKind::NotADirectory => {
                        write!(f, "cannot serve '{path}': it is a file, not a folder")
                    }
                    io::ErrorKind::PermissionDenied => {
                        write!(f, "cannot serve '{path}': permission denied")
                    }
                    _ => write!(f, "cannot serve '{path}': {source}"),
                }
            }
            ServeError::Bind { addr, source } => match source.kind() {
                io::ErrorKind::AddrInUse => write!(
                    f,
                    "cannot listen on {addr}: the port is already in use (is another server running? \
                     choose another with --port, or --port 0 for any free port)"
                ),
                io::ErrorKind::PermissionDenied => write!(
                    f,
                    "cannot listen on {addr}: permission denied (ports below 1024 need privileges; \
                     the assignment uses --port 6789)"
                ),
                io::ErrorKind::AddrNotAvailable => write!(
                    f,
                    "cannot listen on {addr}: that address does not belong to this machine"
                ),
                _ => write!(f, "cannot listen on {addr}: {source}"),
            },
        }
    }
}

impl std::error::Error for ServeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServeError::Folder { source, .. }
            | ServeError::Bind { source, .. }
            | ServeError::Record { source, .. } => Some(source),
        }
    }
}
