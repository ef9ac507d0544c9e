//! THE core: request bytes + a read-only view of the site + the time → the response.
//!
//! [`respond`] is pure in the sense that matters for testing: everything it depends on is an
//! argument (the bytes received so far, the [`FileView`] with each file's length and
//! modification time, `now` for the `Date` field, the [`Rules`]), it keeps no state and reads
//! no clock. What a file's answer is — validators, the conditional GET, ranges — is in
//! `file.rs`. The socket layer calls it with whatever
//! bytes it has; the [`Outcome`] says "need more bytes" or gives the response, how many input
//! bytes the request took, how many body bytes to throw away, and whether to close.

mod file;

use std::time::SystemTime;

use crate::http::{FieldValue, Now};

use crate::http::explain::{explain_refusal, explain_target};
use crate::http::method::{self, MethodKind};
use crate::http::request::{self, Framing, Limits, Parsed, Request, RequestError, Version};
use crate::http::{Body, Response, Status};
use crate::pages;
use crate::site::{Entry, FileView, SitePath, ViewError};

/// What to do with the bytes received so far.
#[derive(Debug)]
pub enum Outcome {
    /// The request head is not complete and nothing is wrong yet: read more bytes.
    Incomplete,
    Answer(Answer),
}

/// A response and what the socket layer must do around it.
#[derive(Debug)]
pub struct Answer {
    pub response: Response,
    /// Input bytes this request's head took; the next request starts after them (and after
    /// `discard`).
    pub consumed: usize,
    /// Request body bytes that follow the head, to be read and thrown away.
    pub discard: u64,
    /// Close the connection after sending the response (the response says `Connection: close`).
    pub close: bool,
    /// The client asked for that close (`Connection: close`, or HTTP/1.0 without keep-alive)
    /// and left no body unread: it sends nothing more, so the close need not linger.
    pub client_done: bool,
}

/// How a server is configured to answer: the bounds on a request, and its cache policy.
#[derive(Clone, Debug)]
pub struct Rules {
    pub limits: Limits,
    /// The `Cache-Control` of files (`serve --cache-control`).
    /// `no-cache` by default: a browser may keep a copy but asks again on every use, with
    /// the validators it got — so an edited page shows at once, and each reload is the
    /// textbook's conditional GET, a `304` in the access log.
    pub cache_control: FieldValue,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            limits: Limits::default(),
            cache_control: FieldValue::Static("no-cache"),
        }
    }
}

/// The `Cache-Control` of the answers httplab writes itself about a path (a folder's
/// redirect, its listing). A 301 and a listing may be cached by default (RFC 9110 §15.1),
/// but they have no validator to revalidate with, so `no-cache` would keep a copy that can
/// never be used: they are not kept, and a folder that gains a file or becomes one shows at
/// once.
const WITHOUT_VALIDATORS: &str = "no-store";

/// Answers the request at the start of `input`.
pub fn respond<V: FileView + ?Sized>(
    input: &[u8],
    view: &V,
    now: impl Now,
    rules: &Rules,
) -> Outcome {
    let limits = &rules.limits;
    let now = At {
        time: now.time(),
        date: now.date(),
    };
    let now = &now;
    match request::parse(input, limits) {
        Parsed::Incomplete => Outcome::Incomplete,
        Parsed::Invalid(error) => {
            let mut answer = refuse_malformed(&error, input, now);
            // A response to HEAD never has a body (RFC 9110 §9.3.2), even a refusal.
            if request::method_of(input) == Some("HEAD") {
                answer.response.body = Body::Empty;
            }
            Outcome::Answer(answer)
        }
        Parsed::Complete(request) => Outcome::Answer(answer(&request, view, now, rules)),
    }
}

/// The time of one call, with its `Date` text made once.
struct At {
    time: SystemTime,
    date: FieldValue,
}

impl Now for At {
    fn time(&self) -> SystemTime {
        self.time
    }

    fn date(&self) -> FieldValue {
        self.date.clone()
    }
}

/// The answer to a head that is known to be bad: its status, the reason with what arrived,
/// and a close.
fn refuse_malformed(error: &RequestError, input: &[u8], now: &At) -> Answer {
    Answer {
        response: refusal(error.status(), &explain_refusal(input, error), now),
        consumed: input.len(),
        discard: 0,
        close: true,
        client_done: false,
    }
}

/// A plain-text refusal that closes the connection.
pub fn refusal(status: Status, why: &str, now: impl Now) -> Response {
    refusal_from(base(status, now), why)
}

/// A refusal built on `head` (the base fields and any of the status's own, such as `Allow`).
fn refusal_from(head: Response, why: &str) -> Response {
    let body = pages::plain_reason(head.status, why);
    let mut response =
        with_body(head, "text/plain; charset=utf-8", body).with_header("Connection", "close");
    response.why = Some(why.to_string());
    response
}

/// 408, sent when a request did not arrive in time (the session's head deadline); `why` says
/// what had arrived and what was missing (`explain::explain_incomplete_head`).
pub fn timeout_response(why: &str, now: impl Now) -> Response {
    refusal(Status::REQUEST_TIMEOUT, why, now)
}

/// 503, sent to a connection accepted past the connection limit.
pub fn overload_response(now: impl Now) -> Response {
    let mut response = refusal(
        Status::SERVICE_UNAVAILABLE,
        "too many connections; try again shortly",
        now,
    );
    response.push_header("Retry-After", "1");
    response
}

