//! Shared by the integration tests (`mod common;`): the snapshot location, a fixed clock, the
//! fixtures (the repository's folder, an in-memory view, copies in temp dirs), a real server on
//! a free port, and the one response reader. Submodules: `binary` starts httplab's binary (the
//! one launcher), `client` is a raw client (connect, GET, read to the close, fetch), `peers` are
//! other servers to compare with.
//!
//! Every test binary compiles all of it and uses a part: an item that some binary leaves unused
//! carries its own `#[allow(dead_code)]` (the items it calls need none); an item that no binary
//! uses is deleted, not allowed.

pub mod binary;
pub mod client;
pub mod peers;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use httplab::site::MemoryView;

/// Asserts an insta snapshot stored in the top-level `snapshots/` folder.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

/// 2026-11-25 15:00:00 UTC: every snapshot's `Date`.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_618_800)
}

/// 2026-11-01 12:00:00 UTC: the modification time of every in-memory file and stable copy.
pub fn modified() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_793_534_400)
}

/// The repository's `fixtures/` folder itself (never write into it).
#[allow(dead_code)]
pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fresh copy of the fixtures in a temp dir, as `httplab fixtures` writes them (so their
/// modification times are now). The embedded list is the `fixtures/` folder (a unit test of
/// `httplab::fixtures` keeps them identical).
pub fn fixtures_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    httplab::fixtures::write_to(dir.path()).unwrap();
    dir
}

/// A copy of the fixtures in a temp dir with every file's modification time set to
/// `modified()`, so `Last-Modified` is stable.
fn stable_fixtures_copy() -> tempfile::TempDir {
    let dir = fixtures_copy();
    for relative in files_under(dir.path()) {
        std::fs::File::options()
            .write(true)
            .open(dir.path().join(relative))
            .unwrap()
            .set_modified(modified())
            .unwrap();
    }
    dir
}

/// An in-memory copy of the fixture site, with a fixed modification time. The embedded list
/// is the `fixtures/` folder (a unit test of `httplab::fixtures` keeps them identical).
#[allow(dead_code)]
pub fn fixture_view() -> MemoryView {
    httplab::fixtures::FILES
        .iter()
        .fold(MemoryView::new(), |view, (path, bytes)| {
            view.with_file(&format!("/{path}"), bytes.to_vec(), modified())
        })
}

/// Every file under `root`, as its path relative to it ("sub/index.html"), sorted.
pub fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                files.push(relative.to_string());
            }
        }
    }
    files.sort();
    files
}

/// Each test named, once per connection model: `events::NAME` and `threads::NAME` in the
/// module that invokes it, calling `NAME(Model::Events)` and `NAME(Model::Threads)` of that
/// module. Attributes written before a name apply to its event-model test only.
#[macro_export]
macro_rules! for_both_models {
    ($($(#[$events:meta])* $name:ident),* $(,)?) => {
        mod events {
            $($(#[$events])*
            #[test]
            fn $name() {
                super::$name(super::Model::Events)
            })*
        }
        mod threads {
            $(#[test]
            fn $name() {
                super::$name(super::Model::Threads)
            })*
        }
    };
}

/// A real server on a free loopback port, serving `root`, stopped when dropped.
pub fn start_server(
    root: &std::path::Path,
    tune: impl FnOnce(&mut httplab::server::ServerConfig),
) -> httplab::server::RunningServer {
    let mut config = httplab::server::ServerConfig::new(root);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.quiet = true;
    tune(&mut config);
    httplab::server::Server::bind(config).unwrap().spawn()
}

/// A stable server of the fixtures: a fixed clock, a copy whose files have fixed modification
/// times; its bytes never change.
#[allow(dead_code)]
pub fn start_stable_server() -> (tempfile::TempDir, httplab::server::RunningServer) {
    let dir = stable_fixtures_copy();
    let server = start_server(dir.path(), |c| c.clock = now);
    (dir, server)
}

// ---------------------------------------------------------------------------------------------
// The one response reader of the tests: httparse, framed by Content-Length. It is not
// httplab's own (lenient) reader in `wire`, so that no test grades the server with the code
// under test.

/// One response off the wire: status code, head (status line and fields, up to the empty
/// line), body.
#[derive(Debug)]
pub struct RawResponse {
    pub code: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of the first field called `name` (any case), trimmed.
    #[allow(dead_code)]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// The response at the start of `bytes`, framed by Content-Length (no body for an answer to
/// HEAD, `head_only`, nor for a 304), and the number of bytes it takes; `Ok(None)` while it is
/// incomplete; an error for bytes that are not a response head.
pub fn split_response(
    bytes: &[u8],
    head_only: bool,
) -> Result<Option<(RawResponse, usize)>, String> {
    let mut fields = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut fields);
    let head_len = match parsed.parse(bytes) {
        Ok(httparse::Status::Complete(head_len)) => head_len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(format!(
                "not a response head ({e}): {:?}",
                String::from_utf8_lossy(bytes)
            ));
        }
    };
    let code = parsed.code.unwrap();
    let length = match parsed
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
    {
        Some(field) => std::str::from_utf8(field.value)
            .ok()
            .and_then(|value| value.parse::<usize>().ok())
            .ok_or_else(|| format!("Content-Length {:?}", String::from_utf8_lossy(field.value)))?,
        None => 0,
    };
    let length = if head_only || code == 304 { 0 } else { length };
    if bytes.len() < head_len + length {
        return Ok(None);
    }
    let response = RawResponse {
        code,
        head: String::from_utf8_lossy(&bytes[..head_len]).into_owned(),
        body: bytes[head_len..head_len + length].to_vec(),
    };
    Ok(Some((response, head_len + length)))
}

/// Reads exactly one response from `stream`, keeping any extra bytes in `pending` for the next
/// call. `head_only` for responses to HEAD; then what came after the head stays in `pending`.
#[allow(dead_code)]
pub fn read_response(
    stream: &mut impl std::io::Read,
    pending: &mut Vec<u8>,
    head_only: bool,
) -> RawResponse {
    loop {
        match split_response(pending, head_only) {
            Ok(Some((response, used))) => {
                pending.drain(..used);
                return response;
            }
            Ok(None) => read_some(stream, pending),
            Err(e) => panic!("{e}"),
        }
    }
}

fn read_some(stream: &mut impl std::io::Read, pending: &mut Vec<u8>) {
    let mut chunk = [0u8; 65536];
    let n = stream.read(&mut chunk).expect("read");
    assert!(
        n > 0,
        "connection closed early; got {:?}",
        String::from_utf8_lossy(pending)
    );
    pending.extend_from_slice(&chunk[..n]);
}

/// Every response in `bytes`, each complete; `head_only[i]` for answers to HEAD (the last flag
/// repeats). Panics on bytes that are not a response, or a response cut short.
#[allow(dead_code)]
pub fn parse_responses(bytes: &[u8], head_only: &[bool]) -> Vec<RawResponse> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let is_head = *head_only
            .get(out.len())
            .or(head_only.last())
            .unwrap_or(&false);
        match split_response(rest, is_head) {
            Ok(Some((response, used))) => {
                out.push(response);
                rest = &rest[used..];
            }
            Ok(None) => panic!("a response cut short: {:?}", String::from_utf8_lossy(rest)),
            Err(e) => panic!("{e}"),
        }
    }
    out
}
