//! [`Supervised`]: one running program and its tree, from start to the last reaped process.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::capture::{Capture, Captured, OutputMark};
use super::tree::{MARKER_NAME, Tree};
use super::watchdog::{KILL_BOUND, Watchdog};
use super::{LimitHit, ProgramSpec, SuperviseError, confine, registry, spec};

/// After SIGTERM, how long the tree has to end before SIGKILL.
pub const GRACE: Duration = Duration::from_millis(200);

/// Once the leader has exited, how long to wait for its last output to be read (the
/// traceback it printed while dying).
const DRAIN_BOUND: Duration = Duration::from_millis(100);

/// How the program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It had exited before it was stopped (by itself, or killed by a limit: see
    /// [`ExitReport::limit`]). Processes it left behind were still killed.
    Exited,
    /// It ended within the grace period after SIGTERM.
    Terminated,
    /// It had to be SIGKILLed.
    Killed,
}

/// What a stopped program did.
#[derive(Clone, Debug)]
pub struct ExitReport {
    /// The leader's exit status; `None` only if it could not be reaped within the kill bound.
    pub status: Option<ExitStatus>,
    pub ending: Ending,
    /// The tree-wide limit it went past, if any.
    pub limit: Option<LimitHit>,
    /// From start until the leader exited (or was stopped).
    pub run_time: Duration,
    pub output: Captured,
    /// Processes still present after the kill bound (stuck in the kernel); normally empty.
    pub survivors: Vec<u32>,
}

impl ExitReport {
    /// Whether it was stopped for running past its wall-clock bound.
    pub fn timed_out(&self) -> bool {
        self.limit == Some(LimitHit::Wall)
    }

    /// The signal that ended the leader, if a signal did.
    pub fn signal(&self) -> Option<i32> {
        self.status.and_then(|s| s.signal())
    }
}

/// A running program and its process tree. Dropping it stops it.
pub struct Supervised {
    child: Child,
    tree: Arc<Tree>,
    started: Instant,
    /// The leader's status and when it was first seen, once it has exited and been reaped.
    exited: Option<(ExitStatus, Instant)>,
    stdout: Capture,
    stderr: Capture,
    watchdog: Option<Watchdog>,
    report: Option<ExitReport>,
}

static NEXT_TREE: AtomicU64 = AtomicU64::new(1);

impl Supervised {
    /// Starts `spec.argv` in `spec.dir`: in its own session, with the kernel limits set
    /// before exec, stdin from `/dev/null`, stdout and stderr captured, watched from now on.
    pub fn start(spec: &ProgramSpec) -> Result<Supervised, SuperviseError> {
        let (program, _) = spec
            .argv
            .split_first()
            .ok_or(SuperviseError::EmptyCommand)?;
        prepare(spec)?;
        let id = NEXT_TREE.fetch_add(1, Ordering::Relaxed);
        let marker = Tree::marker_value(id);
        let (mut child, tree) = registry::spawn_unless_interrupted(|| {
            let child = command(spec, &marker)
                .spawn()
                .map_err(|source| SuperviseError::Spawn {
                    program: program.clone(),
                    dir: spec.dir.clone(),
                    source,
                })?;
            let pair = format!("{MARKER_NAME}={marker}").into_bytes();
            let tree = Arc::new(Tree::new(id, child.id() as i32, pair));
            registry::register(tree.clone());
            Ok((child, tree))
        })?;
        let started = Instant::now();
        match watch(&mut child, &tree, spec, started) {
            Ok((stdout, stderr, watchdog)) => Ok(Supervised {
                child,
                tree,
                started,
                exited: None,
                stdout,
                stderr,
                watchdog: Some(watchdog),
                report: None,
            }),
            Err(error) => {
                tree.kill(KILL_BOUND);
                let _ = child.wait();
                registry::unregister(id);
                Err(error)
            }
        }
    }

