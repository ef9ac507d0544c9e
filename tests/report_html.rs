//! `check --html`: the page as a browser sees it. A real run against a flawed server (bare LF
//! line ends, a space before the status line) is rendered and opened in headless Chromium:
//! the DOM holds every check and every cause, and nothing in it can reach the network or run;
//! a server's hostile body (`<script>`, `<img onerror>`, NUL, invalid UTF-8) stays text; the
//! screenshot is a page, not a blank.

mod common;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use httplab::check::runner::Suite;
use httplab::check::{SuiteConfig, run};
use httplab::report::html;
use httplab::server::flaw::{Flaw, Flaws};

/// Bound on one Chromium run: it starts in 1–3 s here; past this it is killed.
const CHROMIUM_LIMIT: Duration = Duration::from_secs(60);

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
];

/// Chromium, or `None` after a clear `SKIPPED:` line; under CI (which installs it with
/// `just deps`) a missing Chromium fails the test instead.
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        assert!(
            !in_ci,
            "chromium is not installed: CI installs it (`just deps`)"
        );
        eprintln!("SKIPPED: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Runs Chromium with a fresh profile on `page`, in its own process group, and kills the whole
/// group by its id when it is done or past [`CHROMIUM_LIMIT`] (its helper processes too).
fn run_chromium(browser: &Path, args: &[&str], page: &Path) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = child.id() as i32;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = pipe.read_to_end(&mut all);
            all
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CHROMIUM_LIMIT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // SAFETY: kill(2) on the process group this test created; it may already be gone.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let _ = child.wait();
    let output = Output {
        status: status.unwrap_or_else(|| panic!("chromium {args:?} took over {CHROMIUM_LIMIT:?}")),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        output.status.success(),
        "chromium {args:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A full run against httplab's own server with two planted bugs, started in this process.
fn flawed_run() -> Suite {
    let dir = common::fixtures_copy();
    let server = common::start_server(dir.path(), |config| {
        config.flaws = Flaws::new([Flaw::BareLf, Flaw::LeadingSpace]);
    });
    let suite = run(&SuiteConfig::new("127.0.0.1", server.addr.port()));
    server.stop();
    suite
}

/// The bytes of a page that a careless or malicious server might send as helloWorld.html.
const HOSTILE: &[u8] = b"<script>alert(1)</script><img src=x onerror=alert(2)>\
    </pre></details><a href=\"https://example.com/\">out</a>\x00\xff\xfe end";

/// `assignment.get` against a server whose helloWorld.html is [`HOSTILE`]: it fails, and the
/// hostile bytes are its evidence.
fn hostile_run() -> Suite {
    let dir = common::fixtures_copy();
    std::fs::write(dir.path().join("helloWorld.html"), HOSTILE).unwrap();
    let server = common::start_server(dir.path(), |_| {});
    let mut config = SuiteConfig::new("127.0.0.1", server.addr.port());
    config.only = vec!["assignment.get".into()];
    let suite = run(&config);
    server.stop();
    suite
}

fn write_page(dir: &Path, name: &str, suite: &Suite) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, html::render(suite)).unwrap();
    path
}

/// Text as the DOM serializes it: only `&`, `<` and `>` escaped.
fn dom_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An element's start tag: its name and attributes.
type Tag = (String, Vec<(String, String)>);

