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

#[test]
fn ctrl_c_kills_every_live_tree_and_exits_130() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mark = marker();
    let exe = std::env::current_exe().expect("the test binary");
    let mut helper = Command::new(exe)
        .args([
            "--exact",
            "interrupt::interrupt_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER, &mark)
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
    let running = processes_marked(&mark).len();
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
    // The helper itself (the marker is in its environment) and at least three sleeps.
    assert!(
        running >= 4,
        "the helper's tree ran {running} marked processes"
    );
    assert_eq!(status.and_then(|s| s.code()), Some(130), "{status:?}");
    assert!(status.is_some_and(|s| s.signal().is_none()));
    assert_none_left(&mark);
}
