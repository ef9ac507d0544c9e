//! Python: `urllib.request` and `http.client` read every fixture byte for byte.

use std::process::Command;
use std::time::Duration;

use crate::harness::{
    Server, assert_same_bytes, fixture, fixture_files, run_bounded, succeeded, text, tool, url_path,
};

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
