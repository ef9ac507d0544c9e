//! `httplab grade`: a class of polite, buggy and hostile submissions graded in one command,
//! sandboxed — each student's verdicts and score, the gradebook read back as the platforms
//! read it (CSV, JSON, JUnit XML), nothing left running, no secret leaked — and the
//! Gradescope bundle run against a simulated `/autograder`.
//!
//! The sandbox needs root, as `just test` and CI run; the tests of this file run one at a
//! time (they count the processes of the user `nobody`).
mod common;

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::binary::wait_bounded;

use serde_json::Value;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The server checks, as many as check's catalogue has.
const CHECKS: usize = httplab::check::catalogue::CHECKS.len();
const SECRET: &str = "TOP-SECRET-GRADER-7f3a9";
const SERVER: &str = "python3 server.py {port}";

fn peers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

fn httplab(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_httplab"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn run(args: &[&str], within: Duration) -> Output {
    wait_bounded(httplab(args).spawn().unwrap(), within)
}

/// The live processes (zombies aside) of the user submissions run as.
fn nobodys_processes() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let uid = status.lines().find(|l| l.starts_with("Uid:"));
        let zombie = status
            .lines()
            .any(|l| l.starts_with("State:") && l.contains('Z'));
        if uid.is_some_and(|l| l.split_whitespace().nth(1) == Some("65534")) && !zombie {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push(String::from_utf8_lossy(&cmdline).replace('\0', " "));
        }
    }
    found
}

fn assert_nothing_left() {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = nobodys_processes();
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "left running: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A temporary folder of a run's own under `work` (its TMPDIR), to see that the working
/// copies and unpacked zips go. The sandbox's user must be able to pass through it.
fn own_temp(work: &Path) -> PathBuf {
    let temp = work.join("tmp");
    std::fs::create_dir(&temp).unwrap();
    std::fs::set_permissions(&temp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    temp
}

fn assert_empty(temp: &Path) {
    let left: Vec<_> = std::fs::read_dir(temp)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "temporary folders left: {left:?}");
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn submission(class: &Path, student: &str, script: &Path) {
    std::fs::create_dir_all(class.join(student)).unwrap();
    std::fs::copy(script, class.join(student).join("server.py")).unwrap();
}

fn zip_folder(folder: &Path, zip_path: &Path, inside: &str) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(zip_path).unwrap());
    for entry in std::fs::read_dir(folder).unwrap().flatten() {
        let name = format!("{inside}/{}", entry.file_name().to_string_lossy());
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(&std::fs::read(entry.path()).unwrap())
            .unwrap();
    }
    zip.finish().unwrap();
}

/// The class: every hostile and buggy submission of tests/peers/class, the seed's two
/// servers, the student-like servers, a zipped copy of the good one, and a broken zip. A
/// secret lies beside the class folder, and a server of the grader's listens on loopback;
/// one submission is told where both are.
struct Class {
    root: tempfile::TempDir,
    grader_port: u16,
    _grader: TcpListener,
}

impl Class {
    fn build() -> Class {
        let root = tempfile::tempdir().unwrap();
        let class = root.path().join("class");
        for entry in std::fs::read_dir(peers().join("class")).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                copy_folder(&entry.path(), &class.join(entry.file_name()));
            }
        }
        submission(&class, "seed", &peers().join("seed_server.py"));
        submission(
            &class,
            "seed_threaded",
            &peers().join("seed_threaded_server.py"),
        );
        for student in ["threaded_chars", "crash_on_empty", "skeleton"] {
            submission(
                &class,
                student,
                &peers().join(format!("students/{student}.py")),
            );
        }
        // The same name twice (a folder and a zip), and a student named like a class file.
        zip_folder(&class.join("good"), &class.join("good.zip"), "good");
        copy_folder(&class.join("syntax_error"), &class.join("grades.json"));
        std::fs::write(class.join("broken.zip"), b"PK\x03\x04 not really a zip").unwrap();
        let secret = root.path().join("secret.txt");
        std::fs::write(&secret, SECRET).unwrap();
        let grader = TcpListener::bind("127.0.0.1:0").unwrap();
        grader.set_nonblocking(true).unwrap();
        let grader_port = grader.local_addr().unwrap().port();
        std::fs::write(
            class.join("reads_secret/secret_paths.txt"),
            format!("{} port:{grader_port}\n", secret.display()),
        )
        .unwrap();
        Class {
            root,
            grader_port,
            _grader: grader,
        }
    }

    fn class(&self) -> PathBuf {
        self.root.path().join("class")
    }

    fn out(&self) -> PathBuf {
        self.root.path().join("out")
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            found.extend(files_under(&entry.path()));
        } else {
            found.push(entry.path());
        }
    }
    found
}

