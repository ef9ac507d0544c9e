//! Packet-level transcripts, judged by Debian's tshark (installed by `just test`): a probe's
//! capture of the real server over IPv4 and IPv6 decodes as HTTP (the GET, the 200 and its
//! Content-Length), its TCP stream gives back exactly the transcript's bytes both ways, the
//! handshake and the close are there; against `--flaw byte-per-send` there is one data
//! segment per byte and the analysis says so from the segments; a reconstructed capture
//! decodes too and says it is reconstructed; `serve --record` writes one capture per
//! connection; and tshark's view of a capture built from a fixed transcript is a snapshot.
//!
//! Capturing needs root (or CAP_NET_RAW), as `just test` and CI run; elsewhere the tests
//! that need a real capture say so and return.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use httplab::server::flaw::{Flaw, Flaws};
use httplab::wire::Capturing;
use httplab::wire::packets::pcapng::pcapng;
use httplab::wire::packets::reconstruct::{Assumed, reconstruct};
use httplab::wire::packets::{Direction, Packets, TcpFlags};
use httplab::wire::probe::{ProbeConfig, ProbeReport, probe};
use httplab::wire::transcript::{Event, EventKind, Transcript};

/// Whether this process may capture (root); else the test says why it does nothing.
fn may_capture(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("{test}: not root, so nothing is captured; run the tests as root (just test)");
    }
    root
}

/// tshark's standard output for `args`; panics with its error when it fails.
fn tshark(args: &[&str]) -> String {
    let output = Command::new("tshark")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run tshark ({e}): install it with `just deps`"));
    assert!(
        output.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn save(dir: &Path, name: &str, packets: &Packets) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pcapng(&[packets], "httplab test").unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn probe_of(addr: SocketAddr, path: &str, capturing: Capturing) -> ProbeReport {
    let mut config = ProbeConfig::new(addr.ip().to_string(), addr.port(), path);
    config.capturing = capturing;
    probe(&config).expect("the probe connects")
}

/// Each direction's bytes as tshark's "follow TCP stream" gives them back.
fn followed(file: &str) -> (Vec<u8>, Vec<u8>) {
    let text = tshark(&["-r", file, "-q", "-z", "follow,tcp,raw,0"]);
    let (mut client, mut server) = (Vec::new(), Vec::new());
    let body = text
        .split("===")
        .find(|part| part.contains("Node 1"))
        .unwrap_or("");
    for line in body
        .lines()
        .skip_while(|l| !l.starts_with("Node 1"))
        .skip(1)
    {
        let (into, hex) = match line.strip_prefix('\t') {
            Some(hex) => (&mut server, hex),
            None => (&mut client, line),
        };
        into.extend(hex::decode(hex.trim()).unwrap_or_default());
    }
    (client, server)
}

/// The GET and the 200 decoded, the stream's bytes exact both ways, the handshake and close.
fn assert_decoded_exactly(report: &ProbeReport, file: &str) {
    let fields = tshark(&[
        "-r",
        file,
        "-Y",
        "http",
        "-T",
        "fields",
        "-e",
        "http.request.method",
        "-e",
        "http.request.uri",
        "-e",
        "http.response.code",
        "-e",
        "http.content_length_header",
    ]);
    let lines: Vec<&str> = fields.lines().collect();
    assert_eq!(
        lines,
        ["GET\t/helloWorld.html\t\t", "\t\t200\t47"],
        "{fields}"
    );
    let (client, server) = followed(file);
    assert_eq!(client, report.transcript.client_bytes());
    assert_eq!(server, report.transcript.server_bytes());
    let count = |filter: &str| tshark(&["-r", file, "-Y", filter]).lines().count();
    assert_eq!(count("tcp.flags.syn == 1 && tcp.flags.ack == 0"), 1);
    assert_eq!(count("tcp.flags.syn == 1 && tcp.flags.ack == 1"), 1);
    assert_eq!(count("tcp.flags.fin == 1"), 2, "a FIN each way");
}

#[test]
fn a_captured_get_decodes_in_tshark_over_ipv4_and_ipv6() {
    if !may_capture("a_captured_get_decodes_in_tshark_over_ipv4_and_ipv6") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for bind in ["127.0.0.1:0", "[::1]:0"] {
        let server =
            common::start_server(&common::fixtures_dir(), |c| c.bind = bind.parse().unwrap());
        let report = probe_of(server.addr, "/helloWorld.html", Capturing::WhenAllowed);
        let packets = report.transcript.packets.as_deref().expect("packets");
        assert!(packets.is_captured(), "{}", packets.provenance());
        let kinds: Vec<String> = packets.segments[..3]
            .iter()
            .map(|s| s.flags.names())
            .collect();
        assert_eq!(kinds, ["SYN", "SYN, ACK", "ACK"]);
        let file = save(dir.path(), "get.pcapng", packets);
        assert_decoded_exactly(&report, &file);
    }
}

#[test]
fn byte_per_send_is_one_data_segment_per_byte_and_the_analysis_says_so() {
    if !may_capture("byte_per_send_is_one_data_segment_per_byte_and_the_analysis_says_so") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for bind in ["127.0.0.1:0", "[::1]:0"] {
        let server = common::start_server(&common::fixtures_dir(), |c| {
            c.bind = bind.parse().unwrap();
            c.flaws = Flaws::new([Flaw::BytePerSend]);
        });
        let report = probe_of(server.addr, "/helloWorld.html", Capturing::WhenAllowed);
        let packets = report.transcript.packets.as_deref().expect("packets");
        let response = report.exchanges[0].response.len();
        assert_eq!(packets.data_sizes(Direction::ToClient), vec![1; response]);
        let finding = report.exchanges[0]
            .analysis
            .findings
            .iter()
            .find(|f| f.id == "byte-per-send")
            .expect("the analysis names one send() per byte");
        let said = format!("{response} data segments of 1 byte, as captured");
        assert!(finding.message.contains(&said), "{}", finding.message);
        let file = save(dir.path(), "bytes.pcapng", packets);
        let filter = format!("tcp.srcport == {} && tcp.len == 1", server.addr.port());
        assert_eq!(
            tshark(&["-r", &file, "-Y", &filter]).lines().count(),
            response
        );
    }
}

#[test]
fn a_reconstructed_capture_decodes_and_says_it_is_reconstructed() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::start_server(&common::fixtures_dir(), |_| {});
    let report = probe_of(server.addr, "/helloWorld.html", Capturing::Off);
    let packets = report.transcript.packets.as_deref().expect("packets");
    assert!(!packets.is_captured());
    let file = save(dir.path(), "reconstructed.pcapng", packets);
    assert_decoded_exactly(&report, &file);
    let comments = tshark(&["-r", &file, "-T", "fields", "-e", "frame.comment"]);
    assert!(
        comments.contains("RECONSTRUCTED from the socket calls, not captured: capture turned off"),
        "{comments}"
    );
    let info = Command::new("capinfos").arg(&file).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("RECONSTRUCTED"), "{info}");
}