fn answer<V: FileView + ?Sized>(
    request: &Request<'_>,
    view: &V,
    now: &At,
    rules: &Rules,
) -> Answer {
    let limits = &rules.limits;
    let consumed = request.head_len;
    let is_head = request.method == "HEAD";
    let refuse = |mut response: Response| {
        if is_head {
            response.body = Body::Empty;
        }
        Answer {
            response,
            consumed,
            discard: 0,
            close: true,
            client_done: false,
        }
    };
    match method::classify(request.method) {
        MethodKind::Get | MethodKind::Head => {}
        MethodKind::NotAllowed => {
            let why = format!(
                "{} is not allowed here; this server allows GET and HEAD",
                request.method
            );
            let head = base(Status::METHOD_NOT_ALLOWED, now)
                .with_header("Allow", FieldValue::Static(method::ALLOWED));
            return refuse(refusal_from(head, &why));
        }
        MethodKind::Unknown => {
            let why = unknown_method(request.method);
            return refuse(refusal(Status::NOT_IMPLEMENTED, &why, now));
        }
    };
    let path = match SitePath::from_target(request.target) {
        Ok(path) => path,
        Err(error) => {
            let why = explain_target(&error.to_string(), request.target);
            return refuse(refusal(Status::BAD_REQUEST, &why, now));
        }
    };
    // A body on GET/HEAD means nothing here, but its bytes must not be read as the next
    // request: a small Content-Length body is thrown away, anything else ends the connection.
    let (discard, body_forces_close) = match request.framing {
        Framing::None => (0, false),
        Framing::Length(length) if length <= limits.max_discarded_body => (length, false),
        Framing::Length(_) | Framing::Chunked => (0, true),
    };
    let keep_alive = request.wants_persistence() && !body_forces_close;
    let mut response = serve(&path, request, view, now, rules);
    match (keep_alive, request.version) {
        (false, _) => response.push_header("Connection", "close"),
        (true, Version::Http10) => response.push_header("Connection", "keep-alive"),
        (true, Version::Http11) => {}
    }
    if is_head {
        response.body = Body::Empty;
    }
    Answer {
        response,
        consumed,
        discard,
        close: !keep_alive,
        client_done: !request.wants_persistence() && !body_forces_close,
    }
}

/// Why a method is not implemented; `get` is told that methods are case-sensitive and that
/// it means GET.
fn unknown_method(method: &str) -> String {
    let upper = method.to_ascii_uppercase();
    if upper != method && method::classify(&upper) != MethodKind::Unknown {
        format!(
            "the method {method} is not implemented: methods are case-sensitive, write {upper} \
             in capitals"
        )
    } else {
        format!("the method {method} is not implemented; this server implements GET and HEAD")
    }
}

/// Finds what `path` names and builds its response (without the Connection field).
fn serve<V: FileView + ?Sized>(
    path: &SitePath,
    request: &Request<'_>,
    view: &V,
    now: &At,
    rules: &Rules,
) -> Response {
    match view.open(path) {
        Ok(Entry::File(_)) if path.has_trailing_slash() => not_found(path, now),
        Ok(Entry::File(content)) => file::file(path.file_name(), content, request, now, rules),
        Ok(Entry::Folder) if !path.has_trailing_slash() => {
            let mut location = path.as_folder().to_href();
            // The query goes along; a fragment ends the target before anything after it.
            let target = request.target.split('#').next().unwrap_or_default();
            if let Some((_, query)) = target.split_once('?') {
                location.push('?');
                location.push_str(query);
            }
            let body = pages::moved(&location);
            with_body(
                base(Status::MOVED_PERMANENTLY, now),
                "text/html; charset=utf-8",
                body,
            )
            .with_header("Location", location)
            .with_header("Cache-Control", WITHOUT_VALIDATORS)
        }
        Ok(Entry::Folder) => folder(path, request, view, now, rules),
        Err(error) => view_error(path, &error, now),
    }
}

/// A folder asked for with its slash: its index.html, else a listing.
fn folder<V: FileView + ?Sized>(
    path: &SitePath,
    request: &Request<'_>,
    view: &V,
    now: &At,
    rules: &Rules,
) -> Response {
    let index = path.child(b"index.html");
    match view.open(&index) {
        Ok(Entry::File(content)) => file::file(b"index.html", content, request, now, rules),
        Ok(Entry::Folder) | Err(ViewError::NotFound) => match view.list(path) {
            Ok(entries) => with_body(
                base(Status::OK, now),
                "text/html; charset=utf-8",
                pages::listing(path, &entries),
            )
            .with_header("Cache-Control", WITHOUT_VALIDATORS),
            Err(error) => view_error(path, &error, now),
        },
        Err(error) => view_error(&index, &error, now),
    }
}

fn view_error(path: &SitePath, error: &ViewError, now: &At) -> Response {
    match error {
        ViewError::NotFound => not_found(path, now),
        ViewError::Forbidden(why) => with_body(
            base(Status::FORBIDDEN, now),
            "text/html; charset=utf-8",
            pages::forbidden(path, &why.to_string()),
        ),
        ViewError::Unavailable(why) => with_body(
            base(Status::INTERNAL_SERVER_ERROR, now),
            "text/plain; charset=utf-8",
            pages::plain_reason(Status::INTERNAL_SERVER_ERROR, why),
        ),
    }
}

fn not_found(path: &SitePath, now: &At) -> Response {
    with_body(
        base(Status::NOT_FOUND, now),
        "text/html; charset=utf-8",
        pages::not_found(path),
    )
}

/// Status line plus the fields every response carries.
fn base(status: Status, now: impl Now) -> Response {
    Response::new(status)
        .with_header("Date", now.date())
        .with_header("Server", "httplab")
}

fn with_body(mut response: Response, content_type: &'static str, body: Vec<u8>) -> Response {
    response.push_header("Content-Type", content_type);
    response.push_header("Content-Length", body.len());
    response.body = Body::Bytes(body);
    response
}
