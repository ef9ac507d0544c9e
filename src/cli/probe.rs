//! `httplab probe HOST PORT PATH`: one request over a raw socket, every byte shown.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use httplab::wire::packets::pcapng::pcapng;
use httplab::wire::probe::{ProbeConfig, ProbeEnd, ProbeReport, probe};
use httplab::wire::report::{Format, Style, render, render_packets};
use httplab::wire::transcript::{RenderOptions, Transcript};
use httplab::wire::{Capturing, ConnectError, escape};

use super::seconds;

pub const PROBE_EXIT_CODES: &str = "Exit status: 0 a response arrived; 3 connection refused (nothing listens); \
4 timed out; 5 closed without an answer; 6 another network error (name not found, ...).";

#[derive(Args)]
pub struct ProbeArgs {
    /// Server host: a name, an IPv4 or an IPv6 address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// The request target, e.g. /helloWorld.html (not needed with --raw).
    #[arg(required_unless_present = "raw")]
    pub path: Option<String>,
    /// Request method.
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// An extra header field, 'Name: value' (repeatable; replaces a default of that name).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Send an HTTP/1.0 request.
    #[arg(long = "http1.0")]
    pub http10: bool,
    /// A conditional GET: If-None-Match with this ETag (as the server sent it, quotes and all).
    #[arg(long, value_name = "ETAG")]
    pub if_none_match: Option<String>,
    /// A conditional GET: If-Modified-Since this date (a Last-Modified the server sent).
    #[arg(long, value_name = "DATE")]
    pub if_modified_since: Option<String>,
    /// A partial GET: Range: bytes=SPEC, such as 10-20, 100- or -50 (several: 0-9,20-29).
    #[arg(long, value_name = "SPEC")]
    pub range: Option<String>,
    /// Send N requests one after another on one kept-alive connection.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
    /// Send exactly these bytes; \r \n \t \0 \\ and \xNN are understood.
    #[arg(long, value_name = "BYTES")]
    pub raw: Option<String>,
    /// Write the request N bytes at a time, with a pause between pieces.
    #[arg(long, value_name = "N")]
    pub split: Option<usize>,
    /// Milliseconds between the pieces of --split.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub pause: u64,
    /// What to print.
    #[arg(long, value_enum, default_value_t = OutputFormat::Both)]
    pub format: OutputFormat,
    /// Save the transcript (stable text form, with times) to FILE.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<PathBuf>,
    /// Show the TCP segments as a ladder: each with its time, direction, flags, seq/ack,
    /// length and first bytes (captured on loopback as root, else reconstructed).
    #[arg(long)]
    pub packets: bool,
    /// Save the TCP segments as a capture file (.pcapng) that Wireshark and tshark open.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Do not capture packets: reconstruct the segments from the socket calls.
    #[arg(long)]
    pub no_capture: bool,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value = "5", value_name = "SECS", value_parser = seconds)]
    pub timeout: Duration,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Hex,
    Both,
    Json,
}

pub fn run(args: ProbeArgs) -> ExitCode {
    let config = match probe_config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("httplab: {message}");
            return ExitCode::from(2);
        }
    };
    let format = match args.format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Hex => Format::Hex,
        OutputFormat::Both => Format::Both,
        OutputFormat::Json => Format::Json,
    };
    match probe(&config) {
        Ok(report) => {
            save_transcript(&args, &report.transcript);
            save_pcap(&args, &report.transcript);
            print!("{}", render(&report, format, Style::for_stdout()));
            if args.packets && !matches!(args.format, OutputFormat::Json) {
                print!(
                    "{}",
                    render_packets(&report.transcript, Style::for_stdout())
                );
            }
            exit_after(&report, args.timeout)
        }
        Err((error, transcript)) => {
            save_transcript(&args, &transcript);
            save_pcap(&args, &transcript);
            if args.packets {
                print!("{}", render_packets(&transcript, Style::for_stdout()));
            }
            eprintln!("httplab: {error}");
            ExitCode::from(match error {
                ConnectError::Refused { .. } => 3,
                ConnectError::TimedOut { .. } => 4,
                _ => 6,
            })
        }
    }
}

/// What to send, from the arguments; `Err` says which argument is wrong.
fn probe_config(args: &ProbeArgs) -> Result<ProbeConfig, String> {
    let mut config = ProbeConfig::new(
        &args.host,
        args.port,
        args.path.clone().unwrap_or_else(|| "/".into()),
    );
    config.method = args.method.clone();
    config.http10 = args.http10;
    config.repeat = args.repeat.max(1);
    config.split = args.split;
    config.pause = Duration::from_millis(args.pause);
    config.timeout = args.timeout;
    if args.no_capture {
        config.capturing = Capturing::Off;
    }
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(format!("--header {header:?} needs the form 'Name: value'"));
        };
        config
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    let range = args
        .range
        .as_ref()
        .map(|spec| match spec.strip_prefix("bytes=") {
            Some(_) => spec.clone(),
            None => format!("bytes={spec}"),
        });
    let conditional = [
        ("If-None-Match", args.if_none_match.clone()),
        ("If-Modified-Since", args.if_modified_since.clone()),
        ("Range", range),
    ];
    for (name, value) in conditional {
        if let Some(value) = value {
            config.headers.push((name.to_string(), value));
        }
    }
    if let Some(raw) = &args.raw {
        config.raw = Some(escape::unescape(raw).map_err(|error| format!("--raw: {error}"))?);
    }
    Ok(config)
}

/// Writes the transcript where --transcript says, if it says.
fn save_transcript(args: &ProbeArgs, transcript: &Transcript) {
    if let Some(path) = &args.transcript
        && let Err(error) = std::fs::write(path, transcript.render(RenderOptions::FULL))
    {
        eprintln!(
            "httplab: cannot write the transcript to {}: {error}",
            path.display()
        );
    }
}

/// Writes the packets where --pcap says, if it says.
fn save_pcap(args: &ProbeArgs, transcript: &Transcript) {
    let Some(path) = &args.pcap else {
        return;
    };
    let Some(packets) = &transcript.packets else {
        return;
    };
    let written = pcapng(&[packets], "httplab probe")
        .map_err(|e| e.to_string())
        .and_then(|bytes| std::fs::write(path, bytes).map_err(|e| e.to_string()));
    if let Err(error) = written {
        eprintln!("httplab: cannot write {}: {error}", path.display());
    }
}

/// The exit status for a probe that connected, with a hint when nothing came back.
fn exit_after(report: &ProbeReport, timeout: Duration) -> ExitCode {
    match report.outcome {
        ProbeEnd::Answered => ExitCode::SUCCESS,
        ProbeEnd::TimedOut => {
            let reads_until_close = report.exchanges[0].analysis.has("reads-until-close");
            let hint = if reads_until_close {
                "it answered only after httplab half-closed a second connection: your server reads until the client closes; stop reading at the empty line that ends the head"
            } else {
                "does your server read the whole request and send an answer?"
            };
            eprintln!(
                "httplab: connected to {}, but no response arrived within {:.1} s — {hint}",
                report.target,
                timeout.as_secs_f64()
            );
            ExitCode::from(4)
        }
        ProbeEnd::ClosedWithoutAnswer => {
            eprintln!(
                "httplab: {} closed the connection without sending a byte — did your server crash or hit an exception?",
                report.target
            );
            ExitCode::from(5)
        }
    }
}
