//! Elsewhere than Linux: no packet socket; every connection's segments are reconstructed.

use std::time::Duration;

use super::{NoCapture, Tap, Waker};
use crate::wire::packets::filter::Instruction;

pub(super) fn wake(_waker: &Waker) {}

pub(super) fn open(_program: &[Instruction]) -> Result<Tap, NoCapture> {
    Err(NoCapture::Failed(
        "packet capture is implemented for Linux only".into(),
    ))
}

pub(super) fn next(_tap: &Tap, _buffer: &mut [u8], wait: Duration) -> Option<(usize, u64)> {
    std::thread::sleep(wait);
    None
}