#[test]
fn serve_record_writes_one_capture_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record");
    let record_arg = record.to_string_lossy().into_owned();
    let mut serving = common::binary::spawn_serve(
        &common::fixtures_dir(),
        &["--quiet", "--record", &record_arg],
        std::process::Stdio::null(),
    )
    .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", serving.port).parse().unwrap();
    let report = probe_of(addr, "/helloWorld.html", Capturing::Off);
    let wanted = |ext: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let found = std::fs::read_dir(&record)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == ext));
            if found.is_some() || std::time::Instant::now() > deadline {
                return found.expect("a recorded connection");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let capture = wanted("pcapng");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let text = std::fs::read_to_string(wanted("txt")).unwrap();
    // SAFETY: kill sends a signal to our own child.
    unsafe { libc::kill(serving.child.id() as i32, libc::SIGTERM) };
    let _ = serving.child.wait();
    assert!(text.contains("accept 127.0.0.1:"), "{text}");
    let written = format!(
        "write {} bytes → the client",
        report.transcript.server_bytes().len()
    );
    assert!(text.contains(&written), "{text}");
    let file = capture.to_string_lossy().into_owned();
    let http = tshark(&["-r", &file, "-Y", "http"]);
    assert!(
        http.contains("GET /helloWorld.html HTTP/1.1") && http.contains("200 OK"),
        "{http}"
    );
    let (client, server) = followed(&file);
    assert_eq!(client, report.transcript.client_bytes());
    assert_eq!(server, report.transcript.server_bytes());
}

/// A fixed conversation: a GET of /helloWorld.html and its 200, then both FINs.
fn fixed_transcript() -> Transcript {
    let mut t = Transcript::new("127.0.0.1:6789");
    let events = [
        (180, EventKind::Connect {
            local: "127.0.0.1:50000".into(),
            remote: "127.0.0.1:6789".into(),
        }),
        (250, EventKind::Write {
            bytes: b"GET /helloWorld.html HTTP/1.1\r\nHost: 127.0.0.1:6789\r\nConnection: close\r\n\r\n"
                .to_vec(),
        }),
        (900, EventKind::Read {
            bytes: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 47\r\nConnection: close\r\n\r\n<head>Hello world!</head>\n<body>abcdefg</body>\n"
                .to_vec(),
        }),
        (1100, EventKind::PeerClosed),
        (1200, EventKind::Close),
    ];
    t.events = events
        .into_iter()
        .map(|(at_us, kind)| Event { at_us, kind })
        .collect();
    t
}

#[test]
fn tshark_view_of_a_fixed_capture() {
    let packets = reconstruct(
        &fixed_transcript(),
        &Assumed {
            mss: 65483,
            started_unix_us: 1_795_618_800_000_000,
            why: "capture turned off".into(),
        },
    );
    assert!(packets.segments.iter().any(|s| s.has(TcpFlags::FIN)));
    let dir = tempfile::tempdir().unwrap();
    let file = save(dir.path(), "fixed.pcapng", &packets);
    snapshot!("packets__tshark_fixed_capture", tshark(&["-r", &file]));
}
