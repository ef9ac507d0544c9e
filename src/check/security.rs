//! Nothing outside the served folder, whatever the path says.

use super::{Context, Judgement};

/// Targets that climb out of the folder, in the forms careless servers let through.
const ATTACKS: &[&str] = &[
    "/../../../../../../../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/sub/../../../../../../../../../../etc/passwd",
];

/// The shape of /etc/passwd: `root:x:0:0:`.
fn looks_like_passwd(body: &[u8]) -> bool {
    body.windows(5).any(|w| w == b"root:") && body.windows(5).any(|w| w == b":0:0:")
}

pub fn traversal(context: &Context) -> Judgement {
    for target in ATTACKS {
        let reply = context.get(target);
        if looks_like_passwd(&reply.bytes) {
            return Judgement::fail(
                "a refusal (400, 403 or 404): nothing outside the served folder",
                format!("GET {target} returned /etc/passwd"),
                &reply.bytes[..reply.bytes.len().min(256)],
            );
        }
    }
    Judgement::pass_with(format!(
        "{} climbing paths, none left the folder",
        ATTACKS.len()
    ))
}
