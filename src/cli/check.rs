//! `httplab check [HOST [PORT] | URL]`: grade a server and print what to fix.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use httplab::check::catalogue::CHECKS;
use httplab::check::runner::{CheckResult, Suite, Unwatched, run_watched};
use httplab::check::student_server::{ServerCommand, StudentServer};
use httplab::check::{Docroot, SuiteConfig, Verdict};
use httplab::report;
use httplab::supervise;
use httplab::wire::report::Style;

use super::seconds;

pub const CHECK_AFTER_HELP: &str = "The server must serve httplab's fixtures: write them with `httplab fixtures DIR` \
and start your server in DIR. Without a target, check asks 127.0.0.1 port 6789, the assignment's.\n\n\
What counts: the assignment's parts (part 1, the web server; part 2, the multithreaded server; \
--part 1 leaves part 2 out). Checks beyond the assignment (HTTP/1.1 as the RFCs state it) are \
reported, with their fixes, but fail the run only with --strict.\n\n\
Exit status: 0 nothing that counts failed; 1 something did; 2 a usage error; 3 nothing listens.";

/// The exit status when nothing listens at the target (as `probe`).
const NOTHING_LISTENS: u8 = 3;
/// The exit status of a usage error (as clap's own).
const USAGE: u8 = 2;
/// The longest `--timeout` that makes sense: every wait of every check is bounded by it.
const MAX_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Args)]
pub struct CheckArgs {
    /// The server: HOST [PORT] (an IPv6 address as ::1), a PORT alone (on 127.0.0.1), or a
    /// URL such as http://127.0.0.1:6789/. Default: 127.0.0.1 6789.
    #[arg(value_name = "HOST [PORT] | URL", num_args = 0..=2)]
    pub target: Vec<String>,
    /// Which part of the assignment is due: 1 (one connection at a time is right), or 2
    /// (a multithreaded server). Default: both.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub part: Option<u8>,
    /// RFC MUSTs beyond the assignment count for the exit status too.
    #[arg(long)]
    pub strict: bool,
    /// Every check with its own detail and evidence, instead of the causes.
    #[arg(long, short)]
    pub verbose: bool,
    /// Also write the report as JSON into FILE ('-': print JSON instead of the text).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the report as one self-contained HTML page into FILE: the causes, every
    /// check, each conversation drawn as a ladder diagram.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Run only the checks whose id starts with one of these (e.g. --only assignment,wire.crlf).
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    pub only: Vec<String>,
    /// Leave out the checks whose id starts with one of these.
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    pub skip: Vec<String>,
    /// Write each check's transcripts into DIR/<id>.txt.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Compare with the files in DIR instead of httplab's fixtures (checks whose file is missing are skipped).
    #[arg(long, value_name = "DIR")]
    pub docroot: Option<PathBuf>,
    /// Seconds to wait for the server at each step (more than 0, at most 120).
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = timeout)]
    pub timeout: Duration,
    /// List the checks and exit.
    #[arg(long)]
    pub list: bool,
    /// Start your server with this shell command, in a fresh folder holding a copy of the
    /// current folder and the fixtures; restart it when it dies and show its traceback.
    /// `{port}` in it lets check choose a free port; else the target's port (6789) is used.
    /// Or give the command after `--`: check --run -- python3 server.py {port}
    #[arg(long, value_name = "CMD", num_args = 0..=1)]
    pub run: Option<Option<String>>,
    /// The server's program and arguments, after `--` (with --run).
    #[arg(last = true, value_name = "PROGRAM")]
    pub program: Vec<String>,
}

fn timeout(text: &str) -> Result<Duration, String> {
    let value = seconds(text)?;
    if value.is_zero() {
        Err(
            "the timeout must be more than 0 seconds: every check waits that long for the server"
                .into(),
        )
    } else if value > MAX_TIMEOUT {
        Err(format!(
            "{text} s is more than the {} s a server may take to answer",
            MAX_TIMEOUT.as_secs()
        ))
    } else {
        Ok(value)
    }
}

pub fn run(args: CheckArgs) -> ExitCode {
    if args.list {
        list();
        return ExitCode::SUCCESS;
    }
    let config = match config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("httplab: {message}");
            return ExitCode::from(USAGE);
        }
    };
    let command = match server_command(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("httplab: {message}");
            return ExitCode::from(USAGE);
        }
    };
    let Some(command) = command else {
        let suite = run_watched(&config, &mut Unwatched, &mut progress_printer());
        return finish(&args, &suite);
    };
    run_students_server(&args, config, command)
}

