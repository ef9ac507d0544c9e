//! `--record DIR` (check, check-client) and grade's `transcripts/`: each check's
//! conversations in full, as text with their packets drawn as a ladder, and the packets as
//! a capture beside them (DIR/<id>.txt, DIR/<id>.pcapng) that Wireshark opens.

use std::io;
use std::path::Path;

use crate::check::suite::Suite;
use crate::wire::packets::pcapng::pcapng;
use crate::wire::packets::{Packets, ladder};
use crate::wire::transcript::RenderOptions;

/// Writes every check's records into `dir` (made if missing); the first error stops it,
/// naming the file.
pub fn write_records(dir: &Path, suite: &Suite, program: &str) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for result in suite.results.iter().filter(|r| !r.transcripts.is_empty()) {
        let id = result.check.id;
        let text: String = result
            .transcripts
            .iter()
            .map(|t| {
                let mut text = t.render(RenderOptions::FULL);
                if let Some(packets) = &t.packets {
                    text.push_str(&ladder::render(packets, t.recorded_by, true));
                }
                text + "\n"
            })
            .collect();
        let named = |path: &Path, error: io::Error| {
            io::Error::new(error.kind(), format!("{}: {error}", path.display()))
        };
        let text_path = dir.join(format!("{id}.txt"));
        std::fs::write(&text_path, text).map_err(|e| named(&text_path, e))?;
        let packets: Vec<&Packets> = result
            .transcripts
            .iter()
            .filter_map(|t| t.packets.as_deref())
            .collect();
        if !packets.is_empty() {
            let bytes = pcapng(&packets, &format!("{program}: {id}"))
                .map_err(|e| io::Error::other(format!("{id}: {e}")))?;
            let capture_path = dir.join(format!("{id}.pcapng"));
            std::fs::write(&capture_path, bytes).map_err(|e| named(&capture_path, e))?;
        }
    }
    Ok(())
}
