//! `httplab grade SUBMISSIONS --run CMD`: grade a whole class, sandboxed, into a gradebook
//! and the formats course platforms read.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use httplab::check::client::ClientCommand;
use httplab::check::student_server::ServerCommand;
use httplab::grade::bundle::{BundleSpec, write_bundle};
use httplab::grade::class::{self, Submission};
use httplab::grade::platforms::Platform;
use httplab::grade::rubric::{DEFAULT_RUBRIC, Rubric};
use httplab::grade::student::{GradeConfig, StudentGrade};
use httplab::grade::{Outputs, Progress, grade_class, gradebook, known_ids};
use httplab::supervise::{self, Confinement};

use super::seconds;

pub const GRADE_AFTER_HELP: &str = "Each folder (or .zip) in SUBMISSIONS is one student, named by it. For each, \
httplab copies the student's files and the fixture site into a fresh folder, starts the server there with the \
--run command ({port} and {dir} are replaced), checks it as `httplab check --run` would (restarting it after a \
crash, keeping its traceback), checks the client when --client-run is given, and scores the verdicts with the \
rubric (`httplab grade --print-rubric` prints the default).\n\n\
The sandbox: each submission runs in a network namespace of its own (so every server can listen on 6789, \
several at once, and none can reach another or anything else), in a bubblewrap sandbox that shows it only the \
system's read-only folders and its own folder, as the user nobody, bounded in CPU, memory, processes, file size \
and output, its whole process tree killed at the end. It needs root and bubblewrap; without them grade refuses, \
unless --no-sandbox is given (submissions then run one at a time, unconfined).\n\n\
Outputs in --out: grades.csv, grades.json, and a folder per student (report.txt, report.json, report.html, \
server.log, grade.json, transcripts/; results.json with --format).\n\n\
Example: httplab grade class/ --run 'python3 server.py' --out grades --junit grades/junit.xml\n\n\
Exit status: 0 the class was graded; 1 an output could not be written; 2 a usage error (a bad rubric \
included); 4 the sandbox cannot be had here.";

#[derive(Args)]
pub struct GradeArgs {
    /// The class: a folder holding one folder (or .zip) per student.
    #[arg(value_name = "SUBMISSIONS", required_unless_present_any = ["print_rubric", "gradescope_bundle", "check_sandbox"])]
    pub submissions: Option<PathBuf>,
    /// How to start a student's server, run in the student's folder ({port}, {dir}).
    #[arg(long, value_name = "CMD", required_unless_present_any = ["print_rubric", "check_sandbox"])]
    pub run: Option<String>,
    /// How to run a student's client ({host}, {port}, {path}; appended when absent).
    #[arg(long, value_name = "CMD")]
    pub client_run: Option<String>,
    /// The port the server is given ({port}) or is expected on.
    #[arg(long, default_value = "6789")]
    pub port: u16,
    /// The rubric (TOML); the default follows the assignment.
    #[arg(long, value_name = "FILE")]
    pub rubric: Option<PathBuf>,
    /// Where the gradebook and each student's reports go.
    #[arg(long, value_name = "DIR", default_value = "grades")]
    pub out: PathBuf,
    /// Also write each student's results.json for this platform.
    #[arg(long, value_enum)]
    pub format: Option<Platform>,
    /// Also write the class as JUnit XML (one testcase per check, per student).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Submissions graded at once (default: twice the number of cores: grading is waiting).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Seconds each check waits for the server (as check's --timeout).
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    pub timeout: Duration,
    /// SUBMISSIONS is one submission, not a class (the Gradescope bundle uses this).
    #[arg(long)]
    pub single: bool,
    /// Run the submissions unconfined, one at a time (when the sandbox cannot be had).
    #[arg(long)]
    pub no_sandbox: bool,
    /// Print the default rubric, commented, and exit.
    #[arg(long)]
    pub print_rubric: bool,
    /// Write a Gradescope autograder bundle into DIR and exit.
    #[arg(long, value_name = "DIR")]
    pub gradescope_bundle: Option<PathBuf>,
    /// Say whether the sandbox can be had here (exit 0) or why not (exit 4), and exit.
    #[arg(long)]
    pub check_sandbox: bool,
}

const SANDBOX_UNAVAILABLE: u8 = 4;

pub fn run(args: GradeArgs) -> ExitCode {
    if args.print_rubric {
        print!("{DEFAULT_RUBRIC}");
        return ExitCode::SUCCESS;
    }
    if args.check_sandbox {
        return match Confinement::available() {
            Ok(_) => {
                println!("the sandbox is available (network namespaces, bubblewrap, nobody)");
                ExitCode::SUCCESS
            }
            Err(why) => {
                eprintln!("httplab: {why}");
                ExitCode::from(SANDBOX_UNAVAILABLE)
            }
        };
    }
    let rubric_text = match &args.rubric {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => return usage(&format!("--rubric {}: {error}", path.display())),
        },
        None => DEFAULT_RUBRIC.to_string(),
    };
    let rubric = match Rubric::parse(&rubric_text, &known_ids()) {
        Ok(rubric) => rubric,
        Err(error) => return usage(&format!("the rubric: {error}")),
    };
    let server = args.run.clone().unwrap_or_default();
    if server.trim().is_empty() {
        return usage("--run needs a command: --run 'python3 server.py'");
    }
    if let Some(dir) = &args.gradescope_bundle {
        return bundle(dir, &args, server, rubric_text);
    }
    grade(&args, server, rubric)
}

