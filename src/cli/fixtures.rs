//! `httplab fixtures DIR`: write the embedded fixture site into a folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct FixturesArgs {
    /// The folder to write into (created if missing).
    pub dir: PathBuf,
}

pub fn run(args: FixturesArgs) -> ExitCode {
    match httplab::fixtures::write_to(&args.dir) {
        Ok(count) => {
            println!(
                "Wrote {count} fixture files into {}; start your server there, then run: httplab check 127.0.0.1 6789",
                args.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "httplab: cannot write the fixtures into {}: {error}",
                args.dir.display()
            );
            ExitCode::FAILURE
        }
    }
}
