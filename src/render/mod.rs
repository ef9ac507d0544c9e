//! Bytes made readable for people and for snapshots: text with CR, LF and every other
//! invisible byte spelled out, and `hexdump -C`-style dumps.

mod hexdump;
mod visible;

pub use hexdump::hexdump;
pub use visible::visible;
