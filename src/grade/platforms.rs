//! What course platforms read, rendered from one student's grade (pure): Gradescope's and
//! PrairieLearn's `results.json`, and JUnit XML for CI-based classrooms.

use serde_json::{Value, json};

use super::student::{Row, StudentGrade};
use crate::check::suite::Suite;
use crate::check::{Judgement, Verdict};

/// Which `results.json` `--format` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    Gradescope,
    Prairielearn,
}

/// One check as a platform shows it: a name, points, and what to tell the student.
struct TestCase {
    id: &'static str,
    name: String,
    verdict: Verdict,
    points: f64,
    max: f64,
    output: String,
}

fn test_cases(grade: &StudentGrade, with_client: bool) -> Vec<TestCase> {
    grade
        .rows(with_client)
        .iter()
        .zip(&grade.score.checks)
        .map(|(row, score)| TestCase {
            id: row.id,
            name: format!("{} — {}", row.id, title_of(row)),
            verdict: row.verdict,
            points: score.points,
            max: score.max,
            output: explain(grade, row),
        })
        .collect()
}

fn title_of(row: &Row) -> &'static str {
    crate::check::catalogue::CHECKS
        .iter()
        .map(|c| &c.check)
        .chain(crate::check::client::catalogue::CLIENT_CHECKS.iter())
        .find(|c| c.id == row.id)
        .map_or("", |c| c.title)
}

/// What a student reads under one check: the verdict, and for a failure what was expected,
/// what came, and the cause with its fix.
fn explain(grade: &StudentGrade, row: &Row) -> String {
    let suite = if row.id.starts_with("client.") {
        grade.client.as_ref()
    } else {
        grade.server.as_ref()
    };
    let Some(suite) = suite else {
        return grade
            .server_error
            .clone()
            .or_else(|| grade.client_error.clone())
            .unwrap_or_else(|| "not run".into());
    };
    let Some(result) = suite.results.iter().find(|r| r.check.id == row.id) else {
        return "not run".into();
    };
    let mut out = match &result.judgement {
        Judgement::Pass { note } => note.clone().unwrap_or_else(|| "passed".into()),
        Judgement::Skip { why } => format!("not run: {why}"),
        Judgement::Fail { expected, got, .. } => format!("Expected: {expected}\nGot: {got}"),
    };
    if let Some(cause) = cause_of(suite, row.id) {
        out.push_str(&format!(
            "\n\nCause: {}\nWhy: {}\nFix: {}",
            cause.title, cause.why, cause.fix
        ));
    }
    out
}

fn cause_of<'a>(suite: &'a Suite, id: &str) -> Option<&'a crate::check::suite::Cause> {
    suite
        .causes
        .iter()
        .find(|c| c.checks.contains(&id) || c.blocked.contains(&id))
}

/// The few lines at the top: the score, and the causes to fix in order.
pub fn summary(grade: &StudentGrade) -> String {
    let mut out = format!(
        "{}: {} of {} points.\n",
        grade.student, grade.score.points, grade.score.max
    );
    if let Some(error) = &grade.server_error {
        out.push_str(&format!("\n{error}\n"));
    }
    let suites = [grade.server.as_ref(), grade.client.as_ref()];
    for (n, cause) in suites.iter().flatten().flat_map(|s| &s.causes).enumerate() {
        out.push_str(&format!(
            "\n{}. {}\n   Why: {}\n   Fix: {}\n",
            n + 1,
            cause.title,
            cause.why,
            cause.fix
        ));
    }
    out
}

/// Gradescope's `results.json`: the score, then one test per check.
pub fn gradescope(grade: &StudentGrade, with_client: bool) -> Value {
    let tests: Vec<Value> = test_cases(grade, with_client)
        .into_iter()
        .enumerate()
        .map(|(n, t)| {
            json!({
                "number": (n + 1).to_string(),
                "name": t.name,
                "score": t.points,
                "max_score": t.max,
                "status": if t.verdict == Verdict::Pass { "passed" } else { "failed" },
                "output": t.output,
                "visibility": "visible",
            })
        })
        .collect();
    json!({
        "score": grade.score.points,
        "execution_time": grade.elapsed.as_secs_f64().round(),
        "output": summary(grade),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    })
}

