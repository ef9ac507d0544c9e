//! Running a program once, to its end or its time limit: a student's client, per scenario.

use std::time::Duration;

use super::{ExitReport, LimitHit, ProgramSpec, SuperviseError, Supervised};

/// Runs `spec` until it exits or `timeout` (wall clock) passes, then kills whatever is left
/// of its tree (a client that exits leaving a background process behind leaves nothing) and
/// reports. A program stopped for time has `limit == Some(LimitHit::Wall)`.
pub fn run_once(spec: &ProgramSpec, timeout: Duration) -> Result<ExitReport, SuperviseError> {
    let mut program = Supervised::start(spec)?;
    let mut pause = Duration::from_millis(1);
    loop {
        if program.exit_status().is_some() {
            break;
        }
        let elapsed = program.elapsed();
        if elapsed >= timeout {
            program.record_limit(LimitHit::Wall);
            break;
        }
        // Short pauses first (most clients finish in milliseconds), then at most 20 ms.
        std::thread::sleep(pause.min(timeout - elapsed));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    Ok(program.stop())
}
