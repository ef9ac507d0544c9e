//! How a response was sent: whole, or in tiny pieces. A small response sent with one `send()`
//! leaves in one or two TCP segments; one in many segments of a few bytes was sent a byte
//! (or a line) per `send()`.

use super::findings::{Finding, Severity};
use crate::wire::transcript::plural_bytes;

/// More TCP segments than a response needs, when they are tiny (see [`TINY_SEGMENT`]).
const MANY_SEGMENTS: u32 = 8;
/// Below this many bytes per segment on average, the pieces are "tiny".
const TINY_SEGMENT: usize = 64;
/// One-byte reads that show the same thing when the kernel does not count segments.
const MANY_ONE_BYTE_READS: usize = 8;

/// Whether `bytes` arriving in `segments` TCP segments is many tiny segments: the sign of one
/// `send()` per byte or per line.
pub fn in_tiny_segments(segments: u32, bytes: usize) -> bool {
    segments > MANY_SEGMENTS && bytes / (segments as usize) < TINY_SEGMENT
}

/// A response that came in many tiny TCP segments (or, when the kernel does not count them,
/// in many one-byte reads): the sign of one `send()` per byte. The reads alone can miss it,
/// because the client's kernel merges the segments that arrive before the client reads.
pub fn tiny_sends(read_sizes: &[usize], segments: Option<u32>, bytes: usize) -> Option<Finding> {
    let ones = read_sizes.iter().filter(|s| **s == 1).count();
    let reads = read_sizes.len();
    let message = match segments {
        Some(segments) if in_tiny_segments(segments, bytes) => format!(
            "the response arrived in {segments} TCP segments of {} on average, read in {reads} piece(s): \
             the server sends in tiny pieces, one send() per byte or per line (send the whole response with sendall)",
            plural_bytes(bytes / segments as usize)
        ),
        _ if ones >= MANY_ONE_BYTE_READS => format!(
            "the response arrived in {reads} reads, {ones} of them of a single byte: the server sends one byte per send() call, \
             one TCP segment each (send the whole response with sendall)"
        ),
        _ => return None,
    };
    Some(Finding {
        severity: Severity::Warning,
        id: "byte-per-send",
        message,
    })
}

/// The same fault proven from the captured data segments of one response (`sizes`, in
/// order): "245 data segments of 1 byte". `None` when the segments are not tiny.
pub fn tiny_segments_captured(sizes: &[usize]) -> Option<Finding> {
    let count = sizes.len();
    let bytes: usize = sizes.iter().sum();
    if count == 0 || !in_tiny_segments(count as u32, bytes) {
        return None;
    }
    let ones = sizes.iter().filter(|s| **s == 1).count();
    let shape = if ones == count {
        format!("{count} data segments of 1 byte")
    } else {
        let largest = sizes.iter().max().copied().unwrap_or(0);
        format!(
            "{count} data segments of {} on average ({ones} of 1 byte, the largest {})",
            plural_bytes(bytes / count),
            plural_bytes(largest)
        )
    };
    Some(Finding {
        severity: Severity::Warning,
        id: "byte-per-send",
        message: format!(
            "the response ({}) went over the wire in {shape}, as captured: the server calls \
             send() once per byte or per line (send the whole response with sendall)",
            plural_bytes(bytes)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_segments_prove_one_send_per_byte() {
        let finding = tiny_segments_captured(&[1; 245]).unwrap();
        assert!(
            finding
                .message
                .contains("(245 bytes) went over the wire in 245 data segments of 1 byte,"),
            "{}",
            finding.message
        );
        let mixed = tiny_segments_captured(&[17, 1, 1, 1, 1, 1, 1, 1, 1, 1]).unwrap();
        assert!(mixed.message.contains(
            "10 data segments of 2 bytes on average (9 of 1 byte, the largest 17 bytes)"
        ));
        assert!(tiny_segments_captured(&[245]).is_none());
        assert!(tiny_segments_captured(&[]).is_none());
    }

    #[test]
    fn many_tiny_segments_are_named_even_when_the_reads_merged_them() {
        let finding = tiny_sends(&[34, 211], Some(35), 245).unwrap();
        assert_eq!(finding.id, "byte-per-send");
        assert!(finding.message.contains("35 TCP segments of 7 bytes"));
    }

    #[test]
    fn a_large_file_in_many_full_segments_is_fine() {
        assert!(tiny_sends(&[65_483; 64], Some(91), 4_194_507).is_none());
        assert!(tiny_sends(&[245], Some(1), 245).is_none());
        assert!(tiny_sends(&[100, 100], Some(8), 200).is_none());
    }

    #[test]
    fn without_segment_counts_one_byte_reads_tell() {
        let mut sizes = vec![1; 8];
        sizes.push(200);
        let finding = tiny_sends(&sizes, None, 208).unwrap();
        assert!(
            finding
                .message
                .contains("9 reads, 8 of them of a single byte")
        );
        assert!(tiny_sends(&[1; 7], None, 7).is_none());
    }
}
