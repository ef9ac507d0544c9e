//! The client side: a raw-socket client that records everything it does ([`Transcript`]),
//! its TCP segments (captured or reconstructed, [`packets`]), a lenient reader of whatever a
//! server sends back, and an analysis that names each fault.
//! `httplab probe`, `httplab check` and the socket tests all use it.

pub mod analysis;
pub mod connection;
pub mod dial;
pub mod escape;
pub mod message;
pub mod packets;
pub mod probe;
pub mod report;
pub mod request;
pub mod transcript;

pub use connection::{ConnectError, RecordingStream};
pub use dial::Capturing;
pub use transcript::{Event, EventKind, Transcript};
