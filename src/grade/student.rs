//! Grading one submission: its server started (sandboxed) and checked, its client checked
//! when there is one, and the rubric applied.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::class::{Opened, Submission};
use super::rubric::{CheckVerdict, Rubric, Score};
use crate::check::catalogue::CHECKS;
use crate::check::client::catalogue::CLIENT_CHECKS;
use crate::check::client::{ClientCommand, ClientConfig};
use crate::check::runner::{SuiteConfig, run_watched};
use crate::check::student_server::{ServerCommand, StartError, StudentServer};
use crate::check::suite::Suite;
use crate::check::{Check, Part, Verdict};

/// How long a submission's server may take to listen: Python starts in a tenth of a second,
/// and a class waits for every server that never does.
pub const STARTUP: Duration = Duration::from_secs(5);
use crate::supervise::{Captured, Confinement, enter_private_network};

/// What `grade` runs for every submission.
#[derive(Clone, Debug)]
pub struct GradeConfig {
    pub server: ServerCommand,
    /// The port the server is told to use, or listens on when the command has no `{port}`.
    pub port: u16,
    pub client: Option<ClientCommand>,
    /// `None` with `--no-sandbox`.
    pub confinement: Option<Confinement>,
    pub timeout: Duration,
    pub rubric: Rubric,
}

/// One student's grade and everything the outputs show of it.
#[derive(Debug)]
pub struct StudentGrade {
    pub student: String,
    /// The server's run, when it started.
    pub server: Option<Suite>,
    /// Why the server could not be checked (did not start, with its traceback; a broken zip).
    pub server_error: Option<String>,
    /// What the server wrote, one entry per run (a restart after a death adds one).
    pub server_log: Vec<Captured>,
    /// The report of a server that never listened (no check ran), for `report.html` and
    /// `report.json`.
    pub not_started: Option<Suite>,
    pub client: Option<Suite>,
    pub client_error: Option<String>,
    pub score: Score,
    pub elapsed: Duration,
}

/// A check's id and verdict, as the gradebook lists them.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: &'static str,
    pub part: Part,
    pub verdict: Verdict,
}

impl StudentGrade {
    /// Why the server could not be checked, in one line for the progress output: the
    /// first line, and when that ends "it wrote:", the last line it wrote (the exception).
    pub fn error_headline(&self) -> Option<String> {
        self.server_error.as_deref().map(one_line)
    }

    /// Every check of the run in catalogue order, with its verdict (skipped when it did not
    /// run: the server never started, or died for good before it).
    pub fn rows(&self, with_client: bool) -> Vec<Row> {
        let mut rows = rows_of(CHECKS.iter().map(|c| &c.check), self.server.as_ref());
        if with_client {
            rows.extend(rows_of(CLIENT_CHECKS.iter(), self.client.as_ref()));
        }
        rows
    }

    /// Whether the work of `part` is done (every check of it ran and none failed).
    pub fn done(&self, part: Part) -> bool {
        let suite = match part {
            Part::Three => self.client.as_ref(),
            _ => self.server.as_ref(),
        };
        suite.is_some_and(|s| s.unreachable.is_none() && s.done(part))
    }
}

fn rows_of<'a>(checks: impl Iterator<Item = &'a Check>, suite: Option<&Suite>) -> Vec<Row> {
    checks
        .map(|check| Row {
            id: check.id,
            part: check.part,
            verdict: suite
                .and_then(|s| s.results.iter().find(|r| r.check.id == check.id))
                .map_or(Verdict::Skip, |r| r.verdict),
        })
        .collect()
}

/// Grades one submission. Call it on a thread of its own: with a sandbox, the thread moves
/// into a network namespace of its own, and so does everything it starts.
pub fn grade(submission: &Submission, config: &GradeConfig) -> StudentGrade {
    let started = Instant::now();
    let mut grade = StudentGrade {
        student: submission.student.clone(),
        server: None,
        server_error: None,
        server_log: Vec::new(),
        not_started: None,
        client: None,
        client_error: None,
        score: config.rubric.score(&[]),
        elapsed: Duration::ZERO,
    };
    let private_network = config
        .confinement
        .as_ref()
        .is_some_and(Confinement::private_network);
    match submission.open() {
        Err(why) => grade.server_error = Some(why),
        Ok(opened) => {
            if private_network && let Err(error) = enter_private_network() {
                grade.server_error = Some(format!("cannot make its network namespace: {error}"));
            } else {
                check_server(&opened, config, &mut grade);
                check_client(&opened, config, &mut grade);
            }
        }
    }
    grade.rescore(config);
    grade.elapsed = started.elapsed();
    grade
}

