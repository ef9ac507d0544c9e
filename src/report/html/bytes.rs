//! Conversations on the page: the ladder diagram, and the bytes each way as text with every
//! invisible byte spelled out and as a hex dump — always bounded, always saying how much was
//! left out, since a server may send megabytes.

use std::fmt::Write;

use super::escape;
use crate::check::diagnosis::Evidence;
use crate::check::runner::{Graded, Suite};
use crate::render::{hexdump, visible};
use crate::report::ladder;
use crate::wire::transcript::{Side, Transcript, plural_bytes};

/// Bytes of each direction shown as text.
const TEXT_LIMIT: usize = 2048;
/// Bytes of each direction shown as hex: 16 rows.
const HEX_LIMIT: usize = 256;

/// A cause's evidence: the ladder of its conversation, then the request and the response,
/// each as text and as hex — the response's hex where the fault shows.
pub(super) fn evidence(out: &mut String, suite: &Suite, evidence: &Evidence) {
    let whose = if evidence.check.is_empty() {
        "the first request of the run".to_string()
    } else {
        format!(
            "<a href=\"#check-{0}\"><code>{0}</code></a>",
            escape(evidence.check)
        )
    };
    let _ = write!(
        out,
        "<div class=\"evidence\">\n<h4>Evidence: a conversation of {whose}</h4>\n"
    );
    if let Some(transcript) = suite.transcript_of(evidence) {
        figure(out, transcript);
    }
    let (request, response) = match suite.graded {
        Graded::Server => ("Sent by httplab", "Received from the server"),
        Graded::Client => ("Sent by your client", "Sent back by httplab (the server)"),
    };
    side(out, request, &evidence.request, 0, "nothing was sent");
    side(
        out,
        response,
        &evidence.response,
        evidence.focus,
        "nothing came back",
    );
    out.push_str("</div>\n");
}

/// One direction of an evidence: its size, its text, its hex around `focus`.
fn side(out: &mut String, label: &str, bytes: &[u8], focus: usize, empty: &str) {
    if bytes.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"side\"><strong>{label}:</strong> {empty}.</p>"
        );
        return;
    }
    let _ = write!(
        out,
        "<div class=\"side\"><p><strong>{label}</strong> ({}):</p>\n<div class=\"text-and-hex\">",
        plural_bytes(bytes.len())
    );
    text(out, bytes);
    hex(out, bytes, focus);
    out.push_str("</div></div>\n");
}

/// The bytes as text, `\r\n` spelled out, the first [`TEXT_LIMIT`] of them.
fn text(out: &mut String, bytes: &[u8]) {
    let shown = &bytes[..bytes.len().min(TEXT_LIMIT)];
    let _ = write!(
        out,
        "<pre class=\"visible\">{}</pre>",
        escape(&visible(shown))
    );
    if shown.len() < bytes.len() {
        let _ = write!(
            out,
            "<p class=\"cut\">The first {} of {} bytes are shown; {} are left out.</p>",
            shown.len(),
            bytes.len(),
            bytes.len() - shown.len()
        );
    }
}

/// [`HEX_LIMIT`] bytes as a hex dump, from the row before the one that holds `focus` (the
/// fault), that row marked; with the real offsets.
fn hex(out: &mut String, bytes: &[u8], focus: usize) {
    let focus = focus.min(bytes.len().saturating_sub(1));
    let start = (focus / 16).saturating_sub(1) * 16;
    let end = bytes.len().min(start + HEX_LIMIT);
    out.push_str("<pre class=\"hex\">");
    // The dump's last line is its length: left out, the offsets say it.
    for (row, line) in hexdump(&bytes[start..end]).lines().enumerate() {
        let offset = start + row * 16;
        if offset >= end {
            break;
        }
        let line = format!("{offset:08x}{}", line.get(8..).unwrap_or(""));
        if focus > 0 && (offset..offset + 16).contains(&focus) {
            let _ = writeln!(out, "<mark>{}</mark>", escape(&line));
        } else {
            let _ = writeln!(out, "{}", escape(&line));
        }
    }
    out.push_str("</pre>");
    if start > 0 || end < bytes.len() {
        let _ = write!(
            out,
            "<p class=\"cut\">Bytes {start}–{} of {} are shown in hex.</p>",
            end - 1,
            bytes.len()
        );
    }
}

/// A conversation as a figure: its ladder.
pub(super) fn figure(out: &mut String, transcript: &Transcript) {
    let _ = writeln!(
        out,
        "<figure class=\"conversation\">{}</figure>",
        ladder::svg(transcript)
    );
}

/// A check's conversation: its ladder, and the bytes each way as text, folded.
pub(super) fn conversation(out: &mut String, number: usize, transcript: &Transcript) {
    let sent = transcript.sent();
    let received = transcript.received();
    let _ = writeln!(
        out,
        "<div class=\"one-conversation\"><h5>Conversation {number}: {} sent, {} received</h5>",
        plural_bytes(sent.len()),
        plural_bytes(received.len())
    );
    figure(out, transcript);
    if !sent.is_empty() || !received.is_empty() {
        out.push_str("<details class=\"bytes\"><summary>The bytes, as text</summary>\n");
        let labels = match transcript.recorded_by {
            Side::Client => ["Sent by httplab", "Received"],
            Side::Server => ["Sent by httplab (the server)", "Received from the client"],
        };
        for (label, bytes) in labels.into_iter().zip([&sent, &received]) {
            let _ = write!(
                out,
                "<p><strong>{label}</strong> ({}):</p>",
                plural_bytes(bytes.len())
            );
            if !bytes.is_empty() {
                text(out, bytes);
            }
        }
        out.push_str("</details>\n");
    }
    out.push_str("</div>\n");
}
