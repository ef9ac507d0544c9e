//! For `tests/supervise.rs`: programs written into temp dirs, a unique marker per test, and
//! the outside view of what is left running — read from `/proc` independently of the
//! supervisor's own bookkeeping.

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use httplab::supervise::{Limits, ProgramSpec, Supervised};

/// Digits unique to this test process and call: put in a program's command line (`sleep
/// 29.MARKER`) or environment, then looked for in `/proc`.
pub fn marker() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}{:03}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temp dir holding one file, `name`, with `text`.
pub fn dir_with(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join(name), text).expect("write the program");
    dir
}

/// `sh -c COMMAND` in `dir`, the marker in its environment, small limits by default.
pub fn shell(command: &str, dir: &Path, marker: &str) -> ProgramSpec {
    ProgramSpec::shell(command, dir)
        .with_env("HTTPLAB_TEST_MARK", marker)
        .with_limits(small_limits())
}

/// Bounds that keep a misbehaving test cheap: 10 s of CPU, 256 MiB resident, 32 processes.
pub fn small_limits() -> Limits {
    Limits {
        cpu: Duration::from_secs(10),
        memory_bytes: 256 << 20,
        processes: 32,
        ..Limits::default()
    }
}

pub fn start(spec: &ProgramSpec) -> Supervised {
    Supervised::start(spec).unwrap_or_else(|e| panic!("start {:?}: {e}", spec.argv))
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address").port()
}

/// Polls `condition` every 5 ms for at most `bound`; whether it became true.
pub fn wait_until(bound: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (at most 10 s) until the program's stdout holds `lines` lines.
pub fn wait_for_lines(program: &Supervised, lines: usize) -> String {
    let mut text = String::new();
    let enough = wait_until(Duration::from_secs(10), || {
        text = program.output().stdout.text;
        text.lines().count() >= lines
    });
    assert!(enough, "expected {lines} lines on stdout, got {text:?}");
    text
}

/// The pids (other than ours) whose command line or environment contains `marker`.
/// Zombies have neither, so they do not count: only what still runs.
pub fn processes_marked(marker: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            ["cmdline", "environ"].iter().any(|file| {
                std::fs::read(format!("/proc/{pid}/{file}"))
                    .is_ok_and(|bytes| contains(&bytes, marker.as_bytes()))
            })
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts nothing marked `marker` runs any more.
pub fn assert_none_left(marker: &str) {
    let left = processes_marked(marker);
    assert!(left.is_empty(), "processes left running: {left:?}");
}

/// Whether `/proc/PID` still exists (alive, or a zombie nobody reaped).
pub fn exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Our resident memory, in bytes.
pub fn our_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
