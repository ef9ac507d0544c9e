//! httplab: a teaching testbench for the "write your own web server" assignment of Kurose &
//! Ross, *Computer Networking: A Top-Down Approach*, chapter 2.
//!
//! - [`http`]: the protocol, pure (request parsing, response encoding).
//! - [`site`]: the read-only filesystem view a server answers from.
//! - [`respond`]: the core, `respond(bytes, &view, now, &rules) -> Outcome`.
//! - [`pages`]: the small HTML and text bodies `respond` writes (404, listings, refusals).
//! - [`server`]: `httplab serve`: the per-connection session (pure) and its two drivers.
//! - [`render`]: bytes made readable (visible CR/LF, hex dumps).
//! - [`wire`]: the client side: a recording raw-socket client, transcripts, the response
//!   analysis (`httplab probe`).
//! - [`check`]: the checks that grade any server, their runner, and the causes they name
//!   (`httplab check`).
//! - [`report`]: renderings of a check run: the teaching text, `--verbose`, JSON, HTML.
//! - [`supervise`]: run a student's program within limits, watch it, kill its whole tree.
//! - [`fixtures`]: the fixture site, embedded (`httplab fixtures`, and `check`'s own server).

pub mod check;
pub mod fixtures;
pub mod grade;
pub mod http;
pub mod pages;
pub mod render;
pub mod report;
pub mod respond;
pub mod server;
pub mod site;
pub mod supervise;
pub mod wire;

pub use respond::{Answer, Outcome, Rules, respond};
