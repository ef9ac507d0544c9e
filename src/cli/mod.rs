//! The commands of the `httplab` binary, one file each: their arguments (clap derive) and
//! how each calls the library and turns the result into output and an exit code.

pub mod check;
pub mod check_client;
pub mod fixtures;
pub mod grade;
pub mod probe;
pub mod serve;

use std::time::Duration;

/// A number of seconds, fractions allowed (`0.5`).
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("'{text}' is not a valid number of seconds"))
}
