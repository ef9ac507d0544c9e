//! `httplab fixtures DIR`: write the embedded fixture site into a folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct FixturesArgs {
    /// The folder to write into (created if missing).
    pub dir: PathBuf,
    /// Overwrite files of the same name whose content differs.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: FixturesArgs) -> ExitCode {
    let conflicts = httplab::fixtures::conflicts(&args.dir);
    if !conflicts.is_empty() && !args.force {
        eprintln!(
            "httplab: {} already holds {} with other content: {}; nothing was written (--force overwrites them)",
            args.dir.display(),
            if conflicts.len() == 1 {
                "a file"
            } else {
                "files"
            },
            conflicts.join(", ")
        );
        return ExitCode::FAILURE;
    }
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