impl StudentGrade {
    /// A grade that says why httplab itself could not grade (scored: zero of the maximum).
    pub fn not_graded(student: &str, why: &str, config: &GradeConfig) -> StudentGrade {
        let mut grade = StudentGrade {
            student: student.to_string(),
            server: None,
            server_error: Some(why.to_string()),
            server_log: Vec::new(),
            not_started: None,
            client: None,
            client_error: None,
            score: config.rubric.score(&[]),
            elapsed: Duration::ZERO,
        };
        grade.rescore(config);
        grade
    }

    /// Scores the verdicts with the rubric.
    fn rescore(&mut self, config: &GradeConfig) {
        let rows = self.rows(config.client.is_some());
        let verdicts: Vec<CheckVerdict> = rows
            .iter()
            .map(|r| CheckVerdict {
                id: r.id,
                part: r.part,
                verdict: r.verdict,
            })
            .collect();
        self.score = config.rubric.score(&verdicts);
    }
}

fn check_server(submission: &Opened, config: &GradeConfig, grade: &mut StudentGrade) {
    let server = StudentServer::start_confined(
        config.server.clone(),
        &submission.folder,
        config.port,
        config.confinement.clone(),
        STARTUP,
    );
    match server {
        Err(error) => {
            if let StartError::NotListening { output, .. } = &error {
                grade.server_log = vec![(**output).clone()];
            }
            let why = format!("the server did not start: {error}");
            grade.not_started = Some(Suite::not_started(check_command(config), why.clone(), true));
            grade.server_error = Some(why);
        }
        Ok(mut server) => {
            let mut suite_config = SuiteConfig::new("127.0.0.1", server.port());
            suite_config.timeout = config.timeout;
            let mut suite = run_watched(&suite_config, &mut server, &mut |_, _, _| {});
            suite.command = check_command(config);
            grade.server_log = server.stop();
            grade.server = Some(suite);
        }
    }
}

/// The command a student runs to check their server alone, as grade checked it.
fn check_command(config: &GradeConfig) -> String {
    format!(
        "httplab check --run '{}'",
        config.server.display().replace('\'', "'\\''")
    )
}

fn check_client(submission: &Opened, config: &GradeConfig, grade: &mut StudentGrade) {
    let Some(command) = &config.client else {
        return;
    };
    let client_config = ClientConfig {
        command: command.clone(),
        folder: submission.folder.clone(),
        timeout: crate::check::client::DEFAULT_TIMEOUT,
        confinement: config.confinement.clone(),
    };
    match crate::check::client::run(&client_config, &mut |_, _, _| {}) {
        Ok(suite) => grade.client = Some(suite),
        Err(error) => grade.client_error = Some(format!("the client could not be run: {error}")),
    }
}

/// A multi-line error in one line: its first line, completed by its last when the first
/// ends with a colon (`...; it wrote:` then a traceback ending with the exception).
fn one_line(error: &str) -> String {
    let mut lines = error.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    match lines.next_back() {
        Some(last) if first.ends_with(':') => format!("{first} {}", last.trim()),
        _ => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn an_error_with_a_traceback_ends_with_the_exception() {
        let error = "the server did not start: the program exited (exit status: 1) before it \
                     listened; it wrote:\n  File \"server.py\", line 4\n    bind(('', 6789)\n\
                     \x20           ^\nSyntaxError: '(' was never closed\n";
        assert_eq!(
            one_line(error),
            "the server did not start: the program exited (exit status: 1) before it listened; \
             it wrote: SyntaxError: '(' was never closed"
        );
        assert_eq!(one_line("nothing listened\nmore"), "nothing listened");
        assert_eq!(one_line("it wrote:"), "it wrote:");
    }
}
