//! The command line: parse arguments, call the library, turn errors into one line and an
//! exit code.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::check::{CHECK_AFTER_HELP, CheckArgs};
use cli::check_client::{CHECK_CLIENT_AFTER_HELP, CheckClientArgs};
use cli::fixtures::FixturesArgs;
use cli::grade::{GRADE_AFTER_HELP, GradeArgs};
use cli::probe::{PROBE_EXIT_CODES, ProbeArgs};
use cli::serve::ServeArgs;

#[derive(Parser)]
#[command(
    name = "httplab",
    version,
    about = "A teaching testbench for the \"write your own web server\" assignment (Kurose & Ross, ch. 2)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a folder over HTTP/1.1: a correct, safe reference server.
    Serve(ServeArgs),
    /// Grade a web server against the assignment and HTTP/1.1, with the bytes as evidence.
    #[command(after_help = CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Grade the assignment's client: httplab's server records what it sends and checks what it prints.
    #[command(name = "check-client", after_help = CHECK_CLIENT_AFTER_HELP)]
    CheckClient(CheckClientArgs),
    /// Grade a whole class: each submission sandboxed, scored by a rubric, into a gradebook.
    #[command(after_help = GRADE_AFTER_HELP)]
    Grade(GradeArgs),
    /// Write the fixture site (embedded in httplab) into DIR, to serve with your own server.
    Fixtures(FixturesArgs),
    /// Send one request over a raw socket and show every byte that comes back.
    #[command(after_help = PROBE_EXIT_CODES)]
    Probe(ProbeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => cli::serve::run(args),
        Command::Probe(args) => cli::probe::run(args),
        Command::Fixtures(args) => cli::fixtures::run(args),
        Command::Check(args) => cli::check::run(args),
        Command::CheckClient(args) => cli::check_client::run_check_client(args),
        Command::Grade(args) => cli::grade::run(args),
    }
}
