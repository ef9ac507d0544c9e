//! The server against the clients people really use: headless Chromium, curl, wget, Python's
//! `urllib.request` and `http.client`, ApacheBench and h2load, and the HTTP linter REDbot.
//! Each test starts the real binary (`httplab serve fixtures --port 0`), drives one client
//! against it with a hard time bound, compares what arrived with the files in `fixtures/` byte
//! for byte, and stops everything it started, by PID.
//!
//! The tools are Debian packages that `just test` installs when they are missing. A test
//! whose tool is not installed says `SKIPPED: <tool> is not installed (apt-get install
//! <pkg>)` on stderr and returns; under CI (`CI` set) a missing tool is a failure instead,
//! since CI installs them all and none may skip there.
//!
//! Layout: the shared harness is in `harness.rs`; the tests of each client are in their own
//! file (`chromium.rs`, `curl.rs`, `wget.rs`, `python.rs`, `load_tools.rs` for ab and h2load,
//! `redbot.rs`), so a test is named `CLIENT::NAME`. REDbot is no Debian package: its test
//! installs it with pip into a virtual environment of its own.

#[path = "../common/mod.rs"]
mod common;

mod harness;

mod chromium;
mod chromium_reload;
mod curl;
mod load_tools;
mod python;
mod redbot;
mod wget;
