//! The command line: parse arguments, call the library, turn errors into one line and an
//! exit code.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use httplab::server::{Server, ServerConfig, Stopper, Timeouts};

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
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    let mut config = ServerConfig::new(&args.dir);
    config.bind = SocketAddr::new(args.bind, args.port);
    config.max_connections = args.max_connections.max(1);
    config.quiet = args.quiet;
    config.timeouts = Timeouts {
        head: args.head_timeout,
        idle: args.idle_timeout,
        write: args.write_timeout,
        shutdown_grace: args.shutdown_grace,
        ..Timeouts::default()
    };
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
