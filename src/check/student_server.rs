//! `check --run`: the student's server, started by `check` itself — in a fresh folder that
//! holds a copy of the student's files and the fixture site, supervised (bounded, its whole
//! process tree killed at the end, also on Ctrl-C), watched between checks, started again
//! after it dies, and its traceback kept for the check during which it died.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::Check;
use super::runner::{Death, Watch};
use crate::supervise::{
    Confinement, NotListening, OutputMark, ProgramSpec, SuperviseError, Supervised, TempFolder,
    working_copy,
};

/// In `grade`, how long a submission's server may run in all (a backstop: a whole check
/// takes seconds).
const GRADED_WALL: Duration = Duration::from_secs(300);
/// How long a server may take to start listening.
pub const STARTUP: Duration = Duration::from_secs(10);
/// After a check that left a request unanswered, how long to wait for the server's exit to
/// show before deciding it is alive.
const EXIT_GRACE: Duration = Duration::from_millis(300);
/// After a check without trouble, how long a server still running may take to go back to
/// sleep (or to exit) before the next check starts anyway.
const SETTLE: Duration = Duration::from_millis(200);
/// The program to run: a shell command, or a program and its arguments; `{port}` anywhere
/// in it is replaced by the port.
#[derive(Clone, Debug)]
pub enum ServerCommand {
    Shell(String),
    Argv(Vec<String>),
}

impl ServerCommand {
    /// Whether the command names its port (`{port}`), so that check may choose one.
    pub fn takes_port(&self) -> bool {
        match self {
            ServerCommand::Shell(command) => command.contains("{port}"),
            ServerCommand::Argv(words) => words.iter().any(|w| w.contains("{port}")),
        }
    }

    /// The program, `{port}` and `{dir}` (the working folder) replaced.
    fn spec(&self, port: u16, dir: &Path) -> ProgramSpec {
        let port = port.to_string();
        let folder = dir.to_string_lossy();
        let fill = |text: &str| text.replace("{port}", &port).replace("{dir}", &folder);
        let spec = match self {
            ServerCommand::Shell(command) => ProgramSpec::shell(&fill(command), dir),
            ServerCommand::Argv(words) => ProgramSpec::new(words.iter().map(|w| fill(w)), dir),
        };
        // Python buffers print() into a pipe: without this, what a server printed before it
        // was stopped (or crashed in C) never reaches its log.
        spec.with_env("PYTHONUNBUFFERED", "1")
    }

    pub fn display(&self) -> String {
        match self {
            ServerCommand::Shell(command) => command.clone(),
            ServerCommand::Argv(words) => words.join(" "),
        }
    }
}

/// Why the server could not be started.
#[derive(Debug)]
pub enum StartError {
    /// The working folder could not be made.
    Folder(std::io::Error),
    /// The program could not be run at all.
    Spawn(SuperviseError),
    /// It ran, but did not listen; `output` is what it wrote before it was stopped.
    NotListening {
        why: NotListening,
        output: Box<crate::supervise::Captured>,
    },
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Folder(error) => write!(f, "cannot prepare a working folder: {error}"),
            StartError::Spawn(error) => write!(f, "cannot start the server: {error}"),
            StartError::NotListening {
                why: why @ NotListening::Exited { stderr_tail, .. },
                ..
            } if !stderr_tail.trim().is_empty() => {
                write!(f, "{why}; it wrote:\n{}", stderr_tail.trim_end())
            }
            StartError::NotListening { why, .. } => write!(f, "{why}"),
        }
    }
}

/// The student's server while `check` runs.
pub struct StudentServer {
    command: ServerCommand,
    folder: TempFolder,
    port: u16,
    fixed_port: bool,
    process: Supervised,
    confinement: Option<Confinement>,
    startup: Duration,
    mark: Option<OutputMark>,
    /// Every start, for the report: how many times it had to be started again.
    pub restarts: usize,
    /// The output of each earlier run (the runs that died), oldest first.
    earlier_runs: Vec<crate::supervise::Captured>,
    /// The output of a restart that never listened (after the last run, which died).
    failed_restart: Option<crate::supervise::Captured>,
}

impl StudentServer {
    /// Prepares the folder (the student's files from `source`, then the fixtures), starts
    /// the command there on `port` (or on a free one when the command says `{port}`), and
    /// waits until it listens — reading the kernel's tables, never connecting.
    pub fn start(
        command: ServerCommand,
        source: &Path,
        port: u16,
    ) -> Result<StudentServer, StartError> {
        StudentServer::start_confined(command, source, port, None, STARTUP)
    }

    /// As [`StudentServer::start`], in `grade`'s sandbox when `confinement` is given (the
    /// caller's thread is then in the submission's own network namespace), with `startup`
    /// to begin listening.
    pub fn start_confined(
        command: ServerCommand,
        source: &Path,
        port: u16,
        confinement: Option<Confinement>,
        startup: Duration,
    ) -> Result<StudentServer, StartError> {
        let folder = working_copy(source, "httplab-run-").map_err(StartError::Folder)?;
        crate::fixtures::write_to(folder.path()).map_err(StartError::Folder)?;
        if let Some(confinement) = &confinement {
            confinement
                .hand_over(folder.path())
                .map_err(StartError::Folder)?;
        }
        // A command that says {port} gets a free one, and a new one after each death (the
        // dead server's connections may hold the old one in TIME_WAIT). In grade's sandbox,
        // whose network namespace is the submission's own, it starts on the port asked for.
        let fixed_port = !command.takes_port();
        let own_network = confinement
            .as_ref()
            .is_some_and(Confinement::private_network);
        let port = if fixed_port || own_network {
            port
        } else {
            free_port()?
        };
        let process = launch(&command, port, folder.path(), &confinement, startup)?;
        Ok(StudentServer {
            command,
            folder,
            port,
            fixed_port,
            process,
            confinement,
            startup,
            mark: None,
            restarts: 0,
            earlier_runs: Vec::new(),
            failed_restart: None,
        })
    }

