//! Runs the checks: safe ones first (so even a fragile server is graded on its wire format),
//! then those that hold connections, then those that may kill it, each alone. Between checks
//! a [`Watch`] says whether the server died: with `check --run`, the supervisor of the
//! student's process, which restarts it and keeps its traceback; otherwise the runner asks
//! the server itself, after a check that left a request unanswered and after every risky
//! one, and once it does not answer, the rest are skipped as "server down".

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::catalogue::CHECKS;
use super::diagnosis::diagnose;
pub use super::suite::{CheckResult, Death, Graded, Silence, Suite};
use super::{Check, Context, Docroot, Judgement, Level, Part, Phase, ServerCheck, Verdict};
use crate::wire::connection::{ConnectError, RecordingStream, display_target};
use crate::wire::probe::read_response;
use crate::wire::request::request_head;

/// What to check and how.
#[derive(Clone, Debug)]
pub struct SuiteConfig {
    pub host: String,
    pub port: u16,
    /// Bound on every wait for the server.
    pub timeout: Duration,
    pub docroot: Docroot,
    /// Only checks whose id starts with one of these (all when empty).
    pub only: Vec<String>,
    /// Not the checks whose id starts with one of these.
    pub skip: Vec<String>,
    /// The assignment's part 2 (a multithreaded server) is due: its checks run and count.
    /// Without it (`--part 1`), one connection at a time is correct, and they do not run.
    pub part_two: bool,
    /// RFC MUSTs beyond the assignment count for the exit status too (`--strict`).
    pub strict: bool,
}

impl SuiteConfig {
    pub fn new(host: impl Into<String>, port: u16) -> SuiteConfig {
        SuiteConfig {
            host: host.into(),
            port,
            timeout: Duration::from_secs(5),
            docroot: Docroot::Embedded,
            only: Vec::new(),
            skip: Vec::new(),
            part_two: true,
            strict: false,
        }
    }

    fn selects(&self, check: &Check) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| check.id.starts_with(p.as_str())))
            && !self.skip.iter().any(|p| check.id.starts_with(p.as_str()))
    }

    /// Whether a failure in `part` fails the run.
    pub fn counts(&self, part: Part) -> bool {
        match part {
            Part::One | Part::Three => true,
            Part::Two => self.part_two,
            Part::Beyond => self.strict,
        }
    }
}

/// What watches the server between checks.
pub trait Watch {
    /// A check is about to start.
    fn before(&mut self, _check: &'static Check) {}
    /// The server's death since [`Watch::before`], if it died — after starting it again when
    /// possible. `trouble`: the check left a request unanswered (a death may be about to
    /// show). `None` also when this watch cannot tell (then the runner asks the server).
    fn death(&mut self, _check: &'static Check, _trouble: bool) -> Option<Death> {
        None
    }
    /// The port the server listens on now, when the watch chooses it (it may change after a
    /// restart).
    fn port(&self) -> Option<u16> {
        None
    }
    /// Whether this watch knows when the server dies (so the runner need not ask it).
    fn supervises(&self) -> bool {
        false
    }
}

/// No supervisor: the runner asks the server whether it still answers.
pub struct Unwatched;

impl Watch for Unwatched {}

/// Runs the suite.
pub fn run(config: &SuiteConfig) -> Suite {
    run_watched(config, &mut Unwatched, &mut |_, _, _| {})
}

/// Runs the suite with a watch over the server, and `progress` called as each check
/// finishes (with how many are done, of how many).
pub fn run_watched(
    config: &SuiteConfig,
    watch: &mut dyn Watch,
    progress: &mut dyn FnMut(&CheckResult, usize, usize),
) -> Suite {
    let started = Instant::now();
    let target = display_target(&config.host, config.port);
    let options = match (config.part_two, config.strict) {
        (true, false) => "",
        (false, false) => " --part 1",
        (true, true) => " --strict",
        (false, true) => " --part 1 --strict",
    };
    let mut suite = Suite {
        command: format!("httplab check {target}{options}"),
        graded: Graded::Server,
        target: target.clone(),
        results: Vec::new(),
        died_after: None,
        deaths: Vec::new(),
        unreachable: None,
        never_started: false,
        silent: None,
        causes: Vec::new(),
        part_two: config.part_two,
        strict: config.strict,
        elapsed: Duration::ZERO,
    };
    match first_answer(config, &target) {
        Err(error) => suite.unreachable = Some(error.to_string()),
        Ok(Some(silence)) => {
            suite.silent = Some(silence);
            suite.results = all_skipped(config);
        }
        Ok(None) => run_selected(config, &mut suite, watch, progress),
    }
    suite.causes = diagnose(&suite);
    suite.elapsed = started.elapsed();
    suite
}

/// Does anything listen, and does it answer at all? Connecting and hanging up without a word
/// would itself be the empty-connection test, so it asks something plain. When nothing comes
/// back, a second request half-closes after sending: a server that answers that one reads
/// until the client closes.
fn first_answer(config: &SuiteConfig, target: &str) -> Result<Option<Silence>, ConnectError> {
    let wait = config.timeout.min(Duration::from_secs(3));
    let mut connection =
        RecordingStream::connect(&config.host, config.port, wait).map_err(|(error, _)| error)?;
    let request = request_head(
        ["HEAD", "/", "HTTP/1.1"],
        &[],
        &[("Host", target), ("Connection", "close")],
    );
    let _ = connection.send(&request);
    let (bytes, _) = read_response(
        &mut connection,
        &mut Vec::new(),
        true,
        wait,
        Some(Duration::from_millis(300)),
    );
    connection.close();
    if !bytes.is_empty() {
        return Ok(None);
    }
    let mut connection =
        RecordingStream::connect(&config.host, config.port, wait).map_err(|(error, _)| error)?;
    let request = request_head(
        ["GET", "/helloWorld.html", "HTTP/1.1"],
        &[],
        &[("Host", target), ("Connection", "close")],
    );
    let _ = connection.send(&request);
    connection.shutdown_write();
    let (answer, _) = read_response(
        &mut connection,
        &mut Vec::new(),
        false,
        wait,
        Some(Duration::from_millis(300)),
    );
    let transcript = connection.close();
    let seconds = wait.as_secs_f64();
    Ok(Some(if answer.is_empty() {
        Silence {
            why: format!(
                "the server accepts connections but sent nothing back to a plain request within {seconds:.1} s, \
                 not even after httplab half-closed the connection"
            ),
            reads_until_close: false,
            transcript,
        }
    } else {
        Silence {
            why: format!(
                "the server sent nothing back to a plain request within {seconds:.1} s, and answered only \
                 once httplab half-closed the connection (shutdown of its sending side)"
            ),
            reads_until_close: true,
            transcript,
        }
    }))
}

/// Every selected check, skipped: the server never answered the first request.
fn all_skipped(config: &SuiteConfig) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .filter(|c| config.selects(&c.check))
        .map(|c| skipped(&c.check, "server down: it did not answer the first request"))
        .collect()
}

