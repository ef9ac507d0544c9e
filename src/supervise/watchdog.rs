//! The watchdog: a thread per tree that scans it, remembers its members (so orphans stay
//! findable), reaps the orphans that die, and SIGKILLs the tree when it goes past a
//! tree-wide limit (processes, resident memory, total CPU, wall time). The decisions are
//! pure: [`judge`] and [`next_tick`].
//!
//! It scans every [`TICK`] while the tree is busy (processes come or go, memory grows, CPU
//! burns) and backs off to [`IDLE_TICK`] while it idles, as a server waiting for the next
//! check does. Measured on a 2-core VM with 80 processes: a scan (list `/proc`, read the
//! tree's own entries, see `census.rs`) takes ~50 µs when `/proc` is warm and
//! 1–2 ms after an idle pause, so an idle server costs the watchdog ~1.5–2% of a core,
//! whichever the tick.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::procfs::{self, ProcEntry};
use super::tree::Tree;
use super::{LimitHit, Limits};

/// How often a busy tree is scanned. A fork bomb can add a few dozen processes between two
/// scans; the kill that follows is group-wide and catches them all.
pub const TICK: Duration = Duration::from_millis(25);

/// How often an idle tree is scanned.
pub const IDLE_TICK: Duration = Duration::from_millis(100);

/// Resident memory growth between two scans that counts as busy.
const GROWTH: u64 = 4 << 20;

/// How long a kill may take before giving up on a stuck process.
pub const KILL_BOUND: Duration = Duration::from_secs(2);

/// The tree's use of resources at one scan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub processes: u64,
    pub resident_bytes: u64,
    pub cpu: Duration,
    pub elapsed: Duration,
}

impl Usage {
    pub fn of(members: &[ProcEntry], elapsed: Duration, ticks_per_second: u64, page: u64) -> Usage {
        let alive = members.iter().filter(|e| !e.is_zombie());
        let ticks: u64 = members.iter().map(|e| e.cpu_ticks).sum();
        Usage {
            processes: alive.clone().count() as u64,
            resident_bytes: alive.map(|e| e.rss_pages * page).sum(),
            cpu: Duration::from_millis(ticks * 1000 / ticks_per_second.max(1)),
            elapsed,
        }
    }
}

/// The first tree-wide limit `usage` is past, if any. The tree's CPU bound is one second
/// above the per-process one, so a single busy process meets the kernel's SIGXCPU first
/// (the clearer report) and the watchdog catches what forking spreads over processes.
pub fn judge(limits: &Limits, usage: &Usage) -> Option<LimitHit> {
    if usage.processes > limits.processes {
        Some(LimitHit::Processes)
    } else if usage.resident_bytes > limits.memory_bytes {
        Some(LimitHit::Memory)
    } else if usage.cpu > limits.cpu + Duration::from_secs(1) {
        Some(LimitHit::Cpu)
    } else if limits.wall.is_some_and(|wall| usage.elapsed >= wall) {
        Some(LimitHit::Wall)
    } else {
        None
    }
}

/// The pause before the next scan: [`TICK`] when the tree was busy since the last scan
/// (its process count changed, its memory grew, or it used over half a core), otherwise
/// twice the last pause, up to [`IDLE_TICK`].
pub fn next_tick(pause: Duration, last: &Usage, now: &Usage) -> Duration {
    let busy = now.processes != last.processes
        || now.resident_bytes > last.resident_bytes + GROWTH
        || now.cpu > last.cpu + pause / 2;
    if busy {
        TICK
    } else {
        (pause * 2).min(IDLE_TICK)
    }
}

