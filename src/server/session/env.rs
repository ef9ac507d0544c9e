//! What a session is told with every call ([`Env`]), and the deadlines it enforces
//! ([`Timeouts`]).

use std::time::{Duration, Instant};

use crate::http::Now;
use crate::respond::Rules;
use crate::site::FileView;

/// What a session needs from outside for one call: the time, the site, the rules
/// (`ServerConfig::env` makes one).
pub struct Env<'a> {
    /// The monotonic time: every deadline is measured on it.
    pub now: Instant,
    /// The wall-clock time and its `Date` text, for responses and the access log.
    pub date: &'a dyn Now,
    pub view: &'a dyn FileView,
    /// The bounds on a request and the cache policy.
    pub rules: &'a Rules,
    pub timeouts: &'a Timeouts,
    /// Make access-log records.
    pub log: bool,
    /// Keep in each record the request's head as it arrived (`serve --show-requests`).
    pub show_requests: bool,
    /// Test-only: a request for this target panics (`ServerConfig::panic_on_target`).
    pub panic_on_target: Option<&'a str>,
}

/// Every deadline the server enforces on a client.
#[derive(Clone, Debug)]
pub struct Timeouts {
    /// A request head must be complete this long after accept; on a kept-alive connection,
    /// after the end of the previous response, or after the first byte that ends an idle
    /// wait. One fixed deadline: a byte trickled in does not extend it.
    pub head: Duration,
    /// A kept-alive connection with no byte of a next request is closed after this long.
    pub idle: Duration,
    /// A write that makes no progress for this long drops the connection (a client that
    /// stopped reading).
    pub write: Duration,
    /// After Ctrl-C or SIGTERM, responses in flight get this long to finish.
    pub shutdown_grace: Duration,
    /// After the last response on a closing connection, input is drained for at most this
    /// long, so the close does not become a reset that destroys the response (RFC 9112 §9.6).
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            head: Duration::from_secs(10),
            idle: Duration::from_secs(5),
            write: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            linger: Duration::from_secs(2),
        }
    }
}
