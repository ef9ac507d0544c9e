use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a program could not be started under supervision. Each fails closed: nothing of the
/// program is left running.
#[derive(Debug)]
pub enum SuperviseError {
    /// The command is empty.
    EmptyCommand,
    /// The folder to run it in is missing or not a folder.
    Folder { dir: PathBuf, source: io::Error },
    /// The program could not be executed (not found, not executable, a limit refused).
    Spawn {
        program: OsString,
        dir: PathBuf,
        source: io::Error,
    },
    /// `/proc` cannot be read: without it the tree cannot be watched or killed.
    Procfs(io::Error),
    /// We could not become a child subreaper: orphans would escape to init.
    Subreaper(io::Error),
    /// A thread (output reader, watchdog, signal handler) could not be started.
    Thread(io::Error),
    /// The Ctrl-C handler could not be installed.
    SignalHandler(io::ErrorKind),
}

impl fmt::Display for SuperviseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SuperviseError::EmptyCommand => {
                write!(f, "cannot run the program: the command is empty")
            }
            SuperviseError::Folder { dir, source } => write!(
                f,
                "cannot run the program in '{}': {}",
                dir.display(),
                match source.kind() {
                    io::ErrorKind::NotFound => "no such folder".to_string(),
                    io::ErrorKind::NotADirectory => "it is a file, not a folder".to_string(),
                    _ => source.to_string(),
                }
            ),
            SuperviseError::Spawn {
                program,
                dir,
                source,
            } => {
                let program = program.to_string_lossy();
                let dir = dir.display();
                match source.kind() {
                    io::ErrorKind::NotFound => {
                        write!(f, "cannot run '{program}' in '{dir}': no such program")
                    }
                    io::ErrorKind::PermissionDenied => write!(
                        f,
                        "cannot run '{program}' in '{dir}': permission denied (is it executable?)"
                    ),
                    _ => write!(f, "cannot run '{program}' in '{dir}': {source}"),
                }
            }
            SuperviseError::Procfs(source) => write!(
                f,
                "cannot supervise a program: /proc is unreadable ({source}); it is needed to \
                 watch the program's processes and kill them all"
            ),
            SuperviseError::Subreaper(source) => write!(
                f,
                "cannot supervise a program: prctl(PR_SET_CHILD_SUBREAPER) failed ({source})"
            ),
            SuperviseError::Thread(source) => {
                write!(
                    f,
                    "cannot supervise a program: cannot start a thread ({source})"
                )
            }
            SuperviseError::SignalHandler(kind) => {
                write!(f, "cannot install the Ctrl-C handler: {kind}")
            }
        }
    }
}

impl std::error::Error for SuperviseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SuperviseError::Folder { source, .. }
            | SuperviseError::Spawn { source, .. }
            | SuperviseError::Procfs(source)
            | SuperviseError::Subreaper(source)
            | SuperviseError::Thread(source) => Some(source),
            SuperviseError::EmptyCommand | SuperviseError::SignalHandler(_) => None,
        }
    }
}
