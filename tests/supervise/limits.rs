//! The limits: file size, address space, resident memory, CPU (per process and per tree),
//! wall time; `run_once`; and what cannot start.

use std::time::Duration;

use super::helpers::*;
use httplab::supervise::{
    Ending, LimitHit, Limits, ProgramSpec, SuperviseError, Supervised, run_once,
};

#[test]
fn a_file_cannot_grow_past_the_file_size_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        file_size_bytes: 1 << 20,
        ..small_limits()
    };
    // Python ignores SIGXFSZ: its write fails with EFBIG, an OSError.
    let python = "open('big', 'wb').write(b'x' * (2 << 20))";
    let spec = ProgramSpec::new(["python3", "-c", python], dir.path()).with_limits(limits.clone());
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.status.and_then(|s| s.code()), Some(1));
    assert!(
        report.output.stderr.text.contains("File too large"),
        "{report:?}"
    );
    assert!(std::fs::metadata(dir.path().join("big")).map_or(0, |m| m.len()) <= 1 << 20);
    // Most programs are killed by SIGXFSZ.
    let spec =
        ProgramSpec::shell("exec head -c 2000000 /dev/zero > big2", dir.path()).with_limits(limits);
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.signal(), Some(libc::SIGXFSZ), "{report:?}");
    assert_eq!(
        std::fs::metadata(dir.path().join("big2")).map_or(0, |m| m.len()),
        1 << 20
    );
}

#[test]
fn an_allocation_past_the_address_space_limit_is_a_memory_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        address_space_bytes: Some(256 << 20),
        ..small_limits()
    };
    let spec = ProgramSpec::new(["python3", "-c", "b = b'x' * (512 << 20)"], dir.path())
        .with_limits(limits);
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.status.and_then(|s| s.code()), Some(1));
    assert!(
        report.output.stderr.text.contains("MemoryError"),
        "{report:?}"
    );
    assert_eq!(report.limit, None);
}

#[test]
fn the_tree_resident_memory_bound_kills() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        memory_bytes: 64 << 20,
        address_space_bytes: None,
        ..small_limits()
    };
    // Touches 8 MiB every 10 ms, up to 1 GiB: the watchdog must stop it first.
    let python = "import time\nkeep = []\nfor i in range(128):\n    keep.append(b'x' * (8 << 20))\n    time.sleep(0.01)\n";
    let spec = ProgramSpec::new(["python3", "-c", python], dir.path()).with_limits(limits);
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.limit, Some(LimitHit::Memory), "{report:?}");
    assert_eq!(report.signal(), Some(libc::SIGKILL));
}

#[test]
fn a_busy_loop_is_stopped_at_the_cpu_bound() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        cpu: Duration::from_secs(1),
        ..small_limits()
    };
    let spec =
        ProgramSpec::new(["python3", "-c", "while True: pass"], dir.path()).with_limits(limits);
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    eprintln!(
        "busy loop: stopped after {:?} ({:?})",
        report.run_time, report.status
    );
    assert!(!report.timed_out());
    assert!(
        matches!(report.signal(), Some(libc::SIGXCPU | libc::SIGKILL)),
        "{report:?}"
    );
    assert!(report.run_time >= Duration::from_millis(900), "{report:?}");
}

#[test]
fn busy_workers_share_one_cpu_budget() {
    let mark = marker();
    let dir = dir_with("busy.py", "while True: pass\n");
    // `python3` may be a pyenv shim, a chain of bash processes at each start: six starting
    // at once once counted 35 processes (CI's machine), past the helpers' 32.
    let limits = Limits {
        cpu: Duration::from_secs(1),
        processes: 256,
        ..small_limits()
    };
    // Six workers each stay under the per-process second; together they pass the tree's 2 s.
    let workers = "for i in 1 2 3 4 5 6; do python3 busy.py & done; wait";
    let spec = shell(workers, dir.path(), &mark).with_limits(limits);
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    eprintln!("six busy workers: stopped after {:?}", report.run_time);
    assert_eq!(report.limit, Some(LimitHit::Cpu), "{report:?}");
    assert_none_left(&mark);
}

#[test]
fn default_limits_let_a_threaded_python_server_start_a_hundred_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let python = "import threading, time\nts = [threading.Thread(target=time.sleep, args=(0.5,)) for i in range(100)]\n\
                  [t.start() for t in ts]\n[t.join() for t in ts]\nprint('ok')\n";
    let spec = ProgramSpec::new(["python3", "-c", python], dir.path());
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.output.stdout.text, "ok\n", "{report:?}");
}

#[test]
fn run_once_reports_a_client_and_bounds_a_slow_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = ProgramSpec::shell("echo hello; echo oops >&2", dir.path());
    let report = run_once(&spec, Duration::from_secs(10)).expect("runs");
    assert_eq!(report.output.stdout.text, "hello\n");
    assert_eq!(report.output.stderr.text, "oops\n");
    assert!(report.status.is_some_and(|s| s.success()));
    assert_eq!(report.ending, Ending::Exited);
    assert!(!report.timed_out());

    let mark = marker();
    let spec = shell(&format!("sleep 29.{mark}"), dir.path(), &mark);
    let report = run_once(&spec, Duration::from_millis(300)).expect("runs");
    assert!(report.timed_out());
    assert!(report.run_time < Duration::from_millis(800), "{report:?}");
    assert_none_left(&mark);
}

#[test]
fn the_wall_limit_stops_a_server() {
    let mark = marker();
    let dir = tempfile::tempdir().expect("temp dir");
    let limits = Limits {
        wall: Some(Duration::from_millis(200)),
        ..small_limits()
    };
    let spec = shell(&format!("sleep 29.{mark}"), dir.path(), &mark).with_limits(limits);
    let mut program = start(&spec);
    assert!(wait_until(Duration::from_secs(2), || program
        .exit_status()
        .is_some()));
    assert!(program.elapsed() >= Duration::from_millis(200));
    assert_eq!(program.limit_hit(), Some(LimitHit::Wall));
    assert!(program.stop().timed_out());
    assert_none_left(&mark);
}

#[test]
fn what_cannot_start_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = ProgramSpec::new(["./no-such-program"], dir.path());
    match Supervised::start(&spec) {
        Err(SuperviseError::Spawn { source, .. }) => {
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
        }
        other => panic!("expected Spawn, got {:?}", other.err()),
    }
    let spec = ProgramSpec::shell("true", &dir.path().join("missing"));
    assert!(matches!(
        Supervised::start(&spec),
        Err(SuperviseError::Folder { .. })
    ));
    let spec = ProgramSpec::new(Vec::<String>::new(), dir.path());
    assert!(matches!(
        Supervised::start(&spec),
        Err(SuperviseError::EmptyCommand)
    ));
}
