//! The kernel's view of processes and sockets, read from `/proc`: who is alive, who is whose
//! parent, how much CPU and memory each uses, and which sockets listen on a port.
//!
//! Parsing is pure (text in, values out, tested below); the readers around it are thin and
//! treat a process that vanishes between two reads as simply gone, which is the normal case
//! while a tree is being killed.
//!
//! Without root, `/proc/PID/fd` and `/proc/PID/environ` of another user's processes are
//! unreadable: those processes are never members of a tree we started (they run as us), so
//! only [`holder_of`] — naming who else holds a port — loses information.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::Path;

/// One process, as `/proc/PID/stat` describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcEntry {
    pub pid: i32,
    pub ppid: i32,
    /// Process group.
    pub pgrp: i32,
    /// `R`, `S`, `D`, `Z` (zombie: exited, not yet reaped), `T`, ...
    pub state: u8,
    /// Clock ticks after boot when it started: with the pid, its identity (pids are reused).
    pub start_ticks: u64,
    /// Clock ticks of CPU: its own (user + system) and its reaped children's.
    pub cpu_ticks: u64,
    /// Resident pages.
    pub rss_pages: u64,
}

impl ProcEntry {
    pub fn is_zombie(&self) -> bool {
        self.state == b'Z' || self.state == b'X'
    }

    /// Waiting, not running: asleep (a server in `accept()`), stopped, or idle.
    pub fn is_asleep(&self) -> bool {
        matches!(self.state, b'S' | b'T' | b't' | b'I')
    }
}

/// Parses `/proc/PID/stat`. The command name (field 2) may hold spaces and parentheses, so
/// the fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcEntry> {
    let open = text.find(" (")?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let number = |i: usize| -> Option<u64> { fields.get(i)?.parse().ok() };
    let signed = |i: usize| -> Option<i32> { fields.get(i)?.parse().ok() };
    // Indices from the field after the name: 0 state, 1 ppid, 2 pgrp, 11..=14 utime stime
    // cutime cstime, 19 starttime, 21 rss (man 5 proc, fields 3.. numbered from 0).
    let children_ticks = |i: usize| -> Option<u64> {
        // cutime and cstime are signed in the kernel's format; negative never happens in
        // practice, but a parse failure must not hide the process.
        Some(fields.get(i)?.parse::<i64>().ok()?.max(0) as u64)
    };
    Some(ProcEntry {
        pid,
        ppid: signed(1)?,
        pgrp: signed(2)?,
        state: *fields.first()?.as_bytes().first()?,
        start_ticks: number(19)?,
        cpu_ticks: number(11)? + number(12)? + children_ticks(13)? + children_ticks(14)?,
        rss_pages: number(21)?,
    })
}

/// One process's entry, if it still exists.
pub fn read_entry(pid: i32) -> Option<ProcEntry> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The pids of every process now. An error only when `/proc` itself cannot be listed.
pub fn list_pids() -> io::Result<Vec<i32>> {
    Ok(fs::read_dir("/proc")?
        .filter_map(|dirent| dirent.ok()?.file_name().to_str()?.parse().ok())
        .collect())
}

/// Every process now.
pub fn scan() -> io::Result<Vec<ProcEntry>> {
    Ok(list_pids()?.into_iter().filter_map(read_entry).collect())
}

/// Whether the process's environment (as it was at its last exec) holds exactly `pair`
/// (`NAME=value`).
pub fn environ_has(pid: i32, pair: &[u8]) -> bool {
    match fs::read(format!("/proc/{pid}/environ")) {
        Ok(bytes) => bytes.split(|&b| b == 0).any(|item| item == pair),
        Err(_) => false,
    }
}

/// Whether the process's environment holds a variable that starts with `prefix`.
pub fn environ_has_prefix(pid: i32, prefix: &[u8]) -> bool {
    match fs::read(format!("/proc/{pid}/environ")) {
        Ok(bytes) => bytes
            .split(|&b| b == 0)
            .any(|item| item.starts_with(prefix)),
        Err(_) => false,
    }
}

/// The process's command line, arguments joined by spaces (empty for a zombie).
pub fn command_line(pid: i32) -> Option<String> {
    let bytes = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let words: Vec<String> = bytes
        .split(|&b| b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    Some(words.join(" "))
}

/// Clock ticks per second, for `cpu_ticks` and `start_ticks`.
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as u64 } else { 100 }
}

/// Bytes in a page, for `rss_pages`.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 { size as u64 } else { 4096 }
}

/// Every socket in LISTEN state (any local address) in a `/proc/net/tcp` or
/// `/proc/net/tcp6` table: its port and inode.
pub fn parse_all_listeners(table: &str) -> Vec<(u16, u64)> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (_, local_port) = fields.get(1)?.rsplit_once(':')?;
            let local_port = u16::from_str_radix(local_port, 16).ok()?;
            (*fields.get(3)? == LISTEN).then_some(())?;
            Some((local_port, fields.get(9)?.parse().ok()?))
        })
        .collect()
}

