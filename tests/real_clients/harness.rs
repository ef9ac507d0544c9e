//! The shared harness: finding a tool (or skipping clearly), running a client with a hard
//! time bound, the server binary on a free port with its access log, and the fixture site.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common;

// ---------------------------------------------------------------------------------------------
// Tools: found on PATH, or a clear skip (a failure under CI).
// ---------------------------------------------------------------------------------------------

/// The executable `name` on PATH (or in /usr/bin, /usr/sbin), if there is one.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The tool's path, or `None` after a clear `SKIPPED:` line on stderr. Under CI a missing tool
/// fails the test: CI installs every one of them (`just deps`), so none may skip there.
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    if let Some(path) = which(name) {
        return Some(path);
    }
    let message = format!("{name} is not installed (apt-get install {package})");
    assert!(
        !in_ci(),
        "{message}: CI must install it (`just deps`), so this test may not skip there"
    );
    // Straight to the process's stderr: the test harness captures eprintln! of a passing
    // test, and a skip must never be silent.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message} — {test}");
    None
}

// ---------------------------------------------------------------------------------------------
// Running a client with a hard time bound.
// ---------------------------------------------------------------------------------------------

/// Runs `command` (in its own process group) to completion and returns its output; past
/// `limit` the whole group is killed by its id and the test fails, showing what it printed.
pub fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    run_bounded_or(command, limit, "")
}

/// `run_bounded`, with `hint` (what a time-out means) in the failure.
pub fn run_bounded_or(command: &mut Command, limit: Duration, hint: &str) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let group = child.id() as i32;
    let (sender, receiver) = mpsc::channel();
    let stdout = drain(child.stdout.take().unwrap(), sender.clone(), 1);
    let stderr = drain(child.stderr.take().unwrap(), sender, 2);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Both pipes close when the process and anything it started are gone.
    let mut closed = 0;
    while closed < 2 {
        if receiver.recv_timeout(Duration::from_secs(10)).is_err() {
            // Something it started still holds a pipe: end the group, by its id.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            receiver
                .recv_timeout(Duration::from_secs(5))
                .expect("the output pipes close once the process group is killed");
        }
        closed += 1;
    }
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    let Some(status) = status else {
        panic!(
            "{description} did not finish within {limit:?}: killed. {hint}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

pub fn drain(
    mut pipe: impl Read + Send + 'static,
    done: mpsc::Sender<u8>,
    tag: u8,
) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        let _ = done.send(tag);
        all
    })
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the client exited 0, showing everything it printed if not.
pub fn succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}).\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The server: the real binary on a free port.
// ---------------------------------------------------------------------------------------------

/// `httplab serve fixtures --port 0 ARGS`, with its stderr (the access log) collected.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub log: Option<JoinHandle<String>>,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        Server::serving(Path::new("fixtures"), args)
    }

    /// `httplab serve FOLDER --port 0 ARGS`, with its access log collected.
    pub fn serving(folder: &Path, args: &[&str]) -> Server {
        let serving = common::binary::spawn_serve(folder, args, Stdio::piped())
            .unwrap_or_else(|banner| panic!("unexpected banner {banner:?}"));
        let mut child = serving.child;
        let mut stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        Server {
            child,
            port: serving.port,
            log: Some(log),
        }
    }

    /// Serves without an access log: for the tests that do not read it.
    pub fn quiet() -> Server {
        Server::start(&["--quiet"])
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then waits (at most 15 s, then SIGKILL and a failure) for the exit; returns
    /// the exit status, how long the exit took, and everything the server wrote on stderr.
    pub fn stop(mut self) -> (ExitStatus, Duration, String) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server did not exit within 15 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        let log = self.log.take().unwrap().join().unwrap();
        (status, took, log)
    }

    /// Stops the server, asserting a clean exit, and returns its access log as
    /// `(request line, status)` pairs, in order.
    pub fn stop_and_read_log(self) -> Vec<(String, u16)> {
        let (status, _, log) = self.stop();
        assert!(status.success(), "SIGTERM exits 0: {status}\n{log}");
        access_log(&log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The Common Log Format lines of the server's stderr, as `(request line, status)`:
/// `127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] "GET /helloWorld.html HTTP/1.1" 200 47`.
pub fn access_log(stderr: &str) -> Vec<(String, u16)> {
    stderr
        .lines()
        .filter(|line| line.starts_with("127.0.0.1 - - ["))
        .map(|line| {
            let (_, rest) = line.split_once("] \"").expect("a CLF line");
            let (request, rest) = rest.rsplit_once("\" ").expect("a CLF line");
            let status = rest
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no status in {line:?}"));
            (request.to_string(), status)
        })
        .collect()
}

/// Heavy or timed tests take this, so that their numbers are not the other tests' load.
static ALONE: Mutex<()> = Mutex::new(());

pub fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The fixture site.
// ---------------------------------------------------------------------------------------------

/// Every file under `fixtures/`, as its path relative to it ("sub/index.html"), sorted.
pub fn fixture_files() -> Vec<String> {
    common::files_under(&common::fixtures_dir())
}

pub fn fixture(relative: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(relative)).unwrap()
}

/// Asserts `got` is `expected` byte for byte; on a difference, says where and shows the bytes
/// there in hex (rather than two long lists of numbers).
pub fn assert_same_bytes(got: &[u8], expected: &[u8], what: &str) {
    if got == expected {
        return;
    }
    let at = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    let window =
        |bytes: &[u8]| hex::encode(&bytes[at.min(bytes.len())..(at + 16).min(bytes.len())]);
    panic!(
        "{what}: {} bytes arrived where the fixture has {}; the first difference is at byte {at}: \
         got {} where the fixture has {}",
        got.len(),
        expected.len(),
        window(got),
        window(expected)
    );
}

/// The URL path of a fixture: `hello world.html` is `/hello%20world.html`.
pub fn url_path(relative: &str) -> String {
    format!("/{}", relative.replace(' ', "%20"))
}
