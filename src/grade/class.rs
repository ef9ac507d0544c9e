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
    /// The folder the student's files are in.
    pub folder: PathBuf,
    /// For a zip: the temporary folder it was unpacked into (deleted when dropped).
    _unpacked: Option<TempFolder>,
    /// Why it cannot be graded at all (a broken zip), when it cannot.
    pub unusable: Option<String>,
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
                folder: entry.path(),
                _unpacked: None,
                unusable: None,
            });
        } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".zip") {
            let student = name[..name.len() - 4].to_string();
            found.push(unpack(student, &entry.path()));
        }
    }
    // `alice/` and `alice.zip`: two submissions, two names (the zip keeps its extension).
    let folders: Vec<String> = found
        .iter()
        .filter(|s| s._unpacked.is_none() && s.unusable.is_none())
        .map(|s| s.student.clone())
        .collect();
    for submission in found.iter_mut() {
        let from_zip = submission._unpacked.is_some() || submission.unusable.is_some();
        if from_zip && folders.contains(&submission.student) {
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
        folder: folder.to_path_buf(),
        _unpacked: None,
        unusable: None,
    }
}

fn unpack(student: String, zip: &Path) -> Submission {
    let unusable = |why: String| Submission {
        student: student.clone(),
        folder: zip.to_path_buf(),
        _unpacked: None,
        unusable: Some(why),
    };
    let folder = match TempFolder::new("httplab-zip-") {
        Ok(folder) => folder,
        Err(error) => return unusable(format!("cannot unpack: {error}")),
    };
    match extract(zip, folder.path()) {
        Ok(()) => {
            let root = single_top_folder(folder.path()).unwrap_or_else(|| folder.path().into());
            Submission {
                student,
                folder: root,
                _unpacked: Some(folder),
                unusable: None,
            }
        }
        Err(error) => unusable(format!("cannot unpack {}: {error}", zip.display())),
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
