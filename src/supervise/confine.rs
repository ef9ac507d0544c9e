//! Confinement for `grade`: each submission runs in a network namespace of its own, inside a
//! bubblewrap sandbox, as an unprivileged user.
//!
//! # Why bubblewrap (and not Landlock, or namespaces by hand)
//! `bwrap` (Debian's `bubblewrap`, the sandbox under Flatpak) gives, in one small, audited
//! program, everything a class of untrusted servers needs at once:
//! - a **mount namespace** in which only the system's read-only folders (`/usr`, `/etc` and
//!   the `/bin`, `/lib` links) and the submission's own working folder exist: a file beside
//!   the class folder is not hidden by a rule that could be wrong, it is simply not there;
//! - a **pid namespace**: `kill(-1, SIGKILL)` or a `killpg` reaches only the submission's own
//!   processes, and when the sandbox's first process dies the kernel kills all the rest, so
//!   a double-forked daemon cannot outlive its grading;
//! - `--new-session`, `--die-with-parent`, all capabilities dropped.
//!
//! Landlock (ABI 7 here) would confine the file system and scope signals from inside our own
//! process, but it gives no pid namespace and no mount view, and its rules grant by path
//! prefix; namespaces by hand would mean re-writing bwrap's mount setup. We add two things
//! bwrap does not do for us: the program runs as `nobody` (so `/etc/shadow` and other
//! root-only files stay unreadable even though `/etc` is visible), and the **network
//! namespace is made by the grading thread itself** ([`enter_private_network`]), so that
//! httplab's checks, run from that same thread, reach the submission on `127.0.0.1:6789`
//! while no two submissions can reach each other or anything else.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The unprivileged user submissions run as (Debian's `nobody`/`nogroup`).
pub const NOBODY: (u32, u32) = (65534, 65534);

/// Room for the files a server writes in its private `/tmp` (bwrap's `--size`).
const TMP_BYTES: u64 = 64 * 1024 * 1024;
/// Room in its `/dev/shm` (Python's multiprocessing wants one).
const SHM_BYTES: u64 = 16 * 1024 * 1024;

/// How to confine one program: the `bwrap` to run (none with `grade --no-sandbox`: then
/// only the user changes), and the user to run as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confinement {
    pub bwrap: Option<PathBuf>,
    pub uid: u32,
    pub gid: u32,
}

/// Why confinement cannot be had here; `grade` refuses unless told `--no-sandbox`.
#[derive(Debug)]
pub enum Unconfinable {
    /// Network namespaces and the switch to `nobody` need root.
    NotRoot,
    /// `bwrap` is not installed.
    NoBubblewrap,
    /// `bwrap` is there but could not start a sandbox (user namespaces disabled?).
    SandboxFailed(String),
}

impl std::fmt::Display for Unconfinable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unconfinable::NotRoot => f.write_str(
                "the sandbox needs root (network namespaces, and running submissions as nobody)",
            ),
            Unconfinable::NoBubblewrap => {
                f.write_str("the sandbox needs bubblewrap: apt-get install bubblewrap")
            }
            Unconfinable::SandboxFailed(why) => {
                write!(f, "bubblewrap cannot start a sandbox here: {why}")
            }
        }
    }
}