    /// The leader's pid (also the tree's process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the leader has exited (non-blocking). The first time it has, waits briefly
    /// for the last output it wrote to be read.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        let first_time = self.exited.is_none();
        let status = self.poll_leader()?;
        if first_time {
            let deadline = Instant::now() + DRAIN_BOUND;
            while !(self.stdout.at_eof() && self.stderr.at_eof()) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Some(status)
    }

    /// The limit the program went past, if one ended it: the watchdog's tree-wide bounds,
    /// or the kernel's CPU bound on one process (its leader killed by SIGXCPU).
    pub fn limit_hit(&self) -> Option<LimitHit> {
        use std::os::unix::process::ExitStatusExt;
        self.tree.limit_hit().or_else(|| {
            let (status, _) = self.exited?;
            (status.signal() == Some(libc::SIGXCPU)).then_some(LimitHit::Cpu)
        })
    }

    /// How long since it started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// stdout and stderr so far.
    pub fn output(&self) -> Captured {
        Captured {
            stdout: self.stdout.lock().snapshot(),
            stderr: self.stderr.lock().snapshot(),
        }
    }

    /// The current end of the output, to ask later what came after it.
    pub fn mark(&self) -> OutputMark {
        OutputMark {
            stdout_bytes: self.stdout.lock().total(),
            stderr_bytes: self.stderr.lock().total(),
        }
    }

    /// What the program wrote to stderr after `mark`, as far as it is kept (the last
    /// [`Limits::output_bytes`](super::Limits::output_bytes)); a first line says how much
    /// was dropped, if any.
    pub fn stderr_since(&self, mark: OutputMark) -> String {
        let (dropped, bytes) = self.stderr.lock().since(mark.stderr_bytes);
        let text = String::from_utf8_lossy(&bytes);
        if dropped > 0 {
            format!("[{dropped} earlier bytes of stderr not kept]\n{text}")
        } else {
            text.into_owned()
        }
    }

    /// Kills the whole tree (SIGTERM, 200 ms of grace, SIGKILL to every remaining process,
    /// including those that left the group), reaps it, and reports. Calling it again returns
    /// the same report.
    pub fn stop(&mut self) -> ExitReport {
        if let Some(report) = &self.report {
            return report.clone();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            watchdog.stop();
        }
        let exited_before = self.exit_status().is_some();
        let (killed, survivors) = self.terminate();
        self.stdout.finish();
        self.stderr.finish();
        registry::unregister(self.tree.id);
        let ending = match (exited_before, killed) {
            (true, _) => Ending::Exited,
            (false, false) => Ending::Terminated,
            (false, true) => Ending::Killed,
        };
        let ended_at = self.exited.map_or_else(Instant::now, |(_, at)| at);
        let report = ExitReport {
            status: self.exited.map(|(status, _)| status),
            ending,
            limit: self.limit_hit(),
            run_time: ended_at.duration_since(self.started),
            output: self.output(),
            survivors,
        };
        self.report = Some(report.clone());
        report
    }

