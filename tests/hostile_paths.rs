//! The hostile-path corpus (`tests/data/hostile_paths.txt`: every form of `..`, encodings,
//! separators, NUL, absolute forms, symlinks out, open-redirect shapes) sent to a real server,
//! in both connection models, whose folder has a secret beside it and symlinks leading out.
//! None may return a byte from outside the folder, and no redirect may lead to another host.
//! The status each target gets is pinned by a snapshot.

mod common;

use std::io::Write;
use std::os::unix::fs::symlink;

use common::client::{connect, get_and_close, read_to_close};
use httplab::server::Model;

/// The corpus: (target, why), skipping comments and blank lines.
fn corpus() -> Vec<(String, String)> {
    let text = include_str!("data/hostile_paths.txt");
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (target, why) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("no tab in {line:?}"));
            (target.to_string(), why.to_string())
        })
        .collect()
}

/// `dir/site` (the fixtures) is served; `dir/secret.txt` and `dir/outside/secret.txt` hold
/// the secret; symlinks in the site lead to both.
struct Trap {
    dir: tempfile::TempDir,
    secret: Vec<u8>,
}

fn trap() -> Trap {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    httplab::fixtures::write_to(&site).unwrap();
    let secret = format!("HOSTILE-PATH-SECRET-{}", std::process::id()).into_bytes();
    std::fs::write(dir.path().join("secret.txt"), &secret).unwrap();
    std::fs::create_dir(dir.path().join("outside")).unwrap();
    std::fs::write(dir.path().join("outside/secret.txt"), &secret).unwrap();
    symlink(dir.path().join("secret.txt"), site.join("escape")).unwrap();
    symlink(dir.path().join("outside"), site.join("escape-dir")).unwrap();
    symlink(dir.path().join("secret.txt"), site.join("sub/escape")).unwrap();
    Trap { dir, secret }
}

/// Sends `GET target` (the target's bytes as they are) and reads until the server closes.
fn get(addr: std::net::SocketAddr, target: &str) -> Vec<u8> {
    let mut stream = connect(addr);
    stream.write_all(&get_and_close(target)).unwrap();
    read_to_close(&mut stream)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_corpus_is_large_enough() {
    assert!(corpus().len() >= 40, "{} entries", corpus().len());
}

#[test]
fn no_hostile_path_leaves_the_folder_in_either_model() {
    let trap = trap();
    let mut report = String::new();
    for model in [Model::Events, Model::Threads] {
        let server = common::start_server(&trap.dir.path().join("site"), |c| c.model = model);
        for (target, why) in corpus() {
            let response = get(server.addr, &target);
            let text = String::from_utf8_lossy(&response);
            assert!(
                !contains(&response, &trap.secret),
                "{target} ({why}) leaked the secret:\n{text}"
            );
            assert!(
                !contains(&response, b"root:x:0:0"),
                "{target} ({why}) leaked /etc/passwd"
            );
            let status = text.split("\r\n").next().unwrap_or("").to_string();
            assert!(
                [
                    "HTTP/1.1 400 ",
                    "HTTP/1.1 403 ",
                    "HTTP/1.1 404 ",
                    "HTTP/1.1 301 "
                ]
                .iter()
                .any(|s| status.starts_with(s)),
                "{target} ({why}): {status}"
            );
            if let Some(location) = text
                .split("\r\n")
                .find_map(|l| l.strip_prefix("Location: "))
            {
                assert!(
                    location.starts_with('/')
                        && !location.starts_with("//")
                        && !location.contains('\\'),
                    "{target} ({why}) redirects to {location:?}, which a browser may read as another host"
                );
            }
            if model == Model::Events {
                let location = text
                    .split("\r\n")
                    .find_map(|l| l.strip_prefix("Location: "));
                let location = location.map(|l| format!(" -> {l}")).unwrap_or_default();
                report.push_str(&format!("{target}\n    {status}{location}    ({why})\n"));
            }
        }
    }
    snapshot!("hostile_paths__statuses", report);
}