    /// What the server wrote so far (stdout and stderr, bounded).
    pub fn output(&self) -> crate::supervise::Captured {
        self.process.output()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder the server runs in.
    pub fn folder(&self) -> PathBuf {
        self.folder.path().to_path_buf()
    }

    pub fn command(&self) -> &ServerCommand {
        &self.command
    }

    /// Stops the server and its whole tree; returns what each of its runs wrote, oldest
    /// first (one run, plus one per restart, and a restart that never listened).
    pub fn stop(mut self) -> Vec<crate::supervise::Captured> {
        let last = self.process.stop().output;
        self.earlier_runs.push(last);
        self.earlier_runs.extend(self.failed_restart.take());
        std::mem::take(&mut self.earlier_runs)
    }

    /// Starts it again after a death, on a new port when check chooses it.
    fn restart(&mut self) -> Result<(), StartError> {
        if !self.fixed_port {
            self.port = free_port()?;
        }
        let started = Instant::now();
        // A fixed port may still be held for a moment by the dead server's connections.
        loop {
            match launch(
                &self.command,
                self.port,
                self.folder.path(),
                &self.confinement,
                self.startup,
            ) {
                Ok(process) => {
                    let dead = std::mem::replace(&mut self.process, process);
                    self.earlier_runs.push(dead.output());
                    self.restarts += 1;
                    return Ok(());
                }
                Err(StartError::NotListening {
                    why: NotListening::Exited { .. },
                    ..
                }) if self.fixed_port && started.elapsed() < Duration::from_secs(3) => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(error) => {
                    if let StartError::NotListening { output, .. } = &error {
                        self.failed_restart = Some((**output).clone());
                    }
                    return Err(error);
                }
            }
        }
    }
}

fn launch(
    command: &ServerCommand,
    port: u16,
    dir: &Path,
    confinement: &Option<Confinement>,
    startup: Duration,
) -> Result<Supervised, StartError> {
    let mut spec = command.spec(port, dir).confined(confinement.clone());
    if confinement.is_some() {
        // In grade, a bound on wall time too: check's own waits end every run long before.
        spec.limits.wall = Some(GRADED_WALL);
    }
    let mut process = Supervised::start(&spec).map_err(StartError::Spawn)?;
    match process.wait_listening(port, startup) {
        Ok(()) => Ok(process),
        Err(why) => {
            let output = Box::new(process.stop().output);
            Err(StartError::NotListening { why, output })
        }
    }
}

fn free_port() -> Result<u16, StartError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(StartError::Folder)
}

impl Watch for StudentServer {
    fn before(&mut self, _check: &'static Check) {
        self.mark = Some(self.process.mark());
    }

    fn death(&mut self, check: &'static Check, trouble: bool) -> Option<Death> {
        let status = self.exit_status(trouble)?;
        let stderr = match self.mark.take() {
            Some(mark) => self.process.stderr_since(mark),
            None => String::new(),
        };
        let limit = self.process.limit_hit();
        let restart_error = self.restart().err().map(|error| self.explain(error));
        Some(Death {
            during: check.id,
            how: describe(status),
            stderr: Some(stderr),
            restarted: restart_error.is_none(),
            restart_error,
            limit,
            exit_code: status.code(),
        })
    }

    fn supervises(&self) -> bool {
        true
    }

    fn port(&self) -> Option<u16> {
        Some(self.port)
    }
}

impl StudentServer {
    /// Its exit status, if it has exited; after trouble, waiting a moment for the exit to
    /// show; without trouble, waiting until it is back asleep (or has exited), so that one
    /// ending right after a check is seen now, every time, and not by the next check.
    fn exit_status(&mut self, trouble: bool) -> Option<ExitStatus> {
        if !trouble && !self.process.settle(self.port, SETTLE) {
            return None;
        }
        let deadline = Instant::now() + if trouble { EXIT_GRACE } else { Duration::ZERO };
        loop {
            if let Some(status) = self.process.exit_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl StudentServer {
    /// Why a restart failed, in the student's terms: most often the fixed port, still held by
    /// the dead server's connections (TIME_WAIT) because it did not set SO_REUSEADDR.
    fn explain(&self, error: StartError) -> String {
        let in_use = matches!(&error, StartError::NotListening { why: NotListening::Exited { stderr_tail, .. }, .. }
            if stderr_tail.contains("Address already in use"));
        if in_use {
            format!(
                "port {} was still held by the connections of the server that died (TIME_WAIT), and \
                 bind() failed with 'Address already in use'. Call \
                 serverSocket.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1) before bind() — or let check \
                 choose the port: put {{port}} in the command and read it from sys.argv",
                self.port
            )
        } else {
            error.to_string()
        }
    }
}

/// "exited with status 1", "was killed by signal 9".
fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => "exited".into(),
    }
}