#[test]
fn a_class_is_graded_in_one_command_sandboxed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let class = Class::build();
    let out = class.out();
    let junit = out.join("junit.xml");
    let temp = own_temp(class.root.path());
    let started = Instant::now();
    let mut command = httplab(&[
        "grade",
        class.class().to_str().unwrap(),
        "--run",
        SERVER,
        "--out",
        out.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--format",
        "gradescope",
        "--jobs",
        "3",
    ]);
    command.env("TMPDIR", &temp);
    let output = wait_bounded(command.spawn().unwrap(), Duration::from_secs(240));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    eprintln!("graded in {:?}\n{stdout}", started.elapsed());
    assert_nothing_left();
    // The working copies and the unpacked zips are gone.
    assert_empty(&temp);

    // The gradebook, read back as a spreadsheet would.
    let mut csv = csv::Reader::from_path(out.join("grades.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        ["student", "score", "max", "part 1 passed", "part 2 passed"]
    );
    assert_eq!(header.len(), 5 + CHECKS, "one column per check");
    let mut rows: HashMap<String, HashMap<String, String>> = HashMap::new();
    for record in csv.records() {
        let record = record.unwrap();
        let row: HashMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(String::from))
            .collect();
        rows.insert(row["student"].clone(), row);
    }
    let students = [
        "broken",
        "crash_on_empty",
        "exits_at_once",
        "floods_stdout",
        "forks_children",
        "good",
        "good.zip",
        "grades.json",
        "huge_file",
        "kills_everything",
        "loops_forever",
        "never_listens",
        "other_port",
        "reads_secret",
        "seed",
        "seed_threaded",
        "skeleton",
        "syntax_error",
        "threaded_chars",
    ];
    let mut names: Vec<&str> = rows.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, students);
    let score = |student: &str| -> f64 { rows[student]["score"].parse().unwrap() };
    let verdict = |student: &str, id: &str| rows[student][id].clone();

    // The good server, and its zipped copy, graded while hostile ones ran beside them.
    for good in ["good", "good.zip"] {
        assert_eq!(score(good), 100.0, "{good}: {:?}", rows[good]);
        assert_eq!(rows[good]["part 1 passed"], "yes");
        assert_eq!(rows[good]["part 2 passed"], "yes");
    }
    // Submissions that never serve: zero, and the reason.
    let grades = read_json(&out.join("grades.json"));
    let by_name: HashMap<String, Value> = grades["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["student"].as_str().unwrap().to_string(), s.clone()))
        .collect();
    assert_eq!(by_name.len(), students.len());
    let error = |student: &str| {
        by_name[student]["server_error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    for (student, reason) in [
        ("syntax_error", "SyntaxError"),
        ("never_listens", "did not listen on port 6789"),
        ("other_port", "it listens on port 8080 instead"),
        ("exits_at_once", "exited"),
        ("broken", "cannot unpack"),
    ] {
        assert_eq!(score(student), 0.0, "{student}");
        assert!(
            error(student).contains(reason),
            "{student}: {}",
            error(student)
        );
    }
    let report =
        |student: &str| std::fs::read_to_string(out.join(student).join("report.txt")).unwrap();
    assert!(
        report("syntax_error").contains("SyntaxError"),
        "{}",
        report("syntax_error")
    );
    // Accepts but never answers: every check skipped, the cause named.
    assert_eq!(score("loops_forever"), 0.0);
    assert!(
        report("loops_forever").contains("never answers"),
        "{}",
        report("loops_forever")
    );
    // Hostile but serving: graded on what they serve; their hostility contained.
    for student in [
        "forks_children",
        "floods_stdout",
        "huge_file",
        "reads_secret",
    ] {
        assert_eq!(verdict(student, "assignment.get"), "pass", "{student}");
        assert!(score(student) > 40.0, "{student}: {}", score(student));
    }
    // A child per connection that lingers: taught as the process bound it met, not a crash.
    let causes = by_name["forks_children"]["causes"].to_string();
    assert!(
        causes.contains("The server kept too many processes alive, and httplab stopped it"),
        "{causes}"
    );
    let log =
        |student: &str| std::fs::read_to_string(out.join(student).join("server.log")).unwrap();
    assert!(
        log("huge_file").contains("File too large"),
        "{}",
        log("huge_file")
    );
    let flood = std::fs::metadata(out.join("floods_stdout/server.log"))
        .unwrap()
        .len();
    assert!(
        flood <= 1024 * 1024 + 4096,
        "server.log is bounded: {flood}"
    );
    assert!(
        log("floods_stdout").contains("earlier bytes not kept")
            || log("floods_stdout").contains("bytes)")
    );
    // A server that never listened keeps what it wrote: the traceback, the banner.
    assert!(
        log("syntax_error").contains("SyntaxError: '(' was never closed"),
        "{}",
        log("syntax_error")
    );
    assert!(
        log("never_listens").contains("Ready to serve..."),
        "{}",
        log("never_listens")
    );
    // ... and gets a web page too, the traceback laid out as it was.
    let page = std::fs::read_to_string(out.join("syntax_error/report.html")).unwrap();
    assert!(
        page.contains("No check could run: the server did not start"),
        "{page}"
    );
    assert!(
        page.contains("Exit status <strong>1</strong>: the server did not start."),
        "{page}"
    );
    assert!(
        page.contains("<pre>") && page.contains("SyntaxError: &#39;(&#39; was never closed</pre>"),
        "{page}"
    );
    let spy = log("reads_secret");
    assert!(spy.contains("cannot read /etc/shadow"), "{spy}");
    assert!(
        spy.contains(&format!("cannot reach port {}", class.grader_port)),
        "{spy}"
    );
    assert!(spy.contains("cannot read ../secret.txt"), "{spy}");
    assert!(
        class._grader.accept().is_err(),
        "a submission reached the grader's port"
    );
    // kill(-1) reached only its own sandbox: the others were graded in full meanwhile.
    assert!(score("kills_everything") < 30.0);
    // The textbook's bugs, named.
    assert_eq!(verdict("threaded_chars", "wire.content-length"), "fail");
    assert_eq!(rows["threaded_chars"]["part 2 passed"], "yes");
    assert_eq!(verdict("seed", "wire.status-line"), "fail");
    assert_eq!(verdict("seed", "assignment.concurrent"), "fail");
    assert_eq!(verdict("skeleton", "wire.crlf"), "fail");
    assert_eq!(verdict("crash_on_empty", "robust.empty-connection"), "fail");
    for (name, student) in &by_name {
        assert_eq!(
            student["score"].as_f64().unwrap(),
            score(name),
            "{name}: CSV and JSON agree"
        );
        assert_eq!(student["max"].as_f64(), Some(100.0));
    }

    // No output holds the secret.
    for file in files_under(&out) {
        let mut bytes = Vec::new();
        std::fs::File::open(&file)
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "{} holds the secret",
            file.display()
        );
    }

    // Each student's folder, and Gradescope's format as Gradescope reads it.
    // A student named like a class file gets a folder beside it, not over it.
    assert!(out.join("grades.json").is_file());
    assert!(out.join("grades.json (student)/report.txt").is_file());
    let folder = |student: &str| {
        if student == "grades.json" {
            out.join("grades.json (student)")
        } else {
            out.join(student)
        }
    };
    for student in students {
        for file in ["report.txt", "grade.json", "server.log", "results.json"] {
            assert!(folder(student).join(file).is_file(), "{student}/{file}");
        }
        let results = read_json(&folder(student).join("results.json"));
        let tests = results["tests"].as_array().unwrap();
        assert_eq!(tests.len(), CHECKS);
        let mut sum = 0.0;
        for test in tests {
            for field in ["name", "score", "max_score", "output", "visibility"] {
                assert!(!test[field].is_null(), "{student}: a test without {field}");
            }
            sum += test["score"].as_f64().unwrap();
        }
        assert!((sum - results["score"].as_f64().unwrap()).abs() < 1e-6);
        assert_eq!(results["score"].as_f64().unwrap(), score(student));
    }
    assert!(out.join("good/report.html").is_file());
    assert!(out.join("seed/transcripts/assignment.get.txt").is_file());
    // The packets, captured inside the submission's namespace, as Wireshark opens them.
    assert!(out.join("seed/transcripts/assignment.get.pcapng").is_file());

    // JUnit, parsed: a suite per student, a case per check, failures where the CSV says.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<_> = document
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), students.len());
    for suite in suites {
        let student = suite.attribute("name").unwrap();
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), CHECKS);
        let failed = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        let in_csv = rows[student].values().filter(|v| *v == "fail").count();
        assert_eq!(failed, in_csv, "{student}");
        assert_eq!(
            suite.attribute("failures"),
            Some(failed.to_string().as_str())
        );
        // A server that never ran is an error in CI's eyes, not a row of skipped tests.
        let errors = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("error")))
            .count();
        let not_run = by_name[student]["server_error"].is_string();
        assert_eq!(errors, if not_run { CHECKS } else { 0 }, "{student}");
    }
}