fn skipped(check: &'static Check, why: impl Into<String>) -> CheckResult {
    CheckResult {
        check,
        judgement: Judgement::skip(why),
        verdict: Verdict::Skip,
        transcripts: Vec::new(),
        elapsed: Duration::ZERO,
        death: None,
    }
}

/// Runs the selected checks phase by phase; the results in catalogue order.
fn run_selected(
    config: &SuiteConfig,
    suite: &mut Suite,
    watch: &mut dyn Watch,
    progress: &mut dyn FnMut(&CheckResult, usize, usize),
) {
    let context = Context::new(
        &config.host,
        config.port,
        config.timeout,
        config.docroot.clone(),
    );
    let selected: Vec<&'static ServerCheck> =
        CHECKS.iter().filter(|c| config.selects(&c.check)).collect();
    let total = selected.len();
    for phase in [Phase::Safe, Phase::Alone, Phase::Risky] {
        for server_check in selected.iter().filter(|c| c.phase == phase) {
            let check = &server_check.check;
            let result = if check.part == Part::Two && !config.part_two {
                skipped(
                    check,
                    "part 2 of the assignment (--part 1: one connection at a time is correct)",
                )
            } else if let Some(dead) = suite.died_after {
                skipped(
                    check,
                    format!("server down: it stopped answering after {dead}"),
                )
            } else {
                run_one(server_check, &context, watch, suite)
            };
            progress(&result, suite.results.len() + 1, total);
            suite.results.push(result);
        }
    }
    suite
        .results
        .sort_by_key(|r| CHECKS.iter().position(|c| c.check.id == r.check.id));
}

fn run_one(
    server_check: &'static ServerCheck,
    context: &Context,
    watch: &mut dyn Watch,
    suite: &mut Suite,
) -> CheckResult {
    let check = &server_check.check;
    let started = Instant::now();
    if let Some(missing) = server_check
        .needs
        .iter()
        .find(|f| context.docroot.file(f).is_none())
    {
        return skipped(check, format!("the docroot has no {missing}"));
    }
    let _ = context.take_trouble();
    if let Some(port) = watch.port() {
        context.set_port(port);
    }
    watch.before(check);
    let judgement =
        catch_unwind(AssertUnwindSafe(|| (server_check.run)(context))).unwrap_or_else(|_| {
            Judgement::fail(
                "a check that completes",
                "the check itself failed (a bug in httplab)",
                &[],
            )
        });
    let death = if watch.supervises() {
        watch.death(check, context.take_trouble())
    } else if (context.take_trouble() || server_check.phase == Phase::Risky) && !context.alive() {
        Some(Death {
            during: check.id,
            how: "stopped answering".into(),
            stderr: None,
            restarted: false,
            restart_error: None,
            limit: None,
            exit_code: None,
        })
    } else {
        None
    };
    let death = death.map(|death| {
        if !death.restarted {
            suite.died_after = Some(check.id);
        }
        suite.deaths.push(death);
        suite.deaths.len() - 1
    });
    let judgement = match (judgement, death) {
        // What the check saw was right, but the server did not live through it.
        (Judgement::Pass { .. } | Judgement::Skip { .. }, Some(_)) => Judgement::fail(
            "a server that lives through this check",
            "the server exited during it",
            &[],
        ),
        (judgement, _) => judgement,
    };
    let verdict = match (&judgement, check.level, death) {
        (Judgement::Pass { .. }, _, _) => Verdict::Pass,
        (Judgement::Skip { .. }, _, _) => Verdict::Skip,
        (Judgement::Fail { .. }, Level::Should, None) => Verdict::Warn,
        (Judgement::Fail { .. }, _, _) => Verdict::Fail,
    };
    CheckResult {
        check,
        judgement,
        verdict,
        transcripts: context.take_transcripts(),
        elapsed: started.elapsed(),
        death,
    }
}
