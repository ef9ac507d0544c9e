//! REDbot (<https://redbot.org>), the HTTP linter: the hello page, the index, the PNG, the CSS
//! and a 301 get no note at level warn or bad. REDbot also sends its own conditional and
//! ranged requests, so this proves the ETag, the 304s and the 206s the way a third party
//! reads them. It is installed with pip, pinned, into a virtual environment made for this run
//! in a temporary folder (about 8 s with pip's cache, more on a cold one; bounded).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::harness::{Server, in_ci, run_bounded, text, tool};

/// The versions measured: REDbot 2.7.1 and the linter it runs, httplint, pinned so that a new
/// release cannot add a note that fails the build unannounced.
const PACKAGES: &[&str] = &["redbot==2.7.1", "httplint==2026.10.4"];

/// What each fixture must show besides having no warning: REDbot's own conditional and
/// ranged requests ran and were answered right.
const EXPECTED: &[(&str, &[&str])] = &[
    ("/helloWorld.html", &["INM_304", "IMS_304", "CL_CORRECT"]),
    ("/", &["INM_304", "IMS_304", "RANGE_CORRECT"]),
    ("/logo.png", &["INM_304", "IMS_304", "RANGE_CORRECT"]),
    ("/style.css", &["INM_304", "IMS_304"]),
    ("/sub", &[]),
];

/// A venv in `dir` with REDbot in it; `None` (after a clear SKIPPED line) when pip cannot
/// reach PyPI outside CI.
fn install_redbot(python: &Path, dir: &Path) -> Option<PathBuf> {
    let venv = dir.join("venv");
    let made = run_bounded(
        Command::new(python).arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(60),
    );
    assert!(
        made.status.success(),
        "python3 -m venv: {}",
        text(&made.stderr)
    );
    let pip = run_bounded(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--timeout",
                "30",
            ])
            .args(PACKAGES),
        Duration::from_secs(300),
    );
    if !pip.status.success() {
        let message = format!(
            "pip install {} failed: {}",
            PACKAGES.join(" "),
            text(&pip.stderr)
        );
        assert!(!in_ci(), "{message}");
        eprintln!("SKIPPED: {message}");
        return None;
    }
    Some(venv.join("bin/redbot"))
}

/// REDbot's notes about `url`, from its HAR output: `(level, id, summary)`.
fn notes(redbot: &Path, url: &str) -> Vec<(String, String, String)> {
    let output = run_bounded(
        Command::new(redbot).args(["-o", "har", url]),
        Duration::from_secs(60),
    );
    assert!(
        output.status.success(),
        "redbot {url}: {}",
        text(&output.stderr)
    );
    let har: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("redbot -o har {url}: {e}\n{}", text(&output.stdout)));
    let entries = har["log"]["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!entries.is_empty(), "no HAR entry for {url}");
    entries
        .iter()
        .flat_map(|entry| {
            entry["_red_messages"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|note| {
            let field = |name: &str| note[name].as_str().unwrap_or_default().to_string();
            (field("level"), field("note_id"), field("summary"))
        })
        .collect()
}

#[test]
fn redbot_finds_nothing_to_warn_about() {
    let Some(python) = tool("python3", "python3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(redbot) = install_redbot(&python, dir.path()) else {
        return;
    };
    let server = Server::quiet();
    let mut wrong = Vec::new();
    for (path, expected) in EXPECTED {
        let notes = notes(&redbot, &server.url(path));
        let ids: Vec<&str> = notes.iter().map(|(_, id, _)| id.as_str()).collect();
        let warned = notes
            .iter()
            .any(|(level, _, _)| matches!(level.as_str(), "WARN" | "BAD"));
        let missing: Vec<&&str> = expected.iter().filter(|id| !ids.contains(id)).collect();
        if warned || !missing.is_empty() {
            let listed: Vec<String> = notes
                .iter()
                .map(|(level, id, summary)| format!("  {level:5} {id}: {summary}"))
                .collect();
            wrong.push(format!(
                "{path}: missing {missing:?}; every note:\n{}",
                listed.join("\n")
            ));
        }
    }
    assert!(wrong.is_empty(), "REDbot:\n{}", wrong.join("\n"));
}
