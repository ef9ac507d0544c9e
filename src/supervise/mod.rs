//! Run a student's program, watch it, and kill its whole process tree.
//!
//! Used by `check --run` (start the student's server, wait until it listens, restart it when
//! it dies, attach its traceback to the check during which it died), `check-client` (run a
//! client once per scenario, [`run_once`]) and `grade` (which adds namespaces on top).
//!
//! # How a tree is held
//! - **Its own session.** The program calls `setsid()` before exec: the group id is the
//!   leader's pid, one `killpg` reaches every process that did not leave the group, and the
//!   terminal's Ctrl-C does not reach it (we kill it ourselves: [`kill_all_on_interrupt`]).
//! - **We are a child subreaper** (`prctl(PR_SET_CHILD_SUBREAPER)`): a process that called
//!   `setsid()` and whose parent died is reparented to us instead of to init, so it stays
//!   findable (by the `HTTPLAB_TREE` marker in its environment) and we reap it. This is
//!   process-wide and permanent: orphans of *other* programs httplab starts come to us too,
//!   and stay zombies until httplab exits.
//! - **A watchdog** scans `/proc` every 25 to 100 ms: it remembers the tree's members (so a
//!   process keeps belonging after its parent dies), reaps orphans, and enforces the limits
//!   that only make sense for the whole tree (see [`Limits`]).
//! - **Stopping** is SIGTERM to the tree, 200 ms of grace, then SIGKILL to the group and
//!   to every member found, repeated until none is left (at most 2 s), then reaping.
//!
//! # Why not cgroups
//! A cgroup would make "the tree" exact and the limits kernel-enforced, but it needs a
//! writable, delegated cgroup v2 hierarchy: on a student's laptop that means root or a
//! systemd user delegation, and on this machine (a hybrid layout whose controllers are all in
//! v1 hierarchies; the v2 one has none) it is absent. Process groups, a subreaper, rlimits
//! and a watchdog work everywhere Linux does, without privileges. `grade`, which runs
//! classes of untrusted programs, adds a pid namespace on top: that closes the one escape
//! left (a process that clears its environment and is orphaned between two scans).
//!
//! # Without root
//! Nothing here needs root: `setsid`, lowering rlimits, the subreaper and reading our own
//! processes in `/proc` are all unprivileged. What changes: a limit already lower in the
//! calling shell (`ulimit`) stays lower; [`NotListening::OtherProcess`] may not name a
//! holder owned by another user; and on a `/proc` mounted with `hidepid`, only our own
//! processes are visible, which is all we need.
//!
//! Linux only: everything is read from `/proc`.

mod capture;
mod census;
mod confine;
mod error;
mod listen;
mod procfs;
mod registry;
mod run_once;
mod spec;
mod supervised;
mod tree;
mod watchdog;
mod workdir;

use std::fmt;

pub use capture::{Captured, CapturedStream, OutputMark};
pub use confine::{Confinement, Unconfinable, enter_private_network};
pub use error::SuperviseError;
pub use listen::NotListening;
pub use registry::{
    INTERRUPTED, kill_all, kill_all_on_interrupt, kill_leftovers, wait_if_interrupted,
};
pub use run_once::run_once;
pub use spec::{Limits, ProgramSpec};
pub use supervised::{Ending, ExitReport, Supervised};
pub use workdir::{TempFolder, working_copy};

/// A tree-wide limit the watchdog enforced by killing the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    /// More live processes than [`Limits::processes`] (a fork bomb, or a fork per request
    /// that never reaps).
    Processes,
    /// More resident memory than [`Limits::memory_bytes`], all processes together.
    Memory,
    /// More CPU time than [`Limits::cpu`] (plus a second), all processes together.
    Cpu,
    /// Ran longer than [`Limits::wall`].
    Wall,
    /// Wrote more into its working folder than [`Limits::folder_bytes`].
    Folder,
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitHit::Processes => "it started more processes than allowed (a fork bomb?)",
            LimitHit::Memory => "it used more memory than allowed",
            LimitHit::Cpu => "it used more CPU time than allowed (an endless loop?)",
            LimitHit::Wall => "it ran longer than allowed",
            LimitHit::Folder => "it wrote more into its folder than allowed",
        })
    }
}