/// The inodes of the sockets listening on `port`, over IPv4 and IPv6. Reads the kernel's
/// tables only: nothing connects to the port.
///
/// The tables are the calling *thread's* network namespace (`/proc/thread-self/net`):
/// `grade` gives each submission's thread a namespace of its own, and `/proc/net` would
/// show the main thread's.
pub fn listening_inodes(port: u16) -> io::Result<Vec<u64>> {
    Ok(on_port(listening_sockets()?, port))
}

/// The inodes of the sockets on `port`.
fn on_port(sockets: Vec<(u16, u64)>, port: u16) -> Vec<u64> {
    sockets
        .into_iter()
        .filter(|(p, _)| *p == port)
        .map(|(_, inode)| inode)
        .collect()
}

/// Every listening socket (port, inode) over IPv4 and IPv6, in the calling thread's network
/// namespace.
pub fn listening_sockets() -> io::Result<Vec<(u16, u64)>> {
    let base = if Path::new("/proc/thread-self/net").exists() {
        "/proc/thread-self/net"
    } else {
        "/proc/net"
    };
    let mut sockets = Vec::new();
    for table in [format!("{base}/tcp"), format!("{base}/tcp6")] {
        match fs::read_to_string(&table) {
            Ok(text) => sockets.extend(parse_all_listeners(&text)),
            // No IPv6 in this kernel: only the IPv4 table exists.
            Err(e) if e.kind() == io::ErrorKind::NotFound && table.ends_with('6') => {}
            Err(e) => return Err(e),
        }
    }
    Ok(sockets)
}

/// The socket inode a `/proc/PID/fd/N` link names (`socket:[12345]`).
pub fn parse_socket_link(link: &Path) -> Option<u64> {
    let text = link.to_str()?;
    text.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The inodes of the sockets the process holds open.
pub fn socket_inodes(pid: i32) -> HashSet<u64> {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.filter_map(|fd| fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| parse_socket_link(&link))
        .collect()
}

/// Some process holding one of these sockets, with its command line. Reads every
/// process's descriptors: only for the error message when a port is taken.
pub fn holder_of(inodes: &[u64]) -> Option<(u32, String)> {
    let entries = scan().ok()?;
    entries.iter().find_map(|entry| {
        let held = socket_inodes(entry.pid);
        inodes.iter().any(|inode| held.contains(inode)).then(|| {
            let command = command_line(entry.pid).unwrap_or_default();
            (entry.pid as u32, command)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parentheses_in_the_name() {
        let text = "4242 (my (odd) prog) S 17 4242 4242 0 -1 4194560 100 0 0 0 \
                    7 3 2 1 20 0 1 0 123456 1000000 250 18446744073709551615 0 0 0 0 0 0 0";
        let entry = parse_stat(text).expect("parses");
        assert_eq!(entry.pid, 4242);
        assert_eq!(entry.ppid, 17);
        assert_eq!(entry.pgrp, 4242);
        assert_eq!(entry.state, b'S');
        assert_eq!(entry.cpu_ticks, 7 + 3 + 2 + 1);
        assert_eq!(entry.start_ticks, 123456);
        assert_eq!(entry.rss_pages, 250);
        assert!(!entry.is_zombie());
    }

    #[test]
    fn truncated_stat_is_no_entry() {
        assert_eq!(parse_stat("12 (sh) S 1 12"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn own_stat_parses() {
        let me = std::process::id() as i32;
        let entry = read_entry(me).expect("our own /proc entry");
        assert_eq!(entry.pid, me);
        assert!(entry.rss_pages > 0);
    }

    #[test]
    fn listeners_by_port_and_state() {
        let parse_listeners = |table: &str, port| on_port(parse_all_listeners(table), port);
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1A85 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0
   1: 0100007F:1A85 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 20 4 30 10 -1
   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0 100 0 0 10 0
";
        assert_eq!(parse_listeners(table, 6789), vec![111]);
        assert_eq!(parse_listeners(table, 80), vec![333]);
        assert!(parse_listeners(table, 8080).is_empty());
        let table6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1A85 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0 100 0 0 10 0
";
        assert_eq!(parse_listeners(table6, 6789), vec![444]);
    }

    #[test]
    fn socket_links() {
        assert_eq!(parse_socket_link(Path::new("socket:[98765]")), Some(98765));
        assert_eq!(parse_socket_link(Path::new("pipe:[98765]")), None);
        assert_eq!(parse_socket_link(Path::new("/dev/null")), None);
    }
}
