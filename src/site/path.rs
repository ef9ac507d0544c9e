//! From a request target to a path inside the site, or a refusal.
//!
//! The order matters and is the whole security story: split the raw path on `/`, then
//! percent-decode each segment once (so `%2F` can never become a separator), refuse NUL,
//! backslash and encoded slashes, then remove dot segments as RFC 3986 §5.2.4 does — on the
//! decoded segments, so `%2e%2e` counts as `..` (RFC 3986 §6.2.2.2 normalises it so) — never
//! climbing above the root. Empty segments are dropped, so `//` never reaches the disk or a
//! `Location` header.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str};

/// A normalised path inside the site: decoded segments, none of them empty, `.` or `..`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SitePath {
    segments: Vec<Vec<u8>>,
    /// The target ended in `/` (or named a directory through `.`/`..`): it asks for a folder.
    trailing_slash: bool,
}

/// Why a target cannot name anything in the site. All are answered 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// `*`, which only OPTIONS may use (RFC 9112 §3.2.4).
    AsteriskForm,
    /// Neither `/path` nor `http://host/path` (authority-form or a relative reference).
    NotOriginForm,
    /// `%00`: no file name can contain NUL.
    Nul,
    /// `%2F` inside a segment: a separator smuggled past the split.
    EncodedSlash,
    /// `\` or `%5C`: a separator on other systems, refused so it never acts as one.
    Backslash,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::AsteriskForm => {
                write!(f, "the target * is only for OPTIONS (RFC 9112 §3.2.4)")
            }
            PathError::NotOriginForm => {
                write!(
                    f,
                    "the target must start with / or be an absolute http URI (RFC 9112 §3.2)"
                )
            }
            PathError::Nul => write!(f, "the path contains an encoded NUL byte (%00)"),
            PathError::EncodedSlash => write!(f, "the path contains an encoded slash (%2F)"),
            PathError::Backslash => write!(f, "the path contains a backslash"),
        }
    }
}

impl std::error::Error for PathError {}

/// Bytes kept literally in links and `Location` values: RFC 3986's unreserved set.
const SEGMENT_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl SitePath {
    /// Resolves an origin-form (`/a/b?q`) or absolute-form (`http://h/a/b`) request target.
    pub fn from_target(target: &str) -> Result<SitePath, PathError> {
        let path = path_of_target(target)?;
        let path = match path.find(['?', '#']) {
            Some(end) => &path[..end],
            None => path,
        };
        let mut segments: Vec<Vec<u8>> = Vec::new();
        let mut trailing_slash = true;
        for raw in path.split('/').skip(1) {
            let segment: Vec<u8> = if raw.contains('%') {
                percent_decode_str(raw).collect()
            } else {
                raw.as_bytes().to_vec()
            };
            if segment.contains(&0) {
                return Err(PathError::Nul);
            }
            if segment.contains(&b'\\') {
                return Err(PathError::Backslash);
            }
            if segment.contains(&b'/') {
                return Err(PathError::EncodedSlash);
            }
            match segment.as_slice() {
                b"" => trailing_slash = true,
                b"." => trailing_slash = true,
                b".." => {
                    segments.pop();
                    trailing_slash = true;
                }
                _ => {
                    segments.push(segment);
                    trailing_slash = false;
                }
            }
        }
        Ok(SitePath {
            segments,
            trailing_slash,
        })
    }

    pub fn segments(&self) -> &[Vec<u8>] {
        &self.segments
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The target named a folder (it ended in `/`).
    pub fn has_trailing_slash(&self) -> bool {
        self.trailing_slash || self.segments.is_empty()
    }

    /// The same path, asking for a folder.
    pub fn as_folder(&self) -> SitePath {
        SitePath {
            segments: self.segments.clone(),
            trailing_slash: true,
        }
    }

    /// A child of this path.
    pub fn child(&self, name: &[u8]) -> SitePath {
        let mut segments = self.segments.clone();
        segments.push(name.to_vec());
        SitePath {
            segments,
            trailing_slash: false,
        }
    }

    /// The last segment's bytes (empty at the root).
    pub fn file_name(&self) -> &[u8] {
        self.segments.last().map(Vec::as_slice).unwrap_or_default()
    }

    /// The path as a URI path: every segment percent-encoded, starting with exactly one `/`.
    /// Safe for `Location` and `href`: it can never start with `//` or contain `\`.
    pub fn to_href(&self) -> String {
        let mut out = String::with_capacity(16);
        for segment in &self.segments {
            out.push('/');
            out.extend(percent_encoding::percent_encode(segment, SEGMENT_ENCODE));
        }
        if self.has_trailing_slash() {
            out.push('/');
        }
        out
    }
}

/// Percent-encodes one name for use in a relative link.
pub fn encode_segment(name: &[u8]) -> String {
    percent_encoding::percent_encode(name, SEGMENT_ENCODE).to_string()
}

impl fmt::Display for SitePath {
    /// The decoded path for people (error pages, listings): `/a b/c.html`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            write!(f, "/{}", String::from_utf8_lossy(segment))?;
        }
        if self.has_trailing_slash() {
            write!(f, "/")?;
        }
        Ok(())
    }
}

