//! The command line: parse arguments, call the library, turn errors into one line and an
//! exit code.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use httplab::server::flaw::{Flaw, Flaws};
use httplab::server::{Model, Server, ServerConfig, Stopper, Timeouts};

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
    /// Write the fixture site (embedded in httplab) into DIR, to serve with your own server.
    Fixtures(FixturesArgs),
    /// Send one request over a raw socket and show every byte that comes back.
    #[command(after_help = PROBE_EXIT_CODES)]
    Probe(ProbeArgs),
}

const PROBE_EXIT_CODES: &str = "Exit status: 0 a response arrived; 3 connection refused (nothing listens); \
4 timed out; 5 closed without an answer; 6 another network error (name not found, ...).";

const CHECK_AFTER_HELP: &str = "The server must serve httplab's fixtures: write them with `httplab fixtures DIR` \
and start your server in DIR. Exit status: 0 no assignment or MUST check failed; 1 one did; 2 nothing listens.";

#[derive(Args)]
struct CheckArgs {
    /// Server host: a name, an IPv4 or an IPv6 address.
    #[arg(required_unless_present = "list")]
    host: Option<String>,
    /// Server port.
    #[arg(required_unless_present = "list")]
    port: Option<u16>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Run only the checks whose id starts with one of these (e.g. --only assignment,wire.crlf).
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    only: Vec<String>,
    /// Leave out the checks whose id starts with one of these.
    #[arg(long, value_delimiter = ',', value_name = "PREFIX")]
    skip: Vec<String>,
    /// Write each check's transcripts into DIR/<id>.txt.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Compare with the files in DIR instead of httplab's fixtures (checks whose file is missing are skipped).
    #[arg(long, value_name = "DIR")]
    docroot: Option<PathBuf>,
    /// Seconds to wait for the server at each step.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    timeout: Duration,
    /// List the checks and exit.
    #[arg(long)]
    list: bool,
}

#[derive(Args)]
struct FixturesArgs {
    /// The folder to write into (created if missing).
    dir: PathBuf,
}