/// `--run`: start the student's server, check it (restarting it when it dies), stop it.
fn run_students_server(
    args: &CheckArgs,
    mut config: SuiteConfig,
    command: ServerCommand,
) -> ExitCode {
    if let Err(error) = supervise::kill_all_on_interrupt() {
        eprintln!("httplab: {error}");
        return ExitCode::FAILURE;
    }
    let here = match std::env::current_dir() {
        Ok(here) => here,
        Err(error) => {
            eprintln!("httplab: cannot read the current folder: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "httplab: starting your server: {} (in a copy of {} with the fixtures)",
        command.display(),
        here.display()
    );
    let mut server = match StudentServer::start(command, &here, config.port) {
        Ok(server) => server,
        Err(error) => {
            supervise::wait_if_interrupted();
            eprintln!("httplab: your server did not start: {error}");
            return ExitCode::from(1);
        }
    };
    config.host = "127.0.0.1".into();
    config.port = server.port();
    let suite = run_watched(&config, &mut server, &mut progress_printer());
    supervise::wait_if_interrupted();
    if server.restarts > 0 {
        eprintln!(
            "httplab: your server died {} time(s) and was started again; the report shows where, with its traceback",
            server.restarts
        );
    }
    server.stop();
    supervise::kill_leftovers();
    finish(args, &suite)
}

/// The command `--run` gives, as a shell string or as a program after `--`.
fn server_command(args: &CheckArgs) -> Result<Option<ServerCommand>, String> {
    match (&args.run, args.program.is_empty()) {
        (None, true) => Ok(None),
        (None, false) => {
            Err("a command after -- needs --run: check --run -- python3 server.py {port}".into())
        }
        (Some(Some(_)), false) => {
            Err("give the command either to --run or after --, not both".into())
        }
        (Some(Some(command)), true) if command.trim().is_empty() => {
            Err("--run needs a command".into())
        }
        (Some(Some(command)), true) => Ok(Some(ServerCommand::Shell(command.clone()))),
        (Some(None), false) => Ok(Some(ServerCommand::Argv(args.program.clone()))),
        (Some(None), true) => Err(
            "--run needs a command: --run 'python3 server.py' or --run -- python3 server.py".into(),
        ),
    }
}

/// Prints the report(s), writes the files asked for, and gives the exit status.
fn finish(args: &CheckArgs, suite: &Suite) -> ExitCode {
    let outputs = Outputs {
        verbose: args.verbose,
        json: args.json.as_deref(),
        html: args.html.as_deref(),
        record: args.record.as_deref(),
    };
    outputs.write(suite)
}

/// Where a run's report goes: the text (or `--verbose`, or JSON with `--json -`) on stdout,
/// and the files asked for. Shared by `check` and `check-client`.
pub struct Outputs<'a> {
    pub verbose: bool,
    pub json: Option<&'a Path>,
    pub html: Option<&'a Path>,
    pub record: Option<&'a Path>,
}

impl Outputs<'_> {
    /// Prints and writes the report; the exit status is the suite's (1 when a file could not
    /// be written).
    pub fn write(&self, suite: &Suite) -> ExitCode {
        // After Ctrl-C the run ends with 130 and no report of the deaths we caused.
        supervise::wait_if_interrupted();
        if suite.unreachable.is_some() {
            print!("{}", report::text::render(suite, Style::for_stdout()));
            return ExitCode::from(NOTHING_LISTENS);
        }
        let json_to_stdout = self.json == Some(Path::new("-"));
        if json_to_stdout {
            print!("{}", report::json::render(suite));
        } else if self.verbose {
            print!("{}", report::verbose::render(suite, Style::for_stdout()));
        } else {
            print!("{}", report::text::render(suite, Style::for_stdout()));
        }
        let mut written = true;
        if let Some(path) = self.json.filter(|p| *p != Path::new("-")) {
            written &= write_file(path, &report::json::render(suite));
        }
        if let Some(path) = self.html {
            written &= write_file(path, &report::html::render(suite));
        }
        if let Some(dir) = self.record {
            written &= record(dir, suite);
        }
        if !written {
            return ExitCode::FAILURE;
        }
        ExitCode::from(suite.exit_code())
    }
}

fn list() {
    for check in CHECKS.iter().map(|c| &c.check) {
        println!(
            "{:<30} {:<10} {:<7} {}  [{}]",
            check.id,
            format!("{:?}", check.level).to_lowercase(),
            format!("{:?}", check.part).to_lowercase(),
            check.title,
            check.reference
        );
    }
}

/// The run the arguments ask for, or a usage error.
fn config(args: &CheckArgs) -> Result<SuiteConfig, String> {
    let (host, port) = target(&args.target)?;
    let mut config = SuiteConfig::new(host, port);
    config.timeout = args.timeout;
    config.only = known_prefixes("--only", &args.only)?;
    config.skip = known_prefixes("--skip", &args.skip)?;
    config.part_two = args.part != Some(1);
    config.strict = args.strict;
    if let Some(dir) = &args.docroot {
        if !dir.is_dir() {
            return Err(format!("--docroot {}: no such folder", dir.display()));
        }
        config.docroot = Docroot::Folder(dir.clone());
    }
    Ok(config)
}

