//! Waiting until a supervised server listens — without ever connecting to it.
//!
//! An empty connection (connect, then close without a request) is the first thing that
//! kills a fragile student server: `message.split()[1]` on an empty message raises
//! IndexError. So readiness is read from the kernel: a socket in LISTEN state on the port in
//! `/proc/net/tcp` or `/proc/net/tcp6`, whose inode one of the tree's processes holds in
//! `/proc/PID/fd`.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::procfs;
use super::{LimitHit, Supervised};

/// How often the socket tables are read while waiting.
const POLL: Duration = Duration::from_millis(10);

/// After this long, a program that listens on other ports but not on its own is taken to
/// have the wrong port.
const ELSEWHERE_AFTER: Duration = Duration::from_secs(1);
/// How often to look for that (it reads every process's fds, so not at every poll).
const ELSEWHERE_EVERY: Duration = Duration::from_millis(250);

/// At most this much of stderr is attached to [`NotListening::Exited`]: the end of a
/// traceback, from a line start.
pub const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// Why a program is not listening.
#[derive(Debug)]
pub enum NotListening {
    /// It exited first, with this status and the end of its stderr (its traceback); `limit`
    /// says whether the watchdog killed it for going past one.
    Exited {
        status: ExitStatus,
        stderr_tail: String,
        limit: Option<LimitHit>,
    },
    /// Something outside the program's tree listens on the port, so the program cannot
    /// bind it. `holder` is that process's pid and command line, when it can be read.
    OtherProcess {
        port: u16,
        holder: Option<(u32, String)>,
    },
    /// Nothing listened within the time given; `elsewhere`: the ports the program listens
    /// on instead, if any.
    TimedOut {
        port: u16,
        waited: Duration,
        elsewhere: Vec<u16>,
    },
    /// The kernel's socket tables could not be read.
    Procfs(io::Error),
}

impl fmt::Display for NotListening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotListening::Exited {
                status,
                limit: Some(limit),
                ..
            } => write!(f, "the program was stopped ({status}): {limit}"),
            NotListening::Exited { status, .. } => {
                write!(f, "the program exited ({status}) before it listened")
            }
            NotListening::OtherProcess { port, holder } => {
                write!(f, "port {port} is already taken by another program")?;
                if let Some((pid, command)) = holder {
                    write!(f, " (pid {pid}: {command})")?;
                }
                write!(f, "; stop it, or run yours on another port")
            }
            NotListening::TimedOut {
                port,
                waited,
                elsewhere,
            } if !elsewhere.is_empty() => {
                let ports: Vec<String> = elsewhere.iter().map(u16::to_string).collect();
                write!(
                    f,
                    "the program did not listen on port {port} within {:.1} s: it listens on \
                     port {} instead",
                    waited.as_secs_f64(),
                    ports.join(", ")
                )
            }
            NotListening::TimedOut { port, waited, .. } => write!(
                f,
                "the program did not listen on port {port} within {:.1} s (does it bind this \
                 port and call listen()?)",
                waited.as_secs_f64()
            ),
            NotListening::Procfs(source) => {
                write!(f, "cannot read the kernel's socket tables: {source}")
            }
        }
    }
}

impl std::error::Error for NotListening {}

impl Supervised {
    /// Waits until a process of the tree listens on `port` (any local address, IPv4 or
    /// IPv6), at most `timeout`. Never connects. Returns early when the program exits or
    /// when another program holds the port.
    pub fn wait_listening(&mut self, port: u16, timeout: Duration) -> Result<(), NotListening> {
        let started = Instant::now();
        let mut next_elsewhere_look = ELSEWHERE_AFTER;
        loop {
            if let Some(status) = self.exit_status() {
                let stderr = self.output().stderr.text;
                return Err(NotListening::Exited {
                    status,
                    stderr_tail: tail(&stderr, STDERR_TAIL_BYTES).to_string(),
                    limit: self.limit_hit(),
                });
            }
            let listening = procfs::listening_inodes(port).map_err(NotListening::Procfs)?;
            if !listening.is_empty() {
                if self.holds_any(&listening)? {
                    return Ok(());
                }
                return Err(NotListening::OtherProcess {
                    port,
                    holder: procfs::holder_of(&listening),
                });
            }
            let waited = started.elapsed();
            // Listening on another port for a second already: it will not change its mind.
            if waited >= next_elsewhere_look {
                next_elsewhere_look = waited + ELSEWHERE_EVERY;
                let elsewhere = self.listening_elsewhere();
                if !elsewhere.is_empty() {
                    return Err(NotListening::TimedOut {
                        port,
                        waited,
                        elsewhere,
                    });
                }
            }
            if waited >= timeout {
                return Err(NotListening::TimedOut {
                    port,
                    waited,
                    elsewhere: self.listening_elsewhere(),
                });
            }
            std::thread::sleep(POLL.min(timeout - waited));
        }
    }

    /// Waits, at most `bound`, until the program has exited, or is back waiting for the
    /// next client: every process of its tree asleep and `port` listened on. After a client
    /// was answered, a server about to end (no loop around `accept()`: it closes its socket
    /// and exits) is still running for some milliseconds; without this wait, whether its
    /// exit is seen before the next client would be a race, and so would the grade.
    /// Returns whether it exited.
    pub fn settle(&mut self, port: u16, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        loop {
            if self.exit_status().is_some() {
                return true;
            }
            let asleep = self
                .tree_scan()
                .is_ok_and(|members| members.iter().all(|e| e.is_zombie() || e.is_asleep()));
            let waiting = asleep && procfs::listening_inodes(port).is_ok_and(|l| !l.is_empty());
            if waiting || Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The ports the tree listens on (any), to say "it listens on 8080 instead".
    fn listening_elsewhere(&self) -> Vec<u16> {
        let (Ok(sockets), Ok(members)) = (procfs::listening_sockets(), self.tree_scan()) else {
            return Vec::new();
        };
        let held: HashSet<u64> = members
            .iter()
            .flat_map(|e| procfs::socket_inodes(e.pid))
            .collect();
        let mut ports: Vec<u16> = sockets
            .into_iter()
            .filter(|(_, inode)| held.contains(inode))
            .map(|(port, _)| port)
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// Whether a process of the tree holds one of these socket inodes.
    fn holds_any(&self, inodes: &[u64]) -> Result<bool, NotListening> {
        let members = self.tree_scan().map_err(NotListening::Procfs)?;
        let wanted: HashSet<u64> = inodes.iter().copied().collect();
        Ok(members
            .iter()
            .filter(|e| !e.is_zombie())
            .any(|e| !procfs::socket_inodes(e.pid).is_disjoint(&wanted)))
    }
}

/// The last `max` bytes of `text` at most, starting at a line start when there is one.
pub fn tail(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let rest = &text[start..];
    match rest.find('\n') {
        Some(newline) if newline + 1 < rest.len() => &rest[newline + 1..],
        _ => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_starts_at_a_line() {
        assert_eq!(tail("short", 100), "short");
        let text = "Traceback (most recent call last):\n  File \"s.py\", line 1\nIndexError: x\n";
        assert_eq!(tail(text, 30), "IndexError: x\n");
        assert_eq!(tail("éééé", 3), "é");
    }
}
