//! What to run (argv, folder, environment) and within which limits, and how each limit is
//! enforced: by the kernel on each process (`setrlimit` before exec) or by the watchdog on
//! the whole tree.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Confinement;

const MIB: u64 = 1024 * 1024;

/// The bounds on a student's program.
///
/// Per process, set by the kernel before exec (each child inherits them):
/// - `cpu`: `RLIMIT_CPU`: SIGXCPU at `cpu`, SIGKILL one second later;
/// - `address_space_bytes`: `RLIMIT_AS`: an allocation past it fails inside the program
///   (Python raises `MemoryError`, with a traceback the student can read);
/// - `file_size_bytes`: `RLIMIT_FSIZE`: a write past it fails with `EFBIG` (Python ignores
///   SIGXFSZ and raises `OSError: File too large`; most programs die of SIGXFSZ);
/// - core dumps are off (`RLIMIT_CORE` 0): they would fill the student's folder.
///
/// On the whole tree, by the watchdog (every 25 to 100 ms), which SIGKILLs the tree past them:
/// - `processes`: live processes in the tree. Not `RLIMIT_NPROC`: that limit counts every
///   process of the *user* (a student's editor and browser included, so 64 would stop the
///   program from starting on a desktop), and root ignores it altogether;
/// - `memory_bytes`: the tree's resident memory (sum of RSS). Address space alone cannot be
///   the memory bound: glibc reserves 64 MiB of address space per malloc arena and 8 MiB per
///   thread stack, so a threaded Python server (the assignment's second part) under a
///   512 MiB `RLIMIT_AS` cannot start its 11th thread (measured), though it uses ~15 MiB;
///   and it bounds each process, not the tree;
/// - `cpu` (again, plus one second): the CPU time of the whole tree, so forking workers
///   does not multiply the budget;
/// - `wall`: time since start, when set;
/// - `folder_bytes`: the size of everything in its working folder (looked at once a second).
///
/// Output: the last `output_bytes` of stdout and of stderr are kept, the rest counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub cpu: Duration,
    pub memory_bytes: u64,
    /// `None`: no address-space limit.
    pub address_space_bytes: Option<u64>,
    pub processes: u64,
    pub file_size_bytes: u64,
    pub output_bytes: usize,
    /// `None`: runs until stopped (a server: its caller stops it).
    pub wall: Option<Duration>,
    /// All the files in its working folder together (a file-size limit alone lets a program
    /// write a thousand files of 64 MiB).
    pub folder_bytes: u64,
}

impl Default for Limits {
    /// Room for a student's Python server, threaded or not, through a whole `check`: 60 s of
    /// CPU, 512 MiB resident, 4 GiB of address space per process (a threaded CPython with 100
    /// threads reserves 1.8 GiB), 64 processes, 64 MiB files, 1 MiB of each stream kept, no
    /// wall-clock bound.
    fn default() -> Limits {
        Limits {
            cpu: Duration::from_secs(60),
            memory_bytes: 512 * MIB,
            address_space_bytes: Some(4096 * MIB),
            processes: 64,
            file_size_bytes: 64 * MIB,
            output_bytes: MIB as usize,
            wall: None,
            folder_bytes: 256 * MIB,
        }
    }
}

/// A program to run: its argv, the folder it runs in, variables added to its environment,
/// and its limits. The environment is otherwise inherited (`grade` may clear it).
#[derive(Clone, Debug)]
pub struct ProgramSpec {
    pub argv: Vec<OsString>,
    pub dir: PathBuf,
    pub env: Vec<(OsString, OsString)>,
    pub limits: Limits,
    /// `grade`'s sandbox, when the program runs in one.
    pub confinement: Option<Confinement>,
}

impl ProgramSpec {
    /// `argv` in `dir`, default limits.
    pub fn new(argv: impl IntoIterator<Item = impl Into<OsString>>, dir: &Path) -> ProgramSpec {
        ProgramSpec {
            argv: argv.into_iter().map(Into::into).collect(),
            dir: dir.to_path_buf(),
            env: Vec::new(),
            limits: Limits::default(),
            confinement: None,
        }
    }

    /// `sh -c COMMAND` in `dir`: what a student types (`python3 server.py 6789`).
    pub fn shell(command: &str, dir: &Path) -> ProgramSpec {
        ProgramSpec::new(["sh", "-c", command], dir)
    }

    pub fn with_limits(mut self, limits: Limits) -> ProgramSpec {
        self.limits = limits;
        self
    }

    pub fn confined(mut self, confinement: Option<Confinement>) -> ProgramSpec {
        self.confinement = confinement;
        self
    }

    pub fn with_env(
        mut self,
        name: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> ProgramSpec {
        self.env.push((name.into(), value.into()));
        self
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

/// One kernel limit: resource, soft, hard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rlimit {
    resource: Resource,
    soft: u64,
    hard: u64,
}

/// The kernel limits for `limits` (pure: computed before the fork, applied after it).
pub(super) fn rlimits(limits: &Limits) -> Vec<Rlimit> {
    let cpu_seconds = limits.cpu.as_secs() + u64::from(limits.cpu.subsec_nanos() > 0);
    let cpu_seconds = cpu_seconds.max(1);
    let mut set = vec![
        Rlimit {
            resource: libc::RLIMIT_CPU,
            soft: cpu_seconds,
            hard: cpu_seconds + 1,
        },
        Rlimit {
            resource: libc::RLIMIT_FSIZE,
            soft: limits.file_size_bytes,
            hard: limits.file_size_bytes,
        },
        Rlimit {
            resource: libc::RLIMIT_CORE,
            soft: 0,
            hard: 0,
        },
    ];
    if let Some(bytes) = limits.address_space_bytes {
        set.push(Rlimit {
            resource: libc::RLIMIT_AS,
            soft: bytes,
            hard: bytes,
        });
    }
    set
}

/// Applies the limits; runs in the child between fork and exec, so it only makes system
/// calls (async-signal-safe). A limit can only be lowered without privileges; one that is
/// already lower than ours (a stricter shell's `ulimit`) is kept as it is.
pub(super) fn apply_rlimits(set: &[Rlimit]) -> io::Result<()> {
    for limit in set {
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid resource and a valid out-pointer.
        if unsafe { libc::getrlimit(limit.resource, &mut current) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let hard = limit.hard.min(current.rlim_max);
        let wanted = libc::rlimit {
            rlim_cur: limit.soft.min(hard) as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: a valid resource and a valid pointer.
        if unsafe { libc::setrlimit(limit.resource, &wanted) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_rounds_up_and_the_hard_limit_follows_a_second_later() {
        let limits = Limits {
            cpu: Duration::from_millis(1500),
            address_space_bytes: None,
            ..Limits::default()
        };
        let set = rlimits(&limits);
        assert_eq!(set[0].resource, libc::RLIMIT_CPU);
        assert_eq!((set[0].soft, set[0].hard), (2, 3));
        assert!(set.iter().all(|l| l.resource != libc::RLIMIT_AS));
    }

    #[test]
    fn default_limits_bound_everything_but_wall_time() {
        let set = rlimits(&Limits::default());
        let of = |r| set.iter().find(|l| l.resource == r).map(|l| l.soft);
        assert_eq!(of(libc::RLIMIT_CPU), Some(60));
        assert_eq!(of(libc::RLIMIT_FSIZE), Some(64 * MIB));
        assert_eq!(of(libc::RLIMIT_CORE), Some(0));
        assert_eq!(of(libc::RLIMIT_AS), Some(4096 * MIB));
    }
}
