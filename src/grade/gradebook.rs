//! The class's gradebook: `grades.csv` (a row written as each student finishes), the class
//! `grades.json`, and the summary an instructor reads at the end — what to re-teach.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::Path;

use serde_json::{Value, json};

use super::student::StudentGrade;
use crate::check::{Part, Verdict};

/// `grades.csv`, open for the whole run: its header first, then one row per student as each
/// is graded, flushed at once (an interrupted run keeps every finished row).
pub struct Gradebook {
    csv: csv::Writer<File>,
    with_client: bool,
}

impl Gradebook {
    pub fn create(path: &Path, ids: &[&str], with_client: bool) -> io::Result<Gradebook> {
        let mut csv = csv::Writer::from_path(path)?;
        let mut header = vec!["student", "score", "max", "part 1 passed", "part 2 passed"];
        if with_client {
            header.push("part 3 passed");
        }
        header.extend(ids);
        csv.write_record(&header)?;
        csv.flush()?;
        Ok(Gradebook { csv, with_client })
    }

    pub fn add(&mut self, grade: &StudentGrade) -> io::Result<()> {
        let yes_no = |done: bool| if done { "yes" } else { "no" }.to_string();
        let mut row = vec![
            spreadsheet_safe(&grade.student),
            grade.score.points.to_string(),
            grade.score.max.to_string(),
            yes_no(grade.done(Part::One)),
            yes_no(grade.done(Part::Two)),
        ];
        if self.with_client {
            row.push(yes_no(grade.done(Part::Three)));
        }
        row.extend(
            grade
                .rows(self.with_client)
                .iter()
                .map(|r| verdict_word(r.verdict)),
        );
        self.csv.write_record(&row)?;
        self.csv.flush()
    }
}

/// A name as a spreadsheet shows it, never as a formula: one that starts with `=`, `+`, `-`
/// or `@` gets a leading apostrophe (OWASP's advice on CSV injection).
fn spreadsheet_safe(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

fn verdict_word(verdict: Verdict) -> String {
    format!("{verdict:?}").to_lowercase()
}

/// One student in `grades.json`.
pub fn student_json(grade: &StudentGrade, with_client: bool) -> Value {
    let checks: BTreeMap<&str, String> = grade
        .rows(with_client)
        .iter()
        .map(|r| (r.id, verdict_word(r.verdict)))
        .collect();
    let causes: Vec<&str> = causes_of(grade).map(|(_, title, _)| title).collect();
    json!({
        "student": grade.student,
        "score": grade.score.points,
        "max": grade.score.max,
        "part_one_passed": grade.done(Part::One),
        "part_two_passed": grade.done(Part::Two),
        "part_three_passed": with_client.then(|| grade.done(Part::Three)),
        "checks": checks,
        "points": grade.score.checks,
        "bonuses": grade.score.bonuses,
        "causes": causes,
        "server_error": grade.server_error,
        "client_error": grade.client_error,
        "server_restarts": grade.server.as_ref().map_or(0, |s| s.deaths.len()),
        "seconds": (grade.elapsed.as_secs_f64() * 10.0).round() / 10.0,
    })
}

/// The whole class's `grades.json`.
pub fn class_json(grades: &[&StudentGrade], with_client: bool) -> Value {
    json!({
        "students": grades.iter().map(|g| student_json(g, with_client)).collect::<Vec<_>>(),
    })
}

/// Each root cause of a student's failures: its id, title and part (warnings left out).
fn causes_of(grade: &StudentGrade) -> impl Iterator<Item = (&str, &str, Part)> {
    [grade.server.as_ref(), grade.client.as_ref()]
        .into_iter()
        .flatten()
        .flat_map(|s| &s.causes)
        .filter(|c| !c.warning)
        .map(|c| (c.id.as_str(), c.title.as_str(), c.part))
        .chain(grade.server_error.as_ref().map(|_| {
            (
                "did-not-start",
                "The server did not start (or never listened on its port)",
                Part::One,
            )
        }))
}

/// The end-of-run table: each student's score, how many passed each part, and the causes
/// most students share — what to re-teach.
pub fn summary(grades: &[&StudentGrade], with_client: bool) -> String {
    let mut out = String::new();
    let width = grades
        .iter()
        .map(|g| g.student.len())
        .max()
        .unwrap_or(7)
        .max(7);
    out.push_str(&format!(
        "{:<width$}  {:>13}  part 1  part 2",
        "student", "score"
    ));
    if with_client {
        out.push_str("  part 3");
    }
    out.push('\n');
    let mark = |done: bool| if done { "  pass  " } else { "  -     " };
    for grade in grades {
        let score = format!("{} / {}", grade.score.points, grade.score.max);
        out.push_str(&format!("{:<width$}  {score:>13}", grade.student));
        out.push_str(mark(grade.done(Part::One)));
        out.push_str(mark(grade.done(Part::Two)));
        if with_client {
            out.push_str(mark(grade.done(Part::Three)));
        }
        out.push('\n');
    }
    let n = grades.len();
    let passed = |part| grades.iter().filter(|g| g.done(part)).count();
    out.push_str(&format!(
        "\n{n} students. Part 1 passed: {}. Part 2 passed: {}.",
        passed(Part::One),
        passed(Part::Two)
    ));
    if with_client {
        out.push_str(&format!(" Part 3 passed: {}.", passed(Part::Three)));
    }
    if n > 0 {
        let mean = grades.iter().map(|g| g.score.points).sum::<f64>() / n as f64;
        out.push_str(&format!(" Mean score: {mean:.1}."));
    }
    out.push('\n');
    let mut counts: BTreeMap<(bool, &str), usize> = BTreeMap::new();
    for grade in grades {
        let mut seen: Vec<(bool, &str)> = causes_of(grade)
            .map(|(_, title, part)| (part == Part::Beyond, title))
            .collect();
        seen.sort();
        seen.dedup();
        for cause in seen {
            *counts.entry(cause).or_default() += 1;
        }
    }
    let mut common: Vec<((bool, &str), usize)> = counts.into_iter().collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (beyond, heading, shown) in [
        (
            false,
            "Most common causes in the assignment's parts (what to re-teach):",
            8,
        ),
        (
            true,
            "Most common beyond the assignment (HTTP/1.1 as the RFCs state it):",
            4,
        ),
    ] {
        let of_kind: Vec<_> = common.iter().filter(|((b, _), _)| *b == beyond).collect();
        if of_kind.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{heading}\n"));
        for ((_, title), count) in of_kind.into_iter().take(shown) {
            out.push_str(&format!("  {count:>3} of {n}  {title}\n"));
        }
    }
    out
}
