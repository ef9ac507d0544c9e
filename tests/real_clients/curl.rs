//! curl: every fixture by GET and HEAD, one connection across many URLs, traversal with
//! `--path-as-is`, HTTP/1.0.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::harness::{
    Server, assert_same_bytes, fixture, fixture_files, run_bounded, succeeded, text, tool, url_path,
};

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

/// The textbook's conditional GET and a partial GET, as curl does them: `--etag-save` then
/// `--etag-compare` gets 304 with no body; `-r 10-20` gets 206 and exactly those bytes; a
/// range past the end gets 416. The access log shows each.
#[test]
fn curl_revalidates_with_the_etag_it_got_and_asks_for_ranges() {
    let Some(curl_path) = tool("curl", "curl") else {
        return;
    };
    let server = Server::start(&[]);
    let url = server.url("/helloWorld.html");
    let dir = tempfile::tempdir().unwrap();
    let etag_file = dir.path().join("etag");
    let etag_file = etag_file.to_str().unwrap();
    let body_file = dir.path().join("body");
    let body_file = body_file.to_str().unwrap();
    let hello = fixture("helloWorld.html");
    let write_out = ["--write-out", "%{http_code} %{size_download}"];

    let first = curl(
        &curl_path,
        &[
            &["--etag-save", etag_file, "--output", body_file, &url][..],
            &write_out,
        ]
        .concat(),
    );
    succeeded("curl --etag-save", &first);
    assert_eq!(text(&first.stdout), format!("200 {}", hello.len()));
    let etag = std::fs::read_to_string(etag_file).unwrap();
    assert!(
        etag.trim().starts_with("\"2f-"),
        "the ETag curl kept: {etag:?}"
    );

    let again = curl(
        &curl_path,
        &[
            &["--etag-compare", etag_file, "--output", body_file, &url][..],
            &write_out,
        ]
        .concat(),
    );
    succeeded("curl --etag-compare", &again);
    assert_eq!(text(&again.stdout), "304 0", "a repeated GET with its ETag");

    let partial = curl(
        &curl_path,
        &[
            &["-r", "10-20", "--output", body_file, &url][..],
            &write_out,
        ]
        .concat(),
    );
    succeeded("curl -r 10-20", &partial);
    assert_eq!(text(&partial.stdout), "206 11");
    assert_same_bytes(
        &std::fs::read(body_file).unwrap(),
        &hello[10..=20],
        "bytes 10-20",
    );

    let past = curl(
        &curl_path,
        &[&["-r", "47-", "--output", body_file, &url][..], &write_out].concat(),
    );
    succeeded("curl -r 47-", &past);
    assert!(
        text(&past.stdout).starts_with("416 "),
        "{}",
        text(&past.stdout)
    );

    let log = server.stop_and_read_log();
    let statuses: Vec<u16> = log.iter().map(|(_, status)| *status).collect();
    assert_eq!(statuses, [200, 304, 206, 416], "{log:?}");
}
