//! `httplab check HOST PORT`: run the conformance suite and print its report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::seconds;

pub const CHECK_AFTER_HELP: &str = "The server must serve httplab's fixtures: write them with `httplab fixtures DIR` \
and start your server in DIR. Exit status: 0 no assignment or MUST check failed; 1 one did; 2 nothing listens.";

#[derive(Args)]
pub struct CheckArgs {
    /// Server host: a name, an IPv4 or an IPv6 address.
    #[arg(required_unless_present = "list")]
    pub host: Option<String>,
    /// Server port.
    #[arg(required_unless_present = "list")]
    pub port: Option<u16>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
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
    /// Seconds to wait for the server at each step.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    pub timeout: Duration,
    /// List the checks and exit.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: CheckArgs) -> ExitCode {
    use httplab::check::catalogue::CHECKS;
    use httplab::check::{Docroot, SuiteConfig, report, run};
    use httplab::wire::report::Style;
    use httplab::wire::transcript::RenderOptions;

    if args.list {
        for check in CHECKS {
            println!(
                "{:<30} {:<10} {}  [{}]",
                check.id,
                format!("{:?}", check.level).to_lowercase(),
                check.title,
                check.reference
            );
        }
        return ExitCode::SUCCESS;
    }
    let (Some(host), Some(port)) = (args.host, args.port) else {
        eprintln!("httplab: check needs HOST and PORT");
        return ExitCode::from(2);
    };
    let mut config = SuiteConfig::new(host, port);
    config.timeout = args.timeout;
    config.only = args.only;
    config.skip = args.skip;
    if let Some(dir) = &args.docroot {
        if !dir.is_dir() {
            eprintln!("httplab: --docroot {}: no such folder", dir.display());
            return ExitCode::from(2);
        }
        config.docroot = Docroot::Folder(dir.clone());
    }
    let suite = run(&config);
    if args.json {
        print!("{}", report::render_json(&suite));
    } else {
        print!("{}", report::render(&suite, Style::for_stdout()));
    }
    if let Some(dir) = &args.record {
        if let Err(error) = std::fs::create_dir_all(dir) {
            eprintln!("httplab: cannot create {}: {error}", dir.display());
        }
        for result in &suite.results {
            let text: String = result
                .transcripts
                .iter()
                .map(|t| t.render(RenderOptions::FULL) + "\n")
                .collect();
            if let Err(error) = std::fs::write(dir.join(format!("{}.txt", result.check.id)), text) {
                eprintln!(
                    "httplab: cannot write a transcript into {}: {error}",
                    dir.display()
                );
                break;
            }
        }
    }
    ExitCode::from(suite.exit_code())
}
