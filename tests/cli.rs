//! The `httplab` binary as a user runs it: the banner, curl against it, clear errors, and a
//! clean exit on SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HELLO: &[u8] = b"<head>Hello world!</head>\n<body>abcdefg</body>\n";

/// `httplab serve ARGS --port 0`, returning the child and the URL from its banner.
fn serve(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .arg("serve")
        .args(args)
        .args(["--port", "0"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in banner {banner:?}"))
        .trim_end_matches('/')
        .to_string();
    assert!(
        banner.starts_with("Serving fixtures at http://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.ends_with("/ (Ctrl-C to stop)\n"), "{banner}");
    (child, url)
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed (just test installs it)")
}

#[test]
fn curl_gets_the_page_byte_for_byte_and_the_rest_as_expected() {
    let (mut child, url) = serve(&["fixtures"]);

    let page = curl(&["--include", &format!("{url}/helloWorld.html")]);
    let text = String::from_utf8_lossy(&page.stdout).to_string();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        page.stdout
            .ends_with(&[b"\r\n\r\n".as_slice(), HELLO].concat())
    );

    let missing = curl(&[
        "--write-out",
        "%{http_code}",
        "--output",
        "/dev/null",
        &format!("{url}/missing.html"),
    ]);
    assert_eq!(missing.stdout, b"404");

    let traversal = curl(&["--path-as-is", &format!("{url}/../Cargo.toml")]);
    assert!(!String::from_utf8_lossy(&traversal.stdout).contains("[package]"));
    let traversal = curl(&["--path-as-is", &format!("{url}/%2e%2e/Cargo.toml")]);
    assert!(!String::from_utf8_lossy(&traversal.stdout).contains("[package]"));

    let head = curl(&["--head", &format!("{url}/logo.png")]);
    let head = String::from_utf8_lossy(&head.stdout).to_string();
    assert!(
        head.contains("Content-Length: 2606\r\n") && head.contains("Content-Type: image/png\r\n"),
        "{head}"
    );

    let http10 = curl(&["-0", "--include", &format!("{url}/helloWorld.html")]);
    assert!(String::from_utf8_lossy(&http10.stdout).contains("Connection: close\r\n"));

    // Two URLs, one connection: curl says it re-used it, and both answers are right.
    let two = curl(&[
        "--verbose",
        &format!("{url}/helloWorld.html"),
        &format!("{url}/helloWorld.html"),
    ]);
    let log = String::from_utf8_lossy(&two.stderr);
    assert!(log.contains("Re-using existing connection"), "{log}");
    assert_eq!(two.stdout, [HELLO, HELLO].concat());

    assert!(terminate(&mut child).success(), "SIGTERM exits 0");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("\"GET /helloWorld.html HTTP/1.1\" 200 47\n"),
        "access log in Common Log Format: {stderr}"
    );
}

#[test]
fn a_busy_port_is_one_clear_line_and_a_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(["serve", "fixtures", "--port", &port])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_missing_folder_is_one_clear_line_and_a_failure() {
    let output = Command::new(env!("CARGO_BIN_EXE_httplab"))
        .args(["serve", "no-such-folder", "--port", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "httplab: cannot serve 'no-such-folder': no such folder"
    );
}