fn usage(message: &str) -> ExitCode {
    eprintln!("httplab: {message}");
    ExitCode::from(2)
}

fn bundle(dir: &Path, args: &GradeArgs, server: String, rubric: String) -> ExitCode {
    let spec = BundleSpec {
        server,
        client: args.client_run.clone(),
        port: args.port,
        rubric,
    };
    let written = std::env::current_exe().and_then(|exe| write_bundle(dir, &spec, &exe));
    match written {
        Ok(()) => {
            println!(
                "wrote the Gradescope autograder into {0}: upload {0}/autograder.zip",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("httplab: cannot write {}: {error}", dir.display());
            ExitCode::FAILURE
        }
    }
}

fn grade(args: &GradeArgs, server: String, rubric: Rubric) -> ExitCode {
    let Some(class_dir) = &args.submissions else {
        return usage("give the folder of submissions");
    };
    let confinement = if args.no_sandbox {
        Confinement::user_only()
    } else {
        match Confinement::available() {
            Ok(confinement) => Some(confinement),
            Err(why) => {
                eprintln!(
                    "httplab: {why}.\nhttplab: grade runs students' code only in its sandbox; \
                     --no-sandbox runs it unconfined, one submission at a time"
                );
                return ExitCode::from(SANDBOX_UNAVAILABLE);
            }
        }
    };
    let submissions = match find(class_dir, args.single) {
        Ok(found) if found.is_empty() => {
            return usage(&format!("{}: no submission in it", class_dir.display()));
        }
        Ok(found) => found,
        Err(error) => return usage(&format!("{}: {error}", class_dir.display())),
    };
    if let Err(error) = supervise::kill_all_on_interrupt() {
        eprintln!("httplab: {error}");
        return ExitCode::FAILURE;
    }
    let sandboxed = confinement
        .as_ref()
        .is_some_and(Confinement::private_network);
    let jobs = match (sandboxed, args.jobs) {
        (false, _) => {
            let user = if confinement.is_some() {
                ", as nobody"
            } else {
                ""
            };
            eprintln!("httplab: no sandbox: the submissions run unconfined{user}, one at a time");
            1
        }
        (true, Some(jobs)) => jobs.max(1),
        // Twice the cores: grading is waiting (for servers' answers and timeouts), not
        // computing — a class of 40 used 3 s of CPU in 89 s on 2 cores with 2 jobs, and took
        // 45 s with 4, every grade the same (tests/bench/RESULTS.md).
        (true, None) => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let config = GradeConfig {
        server: ServerCommand::Shell(server),
        port: args.port,
        client: args.client_run.as_deref().map(client_command),
        confinement,
        timeout: args.timeout,
        rubric,
    };
    let outputs = Outputs {
        dir: args.out.clone(),
        platform: args.format,
        junit: args.junit.clone(),
    };
    let started = Instant::now();
    let mut progress = Bar::new(submissions.len());
    let graded = grade_class(&submissions, &config, &outputs, jobs, &mut progress);
    progress.done();
    supervise::kill_leftovers();
    supervise::wait_if_interrupted();
    match graded {
        Ok(grades) => {
            let all: Vec<&StudentGrade> = grades.iter().collect();
            print!("{}", gradebook::summary(&all, config.client.is_some()));
            println!(
                "\nGraded {} submissions in {:.1} s ({} at a time); the gradebook is {}",
                grades.len(),
                started.elapsed().as_secs_f64(),
                jobs,
                args.out.join("grades.csv").display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "httplab: cannot write the grades into {}: {error}",
                args.out.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn find(class_dir: &Path, single: bool) -> std::io::Result<Vec<Submission>> {
    if !class_dir.is_dir() {
        return Err(std::io::Error::other("not a folder"));
    }
    if single {
        let name = class_dir
            .file_name()
            .map_or("submission".into(), |n| n.to_string_lossy().into_owned());
        return Ok(vec![class::single(class_dir, &name)]);
    }
    class::submissions(class_dir)
}

/// A client template as a shell command; `{host} {port} {path}` are appended when it names
/// none of them, as the assignment's command line has them.
fn client_command(template: &str) -> ClientCommand {
    let named = ["{host}", "{port}", "{path}"]
        .iter()
        .any(|p| template.contains(p));
    let line = if named {
        template.to_string()
    } else {
        format!("{template} {{host}} {{port}} {{path}}")
    };
    ClientCommand::new(vec!["sh".into(), "-c".into(), line])
}

/// The progress bar on a terminal (indicatif: redraws in place, and stays out of the way of
/// a log), or a line per student otherwise.
struct Bar {
    bar: Option<indicatif::ProgressBar>,
    running: Vec<String>,
}

impl Bar {
    fn new(total: usize) -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} grading {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Bar {
            bar,
            running: Vec::new(),
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn started(&mut self, student: &str) {
        self.running.push(student.to_string());
        if let Some(bar) = &self.bar {
            bar.set_message(self.running.join(", "));
        }
    }

    fn finished(&mut self, grade: &StudentGrade, done: usize, total: usize) {
        self.running.retain(|s| *s != grade.student);
        let line = format!(
            "[{done}/{total}] {}: {} / {} ({:.1} s){}",
            grade.student,
            grade.score.points,
            grade.score.max,
            grade.elapsed.as_secs_f64(),
            grade
                .error_headline()
                .map(|e| format!(" — {e}"))
                .unwrap_or_default()
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.set_position(done as u64);
                bar.set_message(self.running.join(", "));
            }
            None => eprintln!("{line}"),
        }
    }
}