    /// SIGTERM, grace, then SIGKILL if anything is left. Returns whether SIGKILL was needed
    /// and what survived it.
    fn terminate(&mut self) -> (bool, Vec<u32>) {
        let _ = self.tree.signal(libc::SIGTERM);
        let deadline = Instant::now() + GRACE;
        loop {
            let leader_done = self.poll_leader().is_some();
            let found = self.tree.scan().unwrap_or_default();
            self.tree.reap_orphans(&found);
            if leader_done && found.iter().all(|e| e.is_zombie()) {
                // Any zombie left is ours, reaped just above.
                return (false, Vec::new());
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let survivors = self.tree.kill(KILL_BOUND);
        let deadline = Instant::now() + KILL_BOUND;
        while self.poll_leader().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        (true, survivors)
    }

    /// The tree's processes now (for the listening check).
    pub(super) fn tree_scan(&self) -> std::io::Result<Vec<super::procfs::ProcEntry>> {
        self.tree.scan()
    }

    /// Records a limit the caller enforced (`run_once`'s timeout).
    pub(super) fn record_limit(&self, hit: LimitHit) {
        self.tree.record_limit(hit);
    }

    /// Reaps the leader if it has exited, without waiting.
    fn poll_leader(&mut self) -> Option<ExitStatus> {
        if let Some((status, _)) = self.exited {
            return Some(status);
        }
        let status = self.child.try_wait().ok()??;
        self.exited = Some((status, Instant::now()));
        self.tree.leader_reaped();
        Some(status)
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Checks what must hold before anything is spawned: the folder exists, `/proc` is
/// readable, and we are a subreaper.
fn prepare(spec: &ProgramSpec) -> Result<(), SuperviseError> {
    let folder_error = |source| SuperviseError::Folder {
        dir: spec.dir.clone(),
        source,
    };
    let metadata = std::fs::metadata(&spec.dir).map_err(folder_error)?;
    if !metadata.is_dir() {
        return Err(folder_error(std::io::ErrorKind::NotADirectory.into()));
    }
    std::fs::read_to_string("/proc/self/stat").map_err(SuperviseError::Procfs)?;
    become_subreaper()
}

/// Makes this process a child subreaper, once (the setting is process-wide).
fn become_subreaper() -> Result<(), SuperviseError> {
    static DONE: std::sync::OnceLock<Result<(), i32>> = std::sync::OnceLock::new();
    let outcome = DONE.get_or_init(|| {
        // SAFETY: prctl with an integer argument; no pointers.
        let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        if result == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    });
    outcome.map_err(|errno| SuperviseError::Subreaper(std::io::Error::from_raw_os_error(errno)))
}

fn command(spec: &ProgramSpec, marker: &str) -> Command {
    let argv = match &spec.confinement {
        Some(confinement) if confinement.private_network() => {
            let mut env = spec.env.clone();
            env.push((MARKER_NAME.into(), marker.into()));
            confinement.wrap(&spec.argv, &spec.dir, &env)
        }
        _ => spec.argv.clone(),
    };
    let mut command = Command::new(&argv[0]);
    command
        .args(&argv[1..])
        .current_dir(&spec.dir)
        .envs(spec.env.iter().map(|(name, value)| (name, value)))
        .env(MARKER_NAME, marker)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let rlimits = spec::rlimits(&spec.limits);
    let user = spec.confinement.as_ref().map(|c| (c.uid, c.gid));
    // SAFETY: between fork and exec the closure makes only system calls (setsid, getrlimit,
    // setrlimit, setgroups, setgid, setuid) on memory allocated before the fork; it
    // allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            spec::apply_rlimits(&rlimits)?;
            match user {
                Some((uid, gid)) => confine::drop_privileges(uid, gid),
                None => Ok(()),
            }
        });
    }
    command
}

/// Starts the output readers and the watchdog of a spawned program.
fn watch(
    child: &mut Child,
    tree: &Arc<Tree>,
    spec: &ProgramSpec,
    started: Instant,
) -> Result<(Capture, Capture, Watchdog), SuperviseError> {
    let pid = child.id();
    let cap = spec.limits.output_bytes;
    let pipes = (child.stdout.take(), child.stderr.take());
    let (Some(stdout), Some(stderr)) = pipes else {
        let missing = std::io::Error::other("the output pipes were not created");
        return Err(SuperviseError::Thread(missing));
    };
    let stdout = Capture::start(stdout, cap, &format!("httplab-stdout-{pid}"))
        .map_err(SuperviseError::Thread)?;
    let stderr = Capture::start(stderr, cap, &format!("httplab-stderr-{pid}"))
        .map_err(SuperviseError::Thread)?;
    let watchdog = Watchdog::start(tree.clone(), spec.limits.clone(), spec.dir.clone(), started)
        .map_err(SuperviseError::Thread)?;
    Ok((stdout, stderr, watchdog))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check --run` restarts the server from its runner's thread; `grade` runs many.
    #[test]
    fn a_supervised_program_and_its_report_move_between_threads() {
        fn send<T: Send>() {}
        send::<Supervised>();
        send::<ExitReport>();
    }
}
