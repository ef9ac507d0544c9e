//! Shared by the integration tests: the snapshot location, a fixed clock, the fixture view,
//! and a real server on a free port.
#![allow(dead_code)]

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

/// Reads `httplab serve`'s banner line ("Serving DIR at http://127.0.0.1:PORT/ ...") from the
/// child's piped stdout and returns the port, and the stdout to keep open. Without a port in
/// the banner the child is killed and reaped, and the banner is the error.
pub fn port_from_banner(
    child: &mut std::process::Child,
) -> Result<(u16, std::io::BufReader<std::process::ChildStdout>), String> {
    use std::io::BufRead;
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut banner = String::new();
    let _ = stdout.read_line(&mut banner);
    let port = banner
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok());
    match port {
        Some(port) => Ok((port, stdout)),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(banner)
        }
    }
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

/// One response read off a stream: status code, head bytes, body bytes.
#[derive(Debug)]
pub struct RawResponse {
    pub code: u16,
    pub head: Vec<u8>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.head);
        text.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Reads exactly one response (framed by Content-Length) from `stream`, keeping any extra
/// bytes in `pending` for the next call. `head_only` for responses to HEAD.
pub fn read_response(
    stream: &mut impl std::io::Read,
    pending: &mut Vec<u8>,
    head_only: bool,
) -> RawResponse {
    loop {
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut fields);
        if let httparse::Status::Complete(head_len) =
            parsed.parse(pending).expect("a valid response head")
        {
            let code = parsed.code.unwrap();
            let length = parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| {
                    std::str::from_utf8(h.value)
                        .unwrap()
                        .parse::<usize>()
                        .unwrap()
                })
                .unwrap_or(0);
            let length = if head_only || code == 304 { 0 } else { length };
            while pending.len() < head_len + length {
                read_some(stream, pending);
            }
            let rest = pending.split_off(head_len + length);
            let mut message = std::mem::replace(pending, rest);
            let body = message.split_off(head_len);
            return RawResponse {
                code,
                head: message,
                body,
            };
        }
        read_some(stream, pending);
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

/// Reads until the server closes (or the timeout passes) and returns everything.
pub fn read_to_close(stream: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut all = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return all,
            Err(e) => panic!("read failed after {} bytes: {e}", all.len()),
        }
    }
}

/// A stable server of the fixtures: a fixed clock, a copy whose files have fixed modification
/// times; its bytes never change.
pub fn start_stable_server() -> (tempfile::TempDir, httplab::server::RunningServer) {
    let dir = stable_fixtures_copy();
    let server = start_server(dir.path(), |c| c.clock = now);
    (dir, server)
}
