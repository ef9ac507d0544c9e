//! Validators and conditional requests (RFC 9110 §8.8 and §13): the `ETag` httplab gives a
//! file, how entity tags compare, and the one order in which a request's preconditions are
//! evaluated (§13.2.2). The server decides with [`evaluate`] and [`if_range_holds`]; `check`
//! judges another server's `ETag` with [`EntityTag::parse`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The conditional fields of a request (RFC 9110 §13.1), as they arrived. A field that
/// holds one value and came twice is kept as an empty value, which no rule accepts: RFC 9110
/// §13.1.3 says to ignore an `If-Modified-Since` of more than one member, and an ambiguous
/// `Range` or `If-Range` is ignored the same way (the whole file is sent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conditions<'a> {
    /// Every `If-Match` field line (a list may be split across lines).
    pub if_match: Vec<&'a [u8]>,
    /// Every `If-None-Match` field line.
    pub if_none_match: Vec<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
    pub if_unmodified_since: Option<&'a [u8]>,
    pub range: Option<&'a [u8]>,
    pub if_range: Option<&'a [u8]>,
}

impl<'a> Conditions<'a> {
    /// Takes the field `name: value` if it is one of these; `false` if it is another field.
    pub fn add(&mut self, name: &str, value: &'a [u8]) -> bool {
        // Every request passes each of its fields here: most leave at the first letter.
        if !matches!(name.as_bytes().first(), Some(b'i' | b'I' | b'r' | b'R')) {
            return false;
        }
        let is = |field: &str| name.eq_ignore_ascii_case(field);
        if is("if-match") {
            self.if_match.push(value);
        } else if is("if-none-match") {
            self.if_none_match.push(value);
        } else if is("if-modified-since") {
            single(&mut self.if_modified_since, value);
        } else if is("if-unmodified-since") {
            single(&mut self.if_unmodified_since, value);
        } else if is("range") {
            single(&mut self.range, value);
        } else if is("if-range") {
            single(&mut self.if_range, value);
        } else {
            return false;
        }
        true
    }

    /// Whether the request carries none of these fields: a plain GET.
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

/// A field that may appear once: a second line makes it an empty (ignored) value.
fn single<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) {
    *slot = Some(if slot.is_some() { &[] } else { value });
}

/// The strong `ETag` of a file: its length and its modification time in nanoseconds, in hex
/// (`"2f-18b1d2c3a4e5f600"`). Both come from the file's metadata, so the tag is the same
/// across restarts and on every worker, and any write (which moves the modification time)
/// changes it — what nginx does, with nanoseconds instead of seconds, so that two edits in
/// one second are told apart.
pub fn file_etag(len: u64, modified: SystemTime) -> String {
    match modified.duration_since(UNIX_EPOCH) {
        Ok(since) => format!("\"{len:x}-{:x}\"", since.as_nanos()),
        // A file dated before 1970: the distance the other way, marked.
        Err(before) => format!("\"{len:x}--{:x}\"", before.duration().as_nanos()),
    }
}

/// An entity tag (RFC 9110 §8.8.3): `"xyz"` or `W/"xyz"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityTag<'a> {
    pub weak: bool,
    /// The opaque tag with its quotes.
    pub opaque: &'a [u8],
}

impl<'a> EntityTag<'a> {
    /// Parses a whole field value that must be exactly one entity tag (an `ETag` field).
    pub fn parse(value: &'a [u8]) -> Option<EntityTag<'a>> {
        match take_tag(trim(value))? {
            (tag, []) => Some(tag),
            _ => None,
        }
    }

    /// Strong comparison: both strong, same opaque tag (RFC 9110 §8.8.3.2).
    pub fn strong_eq(&self, other: &EntityTag) -> bool {
        !self.weak && !other.weak && self.opaque == other.opaque
    }

    /// Weak comparison: the same opaque tag, weak or not.
    pub fn weak_eq(&self, other: &EntityTag) -> bool {
        self.opaque == other.opaque
    }
}

/// One entity tag at the start of `input`, and what follows it.
fn take_tag(input: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, rest) = match input.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    if rest.first() != Some(&b'"') {
        return None;
    }
    // etagc: %x21 / %x23-7E / obs-text — anything visible but the quote.
    let close = 1 + rest[1..]
        .iter()
        .position(|&b| b == b'"' || !(b == 0x21 || b >= 0x23 && b != 0x7f))?;
    if rest[close] != b'"' {
        return None;
    }
    let tag = EntityTag {
        weak,
        opaque: &rest[..=close],
    };
    Some((tag, &rest[close + 1..]))
}

