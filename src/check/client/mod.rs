//! `httplab check-client`: grade the assignment's third program, the client
//! (`client.py server_host server_port filename`). httplab runs its own server for each
//! scenario ([`stage`]: plain, in pieces, 1 MiB, 404, a body with `0\r\n`, kept alive, or
//! nothing listening), runs the student's client once per scenario — supervised, bounded,
//! its whole tree killed at the end — and judges ([`judge`], pure) what its server received
//! and what the client printed. The result is a [`Suite`], so the same causes and reports
//! (text, JSON, HTML with the client's side drawn) serve it.

pub mod catalogue;
pub mod judge;
mod printed;
pub mod scenarios;
pub mod stage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use self::catalogue::CLIENT_CHECKS;
use self::judge::{ClientRun, ScenarioRun, judge};
use self::scenarios::Scenario;
use self::stage::{HOLD, Stage};
use super::diagnosis::diagnose;
use super::runner::{CheckResult, Graded, Suite};
use super::{Judgement, Level, Verdict};
use crate::supervise::{Limits, ProgramSpec, SuperviseError, run_once, working_copy};

/// How long a client may run in one scenario (the kept-alive one gets the hold too).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The client to check: its program and arguments, with `{host}`, `{port}` and `{path}`.
#[derive(Clone, Debug)]
pub struct ClientCommand(Vec<String>);

impl ClientCommand {
    /// The command as given; without any placeholder, `{host} {port} {path}` are appended,
    /// as the assignment's command line has them.
    pub fn new(words: Vec<String>) -> ClientCommand {
        let mut words = words;
        let placeholders = ["{host}", "{port}", "{path}"];
        if !words
            .iter()
            .any(|w| placeholders.iter().any(|p| w.contains(p)))
        {
            words.extend(placeholders.iter().map(|p| p.to_string()));
        }
        ClientCommand(words)
    }

    fn argv(&self, port: u16, path: &str) -> Vec<String> {
        self.0
            .iter()
            .map(|w| {
                w.replace("{host}", "127.0.0.1")
                    .replace("{port}", &port.to_string())
                    .replace("{path}", path)
            })
            .collect()
    }

    pub fn display(&self) -> String {
        self.0.join(" ")
    }
}

/// What to run, where, and how long each run may take.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub command: ClientCommand,
    /// The student's folder: copied, and the client runs in the copy.
    pub folder: std::path::PathBuf,
    pub timeout: Duration,
    /// `grade`'s sandbox (the calling thread is then in the submission's network namespace).
    pub confinement: Option<crate::supervise::Confinement>,
}

/// Runs every scenario (two at a time: each has its own server and port) and judges them.
pub fn run(
    config: &ClientConfig,
    progress: &mut dyn FnMut(&CheckResult, usize, usize),
) -> Result<Suite, SuperviseError> {
    let started = Instant::now();
    let site = Arc::new(scenarios::site());
    let runs: Vec<ScenarioRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = Scenario::ALL
            .iter()
            .map(|scenario| {
                let site = site.clone();
                scope.spawn(move || run_scenario(config, *scenario, site))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(SuperviseError::Thread(std::io::Error::other(
                        "a scenario failed",
                    )))
                })
            })
            .collect::<Result<_, _>>()
    })?;
    let mut judged = judge(&runs);
    let total = CLIENT_CHECKS.len();
    let mut results = Vec::new();
    for check in CLIENT_CHECKS {
        let judgement = judged
            .remove(check.id)
            .unwrap_or_else(|| Judgement::skip("its scenario did not run"));
        let verdict = match (&judgement, check.level) {
            (Judgement::Pass { .. }, _) => Verdict::Pass,
            (Judgement::Skip { .. }, _) => Verdict::Skip,
            (Judgement::Fail { .. }, Level::Should) => Verdict::Warn,
            (Judgement::Fail { .. }, _) => Verdict::Fail,
        };
        let scenario = scenario_of(check.id);
        let run = runs.iter().find(|r| r.scenario == scenario);
        let result = CheckResult {
            check,
            judgement,
            verdict,
            transcripts: run
                .map(|r| r.served.iter().map(|s| s.transcript.clone()).collect())
                .unwrap_or_default(),
            elapsed: run.map_or(Duration::ZERO, |r| r.client.run_time),
            death: None,
        };
        progress(&result, results.len() + 1, total);
        results.push(result);
    }
    let mut suite = Suite {
        target: config.command.display(),
        graded: Graded::Client,
        command: format!("httplab check-client -- {}", config.command.display()),
        results,
        died_after: None,
        deaths: Vec::new(),
        unreachable: None,
        never_started: false,
        silent: None,
        causes: Vec::new(),
        part_two: false,
        strict: false,
        elapsed: Duration::ZERO,
    };
    suite.causes = diagnose(&suite);
    suite.elapsed = started.elapsed();
    Ok(suite)
}

/// The scenario a check is judged from.
fn scenario_of(id: &str) -> Scenario {
    match id {
        "client.pieces" => Scenario::Pieces,
        "client.large" => Scenario::Large,
        "client.not-found" => Scenario::NotFound,
        "client.zero-in-body" => Scenario::ZeroInBody,
        "client.keep-alive" => Scenario::KeepAlive,
        "client.nothing-listens" => Scenario::NothingListens,
        _ => Scenario::Hello,
    }
}

/// One run of the client against its scenario's server (or against nothing).
fn run_scenario(
    config: &ClientConfig,
    scenario: Scenario,
    site: Arc<crate::site::MemoryView>,
) -> Result<ScenarioRun, SuperviseError> {
    let folder = working_copy(&config.folder, "httplab-client-").map_err(|source| {
        SuperviseError::Folder {
            dir: config.folder.clone(),
            source,
        }
    })?;
    let (stage, port) = if scenario == Scenario::NothingListens {
        (None, free_port())
    } else {
        let stage = Stage::start(scenario, site).map_err(|source| SuperviseError::Folder {
            dir: config.folder.clone(),
            source,
        })?;
        let port = stage.port;
        (Some(stage), port)
    };
    let timeout = if scenario == Scenario::KeepAlive {
        config.timeout + HOLD
    } else {
        config.timeout
    };
    if let Some(confinement) = &config.confinement {
        confinement
            .hand_over(folder.path())
            .map_err(|source| SuperviseError::Folder {
                dir: config.folder.clone(),
                source,
            })?;
    }
    let spec = ProgramSpec::new(config.command.argv(port, scenario.path()), folder.path())
        .with_limits(Limits {
            output_bytes: 4 << 20,
            ..Limits::default()
        })
        .confined(config.confinement.clone());
    let report = run_once(&spec, timeout)?;
    let served = stage.map(Stage::finish).unwrap_or_default();
    let client = ClientRun {
        status: report.status.and_then(|s| s.code()),
        timed_out: report.timed_out(),
        stdout: report.output.stdout.bytes,
        stderr: report.output.stderr.text,
        run_time: report.run_time,
    };
    Ok(ScenarioRun {
        scenario,
        served,
        client,
    })
}

/// A port where nothing listens (bound for a moment, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port())
}
