//! What a response's access-log record keeps of its request, taken from the input before
//! the session consumes it.

use super::env::Env;
use crate::server::access_log::{Arrived, request_line};

/// What the log record of a response keeps of its request: the request line when there is
/// a log, the head's bytes only for `--show-requests` (no copy on the fast path otherwise).
pub(super) struct Logged {
    pub(super) request_line: String,
    pub(super) arrived: Option<Arrived>,
}

impl Logged {
    /// `head`: this request's bytes as they arrived (for a 408, the part that did).
    pub(super) fn of(head: &[u8], env: &Env) -> Logged {
        Logged {
            request_line: if env.log {
                request_line(head)
            } else {
                String::new()
            },
            arrived: (env.log && env.show_requests).then(|| Arrived::new(head)),
        }
    }
}
