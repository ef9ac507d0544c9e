//! The server against the clients people really use: headless Chromium, curl, wget, Python's
//! `urllib.request` and `http.client`, ApacheBench and h2load. Each test starts the real
//! binary (`httplab serve fixtures --port 0`), drives one client against it with a hard time
//! bound, compares what arrived with the files in `fixtures/` byte for byte, and stops
//! everything it started, by PID.
//!
//! The tools are Debian packages that `just test` installs when they are missing. A test
//! whose tool is not installed says `SKIPPED: <tool> is not installed (apt-get install
//! <pkg>)` on stderr and returns; under CI (`CI` set) a missing tool is a failure instead,
//! since CI installs them all and none may skip there.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Tools: found on PATH, or a clear skip (a failure under CI).
// ---------------------------------------------------------------------------------------------

/// The executable `name` on PATH (or in /usr/bin, /usr/sbin), if there is one.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The tool's path, or `None` after a clear `SKIPPED:` line on stderr. Under CI a missing tool
/// fails the test: CI installs every one of them (`just deps`), so none may skip there.
fn tool(name: &str, package: &str) -> Option<PathBuf> {
    if let Some(path) = which(name) {
        return Some(path);
    }
    let message = format!("{name} is not installed (apt-get install {package})");
    assert!(
        !in_ci(),
        "{message}: CI must install it (`just deps`), so this test may not skip there"
    );
    // Straight to the process's stderr: the test harness captures eprintln! of a passing
    // test, and a skip must never be silent.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message} — {test}");
    None
}

// ---------------------------------------------------------------------------------------------
// Running a client with a hard time bound.
// ---------------------------------------------------------------------------------------------

/// Runs `command` (in its own process group) to completion and returns its output; past
/// `limit` the whole group is killed by its id and the test fails, showing what it printed.
fn run_bounded(command: &mut Command, limit: Duration) -> Output {
    run_bounded_or(command, limit, "")
}

/// `run_bounded`, with `hint` (what a time-out means) in the failure.
fn run_bounded_or(command: &mut Command, limit: Duration, hint: &str) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let group = child.id() as i32;
    let (sender, receiver) = mpsc::channel();
    let stdout = drain(child.stdout.take().unwrap(), sender.clone(), 1);
    let stderr = drain(child.stderr.take().unwrap(), sender, 2);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Both pipes close when the process and anything it started are gone.
    let mut closed = 0;
    while closed < 2 {
        if receiver.recv_timeout(Duration::from_secs(10)).is_err() {
            // Something it started still holds a pipe: end the group, by its id.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
            receiver
                .recv_timeout(Duration::from_secs(5))
                .expect("the output pipes close once the process group is killed");
        }
        closed += 1;
    }
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    let Some(status) = status else {
        panic!(
            "{description} did not finish within {limit:?}: killed. {hint}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
    };
    Output {
        status,
        stdout,
        stderr,
    }
}

fn drain(
    mut pipe: impl Read + Send + 'static,
    done: mpsc::Sender<u8>,
    tag: u8,
) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let _ = pipe.read_to_end(&mut all);
        let _ = done.send(tag);
        all
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts the client exited 0, showing everything it printed if not.
fn succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}).\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The server: the real binary on a free port.
// ---------------------------------------------------------------------------------------------

