//! One line per request on stderr, in the Common Log Format that every log tool reads:
//! `127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] "GET /helloWorld.html HTTP/1.1" 200 47`.

use std::io::Write;
use std::net::IpAddr;
use std::time::SystemTime;

#[derive(Clone, Copy, Debug)]
pub struct AccessLog {
    pub enabled: bool,
}

impl AccessLog {
    /// Writes one line (one `write` call, so lines from many threads never interleave).
    pub fn record(
        &self,
        peer: IpAddr,
        now: SystemTime,
        request_line: &str,
        status: u16,
        bytes: u64,
    ) {
        if !self.enabled {
            return;
        }
        let line = format_line(peer, now, request_line, status, bytes);
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

pub fn format_line(
    peer: IpAddr,
    now: SystemTime,
    request_line: &str,
    status: u16,
    bytes: u64,
) -> String {
    let size = if bytes == 0 {
        "-".to_string()
    } else {
        bytes.to_string()
    };
    format!(
        "{peer} - - [{}] \"{request_line}\" {status} {size}\n",
        clf_time(now)
    )
}

/// `25/Nov/2026:15:00:00 +0000`, rearranged from the IMF-fixdate httpdate writes
/// (`Wed, 25 Nov 2026 15:00:00 GMT`), so no calendar arithmetic is written here.
fn clf_time(now: SystemTime) -> String {
    let imf = httpdate::fmt_http_date(now);
    let parts: Vec<&str> = imf.split(' ').collect();
    match parts.as_slice() {
        [_, day, month, year, time, _] => format!("{day}/{month}/{year}:{time} +0000"),
        _ => imf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn common_log_format() {
        let now = UNIX_EPOCH + Duration::from_secs(1_795_618_800); // 2026-11-25 15:00:00 UTC
        let line = format_line(
            [127, 0, 0, 1].into(),
            now,
            "GET /helloWorld.html HTTP/1.1",
            200,
            47,
        );
        assert_eq!(
            line,
            "127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] \"GET /helloWorld.html HTTP/1.1\" 200 47\n"
        );
    }
}
