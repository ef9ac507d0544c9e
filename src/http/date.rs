//! The time `respond` is given, the `Date` field text it writes (RFC 9110 §6.6.1), and what
//! a date's text may be (RFC 9110 §5.6.7).
//!
//! `respond` reads no clock: the caller says what time it is. A plain `SystemTime` works
//! (tests pin it); a server passes a [`DateCache`], which formats the `Date` text once a
//! second instead of once a request.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::FieldValue;

/// What time it is, as `respond` needs it.
pub trait Now {
    fn time(&self) -> SystemTime;
    /// The `Date` field value for this time (IMF-fixdate).
    fn date(&self) -> FieldValue;
}

impl Now for SystemTime {
    fn time(&self) -> SystemTime {
        *self
    }

    fn date(&self) -> FieldValue {
        FieldValue::Owned(httpdate::fmt_http_date(*self))
    }
}

impl<T: Now + ?Sized> Now for &T {
    fn time(&self) -> SystemTime {
        (**self).time()
    }

    fn date(&self) -> FieldValue {
        (**self).date()
    }
}

/// The current time with its `Date` text, reformatted only when the second changes.
#[derive(Clone, Debug)]
pub struct DateCache {
    time: SystemTime,
    second: u64,
    text: Arc<str>,
}

impl DateCache {
    pub fn new(now: SystemTime) -> DateCache {
        DateCache {
            time: now,
            second: seconds(now),
            text: httpdate::fmt_http_date(now).into(),
        }
    }

    /// Moves the cache to `now`.
    pub fn set(&mut self, now: SystemTime) {
        self.time = now;
        let second = seconds(now);
        if second != self.second {
            self.second = second;
            self.text = httpdate::fmt_http_date(now).into();
        }
    }
}

impl Now for DateCache {
    fn time(&self) -> SystemTime {
        self.time
    }

    fn date(&self) -> FieldValue {
        FieldValue::Shared(self.text.clone())
    }
}

/// `time` without its fraction of a second: HTTP dates have whole seconds.
pub fn whole_seconds(time: SystemTime) -> SystemTime {
    UNIX_EPOCH + std::time::Duration::from_secs(seconds(time))
}

/// A modification time as `Last-Modified` text, made once to be shared (by caches).
pub fn last_modified_text(modified: SystemTime) -> FieldValue {
    FieldValue::Shared(httpdate::fmt_http_date(whole_seconds(modified)).into())
}

/// The forms an HTTP date comes in (RFC 9110 §5.6.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateForm {
    /// `Sun, 06 Nov 1994 08:49:37 GMT`: the only form a sender may write.
    ImfFixdate,
    /// RFC 850's `Sunday, 06-Nov-94 08:49:37 GMT` or asctime's `Sun Nov  6 08:49:37 1994`,
    /// which a recipient must still accept.
    Obsolete,
}

/// The form `text` is in, or `None` when it is no HTTP date at all.
pub fn date_form(text: &str) -> Option<DateForm> {
    httpdate::parse_http_date(text).ok()?;
    let imf_fixdate = text.len() == 29 && text.ends_with(" GMT") && text.as_bytes()[3] == b',';
    Some(if imf_fixdate {
        DateForm::ImfFixdate
    } else {
        DateForm::Obsolete
    })
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn date_forms() {
        let imf = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(date_form(imf), Some(DateForm::ImfFixdate));
        assert_eq!(
            date_form("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(DateForm::Obsolete)
        );
        assert_eq!(
            date_form("Sun Nov  6 08:49:37 1994"),
            Some(DateForm::Obsolete)
        );
        assert_eq!(date_form("yesterday"), None);
        assert_eq!(
            date_form(&httpdate::fmt_http_date(UNIX_EPOCH)),
            Some(DateForm::ImfFixdate)
        );
    }

    #[test]
    fn the_cache_says_what_the_clock_says() {
        let start = UNIX_EPOCH + Duration::from_millis(1_795_618_800_250);
        let mut cache = DateCache::new(start);
        for step in [0, 300, 800, 1000, 2500, 61_000] {
            let now = start + Duration::from_millis(step);
            cache.set(now);
            assert_eq!(cache.date(), now.date(), "{step} ms later");
            assert_eq!(cache.time(), now);
        }
    }
}