/// Every start tag of a serialized DOM. There a `<` in text is `&lt;`, so each literal `<`
/// opens a tag (or an end tag, a comment, the doctype, which are passed over); attribute
/// values are read quote-aware, since a `>` in one is not escaped.
fn start_tags(html: &str) -> Vec<Tag> {
    let chars: Vec<char> = html.chars().collect();
    let mut tags = Vec::new();
    let mut i = 0;
    let word = |i: &mut usize, stop: &dyn Fn(char) -> bool| {
        let start = *i;
        while *i < chars.len() && !stop(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    while i < chars.len() {
        if chars[i] != '<' || !chars.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) {
            i += 1;
            continue;
        }
        i += 1;
        let name = word(&mut i, &|c| c.is_whitespace() || c == '>' || c == '/').to_lowercase();
        let mut attributes = Vec::new();
        loop {
            while i < chars.len() && (chars[i].is_whitespace() || chars[i] == '/') {
                i += 1;
            }
            if i >= chars.len() || chars[i] == '>' {
                i += 1;
                break;
            }
            let attribute = word(&mut i, &|c| {
                c.is_whitespace() || c == '=' || c == '>' || c == '/'
            });
            let mut value = String::new();
            if chars.get(i) == Some(&'=') {
                i += 1;
                match chars.get(i) {
                    Some(&quote @ ('"' | '\'')) => {
                        i += 1;
                        value = word(&mut i, &|c| c == quote);
                        i += 1;
                    }
                    _ => value = word(&mut i, &|c| c.is_whitespace() || c == '>'),
                }
            }
            attributes.push((attribute.to_lowercase(), value));
        }
        tags.push((name, attributes));
    }
    tags
}

/// Nothing in the page runs, loads or leaves it: no script, no element that fetches, no
/// event handler, no link but to the page itself, no CSS that loads.
fn assert_inert(dom: &str) {
    let tags = start_tags(dom);
    assert!(tags.len() > 100, "too few elements: {dom}");
    for (name, attributes) in &tags {
        assert!(
            ![
                "script", "img", "iframe", "object", "embed", "link", "base", "video", "audio",
                "source", "image", "use", "form", "input",
            ]
            .contains(&name.as_str()),
            "a <{name}> element in the page: {attributes:?}"
        );
        for (attribute, value) in attributes {
            assert!(
                !attribute.starts_with("on") && attribute != "src" && attribute != "xlink:href",
                "<{name} {attribute}={value:?}>"
            );
            if attribute == "href" {
                assert!(
                    value.starts_with('#'),
                    "<{name} href={value:?}>: not a link within the page"
                );
            }
            assert!(
                !(name == "meta" && attribute == "http-equiv"),
                "<meta http-equiv> in the page"
            );
        }
    }
    assert!(
        !dom.contains("url(") && !dom.contains("@import"),
        "CSS that loads something"
    );
}

#[test]
fn the_page_of_a_flawed_server_holds_every_check_and_cause_and_reaches_nothing() {
    let Some(browser) = chromium() else {
        return;
    };
    let suite = flawed_run();
    assert!(!suite.causes.is_empty() && suite.results.len() > 20);
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), "report.html", &suite);

    let dom = String::from_utf8(run_chromium(&browser, &["--dump-dom"], &page).stdout).unwrap();
    for result in &suite.results {
        let id = result.check.id;
        assert!(
            dom.contains(&format!("id=\"check-{id}\"")),
            "no check {id} in the DOM"
        );
    }
    for (index, cause) in suite.causes.iter().enumerate() {
        assert!(
            dom.contains(&format!("id=\"cause-{}\"", index + 1))
                && dom.contains(&dom_text(&cause.title)),
            "cause {:?} is not in the DOM",
            cause.title
        );
    }
    for part in [
        "Part 1 — the web server",
        "Part 2 — the multithreaded server",
        "Exit status",
    ] {
        assert!(dom.contains(part), "{part:?} is not in the DOM");
    }
    assert!(dom.contains("<svg class=\"ladder\""), "no ladder diagram");
    assert_inert(&dom);
}

#[test]
fn a_screenshot_of_the_page_is_a_styled_page_not_a_blank() {
    let Some(browser) = chromium() else {
        return;
    };
    let suite = flawed_run();
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), "report.html", &suite);
    let shot = dir.path().join("report.png");
    run_chromium(
        &browser,
        &[
            "--window-size=1280,2000",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    let (width, height, pixels) = decode(&std::fs::read(&shot).expect("chromium wrote the PNG"));
    assert_eq!((width, height), (1280, 2000));
    let white = pixels.iter().filter(|p| **p == [255, 255, 255]).count();
    let mut colours = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    eprintln!(
        "screenshot: {} colours, {:.1} % not white",
        colours.len(),
        100.0 * (1.0 - white as f64 / pixels.len() as f64)
    );
    assert!(
        colours.len() > 50,
        "{} colours: a blank page?",
        colours.len()
    );
    assert!(
        white < pixels.len() * 97 / 100,
        "the page is (almost) all white"
    );
    // The red border of a cause (#b42318): the style sheet was applied.
    assert!(
        colours.binary_search(&[0xb4, 0x23, 0x18]).is_ok(),
        "no cause's red border"
    );
}

/// A PNG's width, height and pixels as RGB.
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("a screenshot in {other:?}"),
    };
    let pixels = buffer[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn a_hostile_body_is_text_on_the_page_never_markup() {
    let suite = hostile_run();
    assert_eq!(
        suite.exit_code(),
        1,
        "assignment.get must fail on the hostile file"
    );
    let page = html::render(&suite);
    // Before any browser: the bytes are escaped in the file itself.
    assert!(!page.contains("<script") && !page.contains("<img"));
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;")
    );
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.html");
    std::fs::write(&path, &page).unwrap();
    let dom = String::from_utf8(run_chromium(&browser, &["--dump-dom"], &path).stdout).unwrap();
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "the hostile body is not shown as text: {dom}"
    );
    // NUL and the bytes that are not UTF-8 are spelled out.
    assert!(dom.contains("\\x00\\xff\\xfe end"), "{dom}");
    assert_inert(&dom);
}

/// The README's picture: `check --part 1` of the seed's server (`tests/peers/seed_server.py`).
/// Run it by hand when the page changes: `cargo test --test report_html -- --ignored`.
#[test]
#[ignore = "writes tests/data/check-report.png, the README's screenshot"]
fn readme_screenshot_of_the_seed_server() {
    let browser = chromium().expect("chromium");
    let peer = common::peers::seed_server("seed_server.py");
    let mut config = SuiteConfig::new("127.0.0.1", peer.port);
    config.part_two = false;
    let suite = run(&config);
    drop(peer);
    let dir = tempfile::tempdir().unwrap();
    let page = write_page(dir.path(), "report.html", &suite);
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check-report.png");
    run_chromium(
        &browser,
        &[
            "--window-size=1280,2600",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    let size = std::fs::metadata(&shot).unwrap().len();
    assert!(size < 500_000, "{size} bytes: too big for the README");
}
