//! How `httplab probe` prints what it saw: the request, the response in hex and as text,
//! the analysis, and the transcript.

use std::fmt::Write;

use super::analysis::{Analysis, Severity};
use super::packets::ladder;
use super::probe::ProbeReport;
use super::transcript::Transcript;
use crate::render::{hexdump, visible};

/// Which views of the response to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Hex,
    Both,
    Json,
}

/// ANSI colours, or nothing.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour only on a terminal, and never when NO_COLOR is set (<https://no-color.org>).
    pub fn for_stdout() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// `text` in the ANSI colour or attribute `code`, when colours are on.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    pub fn heading(&self, text: &str) -> String {
        self.paint("1", &format!("── {text} ──"))
    }

    pub fn mark(&self, severity: Severity) -> String {
        match severity {
            Severity::Good => self.paint("32", "✓"),
            Severity::Note => self.paint("36", "·"),
            Severity::Warning => self.paint("33", "!"),
            Severity::Fault => self.paint("31", "✗"),
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The whole printed report.
pub fn render(report: &ProbeReport, format: Format, style: Style) -> String {
    if format == Format::Json {
        return serde_json::to_string_pretty(report).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    let count = report.exchanges.len();
    for (i, exchange) in report.exchanges.iter().enumerate() {
        let of = if count > 1 {
            format!(" {} of {count}", i + 1)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{}",
            style.heading(&format!("request{of} ({} bytes)", exchange.request.len()))
        );
        out.push_str(&indent(&visible(&exchange.request)));
        let size = exchange.response.len();
        if matches!(format, Format::Hex | Format::Both) {
            let _ = writeln!(
                out,
                "{}",
                style.heading(&format!("response{of}: hex ({size} bytes)"))
            );
            out.push_str(&indent(&hexdump(&exchange.response)));
        }
        if matches!(format, Format::Text | Format::Both) {
            let _ = writeln!(
                out,
                "{}",
                style.heading(&format!("response{of}: text ({size} bytes)"))
            );
            out.push_str(&indent(&visible(&exchange.response)));
        }
        let _ = writeln!(out, "{}", style.heading(&format!("analysis{of}")));
        out.push_str(&render_analysis(&exchange.analysis, style));
    }
    let _ = writeln!(out, "{}", style.heading("transcript (times since connect)"));
    out.push_str(&indent(&report.transcript.summary(true)));
    out
}

/// The TCP segments of a conversation as a ladder, under its heading; nothing when it has
/// none.
pub fn render_packets(transcript: &Transcript, style: Style) -> String {
    let Some(packets) = &transcript.packets else {
        return String::new();
    };
    let heading = if packets.is_captured() {
        "packets (times since the connection attempt)"
    } else {
        "packets — RECONSTRUCTED, not captured"
    };
    let mut out = format!("{}\n", style.heading(heading));
    out.push_str(&indent(&ladder::render(
        packets,
        transcript.recorded_by,
        true,
    )));
    out
}

/// One line per finding, with its mark; the fields listed under the status line.
pub fn render_analysis(analysis: &Analysis, style: Style) -> String {
    let mut out = String::new();
    for finding in &analysis.findings {
        let _ = writeln!(
            out,
            "  {} {}",
            style.mark(finding.severity),
            finding.message
        );
        if finding.id == "status-line" && finding.severity == Severity::Good {
            for (name, value) in &analysis.fields {
                let _ = writeln!(out, "      {name}: {value}");
            }
        }
    }
    out
}
