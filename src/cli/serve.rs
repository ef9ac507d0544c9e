//! `httplab serve [DIR]`: run the server until Ctrl-C or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use httplab::server::flaw::{Flaw, Flaws};
use httplab::server::{Model, Server, ServerConfig, Stopper, Timeouts};

use super::seconds;

#[derive(Args)]
pub struct ServeArgs {
    /// The folder to serve.
    #[arg(default_value = "fixtures")]
    pub dir: PathBuf,
    /// Port to listen on (0 picks a free port).
    #[arg(long, short, default_value_t = 6789)]
    pub port: u16,
    /// Address to listen on; 0.0.0.0 (or ::) opens the server to the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Connections served at once; past it, a new connection gets 503 and is closed.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    pub max_connections: usize,
    /// How connections are served: a few event-loop workers (fast), or a thread per
    /// connection (the assignment's model, easy to read). --flaw always uses threads.
    #[arg(long, value_enum, default_value_t = ModelArg::Events)]
    pub model: ModelArg,
    /// Event-loop workers (default: one per core but one, at least one).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Seconds a request head may take to arrive, from accept (on a kept-alive connection: from
    /// the previous response, or from the first byte after an idle wait).
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = seconds)]
    pub head_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Seconds a write may make no progress before the client is dropped.
    #[arg(long, default_value = "30", value_name = "SECS", value_parser = seconds)]
    pub write_timeout: Duration,
    /// Seconds responses in flight get to finish after Ctrl-C or SIGTERM.
    #[arg(long, default_value = "10", value_name = "SECS", value_parser = seconds)]
    pub shutdown_grace: Duration,
    /// No access log on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Under each access-log line, the request head as it arrived: \r and \n spelled out,
    /// a hex dump when it is not text (the first 1024 bytes at most). For a 408, the part
    /// of the head that had arrived.
    #[arg(long, conflicts_with = "quiet")]
    pub show_requests: bool,
    /// Write the server's side of each connection into DIR, one file per connection: what
    /// it read and wrote, and its TCP segments (captured on loopback as root, else
    /// reconstructed), with a .pcapng beside. Uses the thread model.
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// The Cache-Control of files. The default, no-cache, lets a
    /// browser keep a copy but makes it ask again on every use (a 304 when nothing changed),
    /// so an edited file shows at once; 'max-age=60' would let it use its copy for a minute.
    #[arg(long, default_value = "no-cache", value_name = "VALUE", value_parser = field_value)]
    pub cache_control: String,
    /// Reproduce student bugs on purpose, to see them or to test a checker (comma-separated).
    #[arg(long = "flaw", value_name = "NAME", value_delimiter = ',', long_help = flaw_help())]
    pub flaws: Vec<Flaw>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ModelArg {
    Events,
    Threads,
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

pub fn run(args: ServeArgs) -> ExitCode {
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
    config.show_requests = args.show_requests;
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
    config.record = args.record.clone();
    config.rules.cache_control = args.cache_control.into();
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
    if let (Some(dir), Some(capturing)) = (&args.record, server.record_capturing()) {
        let packets = match capturing {
            Ok(()) => "packets captured on lo".to_string(),
            Err(why) => format!("packets reconstructed: {why}"),
        };
        eprintln!(
            "httplab: recording each connection into {} ({packets})",
            dir.display()
        );
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

/// A header field's value: visible ASCII with inner spaces or tabs (RFC 9110 §5.5), so that
/// it cannot break the head it is written into.
fn field_value(text: &str) -> Result<String, String> {
    let text = text.trim_matches([' ', '\t']);
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() || b == b' ' || b == b'\t');
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{}' is not a header field value (visible ASCII, such as no-cache or max-age=60)",
            text.escape_debug()
        ))
    }
}