/// Whether an `If-Match` or `If-None-Match` list (its field lines) names `current`: `*`
/// names any current representation; an element that is not an entity tag names nothing.
fn list_names(lines: &[&[u8]], current: Option<&EntityTag>, strong: bool) -> bool {
    for line in lines {
        let mut rest = trim(line);
        if rest == b"*" {
            return true; // It is asked of a file that exists.
        }
        while !rest.is_empty() {
            let (tag, after) = next_element(rest);
            let same = tag.zip(current).is_some_and(|(tag, current)| {
                if strong {
                    tag.strong_eq(current)
                } else {
                    tag.weak_eq(current)
                }
            });
            if same {
                return true;
            }
            rest = after;
        }
    }
    false
}

/// The first element of a list of entity tags (`None` when it is not one tag alone), and
/// the rest of the list after its comma. A quoted tag may hold a comma, so the list is read
/// tag by tag, not split.
fn next_element(input: &[u8]) -> (Option<EntityTag<'_>>, &[u8]) {
    let tag = take_tag(input);
    let rest = tag.map_or(input, |(_, rest)| rest);
    let comma = rest.iter().position(|&b| b == b',');
    let junk = trim(&rest[..comma.unwrap_or(rest.len())]);
    let after = comma.map_or(&[][..], |at| &rest[at + 1..]);
    let tag = tag.filter(|_| junk.is_empty()).map(|(tag, _)| tag);
    (tag, trim(after))
}

/// What a file is validated by: its `ETag`, its `Last-Modified` (whole seconds, never later
/// than `now`), and the time of the request.
#[derive(Clone, Copy, Debug)]
pub struct Validators<'a> {
    pub etag: Option<&'a str>,
    pub last_modified: Option<SystemTime>,
    pub now: SystemTime,
}

impl Validators<'_> {
    fn current_tag(&self) -> Option<EntityTag<'_>> {
        self.etag.and_then(|etag| EntityTag::parse(etag.as_bytes()))
    }

    /// A `Last-Modified` is a strong validator only if the file cannot have changed again
    /// within the same second unseen: it is at least a second older than the response
    /// (RFC 9110 §8.8.2.2).
    fn last_modified_is_strong(&self) -> bool {
        self.last_modified
            .is_some_and(|modified| modified + Duration::from_secs(1) <= self.now)
    }
}

/// What the preconditions of a GET or HEAD say (RFC 9110 §13.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precondition {
    /// Answer as if there were none (then `If-Range` decides about `Range`).
    Proceed,
    /// `304 Not Modified`: the client's copy is current.
    NotModified,
    /// `412 Precondition Failed`, and which field failed.
    Failed(&'static str),
}

