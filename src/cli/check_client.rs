//! `httplab check-client -- CMD ARGS…`: grade the assignment's client.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use httplab::check::client::{ClientCommand, ClientConfig, run};
use httplab::supervise;

use super::check::{Outputs, progress_printer};
use super::seconds;

pub const CHECK_CLIENT_AFTER_HELP: &str = "httplab runs its own server for each scenario — a plain answer, one in pieces \
with pauses, a 1 MiB file, a 404, a page with 0\\r\\n in it, a connection kept open, and nothing listening — \
runs your client once per scenario (in a copy of the current folder, bounded, killed with its whole process tree \
at the end), and judges what the server received and what your client printed.\n\n\
Example: httplab check-client -- python3 client.py {host} {port} {path}\n\
Without {host}, {port} or {path} in the command they are appended, as the assignment's command line has them.\n\n\
Exit status: 0 nothing that counts failed; 1 something did; 2 a usage error.";

#[derive(Args)]
pub struct CheckClientArgs {
    /// Seconds each run of the client may take (more than 0, at most 60).
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = timeout)]
    pub timeout: Duration,
    /// Every check with its own detail, instead of the causes.
    #[arg(long, short)]
    pub verbose: bool,
    /// Also write the report as JSON into FILE ('-': print JSON instead of the text).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write the report as one HTML page, with what the client sent drawn.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write each check's transcripts (the server's side) into DIR/<id>.txt.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// The client and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn timeout(text: &str) -> Result<Duration, String> {
    let value = seconds(text)?;
    if value.is_zero() || value > Duration::from_secs(60) {
        Err(format!("{text}: give more than 0 and at most 60 seconds"))
    } else {
        Ok(value)
    }
}

pub fn run_check_client(args: CheckClientArgs) -> ExitCode {
    if let Err(error) = supervise::kill_all_on_interrupt() {
        eprintln!("httplab: {error}");
        return ExitCode::FAILURE;
    }
    let folder = match std::env::current_dir() {
        Ok(folder) => folder,
        Err(error) => {
            eprintln!("httplab: cannot read the current folder: {error}");
            return ExitCode::FAILURE;
        }
    };
    let config = ClientConfig {
        command: ClientCommand::new(args.command.clone()),
        folder,
        timeout: args.timeout,
        confinement: None,
    };
    let suite = run(&config, &mut progress_printer());
    supervise::kill_leftovers();
    let suite = match suite {
        Ok(suite) => suite,
        Err(error) => {
            eprintln!("httplab: cannot run the client: {error}");
            return ExitCode::FAILURE;
        }
    };
    Outputs {
        verbose: args.verbose,
        json: args.json.as_deref(),
        html: args.html.as_deref(),
        record: args.record.as_deref(),
    }
    .write(&suite)
}
