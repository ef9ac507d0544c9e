//! Byte ranges (RFC 9110 §14): the `Range` a client asks for, resolved against a file's
//! length, and the `Content-Range` that labels what was sent. The server decides with
//! [`resolve`]; `probe`'s analysis and `check` read a server's answer with
//! [`ContentRange::parse`] — one grammar for both sides.
//!
//! The policy, in one place:
//! - A `Range` that is not `bytes=` followed by a valid range set (a reversed `5-1`, a
//!   sign, no digits, another unit) is ignored: the whole file, `200` (RFC 9110 §14.2 lets a
//!   server ignore `Range`; ignoring what it cannot read is what Apache and lighttpd do).
//! - Numbers too large for a u64 saturate: a first byte past any file is unsatisfiable, a
//!   last byte past the end means "to the end", a suffix longer than the file is the file.
//! - Nothing satisfiable: `416` with `Content-Range: bytes */LEN` (RFC 9110 §15.5.17).
//! - Several ranges are answered with `multipart/byteranges` (in the order asked), unless
//!   they invite abuse: more than [`MAX_RANGES`], or two that overlap (which could make a
//!   small file into a huge answer) — then the whole file, `200`, as §14.2 allows.
//! - An empty file has no byte to name: `Range` is ignored (`200`, empty).

use std::fmt::Write;

/// At most this many ranges are served as parts; more is answered with the whole file.
pub const MAX_RANGES: usize = 16;

/// One range-spec as the client wrote it (RFC 9110 §14.1.1), before the length is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// `first-last`, or `first-` (`last: None`): byte positions, counted from 0.
    FromTo { first: u64, last: Option<u64> },
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// A satisfiable range, resolved against the file: `len` (at least 1) bytes from `start`,
/// all inside the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub len: u64,
}

impl ByteRange {
    /// The position of its last byte.
    pub fn last(&self) -> u64 {
        self.start + self.len - 1
    }

    /// The `Content-Range` value that labels it: `bytes 10-20/47`.
    pub fn content_range(&self, complete: u64) -> String {
        let mut value = String::with_capacity(32);
        let _ = write!(value, "bytes {}-{}/{complete}", self.start, self.last());
        value
    }

    fn overlaps(&self, other: &ByteRange) -> bool {
        self.start <= other.last() && other.start <= self.last()
    }
}

/// What to send for a `Range` field and a file of a given length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeAnswer {
    /// Ignore the field: `200` with the whole file.
    Whole,
    /// `206`: one range (a plain body), or several (`multipart/byteranges`).
    Partial(Vec<ByteRange>),
    /// `416`: no range of the set lies inside the file.
    Unsatisfiable,
}

/// The `Content-Range` of a `416`: `bytes */47`.
pub fn unsatisfied_range(complete: u64) -> String {
    format!("bytes */{complete}")
}

/// Parses a `Range` value: `bytes=` and a range set. `None` when it is not one.
pub fn parse(value: &[u8]) -> Option<Vec<RangeSpec>> {
    let value = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    let (unit, set) = value.split_once('=')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let mut specs = Vec::new();
    // A list (RFC 9110 §5.6.1): empty elements are allowed and mean nothing.
    for element in set.split(',') {
        let element = element.trim_matches([' ', '\t']);
        if element.is_empty() {
            continue;
        }
        specs.push(parse_spec(element)?);
        if specs.len() > MAX_RANGES {
            // Enough to know it will not be served part by part; stop reading.
            break;
        }
    }
    (!specs.is_empty()).then_some(specs)
}

fn parse_spec(element: &str) -> Option<RangeSpec> {
    let (first, last) = element.split_once('-')?;
    if first.is_empty() {
        return Some(RangeSpec::Suffix(digits(last)?));
    }
    let first = digits(first)?;
    let last = if last.is_empty() {
        None
    } else {
        Some(digits(last)?)
    };
    if last.is_some_and(|last| last < first) {
        return None; // RFC 9110 §14.1.1: an int-range whose last-pos is before first-pos is invalid.
    }
    Some(RangeSpec::FromTo { first, last })
}