/// Gradescope's call for one submission: `/autograder/run_autograder`, bounded.
fn run_autograder(root: &Path) -> Output {
    let child = Command::new("bash")
        .arg(root.join("run_autograder"))
        .env("AUTOGRADER_ROOT", root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(child, Duration::from_secs(90))
}

#[test]
fn the_gradescope_bundle_grades_a_submission_in_a_simulated_autograder() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let bundle = work.path().join("bundle");
    let output = run(
        &[
            "grade",
            "--gradescope-bundle",
            bundle.to_str().unwrap(),
            "--run",
            "python3 server.py",
        ],
        Duration::from_secs(60),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Gradescope unpacks the zip into /autograder/source and copies run_autograder up.
    let root = work.path().join("autograder");
    let source = root.join("source");
    std::fs::create_dir_all(&source).unwrap();
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(bundle.join("autograder.zip")).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        ["httplab", "rubric.toml", "run_autograder", "setup.sh"]
    );
    zip.extract(&source).unwrap();
    std::fs::copy(source.join("run_autograder"), root.join("run_autograder")).unwrap();
    copy_folder(&peers().join("class/good"), &root.join("submission"));

    let setup = Command::new("bash")
        .arg(source.join("setup.sh"))
        .env("AUTOGRADER_ROOT", &root)
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    assert!(root.join("bin/httplab").is_file());
    let graded = run_autograder(&root);
    assert!(
        graded.status.success(),
        "{}",
        String::from_utf8_lossy(&graded.stderr)
    );
    let results = read_json(&root.join("results/results.json"));
    assert_eq!(results["score"].as_f64(), Some(100.0), "{results}");
    assert_eq!(results["tests"].as_array().unwrap().len(), CHECKS);
    assert_nothing_left();

    // A broken submission still gets a results.json that says why.
    std::fs::remove_dir_all(root.join("submission")).unwrap();
    copy_folder(
        &peers().join("class/syntax_error"),
        &root.join("submission"),
    );
    let graded = run_autograder(&root);
    assert!(graded.status.success());
    let results = read_json(&root.join("results/results.json"));
    assert_eq!(results["score"].as_f64(), Some(0.0));
    assert!(
        results["output"].as_str().unwrap().contains("SyntaxError"),
        "{results}"
    );
}