impl Confinement {
    /// The confinement this machine allows, after a trial run of an empty sandbox in a
    /// private network (so that `grade` fails before the first submission, not during it).
    pub fn available() -> Result<Confinement, Unconfinable> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(Unconfinable::NotRoot);
        }
        let bwrap = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or(Unconfinable::NoBubblewrap)?;
        let confinement = Confinement {
            bwrap: Some(bwrap),
            uid: NOBODY.0,
            gid: NOBODY.1,
        };
        confinement.trial()?;
        Ok(confinement)
    }

    /// Without a sandbox (`grade --no-sandbox`): as root, programs still run as `nobody`,
    /// so that a submission cannot rewrite the system (or the grader's own tools) nor read
    /// root's files; not as root, there is nobody else to be (`None`).
    pub fn user_only() -> Option<Confinement> {
        // SAFETY: geteuid has no preconditions.
        (unsafe { libc::geteuid() } == 0).then_some(Confinement {
            bwrap: None,
            uid: NOBODY.0,
            gid: NOBODY.1,
        })
    }

    /// Whether the program gets a network namespace of its own (the sandbox), so that the
    /// port it is told is its own.
    pub fn private_network(&self) -> bool {
        self.bwrap.is_some()
    }

    /// Runs `true` confined, in a private network, from a thread of its own.
    fn trial(&self) -> Result<(), Unconfinable> {
        let folder = tempfile::tempdir().map_err(|e| Unconfinable::SandboxFailed(e.to_string()))?;
        self.hand_over(folder.path())
            .map_err(|e| Unconfinable::SandboxFailed(e.to_string()))?;
        let argv = self.wrap(&["true".into()], folder.path(), &[]);
        let (uid, gid) = (self.uid, self.gid);
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(|| -> io::Result<std::process::Output> {
                    enter_private_network()?;
                    let mut command = Command::new(&argv[0]);
                    command.args(&argv[1..]).stdin(Stdio::null());
                    // SAFETY: only system calls between fork and exec.
                    unsafe {
                        use std::os::unix::process::CommandExt;
                        command.pre_exec(move || drop_privileges(uid, gid));
                    }
                    command.output()
                })
                .join()
        });
        match outcome {
            Ok(Ok(output)) if output.status.success() => Ok(()),
            Ok(Ok(output)) => Err(Unconfinable::SandboxFailed(
                String::from_utf8_lossy(&output.stderr).trim().to_string(),
            )),
            Ok(Err(error)) => Err(Unconfinable::SandboxFailed(error.to_string())),
            Err(_) => Err(Unconfinable::SandboxFailed(
                "the trial thread panicked".into(),
            )),
        }
    }

    /// Gives `folder` and everything in it to the sandbox's user, so that the program can
    /// write there (and only there).
    pub fn hand_over(&self, folder: &Path) -> io::Result<()> {
        chown_tree(folder, self.uid, self.gid)
    }

    /// The command line that runs `argv` in the sandbox, in `dir`, with an environment of
    /// its own: a plain `PATH`, `HOME` in its folder, and `env` (the supervisor's tree
    /// marker among them) — nothing of the grader's environment.
    pub fn wrap(
        &self,
        argv: &[OsString],
        dir: &Path,
        env: &[(OsString, OsString)],
    ) -> Vec<OsString> {
        let Some(bwrap) = &self.bwrap else {
            return argv.to_vec();
        };
        let mut out: Vec<OsString> = vec![bwrap.clone().into()];
        let mut add = |words: &[&str]| out.extend(words.iter().map(OsString::from));
        add(&[
            "--die-with-parent",
            "--new-session",
            "--unshare-user",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--cap-drop",
            "ALL",
            "--clearenv",
            "--setenv",
            "PATH",
            "/usr/local/bin:/usr/bin:/bin",
            "--setenv",
            "LANG",
            "C.UTF-8",
            "--ro-bind",
            "/usr",
            "/usr",
            "--ro-bind",
            "/etc",
            "/etc",
            "--proc",
            "/proc",
            // /dev is a tmpfs of bwrap's, writable and unbounded, and its pages count in no
            // process's memory: made read-only, with a small /dev/shm.
            "--dev",
            "/dev",
            "--size",
            &SHM_BYTES.to_string(),
            "--tmpfs",
            "/dev/shm",
            "--remount-ro",
            "/dev",
            "--size",
            &TMP_BYTES.to_string(),
            "--tmpfs",
            "/tmp",
            // No user namespace of its own inside: "root" there widens the kernel's surface.
            "--disable-userns",
        ]);
        for top in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let host = Path::new("/").join(top);
            match std::fs::read_link(&host) {
                Ok(target) => out.extend(["--symlink".into(), target.into(), host.into()]),
                Err(_) if host.is_dir() => {
                    out.extend(["--ro-bind".into(), host.clone().into(), host.into()])
                }
                Err(_) => {}
            }
        }
        for (name, value) in env {
            out.extend(["--setenv".into(), name.clone(), value.clone()]);
        }
        out.extend(["--setenv".into(), "HOME".into(), dir.into()]);
        out.extend(["--bind".into(), dir.into(), dir.into()]);
        out.extend(["--chdir".into(), dir.into(), "--".into()]);
        out.extend(argv.iter().cloned());
        out
    }
}

/// Between fork and exec: become the sandbox's user (groups, then group, then user: each
/// step needs the privilege the next one drops).
pub(super) fn drop_privileges(uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: plain system calls on integers; async-signal-safe.
    unsafe {
        if libc::setgroups(0, std::ptr::null()) != 0
            || libc::setgid(gid) != 0
            || libc::setuid(uid) != 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if std::fs::symlink_metadata(path)?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Moves the calling thread into a new network namespace whose only interface is loopback,
/// up. Every socket this thread opens afterwards, every thread it starts and every process
/// it spawns live there: a server may listen on 6789 while another submission's does the
/// same, and nothing outside can be reached. Needs root. The namespace goes away with the
/// last thread and process in it.
pub fn enter_private_network() -> io::Result<()> {
    // SAFETY: unshare with a flag; affects only the calling thread.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    loopback_up()
}

/// `ip link set lo up`, with the ioctls that predate netlink.
fn loopback_up() -> io::Result<()> {
    // SAFETY: a socket is created and closed here; the ifreq is zeroed, then given the name
    // "lo" (NUL-terminated) and read and written by the kernel.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        for (slot, byte) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *slot = *byte as libc::c_char;
        }
        let mut result = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            result = libc::ioctl(fd, libc::SIOCSIFFLAGS, &request);
        }
        let error = io::Error::last_os_error();
        libc::close(fd);
        if result != 0 {
            return Err(error);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_sees_only_the_system_and_its_folder() {
        let confinement = Confinement {
            bwrap: Some("/usr/bin/bwrap".into()),
            uid: 65534,
            gid: 65534,
        };
        let argv = confinement.wrap(
            &["python3".into(), "server.py".into()],
            Path::new("/tmp/x/alice"),
            &[("HTTPLAB_TREE".into(), "7".into())],
        );
        let words: Vec<String> = argv
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        let line = words.join(" ");
        assert!(line.starts_with("/usr/bin/bwrap --die-with-parent --new-session"));
        assert!(line.contains("--clearenv"));
        assert!(line.contains("--setenv HTTPLAB_TREE 7"));
        assert!(line.contains("--bind /tmp/x/alice /tmp/x/alice --chdir /tmp/x/alice"));
        assert!(line.ends_with("-- python3 server.py"));
        assert!(
            !line.contains("--unshare-net"),
            "the thread's namespace is used"
        );
        // Nothing of the host's /tmp, /home or /root is bound.
        for hidden in ["/home", "/root", "/work", "/var"] {
            assert!(!words.iter().any(|w| w == hidden), "{hidden} in {line}");
        }
    }
}
