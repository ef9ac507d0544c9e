//! Which processes to read at each scan. Reading every `/proc/PID/stat` costs ~1 ms with 80
//! processes (more on a desktop with hundreds): every 25 ms, 4.5% of a core. A process that
//! is not in the tree when first seen never joins it later — except an orphan reparented to
//! us, which we keep reading — so it is a *stranger*, skipped until the next refresh. Each
//! scan then lists `/proc` and reads only the tree, new pids and our own children.
//!
//! The refresh (every second) forgets the strangers, so a stranger's pid reused by a new
//! process of the tree is read again within a second at worst (reuse needs the kernel to
//! cycle through every other free pid first).

use std::collections::{HashMap, HashSet};
use std::io;
use std::time::{Duration, Instant};

use super::procfs::{self, ProcEntry};

/// How often the strangers are forgotten and every process is read again.
const REFRESH: Duration = Duration::from_secs(1);

/// What the scans of one tree remember.
pub struct Census {
    /// The tree's processes at the last scan: pid to start time.
    members: HashMap<i32, u64>,
    strangers: HashSet<i32>,
    refresh_at: Instant,
}

impl Census {
    pub fn new() -> Census {
        Census {
            members: HashMap::new(),
            strangers: HashSet::new(),
            refresh_at: Instant::now() + REFRESH,
        }
    }

    /// The tree's processes at the last scan.
    pub fn members(&self) -> &HashMap<i32, u64> {
        &self.members
    }

    /// Every process now, but the strangers.
    pub fn snapshot(&mut self) -> io::Result<Vec<ProcEntry>> {
        let pids = procfs::list_pids()?;
        if Instant::now() >= self.refresh_at {
            self.strangers.clear();
            self.refresh_at = Instant::now() + REFRESH;
        }
        Ok(pids
            .into_iter()
            .filter(|pid| !self.strangers.contains(pid))
            .filter_map(procfs::read_entry)
            .collect())
    }

    /// Remembers the members found in `snapshot`, and the strangers in it.
    pub fn update(&mut self, snapshot: &[ProcEntry], members: &[ProcEntry], supervisor: i32) {
        self.members.clear();
        self.members
            .extend(members.iter().map(|e| (e.pid, e.start_ticks)));
        self.strangers
            .extend(strangers(snapshot, members, supervisor));
    }
}

/// The processes of `snapshot` that are not members and cannot become members: their
/// parent is in the snapshot and not a member (so they were not orphaned between reading
/// their parent and reading them) and is not us (an orphan of ours may be the tree's).
pub fn strangers(snapshot: &[ProcEntry], members: &[ProcEntry], supervisor: i32) -> Vec<i32> {
    let member_pids: HashSet<i32> = members.iter().map(|e| e.pid).collect();
    let present: HashSet<i32> = snapshot.iter().map(|e| e.pid).collect();
    snapshot
        .iter()
        .filter(|e| !member_pids.contains(&e.pid))
        .filter(|e| e.ppid != supervisor)
        .filter(|e| e.ppid == 0 || (present.contains(&e.ppid) && !member_pids.contains(&e.ppid)))
        .map(|e| e.pid)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pid: i32, ppid: i32) -> ProcEntry {
        ProcEntry {
            pid,
            ppid,
            pgrp: pid,
            state: b'S',
            start_ticks: 0,
            cpu_ticks: 0,
            rss_pages: 0,
        }
    }

    #[test]
    fn strangers_are_those_whose_lineage_is_known_and_not_ours() {
        let snapshot = [
            entry(1, 0),
            entry(2, 0),
            entry(50, 1),    // unrelated: a stranger
            entry(100, 1),   // us: a stranger to the tree
            entry(101, 100), // another child of ours: might be an orphan of the tree
            entry(200, 100), // the leader (a member)
            entry(201, 200), // a member
            entry(300, 999), // parent not in the snapshot: it may have just died
        ];
        let members = [entry(200, 100), entry(201, 200)];
        let mut found = strangers(&snapshot, &members, 100);
        found.sort();
        assert_eq!(found, vec![1, 2, 50, 100]);
    }
}
