//! Faults in the served folder: a file truncated while it is sent, the folder deleted or
//! replaced by a file, entries that cannot be served (FIFO, device node).

use std::fs::File;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use httplab::server::Model;

use crate::harness::{
    MIB, Served, connect, fetch, get, read_head, read_until_closed, write_patterned,
};

/// A file cut short while it is being sent (truncated from 32 MiB to 2 MiB after the client
/// read 1 MiB): the response ends early with a close — soon, not at the write timeout — and
/// the server goes on.
fn a_file_truncated_while_it_is_sent_ends_that_response_only(model: Model) {
    let mut server = Served::start(model, &[], |site| {
        write_patterned(&site.join("big.bin"), 32);
    });
    let mut download = connect(server.addr);
    download.write_all(&get("/big.bin")).unwrap();
    let (head, mut body) = read_head(&mut download);
    assert_eq!(head.code, 200);
    let mut chunk = vec![0u8; 64 * 1024];
    while body.len() < MIB {
        let n = download.read(&mut chunk).unwrap();
        assert!(n > 0);
        body.extend_from_slice(&chunk[..n]);
    }
    File::options()
        .write(true)
        .open(server.site().join("big.bin"))
        .unwrap()
        .set_len(2 * MIB as u64)
        .unwrap();
    let truncated = Instant::now();
    let (rest, closed) = read_until_closed(&mut download, Duration::from_secs(10));
    let took = truncated.elapsed();
    body.extend_from_slice(&rest);
    let (code, _, _) = fetch(server.addr, "/helloWorld.html");
    server.assert_healthy();
    eprintln!(
        "truncated file ({model:?}): got {:.2} MiB of the 32 promised, closed {took:?} after the truncation",
        body.len() as f64 / MIB as f64
    );
    assert!(closed, "the connection closes");
    assert!(body.len() < 32 * MIB, "{} bytes", body.len());
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(code, 200);
}

/// Polls `GET path` until it answers `code` (the event model trusts what it knows of a path
/// for one second); returns how long that took.
fn until_status(addr: SocketAddr, path: &str, code: u16, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let (got, body, _) = fetch(addr, path);
        if got == code {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "GET {path}: still {got} after {:?}: {:?}",
            started.elapsed(),
            String::from_utf8_lossy(&body)
        );
        sleep(Duration::from_millis(50));
    }
}

/// The served folder deleted while serving: 404 for everything (within the second the event
/// model trusts its cache), no crash, and the folder's files are served again once it is back.
fn the_served_folder_deleted_while_serving_gives_404(model: Model) {
    let mut server = Served::start(model, &[], |_| {});
    let addr = server.addr;
    for path in ["/helloWorld.html", "/", "/sub/", "/logo.png"] {
        assert_eq!(fetch(addr, path).0, 200, "{path}");
    }
    std::fs::remove_dir_all(server.site()).unwrap();
    let mut took = Vec::new();
    for path in [
        "/helloWorld.html",
        "/",
        "/sub/",
        "/logo.png",
        "/missing.html",
    ] {
        took.push(until_status(addr, path, 404, Duration::from_secs(3)));
    }
    server.assert_healthy();
    httplab::fixtures::write_to(&server.site()).unwrap();
    let back = until_status(addr, "/helloWorld.html", 200, Duration::from_secs(3));
    server.assert_healthy();
    eprintln!(
        "folder deleted ({model:?}): 404 after {took:?}; served again {back:?} after it came back"
    );
}

/// The served folder replaced by a regular file: the names inside it are 404.
fn the_served_folder_replaced_by_a_file_gives_404(model: Model) {
    let mut server = Served::start(model, &[], |_| {});
    let addr = server.addr;
    assert_eq!(fetch(addr, "/helloWorld.html").0, 200);
    let site = server.site();
    std::fs::rename(&site, server.dir.path().join("moved")).unwrap();
    std::fs::write(&site, b"not a folder any more\n").unwrap();
    let took = until_status(addr, "/helloWorld.html", 404, Duration::from_secs(3));
    // Not even the root itself serves the file that took its place.
    for path in ["/sub/", "/", "/.", "/sub/..", "/%2e"] {
        let (code, body, _) = fetch(addr, path);
        assert_eq!(code, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("not a folder any more"));
    }
    server.assert_healthy();
    eprintln!("folder replaced by a file ({model:?}): 404 after {took:?}");
}

/// What makes a name unservable when the server runs as root (chmod does not stop root): a
/// FIFO, a Unix socket or a device node is 403 — answered at once: opening a FIFO would block —
/// a dangling symlink or a symlink loop is 404, a symlink to a device outside the folder 403.
/// A file that becomes a FIFO while served is 403 too (after the event model's one second).
fn entries_that_cannot_be_served_get_403_or_404_at_once(model: Model) {
    let mut server = Served::start(model, &[], |site| {
        mkfifo(&site.join("fifo"));
        // The socket file stays when the listener closes.
        drop(std::os::unix::net::UnixListener::bind(site.join("socket")).unwrap());
        std::os::unix::fs::symlink(site.join("gone"), site.join("dangling")).unwrap();
        std::os::unix::fs::symlink(site.join("loop-b"), site.join("loop-a")).unwrap();
        std::os::unix::fs::symlink(site.join("loop-a"), site.join("loop-b")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", site.join("zero")).unwrap();
        std::fs::write(site.join("becomes-fifo"), b"for now a file\n").unwrap();
    });
    let addr = server.addr;
    let device = mknod_null(&server.site().join("null-device"));
    let mut cases = vec![
        ("/fifo", 403),
        ("/socket", 403),
        ("/dangling", 404),
        ("/loop-a", 404),
        ("/zero", 403),
    ];
    if device {
        cases.push(("/null-device", 403));
    }
    let mut slowest = Duration::ZERO;
    for (path, code) in &cases {
        let (got, body, took) = fetch(addr, path);
        assert_eq!(got, *code, "{path}: {:?}", String::from_utf8_lossy(&body));
        slowest = slowest.max(took);
    }
    assert_eq!(fetch(addr, "/becomes-fifo").0, 200);
    let site = server.site();
    std::fs::remove_file(site.join("becomes-fifo")).unwrap();
    mkfifo(&site.join("becomes-fifo"));
    let took = until_status(addr, "/becomes-fifo", 403, Duration::from_secs(3));
    assert_eq!(fetch(addr, "/helloWorld.html").0, 200);
    server.assert_healthy();
    eprintln!(
        "unservable ({model:?}): {} names answered, the slowest in {slowest:?} (device node: {}); a file turned FIFO: 403 after {took:?}",
        cases.len(),
        if device {
            "tested"
        } else {
            "mknod not permitted here"
        }
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

fn mkfifo(path: &Path) {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// A character device like /dev/null (1, 3), if this process may make one.
fn mknod_null(path: &Path) -> bool {
    let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a NUL-terminated path; makedev of constants.
    unsafe { libc::mknod(name.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) == 0 }
}

for_both_models!(
    a_file_truncated_while_it_is_sent_ends_that_response_only,
    the_served_folder_deleted_while_serving_gives_404,
    the_served_folder_replaced_by_a_file_gives_404,
    entries_that_cannot_be_served_get_403_or_404_at_once,
);
