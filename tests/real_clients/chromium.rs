//! Headless Chromium: rendered pages, the index with its CSS and image, the 404 page,
//! folders, and a screenshot.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common;
use crate::harness::{
    Server, access_log, alone, run_bounded, run_bounded_or, succeeded, text, tool,
};

pub(crate) const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
];

/// Headless Chromium with a fresh profile, `ARGS URL`, killed (with its whole process group)
/// if it takes over 60 s; returns its output and its wall time.
fn chromium(chromium: &Path, args: &[&str], url: &str) -> (Output, Duration) {
    chromium_within(chromium, args, url, Duration::from_secs(60), "")
}

fn chromium_within(
    chromium: &Path,
    args: &[&str],
    url: &str,
    limit: Duration,
    hint: &str,
) -> (Output, Duration) {
    let profile = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = run_bounded_or(
        Command::new(chromium)
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .arg(url),
        limit,
        hint,
    );
    let took = started.elapsed();
    succeeded(&format!("chromium {args:?} {url}"), &output);
    (output, took)
}

fn dump_dom(path: &Path, url: &str) -> (String, Duration) {
    let (output, took) = chromium(path, &["--dump-dom"], url);
    (text(&output.stdout), took)
}

/// The requests of an access log that are not Chromium's own `/favicon.ico` (a 404 for it is
/// fine: the fixtures have no icon).
pub(crate) fn without_favicon(log: &[(String, u16)]) -> Vec<(String, u16)> {
    for (request, status) in log {
        if request == "GET /favicon.ico HTTP/1.1" {
            assert_eq!(*status, 404, "{log:?}");
        }
    }
    log.iter()
        .filter(|(request, _)| request != "GET /favicon.ico HTTP/1.1")
        .cloned()
        .collect()
}

pub(crate) fn get(path: &str, status: u16) -> (String, u16) {
    (format!("GET {path} HTTP/1.1"), status)
}

#[test]
fn chromium_renders_the_assignment_page_and_utf8_and_a_name_with_a_space() {
    let Some(browser) = tool("chromium", "chromium") else {
        return;
    };
    let _alone = alone();
    let server = Server::start(&[]);

    let (dom, took) = dump_dom(&browser, &server.url("/helloWorld.html"));
    eprintln!("chromium --dump-dom /helloWorld.html: {took:?}");
    assert!(dom.contains("abcdefg"), "{dom}");
    assert!(dom.contains("Hello world!"), "{dom}");

    // Decoded as UTF-8: the characters, not their bytes read as Latin-1 ("GrÃ¼ÃŸe").
    let (dom, _) = dump_dom(&browser, &server.url("/unicode.html"));
    assert!(
        dom.contains("<title>Grüße</title>")
            && dom.contains("Grüße aus Zürich — 你好，世界 — Καλημέρα κόσμε — 🌍"),
        "{dom}"
    );

    let (dom, _) = dump_dom(&browser, &server.url("/hello%20world.html"));
    assert!(dom.contains("<title>A name with a space</title>"), "{dom}");

    let log = server.stop_and_read_log();
    assert_eq!(
        without_favicon(&log),
        [
            get("/helloWorld.html", 200),
            get("/unicode.html", 200),
            get("/hello%20world.html", 200),
        ],
        "{log:?}"
    );
}

