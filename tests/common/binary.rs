//! httplab's own binary as a process: [`spawn_serve`], the one launcher of `httplab serve`
//! in the tests, and [`Served`], a server on a fresh copy of the fixtures whose open files,
//! memory and threads can be counted (`/proc/PID/{fd,status}`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use httplab::server::Model;

/// `httplab serve` started by [`spawn_serve`], its banner read. The caller owns the child:
/// it must kill it (by its PID) and reap it.
pub struct Serving {
    pub child: Child,
    pub port: u16,
    /// "Serving DIR at http://127.0.0.1:PORT/ (Ctrl-C to stop)\n" (read by tests/cli.rs).
    #[allow(dead_code)]
    pub banner: String,
    /// The rest of its stdout: dropping it closes the pipe ([`Served`] keeps it).
    pub stdout: BufReader<ChildStdout>,
}

/// Starts the real binary, `httplab serve FOLDER --port 0 ARGS`, in the repository's folder
/// (so `fixtures` is its `fixtures/`), with stdin closed, stdout piped and stderr sent to
/// `stderr`, and reads the port from its banner. Without a port in the banner the child is
/// killed and reaped, and the banner is the error.
pub fn spawn_serve(folder: &Path, args: &[&str], stderr: Stdio) -> Result<Serving, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .arg("serve")
        .arg(folder)
        .args(["--port", "0"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start httplab serve: {e}"));
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut banner = String::new();
    let _ = stdout.read_line(&mut banner);
    let port = banner
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok());
    match port {
        Some(port) => Ok(Serving {
            child,
            port,
            banner,
            stdout,
        }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(banner)
        }
    }
}

/// `httplab serve DIR/site --port 0 --quiet --model M ARGS`, the real binary, serving a fresh
/// copy of the fixtures in a temp dir. Killed (by PID) when dropped. Its stderr goes to
/// `DIR/stderr.log`.
pub struct Served {
    pub child: Child,
    #[allow(dead_code)]
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    _stdout: BufReader<ChildStdout>,
}

fn model_arg(model: Model) -> &'static str {
    match model {
        Model::Events => "events",
        Model::Threads => "threads",
    }
}

// Each method is used by the robustness tests, some by the stress tests; other binaries use
// none of them.
#[allow(dead_code)]
impl Served {
    /// Starts it; `prepare` may add to the site (`DIR/site`) first.
    pub fn start(model: Model, args: &[&str], prepare: impl FnOnce(&Path)) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        httplab::fixtures::write_to(&site).unwrap();
        prepare(&site);
        let log = File::create(dir.path().join("stderr.log")).unwrap();
        let mut all = vec!["--quiet", "--model", model_arg(model)];
        all.extend_from_slice(args);
        let serving = spawn_serve(&site, &all, log.into()).unwrap_or_else(|banner| {
            panic!(
                "no port in the banner {banner:?}; stderr: {}",
                std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
            )
        });
        Served {
            child: serving.child,
            addr: SocketAddr::from(([127, 0, 0, 1], serving.port)),
            dir,
            _stdout: serving.stdout,
        }
    }

    pub fn site(&self) -> PathBuf {
        self.dir.path().join("site")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Open file descriptors of the server process.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|dir| dir.count())
            .unwrap_or(0)
    }

    /// A field of /proc/PID/status, as a number (kB for the Vm* fields).
    pub fn status(&self, field: &str) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        text.lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name == field).then(|| value.split_whitespace().next()?.parse().ok())?
            })
            .unwrap_or_else(|| panic!("no {field} in /proc/PID/status"))
    }

    pub fn rss_kib(&self) -> u64 {
        self.status("VmRSS")
    }

    pub fn peak_rss_kib(&self) -> u64 {
        self.status("VmHWM")
    }

    pub fn threads(&self) -> u64 {
        self.status("Threads")
    }

    /// Waits (bounded) until the open-file count is at most `target`; returns the last count.
    pub fn settle_fds(&self, target: usize, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let now = self.fds();
            if now <= target || Instant::now() >= deadline {
                return now;
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// The open-file count once it has stopped moving (connections closing in the background,
    /// a lingering close, have finished): a baseline to come back to.
    pub fn quiet_fds(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = self.fds();
        let mut stable_since = Instant::now();
        while Instant::now() < deadline {
            sleep(Duration::from_millis(50));
            let now = self.fds();
            if now != last {
                last = now;
                stable_since = Instant::now();
            } else if stable_since.elapsed() >= Duration::from_millis(300) {
                break;
            }
        }
        last
    }

    pub fn terminate(&self) {
        // SAFETY: kill(2) on the PID of a child this test started and has not reaped.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(Duration::from_millis(5));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// The server is still running and never reported a bug (a caught panic) on stderr.
    pub fn assert_healthy(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the server exited; stderr: {}",
            self.stderr()
        );
        let stderr = self.stderr();
        assert!(!stderr.contains("a bug"), "stderr: {stderr}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child httplab to finish and returns its output; kills it and fails the test
/// when it runs past `within` (a command that hangs is a bug, never a slow test).
#[allow(dead_code)]
pub fn wait_bounded(mut child: Child, within: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("httplab did not finish within {within:?}");
        }
        sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}
