//! Every live supervised tree in this process, so that Ctrl-C kills them all.
//!
//! A student's program runs in its own session (`setsid()`), so the terminal's Ctrl-C does
//! not reach it: without this, quitting httplab would leave the student's server running
//! and holding its port.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::SuperviseError;
use super::tree::Tree;
use super::watchdog::KILL_BOUND;

static LIVE: Mutex<Vec<Arc<Tree>>> = Mutex::new(Vec::new());

/// The temporary folders alive in this process, removed after the kills on Ctrl-C.
static FOLDERS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set by the signal thread before it kills anything: from then on, the process is ending.
static INTERRUPTING: AtomicBool = AtomicBool::new(false);

/// Held (shared) from a tree's spawn to its registration, and (exclusive) by the signal
/// thread from before it kills to the exit. Without it, a worker thread could spawn a tree
/// after the kills and before the exit (grade starts students and restarts servers on
/// several threads): nothing would kill it, and bwrap's `--die-with-parent` does not help a
/// sandbox whose parent died before bwrap asked to be told.
static SPAWNING: RwLock<()> = RwLock::new(());

/// Runs `spawn_and_register` unless the process is ending after Ctrl-C; then the calling
/// thread stands still until the exit.
pub(super) fn spawn_unless_interrupted<T>(spawn_and_register: impl FnOnce() -> T) -> T {
    let gate = SPAWNING.read().unwrap_or_else(|e| e.into_inner());
    if INTERRUPTING.load(Ordering::SeqCst) {
        drop(gate);
        wait_if_interrupted();
    }
    spawn_and_register()
}

pub(super) fn register(tree: Arc<Tree>) {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).push(tree);
}

pub(super) fn unregister(id: u64) {
    LIVE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|tree| tree.id != id);
}

pub(super) fn register_folder(folder: &Path) {
    FOLDERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(folder.to_path_buf());
}

pub(super) fn unregister_folder(folder: &Path) {
    FOLDERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|f| f != folder);
}

/// Removes every registered temporary folder (once nothing runs in them).
fn remove_folders() {
    let folders = std::mem::take(&mut *FOLDERS.lock().unwrap_or_else(|e| e.into_inner()));
    for folder in folders {
        let _ = std::fs::remove_dir_all(folder);
    }
}

/// SIGKILLs every live tree (no grace: the user asked to quit). Returns how many trees.
pub fn kill_all() -> usize {
    let trees: Vec<Arc<Tree>> = LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for tree in &trees {
        tree.kill(KILL_BOUND);
    }
    trees.len()
}

/// SIGKILLs every process still marked as one of this process's trees (`HTTPLAB_TREE=<our
/// pid>.*`), wherever it is; returns how many. Called when a command that supervised ends:
/// whatever a tree's own stop missed, nothing of it outlives httplab.
pub fn kill_leftovers() -> usize {
    let prefix = format!("{}={}.", super::tree::MARKER_NAME, std::process::id()).into_bytes();
    super::tree::kill_everywhere(|pid| super::procfs::environ_has_prefix(pid, &prefix))
}

/// The exit status after an interrupt (128 + SIGINT, as a shell reports it).
pub const INTERRUPTED: i32 = 130;

/// Installs, once per process, a SIGINT and SIGTERM handler that kills every live tree and
/// exits with status 130. Later calls return the first call's outcome.
///
/// The handler is signal-hook's: the signal only wakes a thread, which does the killing
/// outside the signal context. It replaces the default action of both signals for the
/// whole process, so call it from a command that supervises (`check --run`, `grade`), not
/// from a library path that merely might.
pub fn kill_all_on_interrupt() -> Result<(), SuperviseError> {
    static INSTALLED: OnceLock<Result<(), std::io::ErrorKind>> = OnceLock::new();
    let installed = INSTALLED.get_or_init(|| install().map_err(|e| e.kind()));
    installed.map_err(SuperviseError::SignalHandler)
}

fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("httplab-supervise-signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                INTERRUPTING.store(true, Ordering::SeqCst);
                // Waits for spawns in flight to register; no spawn starts after this.
                let _no_more_spawns = SPAWNING.write().unwrap_or_else(|e| e.into_inner());
                kill_all();
                kill_leftovers();
                remove_folders();
                std::process::exit(INTERRUPTED);
            }
        })?;
    Ok(())
}

/// Called before a command reports: after Ctrl-C, the student's program dies because we
/// killed it, and the main thread must not report that death ("nothing listens", "your
/// server crashed") nor exit with its own status — the signal thread exits with 130. So
/// this blocks forever once an interrupt is being handled, and returns at once otherwise.
pub fn wait_if_interrupted() {
    if INTERRUPTING.load(Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
}
