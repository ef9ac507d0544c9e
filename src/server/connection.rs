//! One connection in the thread model, on its own thread, with blocking calls: the server of
//! the assignment as a student would write it — read, answer, write, repeat. Every decision
//! (whether a request is complete, what to answer, keep-alive or close, which deadline) is
//! the session's; this loop only moves bytes between the socket and the session, and tells
//! it what time it is.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant, SystemTime};

use super::record::{ConnectionRecord, Outgoing};
use super::session::{Env, Responder, Session, Transmit};
use super::shared::Shared;
use super::socket::{send_before_close, sendfile, wait_until_sent};

pub(super) fn serve_connection<R: Responder>(
    mut stream: TcpStream,
    mut session: Session<R>,
    shared: &Shared,
    mut record: Option<&mut ConnectionRecord>,
) {
    let _ = stream.set_nodelay(true);
    let in_pieces = session.sends_in_pieces();
    while !session.is_closed() {
        // Send what the session has queued: responses, perhaps our half of the close.
        while let Some(transmit) = session.transmit() {
            if let Some(record) = record.as_deref_mut() {
                note(record, &transmit);
            }
            let written = write(&mut stream, transmit, session.deadline());
            if let (Some(record), Ok(count)) = (record.as_deref_mut(), &written) {
                record.sent(*count);
            }
            let date = (shared.config.clock)();
            let env = env(shared, &date);
            match written {
                Ok(Some(count)) => {
                    session.sent(count, &env);
                    if in_pieces {
                        wait_until_sent(&stream);
                    }
                }
                Ok(None) => session.shut_down(&env),
                Err(_) => session.abort(), // gone, stopped reading, or the file ended early
            }
        }
        write_log(&mut session, shared);
        if session.is_closed() {
            break;
        }
        if shared.stopping() {
            session.stop();
            continue;
        }
        // Wait for the client's bytes, until the session's next deadline at most.
        let deadline = session.deadline();
        let date = (shared.config.clock)();
        let read = match (
            session.read_buffer(&env(shared, &date)),
            time_left(deadline),
        ) {
            (_, Err(timed_out)) => Err(timed_out),
            (Some(buffer), Ok(wait)) => {
                let read = stream
                    .set_read_timeout(wait)
                    .and_then(|()| stream.read(buffer));
                if let (Some(record), Ok(count)) = (record.as_deref_mut(), &read) {
                    record.read(&buffer[..*count]);
                }
                read
            }
            (None, Ok(wait)) => {
                // Nothing to read now; nothing can happen before the deadline.
                std::thread::sleep(wait.unwrap_or(Duration::from_millis(100)));
                Err(ErrorKind::TimedOut.into())
            }
        };
        let date = (shared.config.clock)();
        let env = env(shared, &date);
        match read {
            Ok(count) => session.received(count, &env),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                session.tick(&env)
            }
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => {
                if let (Some(record), ErrorKind::ConnectionReset) =
                    (record.as_deref_mut(), error.kind())
                {
                    record.reset();
                }
                session.abort()
            }
        }
    }
    write_log(&mut session, shared);
}

/// Tells the record what a transmit carries, before it goes.
fn note(record: &mut ConnectionRecord, transmit: &Transmit) {
    match transmit {
        Transmit::Bytes { bytes, .. } => record.will_send(Outgoing::Bytes(bytes)),
        Transmit::File { file, offset, .. } => record.will_send(Outgoing::File {
            file,
            offset: *offset,
        }),
        Transmit::Shutdown => {}
    }
}

/// Writes what the session gave, waiting until `deadline` at most: `Some(count)` sent, or
/// `None` when it was the half-close.
fn write(
    stream: &mut TcpStream,
    transmit: Transmit,
    deadline: Option<Instant>,
) -> io::Result<Option<usize>> {
    stream.set_write_timeout(time_left(deadline)?)?;
    let count = match transmit {
        Transmit::Bytes { bytes, last: true } => send_before_close(stream, bytes)?,
        Transmit::Bytes { bytes, last: false } => stream.write(bytes)?,
        Transmit::File { file, offset, len } => sendfile(stream, file, offset, len)?,
        Transmit::Shutdown => {
            stream.shutdown(Shutdown::Write)?;
            return Ok(None);
        }
    };
    if count == 0 {
        return Err(ErrorKind::WriteZero.into()); // a file that ended early
    }
    Ok(Some(count))
}

/// How long a blocking call may wait for `deadline` (`None`: no bound); an error once it has
/// come.
fn time_left(deadline: Option<Instant>) -> io::Result<Option<Duration>> {
    match deadline {
        None => Ok(None),
        Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(ErrorKind::TimedOut.into()),
        },
    }
}

fn env<'a>(shared: &'a Shared, date: &'a SystemTime) -> Env<'a> {
    shared.config.env(Instant::now(), date, &shared.view)
}

fn write_log<R: Responder>(session: &mut Session<R>, shared: &Shared) {
    for record in session.take_log() {
        shared.log.write(&record);
    }
}