#[test]
fn prairielearn_and_a_rubric_of_the_instructors() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let submission = work.path().join("submission");
    copy_folder(&peers().join("students"), &submission);
    std::fs::copy(
        submission.join("threaded_chars.py"),
        submission.join("server.py"),
    )
    .unwrap();
    // Only the assignment's checks count here, and part 2 earns a bonus.
    let rubric = work.path().join("rubric.toml");
    std::fs::write(
        &rubric,
        "warn_share = 0\n[points]\n\"assignment.\" = 10\n\"wire.content-length\" = 10\n[parts]\ntwo = 5\n",
    )
    .unwrap();
    let out = work.path().join("out");
    let output = run(
        &[
            "grade",
            submission.to_str().unwrap(),
            "--single",
            "--run",
            SERVER,
            "--rubric",
            rubric.to_str().unwrap(),
            "--format",
            "prairielearn",
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_secs(90),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results = read_json(&out.join("submission/results.json"));
    assert_eq!(results["gradable"], Value::Bool(true));
    // The 4 assignment.* checks at 10 pass, Content-Length in characters (10) fails, part 2
    // is done (5): (40 + 5) of 55.
    let score = results["score"].as_f64().unwrap();
    assert!((score - 45.0 / 55.0).abs() < 1e-9, "{results}");
    let tests = results["tests"].as_array().unwrap();
    let length = tests
        .iter()
        .find(|t| {
            t["name"]
                .as_str()
                .unwrap()
                .starts_with("wire.content-length")
        })
        .unwrap();
    assert_eq!(length["points"].as_f64(), Some(0.0));
    assert_eq!(length["max_points"].as_f64(), Some(10.0));
    assert!(
        length["output"].as_str().unwrap().contains("Fix:"),
        "{length}"
    );
    assert_nothing_left();

    // A typo in a rubric is a usage error, not a silent zero.
    std::fs::write(&rubric, "[points]\n\"asignment.get\" = 10\n").unwrap();
    let output = run(
        &[
            "grade",
            submission.to_str().unwrap(),
            "--run",
            SERVER,
            "--rubric",
            rubric.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("asignment.get"));
    // The default rubric, printed, is a rubric.
    let printed = run(&["grade", "--print-rubric"], Duration::from_secs(30));
    std::fs::write(&rubric, &printed.stdout).unwrap();
    let output = run(
        &[
            "grade",
            "--print-rubric",
            "--rubric",
            rubric.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    assert!(output.status.success());
}

#[test]
fn ctrl_c_stops_the_class_and_leaves_nothing_running() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let class = work.path().join("class");
    for student in ["never_listens", "loops_forever", "forks_children", "good"] {
        copy_folder(&peers().join("class").join(student), &class.join(student));
    }
    let out = work.path().join("out");
    let temp = own_temp(work.path());
    let child = httplab(&[
        "grade",
        class.to_str().unwrap(),
        "--run",
        SERVER,
        "--out",
        out.to_str().unwrap(),
    ])
    .env("TMPDIR", &temp)
    .spawn()
    .unwrap();
    let pid = child.id() as i32;
    let started = Instant::now();
    while nobodys_processes().len() < 2 && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!nobodys_processes().is_empty(), "the submissions started");
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: a signal to the child we started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let output = wait_bounded(child, Duration::from_secs(15));
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_nothing_left();
    assert_empty(&temp);
    // What was graded before the interrupt is kept.
    assert!(
        std::fs::read_to_string(out.join("grades.csv"))
            .unwrap()
            .starts_with("student,")
    );
}

#[test]
fn without_the_sandbox_grade_says_so_and_runs_one_at_a_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let class = work.path().join("class");
    // Servers that take their port from the command line: unconfined, they share the
    // machine's loopback, and each gets a free port.
    submission(&class, "seed", &peers().join("seed_server.py"));
    submission(&class, "chars", &peers().join("students/threaded_chars.py"));
    let out = work.path().join("out");
    let output = run(
        &[
            "grade",
            class.to_str().unwrap(),
            "--run",
            SERVER,
            "--no-sandbox",
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("no sandbox"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("(1 at a time)"));
}

#[test]
fn clients_are_graded_beside_their_servers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let work = tempfile::tempdir().unwrap();
    let class = work.path().join("class");
    copy_folder(&peers().join("class/good"), &class.join("careful"));
    std::fs::copy(
        peers().join("clients/careful_client.py"),
        class.join("careful/client.py"),
    )
    .unwrap();
    submission(&class, "seed", &peers().join("seed_server.py"));
    std::fs::copy(
        peers().join("clients/seed_client.py"),
        class.join("seed/client.py"),
    )
    .unwrap();
    let out = work.path().join("out");
    let output = run(
        &[
            "grade",
            class.to_str().unwrap(),
            "--run",
            SERVER,
            "--client-run",
            "python3 client.py",
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_nothing_left();
    let mut csv = csv::Reader::from_path(out.join("grades.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[5], "part 3 passed");
    assert!(header.iter().any(|h| h == "client.crlf"));
    let rows: Vec<HashMap<String, String>> = csv
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    let careful = rows.iter().find(|r| r["student"] == "careful").unwrap();
    assert_eq!(careful["part 3 passed"], "yes", "{careful:?}");
    assert_eq!(careful["score"], careful["max"]);
    let seed = rows.iter().find(|r| r["student"] == "seed").unwrap();
    assert_eq!(seed["part 3 passed"], "no");
    assert_eq!(seed["client.head-end"], "fail", "{seed:?}");
    let report = std::fs::read_to_string(out.join("seed/report.txt")).unwrap();
    assert!(report.contains("The request never ends"), "{report}");
    assert!(out.join("seed/client-report.html").is_file());
}
