//! `grade --gradescope-bundle DIR`: a ready Gradescope autograder — `setup.sh`,
//! `run_autograder`, this very httplab binary and the rubric, as a folder and as the
//! `autograder.zip` Gradescope takes.
//!
//! Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` once when it builds
//! the image, copies `run_autograder` to `/autograder/`, and runs it for each submission
//! (in `/autograder/submission`), reading `/autograder/results/results.json`. The scripts
//! take the root from `AUTOGRADER_ROOT` (default `/autograder`) so that a test can run the
//! bundle against a simulated layout.

use std::io::{self, Write};
use std::path::Path;

/// What the bundle grades with.
#[derive(Clone, Debug)]
pub struct BundleSpec {
    /// The server's `--run` template.
    pub server: String,
    pub client: Option<String>,
    pub port: u16,
    /// The rubric's text (the default one, or the instructor's file).
    pub rubric: String,
}

/// Writes the bundle into `dir`: the four files and `autograder.zip` holding them.
pub fn write_bundle(dir: &Path, spec: &BundleSpec, httplab: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let files: Vec<(&str, Vec<u8>, u32)> = vec![
        ("setup.sh", SETUP.as_bytes().to_vec(), 0o755),
        ("run_autograder", run_autograder(spec).into_bytes(), 0o755),
        ("rubric.toml", spec.rubric.clone().into_bytes(), 0o644),
        ("httplab", std::fs::read(httplab)?, 0o755),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join("autograder.zip"))?);
    for (name, bytes, mode) in &files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        zip.start_file(*name, options).map_err(io::Error::other)?;
        zip.write_all(bytes)?;
    }
    zip.finish().map_err(io::Error::other)?;
    Ok(())
}

const SETUP: &str = r#"#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image: install what grading
# needs (python3 for the students' code, bubblewrap for the sandbox) and httplab itself.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
need=()
command -v python3 >/dev/null || need+=(python3)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
mkdir -p "$ROOT/bin"
install -m 0755 "$ROOT/source/httplab" "$ROOT/bin/httplab"
"$ROOT/bin/httplab" --version
"#;

/// `run_autograder`, with the commands baked in.
fn run_autograder(spec: &BundleSpec) -> String {
    let client = spec
        .client
        .as_ref()
        .map(|c| format!(" --client-run {}", shell_quote(c)))
        .unwrap_or_default();
    format!(
        r#"#!/usr/bin/env bash
# Gradescope runs this for each submission: grade /autograder/submission with httplab and
# write /autograder/results/results.json. Made by `httplab grade --gradescope-bundle`.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
HTTPLAB="$ROOT/bin/httplab"
[ -x "$HTTPLAB" ] || HTTPLAB="$ROOT/source/httplab"
# Gradescope's container isolates each submission already: where httplab's own sandbox
# cannot be had inside it, grade without it (one submission, one container).
SANDBOX=()
"$HTTPLAB" grade --check-sandbox >/dev/null 2>&1 || SANDBOX=(--no-sandbox)
OUT="$(mktemp -d)"
mkdir -p "$ROOT/results"
"$HTTPLAB" grade "$ROOT/submission" --single --run {server}{client} --port {port} \
    --rubric "$ROOT/source/rubric.toml" --format gradescope --out "$OUT" "${{SANDBOX[@]}}"
status=$?
if [ -f "$OUT/submission/results.json" ]; then
    cp "$OUT/submission/results.json" "$ROOT/results/results.json"
else
    printf '{{"score": 0, "output": "httplab could not grade this submission (exit status %s); please tell your instructor."}}\n' "$status" \
        > "$ROOT/results/results.json"
fi
"#,
        server = shell_quote(&spec.server),
        port = spec.port,
    )
}

/// `text` as one word for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("python3 server.py"), "'python3 server.py'");
        assert_eq!(shell_quote("echo 'hi'"), "'echo '\\''hi'\\'''");
        let script = run_autograder(&BundleSpec {
            server: "python3 'my server.py' {port}".into(),
            client: None,
            port: 6789,
            rubric: String::new(),
        });
        assert!(
            script.contains("--run 'python3 '\\''my server.py'\\'' {port}' --port 6789"),
            "{script}"
        );
    }
}