#[derive(Args)]
struct ProbeArgs {
    /// Server host: a name, an IPv4 or an IPv6 address.
    host: String,
    /// Server port.
    port: u16,
    /// The request target, e.g. /helloWorld.html (not needed with --raw).
    #[arg(required_unless_present = "raw")]
    path: Option<String>,
    /// Request method.
    #[arg(long, short = 'X', default_value = "GET")]
    method: String,
    /// An extra header field, 'Name: value' (repeatable; replaces a default of that name).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Send an HTTP/1.0 request.
    #[arg(long = "http1.0")]
    http10: bool,
    /// Send N requests one after another on one kept-alive connection.
    #[arg(long, default_value_t = 1, value_name = "N")]
    repeat: usize,
    /// Send exactly these bytes; \r \n \t \0 \\ and \xNN are understood.
    #[arg(long, value_name = "BYTES")]
    raw: Option<String>,
    /// Write the request N bytes at a time, with a pause between pieces.
    #[arg(long, value_name = "N")]
    split: Option<usize>,
    /// Milliseconds between the pieces of --split.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pause: u64,
    /// What to print.
    #[arg(long, value_enum, default_value_t = OutputFormat::Both)]
    format: OutputFormat,
    /// Save the transcript (stable text form, with times) to FILE.
    #[arg(long, value_name = "FILE")]
    transcript: Option<PathBuf>,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    timeout: Duration,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ModelArg {
    Events,
    Threads,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Text,
    Hex,
    Both,
    Json,
}

#[derive(Args)]
struct ServeArgs {
    /// The folder to serve.
    #[arg(default_value = "fixtures")]
    dir: PathBuf,
    /// Port to listen on (0 picks a free port).
    #[arg(long, short, default_value_t = 6789)]
    port: u16,
    /// Address to listen on; 0.0.0.0 (or ::) opens the server to the network.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Connections served at once; past it, a new connection gets 503 and is closed.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_connections: usize,
    /// How connections are served: a few event-loop workers (fast), or a thread per
    /// connection (the assignment's model, easy to read). --flaw always uses threads.
    #[arg(long, value_enum, default_value_t = ModelArg::Events)]
    model: ModelArg,
    /// Event-loop workers (default: one per core but one, at least one).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Seconds a request head may take to arrive, from accept or from the previous response.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = seconds)]
    head_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    idle_timeout: Duration,
    /// Seconds a write may make no progress before the client is dropped.
    #[arg(long, default_value = "30", value_name = "SECS", value_parser = seconds)]
    write_timeout: Duration,
    /// Seconds responses in flight get to finish after Ctrl-C or SIGTERM.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = seconds)]
    shutdown_grace: Duration,
    /// No access log on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Reproduce student bugs on purpose, to see them or to test a checker (comma-separated).
    #[arg(long = "flaw", value_name = "NAME", value_delimiter = ',', long_help = flaw_help())]
    flaws: Vec<Flaw>,
}

fn flaw_help() -> String {
    let mut help = String::from(
        "Reproduce student bugs on purpose, to show a class what each looks like or to test a checker \
         (comma-separated, repeatable). Flaws that expose files or let a client stop the server \
         refuse any address but loopback.\n",
    );
    for flaw in Flaw::ALL {
        help.push_str(&format!("\n  {:<20} {}", flaw.name(), flaw.describe()));
    }
    help
}

fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("'{text}' is not a valid number of seconds"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Probe(args) => probe(args),
        Command::Fixtures(args) => fixtures(args),
        Command::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> ExitCode {
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

fn fixtures(args: FixturesArgs) -> ExitCode {
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

fn probe(args: ProbeArgs) -> ExitCode {
    use httplab::wire::probe::{Outcome, ProbeConfig, probe};
    use httplab::wire::report::{Format, Style, render};
    use httplab::wire::transcript::RenderOptions;
    use httplab::wire::{ConnectError, escape};

    let mut config = ProbeConfig::new(
        &args.host,
        args.port,
        args.path.clone().unwrap_or_else(|| "/".into()),
    );
    config.method = args.method;
    config.http10 = args.http10;
    config.repeat = args.repeat.max(1);
    config.split = args.split;
    config.pause = Duration::from_millis(args.pause);
    config.timeout = args.timeout;
    for header in &args.headers {
        match header.split_once(':') {
            Some((name, value)) => config
                .headers
                .push((name.trim().to_string(), value.trim().to_string())),
            None => {
                eprintln!("httplab: --header {header:?} needs the form 'Name: value'");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(raw) = &args.raw {
        match escape::unescape(raw) {
            Ok(bytes) => config.raw = Some(bytes),
            Err(error) => {
                eprintln!("httplab: --raw: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let format = match args.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Hex => Format::Hex,
        OutputFormat::Both => Format::Both,
        OutputFormat::Json => Format::Json,
    };
    let save = |transcript: &httplab::wire::Transcript| {
        if let Some(path) = &args.transcript
            && let Err(error) = std::fs::write(path, transcript.render(RenderOptions::FULL))
        {
            eprintln!(
                "httplab: cannot write the transcript to {}: {error}",
                path.display()
            );
        }
    };
    match probe(&config) {
        Ok(report) => {
            save(&report.transcript);
            print!("{}", render(&report, format, Style::for_stdout()));
            match report.outcome {
                Outcome::Answered => ExitCode::SUCCESS,
                Outcome::TimedOut => {
                    eprintln!(
                        "httplab: connected to {}, but no response arrived within {:.1} s — does your server read the whole request and send an answer?",
                        report.target,
                        args.timeout.as_secs_f64()
                    );
                    ExitCode::from(4)
                }
                Outcome::ClosedWithoutAnswer => {
                    eprintln!(
                        "httplab: {} closed the connection without sending a byte — did your server crash or hit an exception?",
                        report.target
                    );
                    ExitCode::from(5)
                }
            }
        }
        Err((error, transcript)) => {
            save(&transcript);
            eprintln!("httplab: {error}");
            ExitCode::from(match error {
                ConnectError::Refused { .. } => 3,
                ConnectError::TimedOut { .. } => 4,
                _ => 6,
            })
        }
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let mut config = ServerConfig::new(&args.dir);
    config.bind = SocketAddr::new(args.bind, args.port);
    config.max_connections = args.max_connections.max(1);
    config.model = match args.model {
        ModelArg::Events => Model::Events,
        ModelArg::Threads => Model::Threads,
    };
    if let Some(workers) = args.workers {
        config.workers = workers.max(1);
    }
    config.quiet = args.quiet;
    if let Some(flaw) = args.flaws.iter().find(|f| f.loopback_only())
        && !args.bind.is_loopback()
    {
        eprintln!(
            "httplab: --flaw {flaw} lets any client {}; it serves on loopback only, not on {}",
            if *flaw == Flaw::NoTraversalGuard {
                "read files outside the folder"
            } else {
                "stop the server"
            },
            args.bind
        );
        return ExitCode::FAILURE;
    }
    config.flaws = Flaws::new(args.flaws.iter().copied());
    config.timeouts = Timeouts {
        head: args.head_timeout,
        idle: args.idle_timeout,
        write: args.write_timeout,
        shutdown_grace: args.shutdown_grace,
        ..Timeouts::default()
    };
    httplab::server::raise_open_file_limit();
    let server = match Server::bind(config) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("httplab: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = stop_on_signals(server.stopper()) {
        eprintln!("httplab: cannot install the Ctrl-C handler: {error}");
        return ExitCode::FAILURE;
    }
    println!(
        "Serving {} at http://{}/ (Ctrl-C to stop)",
        args.dir.display(),
        server.local_addr()
    );
    for flaw in &args.flaws {
        eprintln!("httplab: FLAWED ON PURPOSE: {flaw}: {}", flaw.describe());
    }
    let summary = server.run();
    if summary.abandoned > 0 {
        eprintln!(
            "httplab: stopped; {} connection(s) were still busy after the grace period",
            summary.abandoned
        );
    } else {
        eprintln!("httplab: stopped");
    }
    ExitCode::SUCCESS
}

/// First Ctrl-C or SIGTERM: stop gracefully. Second: quit at once.
fn stop_on_signals(stopper: Stopper) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("httplab-signals".into())
        .spawn(move || {
            let mut signals = signals.forever();
            if signals.next().is_some() {
                eprintln!("httplab: stopping: finishing responses in flight (Ctrl-C again to quit at once)");
                stopper.stop();
            }
            if signals.next().is_some() {
                std::process::exit(130);
            }
        })?;
    Ok(())
}
