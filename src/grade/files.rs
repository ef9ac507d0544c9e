//! One student's folder in `--out`: the reports of `check` (text, JSON, HTML), the server's
//! output, the conversations, the score, and the platform's `results.json` when asked.

use std::io;
use std::path::Path;

use super::gradebook::student_json;
use super::platforms::{self, Platform};
use super::student::StudentGrade;
use crate::check::suite::Suite;
use crate::report;
use crate::supervise::Captured;
use crate::wire::report::Style;

/// `server.log` holds at most this much (the end of each stream is what explains a death).
const LOG_BYTES: usize = 1024 * 1024;

/// Writes everything about one student into `folder` (made if missing).
pub fn write_student(
    folder: &Path,
    grade: &StudentGrade,
    with_client: bool,
    platform: Option<Platform>,
) -> io::Result<()> {
    std::fs::create_dir_all(folder)?;
    let plain = Style { color: false };
    let mut text = format!(
        "{}: {} of {} points (httplab grade)\n",
        grade.student, grade.score.points, grade.score.max
    );
    if let Some(error) = &grade.server_error {
        text.push_str(&format!("\n{error}\n"));
    }
    if let Some(suite) = &grade.not_started {
        write_reports(folder, "report", suite)?;
    }
    if let Some(suite) = &grade.server {
        text.push('\n');
        text.push_str(&report::text::render(suite, plain));
        write_reports(folder, "report", suite)?;
        report::record::write_records(&folder.join("transcripts"), suite, "httplab grade")?;
    }
    if let Some(suite) = &grade.client {
        text.push('\n');
        text.push_str(&report::text::render(suite, plain));
        write_reports(folder, "client-report", suite)?;
        report::record::write_records(&folder.join("client-transcripts"), suite, "httplab grade")?;
    }
    if let Some(error) = &grade.client_error {
        text.push_str(&format!("\n{error}\n"));
    }
    std::fs::write(folder.join("report.txt"), text)?;
    std::fs::write(folder.join("server.log"), server_log(&grade.server_log))?;
    let json = student_json(grade, with_client);
    std::fs::write(folder.join("grade.json"), pretty(&json))?;
    let results = match platform {
        Some(Platform::Gradescope) => Some(platforms::gradescope(grade, with_client)),
        Some(Platform::Prairielearn) => Some(platforms::prairielearn(grade, with_client)),
        None => None,
    };
    if let Some(results) = results {
        std::fs::write(folder.join("results.json"), pretty(&results))?;
    }
    Ok(())
}

fn write_reports(folder: &Path, stem: &str, suite: &Suite) -> io::Result<()> {
    std::fs::write(
        folder.join(format!("{stem}.json")),
        report::json::render(suite),
    )?;
    std::fs::write(
        folder.join(format!("{stem}.html")),
        report::html::render(suite),
    )
}

/// Each run's stdout and stderr, headed, within [`LOG_BYTES`] in all.
fn server_log(runs: &[Captured]) -> String {
    let mut out = String::new();
    for (n, run) in runs.iter().enumerate() {
        for (name, stream) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            out.push_str(&format!("===== run {} {name}", n + 1));
            if stream.truncated {
                out.push_str(&format!(
                    " (the last {} of {} bytes)",
                    stream.bytes.len(),
                    stream.total_bytes
                ));
            }
            out.push_str(" =====\n");
            out.push_str(&stream.text);
            if !stream.text.is_empty() && !stream.text.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    if out.len() > LOG_BYTES {
        let mut cut = out.len() - LOG_BYTES;
        while !out.is_char_boundary(cut) {
            cut += 1;
        }
        out = format!("[{cut} earlier bytes not kept]\n{}", &out[cut..]);
    }
    out
}

pub fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}