/// PrairieLearn's external-grader `results.json`: `score` from 0 to 1, tests with points.
pub fn prairielearn(grade: &StudentGrade, with_client: bool) -> Value {
    let tests: Vec<Value> = test_cases(grade, with_client)
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "points": t.points,
                "max_points": t.max,
                "message": format!("{:?}", t.verdict).to_lowercase(),
                "output": t.output,
            })
        })
        .collect();
    let score = if grade.score.max > 0.0 {
        grade.score.points / grade.score.max
    } else {
        0.0
    };
    json!({
        "gradable": true,
        "score": score,
        "message": format!("{} of {} points", grade.score.points, grade.score.max),
        "output": summary(grade),
        "tests": tests,
    })
}

/// JUnit XML for the whole class: one test suite per student, one test case per check; a
/// failed check is a `<failure>`, a warning passes with its message in `<system-out>`, and a
/// check that did not run is `<skipped>` — or an `<error>` when it did not run because the
/// program could not be run at all, so that a CI reading the file does not show it green.
pub fn junit(grades: &[&StudentGrade], with_client: bool) -> String {
    use quick_xml::escape::escape;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let outcomes: Vec<Vec<(TestCase, Outcome)>> = grades
        .iter()
        .map(|g| {
            test_cases(g, with_client)
                .into_iter()
                .map(|t| {
                    let outcome = Outcome::of(g, &t);
                    (t, outcome)
                })
                .collect()
        })
        .collect();
    let count = |o: Outcome| outcomes.iter().flatten().filter(|(_, x)| *x == o).count();
    out.push_str(&format!(
        "<testsuites name=\"httplab grade\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n",
        outcomes.iter().map(Vec::len).sum::<usize>(),
        count(Outcome::Failure),
        count(Outcome::Error),
        count(Outcome::Skipped),
    ));
    for (grade, cases) in grades.iter().zip(&outcomes) {
        let of = |o: Outcome| cases.iter().filter(|(_, x)| *x == o).count();
        let student = xml_text(&grade.student);
        let student = escape(student.as_str());
        out.push_str(&format!(
            "  <testsuite name=\"{student}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n",
            cases.len(),
            of(Outcome::Failure),
            of(Outcome::Error),
            of(Outcome::Skipped),
            grade.elapsed.as_secs_f64()
        ));
        out.push_str(&format!(
            "    <properties><property name=\"score\" value=\"{}\"/><property name=\"max\" value=\"{}\"/></properties>\n",
            grade.score.points, grade.score.max
        ));
        for (case, outcome) in cases {
            let name = xml_text(&case.name);
            out.push_str(&format!(
                "    <testcase classname=\"{student}\" name=\"{}\">",
                escape(name.as_str())
            ));
            let output = xml_text(&case.output);
            let text = escape(output.as_str());
            let first = escape(first_line(&output));
            match outcome {
                Outcome::Failure => out.push_str(&format!(
                    "<failure message=\"{} failed\">{text}</failure>",
                    case.id
                )),
                Outcome::Error => {
                    out.push_str(&format!("<error message=\"{first}\">{text}</error>"))
                }
                Outcome::Skipped => out.push_str(&format!("<skipped message=\"{first}\"/>")),
                Outcome::Warned => {
                    out.push_str(&format!("<system-out>warning: {text}</system-out>"))
                }
                Outcome::Passed => {}
            }
            out.push_str("</testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A test case's JUnit element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Passed,
    Warned,
    Failure,
    Skipped,
    Error,
}

impl Outcome {
    fn of(grade: &StudentGrade, case: &TestCase) -> Outcome {
        let client = case.id.starts_with("client.");
        let not_run = if client {
            grade.client.is_none() && grade.client_error.is_some()
        } else {
            grade.server.is_none() && grade.server_error.is_some()
        };
        match case.verdict {
            Verdict::Pass => Outcome::Passed,
            Verdict::Warn => Outcome::Warned,
            Verdict::Fail => Outcome::Failure,
            Verdict::Skip if not_run => Outcome::Error,
            Verdict::Skip => Outcome::Skipped,
        }
    }
}

/// XML 1.0 allows no control characters but tab and line ends, even escaped: a student's
/// bytes in a message are shown as `\xNN` instead.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\n' | '\t' | '\r') || c == '\u{fffe}' || c == '\u{ffff}'
        {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
