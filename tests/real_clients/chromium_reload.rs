//! Headless Chromium loads the index twice with one profile (what a reload does with its
//! cache): with `Cache-Control: no-cache` it asks again for every file with the validators it
//! kept, and the access log shows the textbook's conditional GET — `304` for what did not
//! change, `200` for the file edited in between.

use std::path::Path;
use std::time::Duration;

use crate::chromium::{CHROMIUM_FLAGS, get, without_favicon};
use crate::common;
use crate::harness::{Server, alone, run_bounded, succeeded, text, tool};

/// `chromium --dump-dom URL` with the profile in `profile`, bounded.
fn load(chromium: &Path, profile: &Path, url: &str) -> String {
    let output = run_bounded(
        std::process::Command::new(chromium)
            .args(CHROMIUM_FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--dump-dom", url]),
        Duration::from_secs(60),
    );
    succeeded(&format!("chromium --dump-dom {url}"), &output);
    text(&output.stdout)
}

#[test]
fn chromium_reloads_the_index_with_conditional_gets_and_sees_an_edit_at_once() {
    let Some(browser) = tool("chromium", "chromium") else {
        return;
    };
    let _alone = alone();
    let site = common::fixtures_copy();
    let server = Server::serving(site.path(), &[]);
    let profile = tempfile::tempdir().unwrap();
    let url = server.url("/index.html");

    let dom = load(&browser, profile.path(), &url);
    assert!(dom.contains("<title>httplab fixtures</title>"), "{dom}");
    // A student edits the style sheet; the event model's cache checks the disk after a second.
    let css = site.path().join("style.css");
    let edited = std::fs::read_to_string(&css).unwrap() + "\n/* edited */\n";
    std::fs::write(&css, edited).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let again = load(&browser, profile.path(), &url);
    assert_eq!(again, dom, "the same page");

    let log = without_favicon(&server.stop_and_read_log());
    // Each load: the page, then its style sheet and image in either order.
    let loads: Vec<Vec<(String, u16)>> = log
        .chunks(3)
        .map(|load| {
            let mut load = load.to_vec();
            load[1..].sort();
            load
        })
        .collect();
    assert_eq!(
        loads,
        [
            [
                get("/index.html", 200),
                get("/logo.png", 200),
                get("/style.css", 200)
            ],
            [
                get("/index.html", 304),
                get("/logo.png", 304),
                get("/style.css", 200)
            ],
        ],
        "the second load revalidates each file, 304 for what is unchanged: {log:?}"
    );
}