/// The server to check: nothing (127.0.0.1 6789), HOST, HOST PORT, or http://HOST[:PORT]/.
pub fn target(words: &[String]) -> Result<(String, u16), String> {
    const DEFAULT_PORT: u16 = 6789;
    let port = |text: &str| {
        text.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("'{text}' is not a port (1 to 65535)"))
    };
    match words {
        [] => Ok(("127.0.0.1".into(), DEFAULT_PORT)),
        [url] if url.contains("://") => {
            let Some(rest) = url.strip_prefix("http://") else {
                return Err(format!(
                    "'{url}': httplab checks plain HTTP servers; use an http:// URL"
                ));
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let (host, port_text) = match authority.strip_prefix('[') {
                Some(v6) => {
                    let (host, after) = v6
                        .split_once(']')
                        .ok_or_else(|| format!("'{url}': an IPv6 address needs its closing ]"))?;
                    (host, after.strip_prefix(':'))
                }
                None => match authority.rsplit_once(':') {
                    Some((host, port)) => (host, Some(port)),
                    None => (authority, None),
                },
            };
            if host.is_empty() {
                return Err(format!("'{url}' names no host"));
            }
            Ok((host.into(), port_text.map_or(Ok(80), port)?))
        }
        // `check 6789`: a port alone, on this machine.
        [number] if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(("127.0.0.1".into(), port(number)?))
        }
        [host] => Ok((host.clone(), DEFAULT_PORT)),
        [host, number] => Ok((host.clone(), port(number)?)),
        _ => Err("give HOST and PORT, or one URL".into()),
    }
}

/// `--only`/`--skip` prefixes, each of which must select at least one check.
fn known_prefixes(option: &str, prefixes: &[String]) -> Result<Vec<String>, String> {
    let unknown: Vec<&String> = prefixes
        .iter()
        .filter(|p| !CHECKS.iter().any(|c| c.check.id.starts_with(p.as_str())))
        .collect();
    if unknown.is_empty() {
        return Ok(prefixes.to_vec());
    }
    let mut areas: Vec<&str> = CHECKS.iter().map(|c| c.check.area()).collect();
    areas.dedup();
    Err(format!(
        "{option} {}: no check has such an id; the areas are {}, and `httplab check --list` lists every id",
        unknown
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(","),
        areas.join(", ")
    ))
}

/// On a terminal, one status line on stderr that each finished check replaces; nothing when
/// stderr is not a terminal.
pub fn progress_printer() -> impl FnMut(&CheckResult, usize, usize) {
    let live = std::io::stderr().is_terminal();
    move |result, done, total| {
        supervise::wait_if_interrupted();
        if !live {
            return;
        }
        let mark = match result.verdict {
            Verdict::Pass => "✓",
            Verdict::Fail => "✗",
            Verdict::Warn => "!",
            Verdict::Skip => "-",
        };
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\r\x1b[K[{done}/{total}] {mark} {} ({:.1} s)",
            result.check.id,
            result.elapsed.as_secs_f64()
        );
        if done == total {
            let _ = write!(stderr, "\r\x1b[K");
        }
        let _ = stderr.flush();
    }
}

fn write_file(path: &Path, text: &str) -> bool {
    match std::fs::write(path, text) {
        Ok(()) => true,
        Err(error) => {
            eprintln!("httplab: cannot write {}: {error}", path.display());
            false
        }
    }
}

/// Each check's transcripts and captures into DIR (see `report::record`).
fn record(dir: &Path, suite: &Suite) -> bool {
    let program = match suite.graded {
        httplab::check::suite::Graded::Server => "httplab check",
        httplab::check::suite::Graded::Client => "httplab check-client",
    };
    match report::record::write_records(dir, suite, program) {
        Ok(()) => true,
        Err(error) => {
            eprintln!("httplab: cannot record into {}: {error}", dir.display());
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::target;

    fn t(words: &[&str]) -> Result<(String, u16), String> {
        target(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn targets() {
        assert_eq!(t(&[]), Ok(("127.0.0.1".into(), 6789)));
        assert_eq!(t(&["localhost"]), Ok(("localhost".into(), 6789)));
        assert_eq!(t(&["8080"]), Ok(("127.0.0.1".into(), 8080)));
        assert_eq!(t(&["::1", "8080"]), Ok(("::1".into(), 8080)));
        assert_eq!(
            t(&["http://127.0.0.1:6789/"]),
            Ok(("127.0.0.1".into(), 6789))
        );
        assert_eq!(t(&["http://[::1]:81/x"]), Ok(("::1".into(), 81)));
        assert_eq!(t(&["http://example.org"]), Ok(("example.org".into(), 80)));
        assert!(t(&["https://x/"]).unwrap_err().contains("plain HTTP"));
        assert!(t(&["h", "0"]).is_err());
        assert!(t(&["h", "port"]).is_err());
    }
}