#[test]
fn chromium_loads_the_index_with_its_css_and_image_without_waiting_on_idle_connections() {
    let Some(browser) = tool("chromium", "chromium") else {
        return;
    };
    let _alone = alone();
    // Chromium opens speculative connections that send no byte. A server that waits on one
    // before serving the next connection (one thread for all, say) pays its deadline for it:
    // with the defaults that is the 5 s idle timeout, and Chromium still finishes in ~5.7 s
    // (measured with `serve --flaw single-thread`), too close to any safe bound. With 30 s
    // deadlines the same fault costs 30 s and more, far past the 8 s asserted here; a correct
    // server takes about 1 s.
    let server = Server::start(&["--head-timeout", "30", "--idle-timeout", "30"]);
    let limit = Duration::from_secs(20);
    let hint = "A server that waits on an idle connection (Chromium's speculative preconnects, \
                or the silent ones this test holds open) before serving the next does this.";
    let (dom, took) = chromium_within(
        &browser,
        &["--dump-dom"],
        &server.url("/index.html"),
        limit,
        hint,
    );
    let dom = text(&dom.stdout);
    eprintln!("chromium --dump-dom /index.html: {took:?}");
    assert!(
        dom.contains("<title>httplab fixtures</title>")
            && dom.contains(r#"<img src="logo.png" alt="httplab logo""#)
            && dom.contains(r#"<a href="hello%20world.html">hello world.html</a>"#),
        "{dom}"
    );
    assert!(
        took < Duration::from_secs(8),
        "chromium took {took:?} for /index.html. {hint}"
    );

    // Again, with three more connections held open without a byte by another client.
    let silent: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(("127.0.0.1", server.port)).unwrap())
        .collect();
    let (again, took) = chromium_within(
        &browser,
        &["--dump-dom"],
        &server.url("/index.html"),
        limit,
        hint,
    );
    eprintln!("chromium --dump-dom /index.html with 3 idle connections open: {took:?}");
    assert_eq!(text(&again.stdout), dom);
    assert!(
        took < Duration::from_secs(8),
        "chromium took {took:?} for /index.html with 3 idle connections open. {hint}"
    );

    // Shutting down does not wait for connections that never sent a byte either.
    let (status, exit_took, stderr) = server.stop();
    assert!(status.success(), "{status}\n{stderr}");
    assert!(
        exit_took < Duration::from_secs(3),
        "SIGTERM took {exit_took:?} with idle connections open"
    );
    // Never an HTTP byte on them. The event model accepts a connection together with its
    // first bytes (TCP_DEFER_ACCEPT), so these three never reached the server at all: the
    // kernel dropped them with the listener, and a read sees end-of-file, a reset, or,
    // as the kernel tells the client nothing, just silence.
    for mut idle in silent {
        idle.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut buf = [0u8; 64];
        match idle.read(&mut buf) {
            Ok(0) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::WouldBlock | ErrorKind::TimedOut
                ) => {}
            other => {
                panic!("an idle connection must end without a byte at shutdown, got {other:?}")
            }
        }
    }

    // Every sub-resource the page needs was asked for and answered 200; a 404 for the icon
    // that Chromium asks for on its own is fine.
    let log = access_log(&stderr);
    let mut requests = without_favicon(&log);
    requests.sort();
    assert_eq!(
        requests,
        [
            get("/index.html", 200),
            get("/index.html", 200),
            get("/logo.png", 200),
            get("/logo.png", 200),
            get("/style.css", 200),
            get("/style.css", 200),
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains("\"GET /logo.png HTTP/1.1\" 200 2606\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"GET /style.css HTTP/1.1\" 200 155\n"),
        "{stderr}"
    );
}

#[test]
fn chromium_renders_the_404_page_and_folders_with_and_without_an_index() {
    let Some(browser) = tool("chromium", "chromium") else {
        return;
    };
    let _alone = alone();
    let server = Server::start(&[]);

    let (dom, _) = dump_dom(&browser, &server.url("/no-such-page.html"));
    assert!(
        dom.contains("<title>404 Not Found</title>")
            && dom.contains("<h1>404 Not Found</h1>")
            && dom.contains("There is no file at /no-such-page.html on this server."),
        "{dom}"
    );

    // Without its slash: 301 to /listing/, followed; the listing links both files.
    let (dom, _) = dump_dom(&browser, &server.url("/listing"));
    assert!(
        dom.contains("<h1>Index of /listing/</h1>")
            && dom.contains(r#"<a href="data.json">data.json</a>"#)
            && dom.contains(r#"<a href="notes.txt">notes.txt</a>"#)
            && dom.contains(r#"<a href="../">../</a>"#),
        "{dom}"
    );

    let (dom, _) = dump_dom(&browser, &server.url("/sub/"));
    assert!(dom.contains("<h1>The sub-folder's index</h1>"), "{dom}");

    let log = server.stop_and_read_log();
    assert_eq!(
        without_favicon(&log),
        [
            get("/no-such-page.html", 404),
            get("/listing", 301),
            get("/listing/", 200),
            get("/sub/", 200),
            get("/style.css", 200),
        ],
        "{log:?}"
    );
}

/// Decodes an 8-bit, non-interlaced RGB/RGBA/palette PNG with zlib alone, and prints what a
/// screenshot check needs as JSON: its size, how many distinct colours it has, whether the
/// heading's colour from style.css (#1e508c) is there, and where the logo (the second file)
/// appears pixel for pixel.
const PNG_PROBE: &str = r#"
import json, struct, sys, zlib

def decode(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, ihdr, plte = 8, b'', None, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'PLTE':
            plte = body
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    width, height, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and interlace == 0 and ctype in (2, 3, 6), ihdr
    bpp = {2: 3, 3: 1, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        for x in range(width):
            px = line[x * bpp:(x + 1) * bpp]
            if ctype == 3:
                px = plte[px[0] * 3:px[0] * 3 + 3]
            pixels.append(tuple(px[:3]))
    return width, height, pixels

W, H, shot = decode(sys.argv[1])
w, h, logo = decode(sys.argv[2])
logo_at = None
for y in range(H - h + 1):
    for x in range(W - w + 1):
        if shot[y * W + x] == logo[0] and all(
            shot[(y + j) * W + x:(y + j) * W + x + w] == logo[j * w:(j + 1) * w] for j in range(h)
        ):
            logo_at = [x, y]
            break
    if logo_at:
        break
colors = set(shot)
print(json.dumps({
    'width': W, 'height': H, 'colors': len(colors),
    'white': sum(1 for p in shot if p == (255, 255, 255)),
    'heading_color': (0x1e, 0x50, 0x8c) in colors,
    'logo_at': logo_at,
}))
"#;

#[test]
fn chromium_screenshot_of_the_index_shows_the_styled_heading_and_the_logo() {
    let Some(browser) = tool("chromium", "chromium") else {
        return;
    };
    let Some(python) = tool("python3", "python3") else {
        return;
    };
    let _alone = alone();
    let server = Server::start(&[]);
    let out = tempfile::tempdir().unwrap();
    let shot = out.path().join("shot.png");
    let (_, took) = chromium(
        &browser,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=800,600",
            "--hide-scrollbars",
        ],
        &server.url("/index.html"),
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // An all-white 800x600 PNG compresses to a few KB; text, a coloured heading and a logo
    // take far more.
    assert!(png.len() > 10_000, "only {} bytes: blank?", png.len());

    let probe = run_bounded(
        Command::new(python)
            .args(["-c", PNG_PROBE])
            .arg(&shot)
            .arg(common::fixtures_dir().join("logo.png")),
        Duration::from_secs(60),
    );
    succeeded("the PNG probe", &probe);
    let facts: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    eprintln!(
        "chromium --screenshot /index.html: {took:?}, {} bytes, {facts}",
        png.len()
    );
    assert_eq!(
        (facts["width"].as_u64(), facts["height"].as_u64()),
        (Some(800), Some(600))
    );
    let colors = facts["colors"].as_u64().unwrap();
    assert!(
        colors > 100,
        "{colors} distinct colours: blank or nearly so ({facts})"
    );
    let white = facts["white"].as_u64().unwrap();
    assert!(
        white < 800 * 600 * 99 / 100,
        "{white} white pixels of 480000: blank ({facts})"
    );
    assert_eq!(
        facts["heading_color"], true,
        "no pixel of the heading's #1e508c: style.css was not applied ({facts})"
    );
    assert!(
        facts["logo_at"].is_array(),
        "logo.png does not appear pixel for pixel: the image did not load ({facts})"
    );

    let log = server.stop_and_read_log();
    let mut requests = without_favicon(&log);
    requests.sort();
    assert_eq!(
        requests,
        [
            get("/index.html", 200),
            get("/logo.png", 200),
            get("/style.css", 200),
        ],
        "{log:?}"
    );
}