/// A running watchdog; stopped (and joined) by [`Watchdog::stop`] or on drop.
pub struct Watchdog {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    pub fn start(
        tree: Arc<Tree>,
        limits: Limits,
        folder: PathBuf,
        started: Instant,
    ) -> std::io::Result<Watchdog> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("httplab-watchdog-{}", tree.leader))
                .spawn(move || watch(&tree, &limits, &folder, started, &stop))?
        };
        Ok(Watchdog {
            stop,
            thread: Some(thread),
        })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn watch(tree: &Tree, limits: &Limits, folder: &Path, started: Instant, stop: &AtomicBool) {
    let (ticks, page) = (procfs::ticks_per_second(), procfs::page_size());
    let (mut pause, mut last) = (TICK, Usage::default());
    let mut next_folder_look = Instant::now() + FOLDER_EVERY;
    while !stop.load(Ordering::SeqCst) {
        if let Ok(members) = tree.scan() {
            tree.reap_orphans(&members);
            let usage = Usage::of(&members, started.elapsed(), ticks, page);
            let mut hit = judge(limits, &usage);
            if hit.is_none() && Instant::now() >= next_folder_look {
                next_folder_look = Instant::now() + FOLDER_EVERY;
                if folder_over(folder, limits.folder_bytes) {
                    hit = Some(LimitHit::Folder);
                }
            }
            if let Some(hit) = hit {
                tree.record_limit(hit);
                tree.kill(KILL_BOUND);
            }
            pause = next_tick(pause, &last, &usage);
            last = usage;
        }
        // A wall-clock bound is met on time, whatever the pause.
        let to_wall = limits
            .wall
            .map(|wall| wall.saturating_sub(started.elapsed()));
        std::thread::park_timeout(
            to_wall.map_or(pause, |w| pause.min(w.max(Duration::from_millis(1)))),
        );
    }
}

/// How often the working folder is measured (a walk of its files).
const FOLDER_EVERY: Duration = Duration::from_secs(1);
/// A folder with more entries than this is over its limit whatever their sizes (and the walk
/// stays short).
const FOLDER_ENTRIES: usize = 20_000;

/// Whether everything under `folder` (not following links) holds more than `limit` bytes,
/// or more than [`FOLDER_ENTRIES`] entries.
fn folder_over(folder: &Path, limit: u64) -> bool {
    let mut bytes = 0u64;
    let mut entries = 0usize;
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(listing) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in listing.flatten() {
            entries += 1;
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                bytes += meta.len();
            }
            if bytes > limit || entries > FOLDER_ENTRIES {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(processes: u64, resident_mib: u64, cpu_s: u64, elapsed_s: u64) -> Usage {
        Usage {
            processes,
            resident_bytes: resident_mib << 20,
            cpu: Duration::from_secs(cpu_s),
            elapsed: Duration::from_secs(elapsed_s),
        }
    }

    #[test]
    fn within_every_limit() {
        assert_eq!(judge(&Limits::default(), &usage(64, 512, 61, 3600)), None);
    }

    #[test]
    fn past_each_limit() {
        let limits = Limits {
            wall: Some(Duration::from_secs(10)),
            ..Limits::default()
        };
        assert_eq!(
            judge(&limits, &usage(65, 1, 0, 0)),
            Some(LimitHit::Processes)
        );
        assert_eq!(judge(&limits, &usage(1, 513, 0, 0)), Some(LimitHit::Memory));
        assert_eq!(judge(&limits, &usage(1, 1, 62, 0)), Some(LimitHit::Cpu));
        assert_eq!(judge(&limits, &usage(1, 1, 0, 10)), Some(LimitHit::Wall));
    }

    #[test]
    fn scans_back_off_while_idle_and_hurry_when_busy() {
        let idle = usage(2, 20, 1, 0);
        assert_eq!(next_tick(TICK, &idle, &idle), 2 * TICK);
        assert_eq!(next_tick(IDLE_TICK, &idle, &idle), IDLE_TICK);
        let forked = usage(3, 20, 1, 0);
        assert_eq!(next_tick(IDLE_TICK, &idle, &forked), TICK);
        let grown = usage(2, 30, 1, 0);
        assert_eq!(next_tick(IDLE_TICK, &idle, &grown), TICK);
        let busy = usage(2, 20, 2, 0);
        assert_eq!(next_tick(IDLE_TICK, &idle, &busy), TICK);
    }

    #[test]
    fn zombies_count_for_cpu_not_for_processes_or_memory() {
        let entry = |state, cpu_ticks| ProcEntry {
            pid: 1,
            ppid: 0,
            pgrp: 1,
            state,
            start_ticks: 0,
            cpu_ticks,
            rss_pages: 10,
        };
        let members = [entry(b'S', 100), entry(b'Z', 50)];
        let usage = Usage::of(&members, Duration::ZERO, 100, 4096);
        assert_eq!(usage.processes, 1);
        assert_eq!(usage.resident_bytes, 40960);
        assert_eq!(usage.cpu, Duration::from_millis(1500));
    }
}
