//! The small bodies httplab writes itself: error pages, the redirect note, folder listings.
//! Every name that came from a request or from the disk is HTML-escaped here.

use std::fmt::Write;

use crate::http::Status;
use crate::site::path::encode_segment;
use crate::site::{FolderEntry, SitePath};

/// Escapes the five characters that mean something in HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body>\n{body}\n</body></html>\n"
    )
    .into_bytes()
}

/// 404: names the path that was looked for.
pub fn not_found(path: &SitePath) -> Vec<u8> {
    let path = escape_html(&path.to_string());
    page(
        "404 Not Found",
        &format!("<h1>404 Not Found</h1>\n<p>There is no file at {path} on this server.</p>"),
    )
}

/// 403: names the path and why it is refused.
pub fn forbidden(path: &SitePath, why: &str) -> Vec<u8> {
    let path = escape_html(&path.to_string());
    let why = escape_html(why);
    page(
        "403 Forbidden",
        &format!("<h1>403 Forbidden</h1>\n<p>{path} cannot be served: {why}.</p>"),
    )
}

/// 301: where the folder really is.
pub fn moved(location: &str) -> Vec<u8> {
    let location = escape_html(location);
    page(
        "301 Moved Permanently",
        &format!(
            "<h1>301 Moved Permanently</h1>\n<p>This folder is at <a href=\"{location}\">{location}</a>.</p>"
        ),
    )
}

/// A one-line plain-text explanation for a refused request: `400 Bad Request: why`.
pub fn plain_reason(status: Status, why: &str) -> Vec<u8> {
    format!("{status}: {why}\n").into_bytes()
}

/// The listing of a folder that has no index.html: links percent-encoded, names escaped.
pub fn listing(path: &SitePath, entries: &[FolderEntry]) -> Vec<u8> {
    let title = escape_html(&format!("Index of {path}"));
    let mut items = String::new();
    if !path.is_root() {
        items.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for entry in entries {
        let slash = if entry.is_folder { "/" } else { "" };
        let href = encode_segment(&entry.name);
        let name = escape_html(&String::from_utf8_lossy(&entry.name));
        let _ = writeln!(
            items,
            "<li><a href=\"{href}{slash}\">{name}{slash}</a></li>"
        );
    }
    page(&title, &format!("<h1>{title}</h1>\n<ul>\n{items}</ul>"))
}
