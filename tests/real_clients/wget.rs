//! wget: a mirror of the site, byte for byte, on one connection.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common;
use crate::harness::{
    Server, assert_same_bytes, fixture, fixture_files, run_bounded, succeeded, text, tool,
};

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
    let arrived = common::files_under(out.path());
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