/// `1*DIGIT`, saturating at u64::MAX: a position too large for any file stays too large.
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The range a spec names in a file of `len` bytes, if it is satisfiable.
pub fn resolve_spec(spec: RangeSpec, len: u64) -> Option<ByteRange> {
    if len == 0 {
        return None; // No byte to name.
    }
    match spec {
        RangeSpec::FromTo { first, .. } if first >= len => None,
        RangeSpec::FromTo { first, last } => {
            let last = last.map_or(len - 1, |last| last.min(len - 1));
            Some(ByteRange {
                start: first,
                len: last - first + 1,
            })
        }
        RangeSpec::Suffix(0) => None,
        RangeSpec::Suffix(n) => {
            let len_taken = n.min(len);
            Some(ByteRange {
                start: len - len_taken,
                len: len_taken,
            })
        }
    }
}

/// What to send for the `Range` value `field` of a file of `len` bytes (the policy above).
pub fn resolve(field: &[u8], len: u64) -> RangeAnswer {
    let Some(specs) = parse(field) else {
        return RangeAnswer::Whole;
    };
    if len == 0 || specs.len() > MAX_RANGES {
        return RangeAnswer::Whole;
    }
    let ranges: Vec<ByteRange> = specs
        .into_iter()
        .filter_map(|spec| resolve_spec(spec, len))
        .collect();
    if ranges.is_empty() {
        return RangeAnswer::Unsatisfiable;
    }
    let overlapping = ranges
        .iter()
        .enumerate()
        .any(|(i, a)| ranges[i + 1..].iter().any(|b| a.overlaps(b)));
    if overlapping {
        return RangeAnswer::Whole;
    }
    RangeAnswer::Partial(ranges)
}

/// A `Content-Range` value as a server sent it (RFC 9110 §14.4), read by `probe` and `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes first-last/complete` (`complete: None` for `*`, a length the server does not know).
    Range {
        first: u64,
        last: u64,
        complete: Option<u64>,
    },
    /// `bytes */complete`: what a `416` carries.
    Unsatisfied { complete: u64 },
}

impl ContentRange {
    /// Parses a `Content-Range` value; `None` when it is not a valid byte range of its own
    /// length (a last byte before the first, or past the complete length).
    pub fn parse(value: &[u8]) -> Option<ContentRange> {
        let value = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
        let (unit, rest) = value.split_once(' ')?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return None;
        }
        let (range, complete) = rest.trim_start().split_once('/')?;
        let complete = match complete {
            "*" => None,
            digits_text => Some(strict_digits(digits_text)?),
        };
        if range == "*" {
            return complete.map(|complete| ContentRange::Unsatisfied { complete });
        }
        let (first, last) = range.split_once('-')?;
        let (first, last) = (strict_digits(first)?, strict_digits(last)?);
        if last < first || complete.is_some_and(|complete| last >= complete) {
            return None;
        }
        Some(ContentRange::Range {
            first,
            last,
            complete,
        })
    }

    /// The number of bytes a `Range` form labels.
    pub fn part_len(&self) -> Option<u64> {
        match self {
            ContentRange::Range { first, last, .. } => Some(last - first + 1),
            ContentRange::Unsatisfied { .. } => None,
        }
    }
}

