//! The class: which submissions a folder holds, and `.zip` submissions unpacked, bounded.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::supervise::TempFolder;

/// An unpacked submission is bounded like a working copy: a submission is a few files.
const MAX_FILES: usize = 2000;
const MAX_BYTES: u64 = 100 * 1024 * 1024;

/// One student's submission.
#[derive(Debug)]
pub struct Submission {
    /// The folder's name (or the zip's, without `.zip`): the student's name in every output.
    pub student: String,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Folder(PathBuf),
    /// Unpacked only when its student is graded: a class of 200 zips takes the room of the
    /// few being graded, not of all of them.
    Zip(PathBuf),
}

/// A submission ready to grade: the folder its files are in.
pub struct Opened {
    pub folder: PathBuf,
    /// For a zip: the temporary folder it was unpacked into (deleted when dropped).
    _unpacked: Option<TempFolder>,
}

impl Submission {
    /// The folder to grade, unpacking a zip (bounded) into a temporary folder; the error
    /// says why it cannot be graded at all (a broken zip).
    pub fn open(&self) -> Result<Opened, String> {
        match &self.source {
            Source::Folder(folder) => Ok(Opened {
                folder: folder.clone(),
                _unpacked: None,
            }),
            Source::Zip(zip) => unpack(zip),
        }
    }
}

/// The submissions in `class`, sorted by student: each folder, and each `.zip`. Hidden
/// entries and other files are left out. A zip whose files are all in one folder is
/// graded from that folder.
pub fn submissions(class: &Path) -> io::Result<Vec<Submission>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(class)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "__MACOSX" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            found.push(Submission {
                student: name,
                source: Source::Folder(entry.path()),
            });
        } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".zip") {
            found.push(Submission {
                student: name[..name.len() - 4].to_string(),
                source: Source::Zip(entry.path()),
            });
        }
    }
    // `alice/` and `alice.zip`: two submissions, two names (the zip keeps its extension).
    let folders: Vec<String> = found
        .iter()
        .filter(|s| matches!(s.source, Source::Folder(_)))
        .map(|s| s.student.clone())
        .collect();
    for submission in found.iter_mut() {
        if matches!(submission.source, Source::Zip(_)) && folders.contains(&submission.student) {
            submission.student.push_str(".zip");
        }
    }
    found.sort_by(|a, b| a.student.cmp(&b.student));
    Ok(found)
}

/// One submission given as a folder (`grade --single`, the Gradescope bundle).
pub fn single(folder: &Path, student: &str) -> Submission {
    Submission {
        student: student.to_string(),
        source: Source::Folder(folder.to_path_buf()),
    }
}

fn unpack(zip: &Path) -> Result<Opened, String> {
    let folder =
        TempFolder::new("httplab-zip-").map_err(|error| format!("cannot unpack: {error}"))?;
    match extract(zip, folder.path()) {
        Ok(()) => Ok(Opened {
            folder: single_top_folder(folder.path()).unwrap_or_else(|| folder.path().into()),
            _unpacked: Some(folder),
        }),
        Err(error) => Err(format!("cannot unpack {}: {error}", zip.display())),
    }
}

/// Extracts regular files and folders only: no symlinks, no path outside `into` (the zip
/// crate's `enclosed_name`), at most [`MAX_FILES`] files and [`MAX_BYTES`] bytes counted as
/// they are written (not as the archive claims: a zip bomb lies).
fn extract(zip: &Path, into: &Path) -> io::Result<()> {
    let file = std::fs::File::open(zip)?;
    let mut archive = zip::ZipArchive::new(file).map_err(io::Error::other)?;
    let mut bytes = 0u64;
    let mut files = 0usize;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(io::Error::other)?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        if relative.components().any(|c| c.as_os_str() == "__MACOSX") || entry.is_symlink() {
            continue;
        }
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        files += 1;
        if files > MAX_FILES {
            return Err(io::Error::other(format!("more than {MAX_FILES} files")));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::File::create(&target)?;
        let left = MAX_BYTES - bytes;
        let written = io::copy(&mut (&mut entry).take(left + 1), &mut out)?;
        bytes += written;
        if bytes > MAX_BYTES {
            return Err(io::Error::other(format!(
                "more than {} MiB unpacked",
                MAX_BYTES >> 20
            )));
        }
    }
    Ok(())
}

/// The one folder `dir` holds, when it holds nothing else (`alice.zip` → `alice/…`).
fn single_top_folder(dir: &Path) -> Option<PathBuf> {
    let mut entries = std::fs::read_dir(dir).ok()?.flatten();
    let only = entries.next()?;
    (entries.next().is_none() && only.file_type().ok()?.is_dir()).then(|| only.path())
}
