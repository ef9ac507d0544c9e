//! Ctrl-C: the registry kills every live tree and the process exits 130. The test runs this
//! test binary again as a helper (selected by an environment variable) and interrupts it.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use super::helpers::*;

/// The environment variable that turns this test binary into the Ctrl-C helper.
const HELPER: &str = "HTTPLAB_SUPERVISE_INTERRUPT_HELPER";

/// Not a test on its own: when `HELPER` is set, supervises a tree (one child in the group,
/// one that left it), installs the Ctrl-C handler, says "ready", and waits to be
/// interrupted.
#[test]
fn interrupt_helper() {
    let Ok(mark) = std::env::var(HELPER) else {
        return;
    };
    httplab::supervise::kill_all_on_interrupt().expect("handler installed");
    let dir = tempfile::tempdir().expect("temp dir");
    let command = format!("sleep 29.{mark} & setsid sleep 28.{mark} & sleep 27.{mark}");
    let _program = start(&shell(&command, dir.path(), &mark));
    let running = || processes_marked(&mark).len() >= 3;
    assert!(wait_until(Duration::from_secs(5), running));
    println!("ready");
    std::thread::sleep(Duration::from_secs(10));
}

/// The environment variable that turns this test binary into the helper that spawns trees
/// without pause when interrupted.
const SPAWNING_HELPER: &str = "HTTPLAB_SUPERVISE_SPAWNING_HELPER";

/// Not a test on its own: when `SPAWNING_HELPER` is set, four threads start and stop trees
/// without pause (at most 10 s), so that Ctrl-C arrives while spawns are in flight.
#[test]
fn spawning_helper() {
    let Ok(mark) = std::env::var(SPAWNING_HELPER) else {
        return;
    };
    httplab::supervise::kill_all_on_interrupt().expect("handler installed");
    let dir = tempfile::tempdir().expect("temp dir");
    let until = std::time::Instant::now() + Duration::from_secs(10);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while std::time::Instant::now() < until {
                    let spec = shell(&format!("exec sleep 29.{mark}"), dir.path(), &mark);
                    let _program = start(&spec);
                }
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        println!("ready");
    });
}

/// Runs this test binary as `helper` (its marker in `variable`), interrupts it once it says
/// "ready", and returns how many marked processes it ran then and its exit status.
fn interrupt_helper_run(
    helper: &str,
    variable: &str,
    mark: &str,
) -> (usize, Option<std::process::ExitStatus>) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("the test binary");
    let mut helper = Command::new(exe)
        .args(["--exact", helper, "--nocapture", "--test-threads=1"])
        .env(variable, mark)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the helper");
    let stdout = helper.stdout.take().expect("stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if line.is_ok_and(|l| l.contains("ready")) {
                let _ = ready_tx.send(());
            }
        }
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(10)).is_ok();
    let running = processes_marked(mark).len();
    // SAFETY: a signal to the helper we spawned, by its pid.
    unsafe { libc::kill(helper.id() as i32, libc::SIGINT) };
    let mut status = None;
    wait_until(Duration::from_secs(5), || {
        status = helper.try_wait().ok().flatten();
        status.is_some()
    });
    if status.is_none() {
        let _ = helper.kill();
        let _ = helper.wait();
    }
    assert!(ready, "the helper never got ready");
    (running, status)
}

#[test]
fn ctrl_c_kills_every_live_tree_and_exits_130() {
    let mark = marker();
    let (running, status) = interrupt_helper_run("interrupt::interrupt_helper", HELPER, &mark);
    // The helper itself (the marker is in its environment) and at least three sleeps.
    assert!(
        running >= 4,
        "the helper's tree ran {running} marked processes"
    );
    assert_eq!(status.and_then(|s| s.code()), Some(130), "{status:?}");
    assert!(status.is_some_and(|s| s.signal().is_none()));
    assert_none_left(&mark);
}

/// A tree spawned while the interrupt is being handled is not missed: the spawn waits for
/// the kills, or the kills wait for the spawn (before, 5 runs in 80 of `grade` interrupted
/// while starting students left a sandboxed server running).
#[test]
fn ctrl_c_while_trees_are_being_spawned_leaves_none() {
    for round in 0..3 {
        let mark = marker();
        let (_, status) =
            interrupt_helper_run("interrupt::spawning_helper", SPAWNING_HELPER, &mark);
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(130),
            "round {round}: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
        assert_none_left(&mark);
    }
}
