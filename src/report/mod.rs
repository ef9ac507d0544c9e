//! Renderings of a `check` run, each from the same [`Suite`](crate::check::runner::Suite)
//! and its causes: the teaching report (text, the default), every check's own detail
//! (`--verbose`), JSON for programs (`--json`), and one HTML page with the conversations
//! drawn (`--html`).

pub mod html;
pub mod json;
mod ladder;
pub mod record;
pub mod text;
pub mod verbose;
pub mod verdict;