/// Evaluates the preconditions of a GET or HEAD in RFC 9110 §13.2.2's order: `If-Match`,
/// else `If-Unmodified-Since`; then `If-None-Match`, else `If-Modified-Since`.
pub fn evaluate(conditions: &Conditions, validators: &Validators) -> Precondition {
    let current = validators.current_tag();
    if !conditions.if_match.is_empty() {
        if !list_names(&conditions.if_match, current.as_ref(), true) {
            return Precondition::Failed("If-Match");
        }
    } else if let (Some(since), Some(modified)) = (
        conditions.if_unmodified_since.and_then(http_date),
        validators.last_modified,
    ) && modified > since
    {
        return Precondition::Failed("If-Unmodified-Since");
    }
    if !conditions.if_none_match.is_empty() {
        if list_names(&conditions.if_none_match, current.as_ref(), false) {
            return Precondition::NotModified;
        }
    } else if let (Some(since), Some(modified)) = (
        conditions.if_modified_since.and_then(http_date),
        validators.last_modified,
    ) && modified <= since
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// Whether an `If-Range` lets `Range` apply (RFC 9110 §13.1.5): an entity tag that matches
/// the current one by strong comparison (a weak tag never does), or a date exactly equal to
/// a strong `Last-Modified`. Anything else means the client's copy is not this one: it gets
/// the whole file.
pub fn if_range_holds(value: &[u8], validators: &Validators) -> bool {
    let value = trim(value);
    if value.starts_with(b"\"") || value.starts_with(b"W/") {
        let current = validators.current_tag();
        return EntityTag::parse(value)
            .zip(current)
            .is_some_and(|(asked, current)| asked.strong_eq(&current));
    }
    match (http_date(value), validators.last_modified) {
        (Some(date), Some(modified)) => date == modified && validators.last_modified_is_strong(),
        _ => false,
    }
}

/// An HTTP-date (RFC 9110 §5.6.7), in any of its three forms.
pub fn http_date(value: &[u8]) -> Option<SystemTime> {
    httpdate::parse_http_date(std::str::from_utf8(value).ok()?.trim()).ok()
}

fn trim(bytes: &[u8]) -> &[u8] {
    super::grammar::trim_ows(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = "\"2f-10\"";

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn validators() -> Validators<'static> {
        Validators {
            etag: Some(TAG),
            last_modified: Some(at(1_000_000)),
            now: at(2_000_000),
        }
    }

    fn date(seconds: u64) -> String {
        httpdate::fmt_http_date(at(seconds))
    }

    fn judge(fields: &[(&str, &str)]) -> Precondition {
        let mut conditions = Conditions::default();
        for (name, value) in fields {
            assert!(conditions.add(name, value.as_bytes()));
        }
        evaluate(&conditions, &validators())
    }

    #[test]
    fn the_etag_is_size_and_nanoseconds() {
        let modified = UNIX_EPOCH + Duration::new(1_793_534_400, 123_456_789);
        assert_eq!(file_etag(47, modified), "\"2f-18e3ea08cbcd4d15\"");
        assert_eq!(
            file_etag(0, UNIX_EPOCH - Duration::from_nanos(255)),
            "\"0--ff\""
        );
        assert!(EntityTag::parse(file_etag(47, modified).as_bytes()).is_some());
    }

    #[test]
    fn entity_tags_parse_and_compare() {
        let strong = EntityTag::parse(b"\"a\"").unwrap();
        let weak = EntityTag::parse(b" W/\"a\" ").unwrap();
        assert!(weak.weak && weak.weak_eq(&strong) && !weak.strong_eq(&strong));
        assert!(strong.strong_eq(&strong));
        for bad in [
            &b"a"[..],
            b"\"a",
            b"\"a\"b",
            b"w/\"a\"",
            b"\"a\" \"b\"",
            b"\"a\"b\"",
        ] {
            assert_eq!(EntityTag::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn preconditions_in_rfc_order() {
        use Precondition::*;
        assert_eq!(judge(&[]), Proceed);
        assert_eq!(judge(&[("If-None-Match", TAG)]), NotModified);
        assert_eq!(judge(&[("If-None-Match", "W/\"2f-10\"")]), NotModified);
        assert_eq!(judge(&[("If-None-Match", "\"x\", \"2f-10\"")]), NotModified);
        assert_eq!(judge(&[("If-None-Match", "junk, \"2f-10\"")]), NotModified);
        assert_eq!(judge(&[("If-None-Match", "*")]), NotModified);
        assert_eq!(judge(&[("If-None-Match", "\"x\"")]), Proceed);
        // If-None-Match wins over If-Modified-Since, either way.
        let current = date(1_000_000);
        assert_eq!(judge(&[("If-Modified-Since", &current)]), NotModified);
        assert_eq!(
            judge(&[("If-None-Match", "\"x\""), ("If-Modified-Since", &current)]),
            Proceed
        );
        assert_eq!(judge(&[("If-Modified-Since", &date(999_999))]), Proceed);
        assert_eq!(judge(&[("If-Modified-Since", "yesterday")]), Proceed);
        // Twice: more than one member, ignored.
        assert_eq!(
            judge(&[
                ("If-Modified-Since", &current),
                ("If-Modified-Since", &current)
            ]),
            Proceed
        );
        // If-Match compares strongly, and comes before everything.
        assert_eq!(judge(&[("If-Match", TAG)]), Proceed);
        assert_eq!(judge(&[("If-Match", "*")]), Proceed);
        assert_eq!(judge(&[("If-Match", "W/\"2f-10\"")]), Failed("If-Match"));
        assert_eq!(
            judge(&[("If-Match", "\"x\""), ("If-None-Match", TAG)]),
            Failed("If-Match")
        );
        assert_eq!(
            judge(&[("If-Unmodified-Since", &date(999_999))]),
            Failed("If-Unmodified-Since")
        );
        assert_eq!(judge(&[("If-Unmodified-Since", &current)]), Proceed);
        // If-Match present: If-Unmodified-Since is not evaluated.
        assert_eq!(
            judge(&[("If-Match", TAG), ("If-Unmodified-Since", &date(1))]),
            Proceed
        );
    }

    #[test]
    fn if_range_needs_a_strong_match() {
        let v = validators();
        assert!(if_range_holds(TAG.as_bytes(), &v));
        assert!(!if_range_holds(b"W/\"2f-10\"", &v));
        assert!(!if_range_holds(b"\"other\"", &v));
        assert!(if_range_holds(date(1_000_000).as_bytes(), &v));
        assert!(!if_range_holds(date(1_000_001).as_bytes(), &v));
        assert!(!if_range_holds(b"", &v));
        // A Last-Modified of this very second may still change: weak.
        let fresh = Validators {
            now: at(1_000_000),
            ..v
        };
        assert!(!if_range_holds(date(1_000_000).as_bytes(), &fresh));
    }
}