/// `1*DIGIT` that fits in a u64 (a server's numbers must be exact, not saturated).
fn strict_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, len: u64) -> ByteRange {
        ByteRange { start, len }
    }

    #[test]
    fn the_three_forms_resolve_inside_the_file() {
        assert_eq!(
            resolve(b"bytes=10-20", 47),
            RangeAnswer::Partial(vec![range(10, 11)])
        );
        assert_eq!(
            resolve(b"bytes=40-", 47),
            RangeAnswer::Partial(vec![range(40, 7)])
        );
        assert_eq!(
            resolve(b"bytes=-5", 47),
            RangeAnswer::Partial(vec![range(42, 5)])
        );
        assert_eq!(
            resolve(b"bytes=-500", 47),
            RangeAnswer::Partial(vec![range(0, 47)])
        );
        assert_eq!(
            resolve(b"bytes=40-9999", 47),
            RangeAnswer::Partial(vec![range(40, 7)])
        );
        assert_eq!(
            resolve(b"Bytes = 0-0", 47),
            RangeAnswer::Whole,
            "no space around ="
        );
        assert_eq!(
            resolve(b"BYTES=0-0, ,", 47),
            RangeAnswer::Partial(vec![range(0, 1)])
        );
    }

    #[test]
    fn unsatisfiable_ignored_and_abusive_sets() {
        assert_eq!(resolve(b"bytes=47-", 47), RangeAnswer::Unsatisfiable);
        assert_eq!(resolve(b"bytes=-0", 47), RangeAnswer::Unsatisfiable);
        assert_eq!(resolve(b"bytes=99-100,-0", 47), RangeAnswer::Unsatisfiable);
        for ignored in [
            &b"bytes=5-1"[..],
            b"bytes=",
            b"bytes=a-b",
            b"bytes=+1-2",
            b"bytes=1-2-3",
            b"items=0-1",
            b"bytes 0-1",
            b"\xff",
        ] {
            assert_eq!(resolve(ignored, 47), RangeAnswer::Whole, "{ignored:?}");
        }
        assert_eq!(resolve(b"bytes=0-1", 0), RangeAnswer::Whole);
        assert_eq!(resolve(b"bytes=0-10,5-15", 47), RangeAnswer::Whole);
        assert_eq!(resolve(b"bytes=0-0,0-0", 47), RangeAnswer::Whole);
        let many: Vec<String> = (0..17).map(|i| format!("{0}-{0}", i * 2)).collect();
        let many = format!("bytes={}", many.join(","));
        assert_eq!(resolve(many.as_bytes(), 100), RangeAnswer::Whole);
        assert_eq!(
            resolve(b"bytes=0-1,10-11,99-", 47),
            RangeAnswer::Partial(vec![range(0, 2), range(10, 2)])
        );
    }

    #[test]
    fn huge_numbers_saturate() {
        let huge = b"bytes=0-99999999999999999999999999";
        assert_eq!(resolve(huge, 47), RangeAnswer::Partial(vec![range(0, 47)]));
        let huge_first = b"bytes=99999999999999999999999999-";
        assert_eq!(resolve(huge_first, 47), RangeAnswer::Unsatisfiable);
        let huge_suffix = b"bytes=-99999999999999999999999999";
        assert_eq!(
            resolve(huge_suffix, u64::MAX),
            RangeAnswer::Partial(vec![range(0, u64::MAX)])
        );
        assert_eq!(
            resolve(b"bytes=18446744073709551614-", u64::MAX),
            RangeAnswer::Partial(vec![range(u64::MAX - 1, 1)])
        );
    }

    #[test]
    fn content_range_both_ways() {
        assert_eq!(range(10, 11).content_range(47), "bytes 10-20/47");
        assert_eq!(unsatisfied_range(47), "bytes */47");
        assert_eq!(
            ContentRange::parse(b"bytes 10-20/47"),
            Some(ContentRange::Range {
                first: 10,
                last: 20,
                complete: Some(47)
            })
        );
        assert_eq!(
            ContentRange::parse(b"bytes 0-0/*").and_then(|r| r.part_len()),
            Some(1)
        );
        assert_eq!(
            ContentRange::parse(b"bytes */47"),
            Some(ContentRange::Unsatisfied { complete: 47 })
        );
        for bad in [
            &b"bytes 20-10/47"[..],
            b"bytes 10-47/47",
            b"bytes */*",
            b"bytes=10-20/47",
            b"10-20/47",
            b"bytes 10-/47",
            b"bytes 99999999999999999999-1/2",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad:?}");
        }
    }
}
