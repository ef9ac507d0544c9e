//! The HTTP version, and whether a connection persists after a message (RFC 9112 §9.3):
//! in HTTP/1.1 unless its Connection field says `close`, in HTTP/1.0 only when it says
//! `keep-alive`. The server's session, `probe`'s requests and `check`'s judgement of a
//! response all ask this module.

use super::grammar::trim_ows;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }

    /// The version a token (`HTTP/1.1`) names, if it is one httplab speaks.
    pub fn from_token(token: &[u8]) -> Option<Version> {
        match token {
            b"HTTP/1.0" => Some(Version::Http10),
            b"HTTP/1.1" => Some(Version::Http11),
            _ => None,
        }
    }

    /// Whether the connection persists after a message of this version with these
    /// Connection options.
    pub fn persists(self, options: ConnectionOptions) -> bool {
        match self {
            Version::Http11 => !options.close,
            Version::Http10 => options.keep_alive && !options.close,
        }
    }

    /// The Connection option a client sends so that the connection persists (`persist`) or
    /// closes after its request; `None` when the version does that by default.
    pub fn connection_option(self, persist: bool) -> Option<&'static str> {
        match (self.persists(ConnectionOptions::default()), persist) {
            (true, false) => Some("close"),
            (false, true) => Some("keep-alive"),
            _ => None,
        }
    }
}

/// The options of Connection fields that decide persistence (RFC 9110 §7.6.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConnectionOptions {
    pub close: bool,
    pub keep_alive: bool,
}

impl ConnectionOptions {
    /// Adds what one Connection field value (a comma-separated list) says.
    pub fn add(&mut self, value: &[u8]) {
        for option in value.split(|b| *b == b',') {
            let option = trim_ows(option);
            self.close |= option.eq_ignore_ascii_case(b"close");
            self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
        }
    }

    /// What one Connection field value says.
    pub fn read(value: &[u8]) -> ConnectionOptions {
        let mut options = ConnectionOptions::default();
        options.add(value);
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_persists() {
        let read = ConnectionOptions::read;
        assert!(Version::Http11.persists(read(b"")));
        assert!(!Version::Http11.persists(read(b"Keep-Alive, close")));
        assert!(!Version::Http10.persists(read(b"")));
        assert!(Version::Http10.persists(read(b" keep-alive ")));
        assert_eq!(Version::Http11.connection_option(false), Some("close"));
        assert_eq!(Version::Http11.connection_option(true), None);
        assert_eq!(Version::Http10.connection_option(true), Some("keep-alive"));
        assert_eq!(Version::Http10.connection_option(false), None);
    }
}
