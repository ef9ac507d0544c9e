//! Runs the checks: safe ones first (so even a fragile server is graded on its wire format),
//! then those that hold connections, then those that may kill it, each alone. After a check
//! that left a request unanswered (and after every risky one) the runner asks whether the
//! server still answers; once it does not, the rest are skipped as "server down".

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use super::catalogue::CHECKS;
use super::{Check, Context, Docroot, Judgement, Level, Phase, Verdict};
use crate::wire::connection::{ConnectError, RecordingStream, display_target};
use crate::wire::probe::read_response;
use crate::wire::request::request_head;
use crate::wire::transcript::Transcript;

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
        }
    }

    fn selects(&self, check: &Check) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| check.id.starts_with(p.as_str())))
            && !self.skip.iter().any(|p| check.id.starts_with(p.as_str()))
    }
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub check: &'static Check,
    pub judgement: Judgement,
    pub verdict: Verdict,
    pub transcripts: Vec<Transcript>,
    pub elapsed: Duration,
}

/// The whole run.
#[derive(Clone, Debug)]
pub struct Suite {
    pub target: String,
    /// In catalogue order.
    pub results: Vec<CheckResult>,
    /// The check after which the server stopped answering.
    pub died_after: Option<&'static str>,
    /// Nothing listened on the port at all (then `results` is empty).
    pub unreachable: Option<String>,
    /// The server took the connection but never answered the first request (then every
    /// check is skipped, and the run fails).
    pub silent: Option<String>,
    pub elapsed: Duration,
}

impl Suite {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }

    /// The exit status: 0 when no assignment or must check failed, 1 when one did, 2 when
    /// nothing listens.
    pub fn exit_code(&self) -> u8 {
        if self.unreachable.is_some() {
            2
        } else if self.silent.is_some() || self.count(Verdict::Fail) > 0 {
            1
        } else {
            0
        }
    }
}

pub fn run(config: &SuiteConfig) -> Suite {
    let started = Instant::now();
    let target = display_target(&config.host, config.port);
    let mut suite = Suite {
        target: target.clone(),
        results: Vec::new(),
        died_after: None,
        unreachable: None,
        silent: None,
        elapsed: Duration::ZERO,
    };
    match answers_at_all(config, &target) {
        Err(error) => suite.unreachable = Some(error.to_string()),
        Ok(false) => {
            suite.silent = Some(format!(
                "the server accepts connections but sent nothing back to \"HEAD / HTTP/1.1\" within {:.1} s",
                config.timeout.as_secs_f64()
            ));
            suite.results = all_skipped(config);
        }
        Ok(true) => suite.results = run_selected(config, &mut suite.died_after),
    }
    suite.elapsed = started.elapsed();
    suite
}

/// Does anything listen, and does it answer at all? Connecting and hanging up without a
/// word would itself be the empty-connection test, so it asks something plain.
fn answers_at_all(config: &SuiteConfig, target: &str) -> Result<bool, ConnectError> {
    let mut connection = RecordingStream::connect(&config.host, config.port, config.timeout)
        .map_err(|(error, _)| error)?;
    let request = request_head(
        ["HEAD", "/", "HTTP/1.1"],
        &[],
        &[("Host", target), ("Connection", "close")],
    );
    let _ = connection.send(&request);
    let mut received = Vec::new();
    let (bytes, _) = read_response(
        &mut connection,
        &mut received,
        true,
        config.timeout,
        Some(Duration::from_millis(300)),
    );
    connection.close();
    Ok(!bytes.is_empty())
}

/// Every selected check, skipped: the server never answered the first request.
fn all_skipped(config: &SuiteConfig) -> Vec<CheckResult> {
    CHECKS
        .iter()
        .filter(|c| config.selects(c))
        .map(|check| CheckResult {
            check,
            judgement: Judgement::skip("server down: it did not answer the first request"),
            verdict: Verdict::Skip,
            transcripts: Vec::new(),
            elapsed: Duration::ZERO,
        })
        .collect()
}

/// Runs the selected checks phase by phase; the results in catalogue order.
fn run_selected(config: &SuiteConfig, died_after: &mut Option<&'static str>) -> Vec<CheckResult> {
    let context = Context::new(
        &config.host,
        config.port,
        config.timeout,
        config.docroot.clone(),
    );
    let selected: Vec<&'static Check> = CHECKS.iter().filter(|c| config.selects(c)).collect();
    let mut results: Vec<CheckResult> = Vec::new();
    for phase in [Phase::Safe, Phase::Alone, Phase::Risky] {
        for check in selected.iter().filter(|c| c.phase == phase) {
            results.push(run_one(check, &context, died_after));
        }
    }
    results.sort_by_key(|r| CHECKS.iter().position(|c| c.id == r.check.id));
    results
}

fn run_one(
    check: &'static Check,
    context: &Context,
    died_after: &mut Option<&'static str>,
) -> CheckResult {
    let started = Instant::now();
    let judgement = if let Some(dead) = died_after {
        Judgement::skip(format!("server down: it stopped answering after {dead}"))
    } else if let Some(missing) = check
        .needs
        .iter()
        .find(|f| context.docroot.file(f).is_none())
    {
        Judgement::skip(format!("the docroot has no {missing}"))
    } else {
        let _ = context.take_trouble();
        let judgement =
            catch_unwind(AssertUnwindSafe(|| (check.run)(context))).unwrap_or_else(|_| {
                Judgement::fail(
                    "a check that completes",
                    "the check itself failed (a bug in httplab)",
                    &[],
                )
            });
        if (context.take_trouble() || check.phase == Phase::Risky) && !context.alive() {
            *died_after = Some(check.id);
        }
        judgement
    };
    let verdict = match (&judgement, check.level) {
        (Judgement::Pass { .. }, _) => Verdict::Pass,
        (Judgement::Skip { .. }, _) => Verdict::Skip,
        (Judgement::Fail { .. }, Level::Should) => Verdict::Warn,
        (Judgement::Fail { .. }, _) => Verdict::Fail,
    };
    CheckResult {
        check,
        judgement,
        verdict,
        transcripts: context.take_transcripts(),
        elapsed: started.elapsed(),
    }
}