/// The path part of an origin-form or absolute-form target.
fn path_of_target(target: &str) -> Result<&str, PathError> {
    if target.starts_with('/') {
        return Ok(target);
    }
    if target == "*" {
        return Err(PathError::AsteriskForm);
    }
    let scheme_end = target.find("://").ok_or(PathError::NotOriginForm)?;
    let scheme = &target[..scheme_end];
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(PathError::NotOriginForm);
    }
    let after_authority = &target[scheme_end + 3..];
    match after_authority.find(['/', '?', '#']) {
        Some(i) if after_authority.as_bytes()[i] == b'/' => Ok(&after_authority[i..]),
        _ => Ok("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn href(target: &str) -> String {
        SitePath::from_target(target).unwrap().to_href()
    }

    #[test]
    fn dot_segments_never_climb_above_the_root() {
        assert_eq!(href("/../Cargo.toml"), "/Cargo.toml");
        assert_eq!(href("/a/b/../../../../etc/passwd"), "/etc/passwd");
        assert_eq!(href("/%2e%2e/%2E%2E/x"), "/x");
        assert_eq!(href("/./dir/./../../"), "/");
        assert_eq!(href("/a/b/.."), "/a/");
        assert_eq!(href("/a/."), "/a/");
    }

    #[test]
    fn query_fragment_and_repeated_slashes_are_dropped() {
        assert_eq!(href("/a.html?x=../../y#z"), "/a.html");
        assert_eq!(href("//evil.example/x"), "/evil.example/x");
        assert_eq!(href("/a//b///"), "/a/b/");
    }

    #[test]
    fn decoding_happens_once() {
        let path = SitePath::from_target("/%252e%252e/a%20b").unwrap();
        assert_eq!(path.segments(), &[b"%2e%2e".to_vec(), b"a b".to_vec()]);
        assert_eq!(path.to_href(), "/%252e%252e/a%20b");
        let overlong = SitePath::from_target("/%c0%ae%c0%ae/x").unwrap();
        assert_eq!(overlong.segments()[0], vec![0xc0, 0xae, 0xc0, 0xae]);
    }

    #[test]
    fn separators_and_nul_are_refused() {
        assert_eq!(
            SitePath::from_target("/..%2fetc"),
            Err(PathError::EncodedSlash)
        );
        assert_eq!(
            SitePath::from_target("/a%2Fb"),
            Err(PathError::EncodedSlash)
        );
        assert_eq!(SitePath::from_target("/a%00.html"), Err(PathError::Nul));
        assert_eq!(SitePath::from_target("/a\\b"), Err(PathError::Backslash));
        assert_eq!(
            SitePath::from_target("/%5c..%5c"),
            Err(PathError::Backslash)
        );
        assert_eq!(SitePath::from_target("*"), Err(PathError::AsteriskForm));
        assert_eq!(
            SitePath::from_target("example.com:80"),
            Err(PathError::NotOriginForm)
        );
        assert_eq!(
            SitePath::from_target("ftp://x/a"),
            Err(PathError::NotOriginForm)
        );
    }

    #[test]
    fn absolute_form_uses_only_its_path() {
        assert_eq!(href("http://x/../a"), "/a");
        assert_eq!(href("HTTP://x:80"), "/");
        assert_eq!(href("http://x?q"), "/");
    }
}