/// `httplab serve fixtures --port 0 ARGS`, with its stderr (the access log) collected.
struct Server {
    child: Child,
    port: u16,
    log: Option<JoinHandle<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_httplab"))
            .args(["serve", "fixtures", "--port", "0"])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all);
            all
        });
        let mut banner = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut banner)
            .unwrap();
        let port = banner
            .strip_prefix("Serving fixtures at http://127.0.0.1:")
            .and_then(|rest| rest.strip_suffix("/ (Ctrl-C to stop)\n"))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                let _ = child.wait();
                panic!("unexpected banner {banner:?}")
            });
        Server {
            child,
            port,
            log: Some(log),
        }
    }

    /// Serves without an access log: for the tests that do not read it.
    fn quiet() -> Server {
        Server::start(&["--quiet"])
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then waits (at most 15 s, then SIGKILL and a failure) for the exit; returns
    /// the exit status, how long the exit took, and everything the server wrote on stderr.
    fn stop(mut self) -> (ExitStatus, Duration, String) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(15) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the server did not exit within 15 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        let log = self.log.take().unwrap().join().unwrap();
        (status, took, log)
    }

    /// Stops the server, asserting a clean exit, and returns its access log as
    /// `(request line, status)` pairs, in order.
    fn stop_and_read_log(self) -> Vec<(String, u16)> {
        let (status, _, log) = self.stop();
        assert!(status.success(), "SIGTERM exits 0: {status}\n{log}");
        access_log(&log)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The Common Log Format lines of the server's stderr, as `(request line, status)`:
/// `127.0.0.1 - - [25/Nov/2026:15:00:00 +0000] "GET /helloWorld.html HTTP/1.1" 200 47`.
fn access_log(stderr: &str) -> Vec<(String, u16)> {
    stderr
        .lines()
        .filter(|line| line.starts_with("127.0.0.1 - - ["))
        .map(|line| {
            let (_, rest) = line.split_once("] \"").expect("a CLF line");
            let (request, rest) = rest.rsplit_once("\" ").expect("a CLF line");
            let status = rest
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("no status in {line:?}"));
            (request.to_string(), status)
        })
        .collect()
}

/// Heavy or timed tests take this, so that their numbers are not the other tests' load.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The fixture site.
// ---------------------------------------------------------------------------------------------

/// Every file under `fixtures/`, as its path relative to it ("sub/index.html"), sorted.
fn fixture_files() -> Vec<String> {
    let root = common::fixtures_dir();
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(&root).unwrap().to_str().unwrap();
                files.push(relative.to_string());
            }
        }
    }
    files.sort();
    files
}

fn fixture(relative: &str) -> Vec<u8> {
    std::fs::read(common::fixtures_dir().join(relative)).unwrap()
}

/// Asserts `got` is `expected` byte for byte; on a difference, says where and shows the bytes
/// there in hex (rather than two long lists of numbers).
fn assert_same_bytes(got: &[u8], expected: &[u8], what: &str) {
    if got == expected {
        return;
    }
    let at = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    let window =
        |bytes: &[u8]| hex::encode(&bytes[at.min(bytes.len())..(at + 16).min(bytes.len())]);
    panic!(
        "{what}: {} bytes arrived where the fixture has {}; the first difference is at byte {at}: \
         got {} where the fixture has {}",
        got.len(),
        expected.len(),
        window(got),
        window(expected)
    );
}

/// The URL path of a fixture: `hello world.html` is `/hello%20world.html`.
fn url_path(relative: &str) -> String {
    format!("/{}", relative.replace(' ', "%20"))
}

// ---------------------------------------------------------------------------------------------
// Chromium.
// ---------------------------------------------------------------------------------------------

