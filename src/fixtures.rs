//! The fixture site, embedded in the binary: `httplab check` compares a server's answers
//! with these bytes, and `httplab fixtures DIR` writes them out so a student can start their
//! own server in that folder. A test keeps this list and `fixtures/` identical.

use std::io;
use std::path::Path;

/// Every fixture: its path inside the site (no leading slash) and its bytes.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "HelloWorld.html",
        include_bytes!("../fixtures/HelloWorld.html"),
    ),
    ("README.md", include_bytes!("../fixtures/README.md")),
    (
        "hello world.html",
        include_bytes!("../fixtures/hello world.html"),
    ),
    (
        "helloWorld.html",
        include_bytes!("../fixtures/helloWorld.html"),
    ),
    ("index.html", include_bytes!("../fixtures/index.html")),
    (
        "listing/data.json",
        include_bytes!("../fixtures/listing/data.json"),
    ),
    (
        "listing/notes.txt",
        include_bytes!("../fixtures/listing/notes.txt"),
    ),
    ("logo.png", include_bytes!("../fixtures/logo.png")),
    ("style.css", include_bytes!("../fixtures/style.css")),
    (
        "sub/index.html",
        include_bytes!("../fixtures/sub/index.html"),
    ),
    ("unicode.html", include_bytes!("../fixtures/unicode.html")),
];

/// The bytes of the fixture at `path` (`helloWorld.html`, `sub/index.html`).
pub fn get(path: &str) -> Option<&'static [u8]> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// The fixtures that `dir` already holds with other content (a student's own
/// `helloWorld.html`, say): writing would overwrite them.
pub fn conflicts(dir: &Path) -> Vec<&'static str> {
    FILES
        .iter()
        .filter(|(path, bytes)| {
            std::fs::read(dir.join(path)).is_ok_and(|existing| existing != *bytes)
                || dir.join(path).is_dir()
        })
        .map(|(path, _)| *path)
        .collect()
}

/// Writes every fixture under `dir`, creating folders as needed. Existing files with the
/// same names are replaced ([`conflicts`] says which differ); nothing else in `dir` is
/// touched.
pub fn write_to(dir: &Path) -> io::Result<usize> {
    for (path, bytes) in FILES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, bytes)?;
    }
    Ok(FILES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_exactly_the_fixtures_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path
                        .strip_prefix(&root)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string();
                    on_disk.push((relative, std::fs::read(&path).unwrap()));
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<(String, Vec<u8>)> = FILES
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        assert_eq!(
            embedded, on_disk,
            "src/fixtures.rs must list every file of fixtures/, sorted"
        );
    }
}