const CHROMIUM_FLAGS: &[&str] = &[
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
fn without_favicon(log: &[(String, u16)]) -> Vec<(String, u16)> {
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

fn get(path: &str, status: u16) -> (String, u16) {
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

// ---------------------------------------------------------------------------------------------
// curl.
// ---------------------------------------------------------------------------------------------

fn curl(curl: &Path, args: &[&str]) -> Output {
    run_bounded(
        Command::new(curl)
            .args(["--silent", "--show-error", "--max-time", "10"])
            .args(args),
        Duration::from_secs(30),
    )
}

/// The value of `name` in a response head (case-insensitive), if it is there.
fn field(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[test]
fn curl_http11_gets_and_heads_every_fixture_exactly() {
    let Some(curl_path) = tool("curl", "curl") else {
        return;
    };
    let server = Server::quiet();
    let out = tempfile::tempdir().unwrap();
    for relative in fixture_files() {
        let url = server.url(&url_path(&relative));
        let saved = out.path().join("body");
        let get = curl(
            &curl_path,
            &[
                "--http1.1",
                "--fail",
                "--output",
                saved.to_str().unwrap(),
                "--write-out",
                "%{http_version} %{http_code} %{size_download} %{content_type}",
                &url,
            ],
        );
        succeeded(&format!("curl --http1.1 {url}"), &get);
        let expected = fixture(&relative);
        assert_same_bytes(&std::fs::read(&saved).unwrap(), &expected, &relative);
        let summary = text(&get.stdout);
        assert!(
            summary.starts_with(&format!("1.1 200 {} ", expected.len())),
            "{relative}: {summary}"
        );

        let head = curl(&curl_path, &["--http1.1", "--head", &url]);
        succeeded(&format!("curl --head {url}"), &head);
        let head = text(&head.stdout);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.ends_with("\r\n\r\n"),
            "HEAD: a head and no body: {head:?}"
        );
        assert_eq!(
            field(&head, "Content-Length"),
            Some(expected.len().to_string()),
            "{relative}: {head}"
        );
        assert_eq!(
            field(&head, "Content-Type").as_deref(),
            summary.splitn(4, ' ').nth(3),
            "HEAD and GET agree on the type of {relative}: {head} / {summary}"
        );
    }
    let types = [
        ("logo.png", "image/png"),
        ("style.css", "text/css; charset=utf-8"),
        ("helloWorld.html", "text/html; charset=utf-8"),
    ];
    for (relative, content_type) in types {
        let head = curl(&curl_path, &["--head", &server.url(&url_path(relative))]);
        assert_eq!(
            field(&text(&head.stdout), "Content-Type").as_deref(),
            Some(content_type),
            "{relative}"
        );
    }
}

#[test]
fn curl_reuses_one_connection_across_many_urls() {
    let Some(curl_path) = tool("curl", "curl") else {
        return;
    };
    let server = Server::start(&[]);
    let out = tempfile::tempdir().unwrap();
    let files = fixture_files();
    // Every fixture, with a 404 and a 301 among them: neither may end the connection.
    let mut args: Vec<String> = ["--verbose", "--http1.1"].map(String::from).to_vec();
    let mut paths: Vec<String> = files.iter().map(|f| url_path(f)).collect();
    paths.insert(3, "/missing.html".to_string());
    paths.insert(6, "/sub".to_string());
    for (i, path) in paths.iter().enumerate() {
        args.push(server.url(path));
        args.push("--output".to_string());
        args.push(out.path().join(i.to_string()).display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = curl(&curl_path, &args);
    succeeded("curl -v over several URLs", &output);
    let verbose = text(&output.stderr);
    assert_eq!(
        verbose.matches("* Connected to 127.0.0.1").count(),
        1,
        "one connection: {verbose}"
    );
    assert_eq!(
        verbose.matches("* Re-using existing connection").count(),
        paths.len() - 1,
        "re-used for each URL after the first: {verbose}"
    );
    assert!(!verbose.contains("Closing connection"), "{verbose}");
    for (i, path) in paths.iter().enumerate() {
        let got = std::fs::read(out.path().join(i.to_string())).unwrap();
        if path == "/missing.html" {
            assert!(text(&got).contains("<h1>404 Not Found</h1>"), "{path}");
        } else if path == "/sub" {
            assert!(
                text(&got).contains("/sub/"),
                "the 301's body names the target"
            );
        } else {
            let relative = path[1..].replace("%20", " ");
            assert_same_bytes(&got, &fixture(&relative), path);
        }
    }
    let log = server.stop_and_read_log();
    assert_eq!(log.len(), paths.len(), "{log:?}");
    for ((request, status), path) in log.iter().zip(&paths) {
        assert_eq!(request, &format!("GET {path} HTTP/1.1"));
        let expected = match path.as_str() {
            "/missing.html" => 404,
            "/sub" => 301,
            _ => 200,
        };
        assert_eq!(*status, expected, "{path}");
    }
}

#[test]
fn curl_path_as_is_traversal_never_leaves_the_folder() {
    let Some(curl_path) = tool("curl", "curl") else {
        return;
    };
    let server = Server::quiet();
    let attempts = [
        ("/../Cargo.toml", 404),
        ("/%2e%2e/Cargo.toml", 404),
        ("/..%2fCargo.toml", 400),
        ("/sub/../../Cargo.toml", 404),
        ("/%2e%2e%2fCargo.toml", 400),
        ("/sub/%2e%2e/%2e%2e/Cargo.toml", 404),
        ("/%252e%252e/Cargo.toml", 404),
        ("/..%5cCargo.toml", 400),
        ("/../../../../../../etc/passwd", 404),
    ];
    for (path, expected) in attempts {
        let output = curl(
            &curl_path,
            &["--path-as-is", "--include", &server.url(path)],
        );
        succeeded(&format!("curl --path-as-is {path}"), &output);
        let response = text(&output.stdout);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {expected} ")),
            "{path}: {response}"
        );
        assert!(
            !response.contains("[package]") && !response.contains("root:x:0:0"),
            "{path} returned a file outside the served folder: {response}"
        );
    }
    // And the traversal that stays inside resolves: /sub/../helloWorld.html is the page.
    let output = curl(
        &curl_path,
        &["--path-as-is", &server.url("/sub/../helloWorld.html")],
    );
    assert_same_bytes(
        &output.stdout,
        &fixture("helloWorld.html"),
        "/sub/../helloWorld.html",
    );
}

#[test]
fn curl_http10_gets_the_file_and_the_connection_closes() {
    let Some(curl_path) = tool("curl", "curl") else {
        return;
    };
    let server = Server::quiet();
    let url = server.url("/logo.png");
    let output = curl(&curl_path, &["-0", "--include", "--verbose", &url]);
    succeeded("curl -0", &output);
    let verbose = text(&output.stderr);
    assert!(
        verbose.contains("> GET /logo.png HTTP/1.0\r\n"),
        "{verbose}"
    );
    let response = output.stdout;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let head = text(&response[..split]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert_eq!(
        field(&head, "Connection").as_deref(),
        Some("close"),
        "{head}"
    );
    assert_same_bytes(
        &response[split..],
        &fixture("logo.png"),
        "HTTP/1.0 /logo.png",
    );
    assert!(verbose.contains("Closing connection"), "{verbose}");

    // HTTP/1.0 asking for keep-alive gets it, and says so: two URLs, one connection.
    let output = curl(
        &curl_path,
        &[
            "-0",
            "--verbose",
            "--header",
            "Connection: keep-alive",
            &server.url("/helloWorld.html"),
            &server.url("/unicode.html"),
        ],
    );
    succeeded("curl -0 with keep-alive", &output);
    let verbose = text(&output.stderr);
    assert_eq!(
        verbose.matches("< Connection: keep-alive").count(),
        2,
        "{verbose}"
    );
    assert_eq!(
        verbose.matches("* Re-using existing connection").count(),
        1,
        "{verbose}"
    );
    assert_eq!(
        output.stdout,
        [fixture("helloWorld.html"), fixture("unicode.html")].concat()
    );
}

// ---------------------------------------------------------------------------------------------
// wget.
// ---------------------------------------------------------------------------------------------

#[test]
fn wget_mirrors_the_site_byte_for_byte_on_one_connection() {
    let Some(wget) = tool("wget", "wget") else {
        return;
    };
    let server = Server::start(&[]);
    let out = tempfile::tempdir().unwrap();
    let output = run_bounded(
        Command::new(wget)
            .args(["-r", "-np", "-nH", "--tries=1", "--timeout=10", "-P"])
            .arg(out.path())
            .arg(server.url("/")),
        Duration::from_secs(60),
    );
    succeeded("wget -r -np", &output);
    let wget_log = text(&output.stderr);

    // What arrived: every fixture (index.html is what / serves), plus the listing of the
    // folder without an index, which wget saves as listing/index.html.
    let mut arrived = Vec::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(out.path()).unwrap();
                arrived.push(relative.to_str().unwrap().to_string());
            }
        }
    }
    arrived.sort();
    let mut expected = fixture_files();
    expected.push("listing/index.html".to_string());
    expected.sort();
    assert_eq!(arrived, expected, "{wget_log}");

    for relative in fixture_files() {
        let saved = out.path().join(&relative);
        assert_same_bytes(
            &std::fs::read(&saved).unwrap(),
            &fixture(&relative),
            &relative,
        );
        // wget dates each file by its Last-Modified: the fixture's own time, to the second.
        let mtime = |p: &Path| {
            std::fs::metadata(p)
                .unwrap()
                .modified()
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        };
        assert_eq!(
            mtime(&saved),
            mtime(&common::fixtures_dir().join(&relative)),
            "Last-Modified of {relative}"
        );
    }
    let listing = std::fs::read_to_string(out.path().join("listing/index.html")).unwrap();
    assert!(
        listing.contains(r#"<a href="data.json">data.json</a>"#)
            && listing.contains(r#"<a href="notes.txt">notes.txt</a>"#),
        "{listing}"
    );

    // One connection for the whole mirror (robots.txt's 404 included).
    assert_eq!(
        wget_log.matches("Connecting to 127.0.0.1").count(),
        1,
        "{wget_log}"
    );
    assert_eq!(
        wget_log.matches("Reusing existing connection").count(),
        expected.len(),
        "{wget_log}"
    );
    let log = server.stop_and_read_log();
    for (request, status) in &log {
        let wanted = if request == "GET /robots.txt HTTP/1.1" {
            404
        } else {
            200
        };
        assert_eq!(*status, wanted, "{request}: {log:?}");
    }
    assert_eq!(
        log.len(),
        expected.len() + 1,
        "each file once, and robots.txt: {log:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Python.
// ---------------------------------------------------------------------------------------------

/// urllib.request.urlopen of each URL path in argv[2:] on base argv[1]; prints, per path, the
/// status, the final URL (after redirects), Content-Type, Content-Length and the body in hex.
const URLLIB: &str = r#"
import json, sys, urllib.error, urllib.request
base, results = sys.argv[1], []
for path in sys.argv[2:]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as r:
            results.append({'path': path, 'status': r.status, 'url': r.url,
                            'type': r.headers['Content-Type'], 'length': r.headers['Content-Length'],
                            'body': r.read().hex()})
    except urllib.error.HTTPError as e:
        results.append({'path': path, 'status': e.code, 'url': e.url,
                        'type': e.headers['Content-Type'], 'length': e.headers['Content-Length'],
                        'body': e.read().hex()})
print(json.dumps(results))
"#;

fn hex_body(value: &serde_json::Value) -> Vec<u8> {
    hex::decode(value["body"].as_str().unwrap()).unwrap()
}

#[test]
fn python_urllib_reads_every_fixture_byte_for_byte() {
    let Some(python) = tool("python3", "python3") else {
        return;
    };
    let server = Server::quiet();
    let files = fixture_files();
    let mut paths: Vec<String> = files.iter().map(|f| url_path(f)).collect();
    paths.push("/sub".to_string());
    paths.push("/missing.html".to_string());
    let output = run_bounded(
        Command::new(python)
            .args(["-c", URLLIB, &server.url("")])
            .args(&paths),
        Duration::from_secs(60),
    );
    succeeded("python3 urllib.request", &output);
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), paths.len());
    for (relative, result) in files.iter().zip(&results) {
        let expected = fixture(relative);
        assert_eq!(result["status"], 200, "{result}");
        assert_same_bytes(&hex_body(result), &expected, relative);
        assert_eq!(result["length"], expected.len().to_string(), "{relative}");
    }
    let redirected = &results[files.len()];
    assert_eq!(redirected["status"], 200);
    assert_eq!(
        redirected["url"],
        server.url("/sub/"),
        "the 301 was followed"
    );
    assert_same_bytes(&hex_body(redirected), &fixture("sub/index.html"), "/sub");
    let missing = &results[files.len() + 1];
    assert_eq!(missing["status"], 404);
    assert_eq!(missing["type"], "text/html; charset=utf-8");
    assert!(text(&hex_body(missing)).contains("There is no file at /missing.html"));
}

/// One http.client.HTTPConnection for every "METHOD PATH" in argv[2:], each response read
/// fully before the next request; prints, per request, the status, the socket's identity and
/// local address (the same for all when the connection is kept), and the body in hex.
const HTTP_CLIENT: &str = r#"
import http.client, json, sys
conn = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=10)
results = []
for spec in sys.argv[2:]:
    method, path = spec.split(' ', 1)
    conn.request(method, path)
    sock = conn.sock
    r = conn.getresponse()
    body = r.read()
    results.append({'request': spec, 'status': r.status, 'version': r.version,
                    'length': r.getheader('Content-Length'), 'connection': r.getheader('Connection'),
                    'will_close': r.will_close, 'socket': id(sock), 'local': sock.getsockname(),
                    'body': body.hex()})
conn.close()
print(json.dumps(results))
"#;

#[test]
fn python_http_client_keeps_one_connection_for_every_fixture() {
    let Some(python) = tool("python3", "python3") else {
        return;
    };
    let server = Server::start(&[]);
    let files = fixture_files();
    let mut requests: Vec<String> = files
        .iter()
        .map(|f| format!("GET {}", url_path(f)))
        .collect();
    // A HEAD, a 404 and a 301 in the middle must not break the connection's framing.
    requests.insert(2, "HEAD /logo.png".to_string());
    requests.insert(5, "GET /missing.html".to_string());
    requests.insert(7, "GET /sub".to_string());
    requests.push("GET /helloWorld.html".to_string());
    let output = run_bounded(
        Command::new(python)
            .args(["-c", HTTP_CLIENT, &server.port.to_string()])
            .args(&requests),
        Duration::from_secs(60),
    );
    succeeded("python3 http.client", &output);
    let results: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), requests.len());
    let first = &results[0];
    for result in &results {
        assert_eq!(result["version"], 11, "{result}");
        assert_eq!(result["will_close"], false, "{result}");
        assert_eq!(result["connection"], serde_json::Value::Null, "{result}");
        assert_eq!(
            (&result["socket"], &result["local"]),
            (&first["socket"], &first["local"]),
            "every request on the first connection: {result}"
        );
        let request = result["request"].as_str().unwrap();
        let (method, path) = request.split_once(' ').unwrap();
        match (method, path) {
            ("HEAD", _) => {
                assert_eq!(result["status"], 200);
                assert_eq!(result["length"], "2606");
                assert_eq!(result["body"], "", "HEAD has no body");
            }
            (_, "/missing.html") => assert_eq!(result["status"], 404),
            (_, "/sub") => assert_eq!(result["status"], 301),
            _ => {
                let relative = path[1..].replace("%20", " ");
                assert_eq!(result["status"], 200, "{request}");
                assert_same_bytes(&hex_body(result), &fixture(&relative), request);
            }
        }
    }
    let log = server.stop_and_read_log();
    let logged: Vec<&str> = log.iter().map(|(r, _)| r.as_str()).collect();
    let sent: Vec<String> = requests.iter().map(|r| format!("{r} HTTP/1.1")).collect();
    assert_eq!(logged, sent);
}

// ---------------------------------------------------------------------------------------------
// Load tools.
// ---------------------------------------------------------------------------------------------

/// The number after `label` at the start of a line of `report` (`Failed requests:        0`).
fn number_after(report: &str, label: &str) -> Option<f64> {
    report.lines().find_map(|line| {
        line.trim_start()
            .strip_prefix(label)?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

#[test]
fn ab_keep_alive_20000_requests_50_at_once_all_succeed() {
    let Some(ab) = tool("ab", "apache2-utils") else {
        return;
    };
    let _alone = alone();
    let server = Server::quiet();
    let output = run_bounded(
        Command::new(ab)
            .args(["-k", "-n", "20000", "-c", "50", "-s", "20"])
            .arg(server.url("/helloWorld.html")),
        Duration::from_secs(120),
    );
    let report = text(&output.stdout);
    succeeded("ab", &output);
    let complete = number_after(&report, "Complete requests:");
    let failed = number_after(&report, "Failed requests:");
    // ab prints this line only when some response was not 2xx.
    let non_2xx = number_after(&report, "Non-2xx responses:").unwrap_or(0.0);
    let keep_alive = number_after(&report, "Keep-Alive requests:");
    let rate = number_after(&report, "Requests per second:");
    eprintln!(
        "ab -k -n 20000 -c 50: {complete:?} complete, {failed:?} failed, {non_2xx} non-2xx, \
         {keep_alive:?} kept alive, {rate:?} req/s"
    );
    assert_eq!(complete, Some(20000.0), "{report}");
    assert_eq!(failed, Some(0.0), "{report}");
    assert_eq!(non_2xx, 0.0, "{report}");
    assert_eq!(
        keep_alive,
        Some(20000.0),
        "every request on a kept-alive connection: {report}"
    );
    assert!(
        report.contains("Document Length:        47 bytes"),
        "{report}"
    );
    let (status, _, _) = server.stop();
    assert!(status.success());
}

#[test]
fn h2load_h1_20000_requests_50_at_once_all_succeed() {
    let Some(h2load) = tool("h2load", "nghttp2-client") else {
        return;
    };
    let _alone = alone();
    let server = Server::quiet();
    let output = run_bounded(
        Command::new(h2load)
            .args(["--h1", "-n", "20000", "-c", "50", "-N", "20s"])
            .arg(server.url("/helloWorld.html")),
        Duration::from_secs(120),
    );
    let report = text(&output.stdout);
    succeeded("h2load", &output);
    // requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout
    let requests = report
        .lines()
        .find_map(|line| line.strip_prefix("requests: "))
        .unwrap_or_else(|| panic!("no requests line: {report}"));
    let count = |what: &str| -> u64 {
        requests
            .split(", ")
            .find_map(|part| part.strip_suffix(what)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {what:?} in {requests:?}"))
    };
    // status codes: 20000 2xx, 0 3xx, 0 4xx, 0 5xx
    let codes = report
        .lines()
        .find_map(|line| line.strip_prefix("status codes: "))
        .unwrap_or_else(|| panic!("no status codes line: {report}"));
    let code = |class: &str| -> u64 {
        codes
            .split(", ")
            .find_map(|part| part.strip_suffix(class)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {class:?} in {codes:?}"))
    };
    let finished = report
        .lines()
        .find(|line| line.starts_with("finished in "))
        .unwrap_or_default();
    eprintln!(
        "h2load --h1 -n 20000 -c 50: {finished}; requests: {requests}; status codes: {codes}"
    );
    assert_eq!(count(" total"), 20000, "{report}");
    assert_eq!(count(" succeeded"), 20000, "{report}");
    assert_eq!(count(" failed"), 0, "{report}");
    assert_eq!(count(" errored"), 0, "{report}");
    assert_eq!(count(" timeout"), 0, "{report}");
    assert_eq!(code(" 2xx"), 20000, "{report}");
    for class in [" 3xx", " 4xx", " 5xx"] {
        assert_eq!(code(class), 0, "{report}");
    }
    let (status, _, _) = server.stop();
    assert!(status.success());
}
