//! The root causes `check` can name, as data, in the order to fix them: one bug in a
//! student's server usually fails several checks, and the report teaches the bug, not the
//! checks. A check that fails for a reason no cause here covers is its own cause, with the
//! fix its catalogue entry gives (`Check::fix`).
//!
//! Each text is written for a student at the socket API: what the server does, why it
//! breaks a client, and what to change in the code.

use super::CauseDef;
use super::client::catalogue::CLIENT_CAUSES;

/// Every shared cause, in the order to fix them: a server that never answers shows no other
/// bug; a wrong status line or line end spoils every response; then the body; then how
/// connections are handled; warnings last.
pub const CAUSES: &[CauseDef] = &[
    CauseDef {
        id: "reads-until-close",
        title: "The server waits for the client to close before it answers",
        why: "It calls recv() until it returns b'', which happens only when the client closes its side; a browser never does, it waits for the answer. httplab got one only after shutdown(SHUT_WR).",
        fix: "Stop reading when the request head is complete: recv() in a loop, append what arrives, and stop as soon as the data contains '\\r\\n\\r\\n'. Then answer.",
    },
    CauseDef {
        id: "never-answers",
        title: "The server accepts connections but never answers",
        why: "Nothing came back to a plain GET, not even after httplab half-closed the connection.",
        fix: "After accept(), recv() the request and send the response on the connection socket that accept() returned (connectionSocket, not serverSocket), then close it.",
    },
    CauseDef {
        id: "exits-after-answering",
        title: "The server stops after a client: no loop around accept()",
        why: "It ended by itself, with exit status 0 and no traceback, while clients were still coming: the program reached its last line (or sys.exit()) after answering. A web server answers one client after another, for as long as it runs.",
        fix: "Put accept() and everything after it (recv, send, closing connectionSocket) inside a while True: loop. Close serverSocket and exit only after the loop, never inside it.",
    },
    // httplab stopped the server for going past one of `check --run`'s bounds
    // (`Limits::default`; the numbers are tested against it).
    CauseDef {
        id: "crash",
        title: "The server crashed",
        why: "An exception that nothing catches ends the whole server: every client after it gets 'connection refused'.",
        fix: "Handle each connection in try/except Exception (close it in finally:), so one bad request never stops the accept() loop; then fix the line the traceback names.",
    },
    CauseDef {
        id: "limit-processes",
        title: "The server kept too many processes alive, and httplab stopped it",
        why: "Every fork() adds a process, and httplab lets a server have 64 at once (a fork bomb would take the machine down). A child that lives on after it answered (it sleeps, waits, or goes back to accept()) stays counted: one per connection, until there are too many.",
        fix: "For part 2, use threads as the assignment asks: threading.Thread(target=handle, args=(connectionSocket,)).start(). If you fork, end the child with os._exit(0) as soon as it has sent the answer and closed its socket.",
    },
    CauseDef {
        id: "limit-memory",
        title: "The server used too much memory, and httplab stopped it",
        why: "httplab lets a server use 512 MiB of memory, all its processes together. Reading a large file whole (f.read()) for each client, or keeping every request, goes past it.",
        fix: "Send a file in pieces: read 64 KiB at a time and sendall() each piece, or let connectionSocket.sendfile(f) do it.",
    },
    CauseDef {
        id: "limit-cpu",
        title: "The server used all its CPU time (an endless loop?), and httplab stopped it",
        why: "httplab lets a server use 60 s of CPU; one that waits for clients uses almost none. A loop that never waits spins: a while True that goes on after recv() returned b'' (the client closed), or one around a non-blocking socket.",
        fix: "Let the server wait in accept() and recv() (blocking sockets), and leave the reading loop when recv() returns b''.",
    },
    CauseDef {
        id: "limit-folder",
        title: "The server wrote too much into its folder, and httplab stopped it",
        why: "httplab lets a server write 256 MiB into the folder it runs in; this one kept writing (a copy of each request or response, a log that grows without end).",
        fix: "Do not write files while serving: print() a line per request if you want a log.",
    },
    CauseDef {
        id: "limit-wall",
        title: "The server ran longer than allowed, and httplab stopped it",
        why: "A whole check takes a minute or two; this server was still running long after it.",
        fix: "Look in its output for what it was doing; a server should only wait in accept() and recv() between clients.",
    },
    CauseDef {
        id: "status-line-prefix",
        title: "Something comes before HTTP/ on the status line",
        why: "The response must start with 'HTTP/1.1'; with anything before it, a client sees no status line at all.",
        fix: "Start the response with exactly 'HTTP/1.1 200 OK\\r\\n': remove what comes before 'HTTP/' (often a space in the header string).",
    },
    CauseDef {
        id: "no-head-end",
        title: "The head never ends: no empty line after the header lines",
        why: "A client knows the head is over only at an empty line; without one it waits for more header lines, or reads the body as headers.",
        fix: "After the last header line, send an empty line, so that every head (404s too) ends in '\\r\\n\\r\\n'.",
    },
    CauseDef {
        id: "bare-lf",
        title: "Lines of the head end in \\n instead of \\r\\n",
        why: "HTTP ends every line of the head with CR LF ('\\r\\n'). Browsers forgive a bare '\\n'; many clients, proxies and tools do not.",
        fix: "End every line with '\\r\\n', and the head with one more: 'HTTP/1.1 200 OK\\r\\nContent-Length: 47\\r\\n\\r\\n'.",
    },
    CauseDef {
        id: "length-in-characters",
        title: "Content-Length counts characters, not bytes",
        why: "Content-Length is the body's number of bytes. A page with é or 中 has more bytes than characters: the client cuts it.",
        fix: "Count the bytes you send: data = text.encode('utf-8') and len(data) — or read the file in 'rb' mode.",
    },
    CauseDef {
        id: "bytes-after-body",
        title: "Bytes are sent after the body",
        why: "A client reads exactly Content-Length bytes of body, and takes what follows for the next response.",
        fix: "Send the body and nothing after it: remove the extra send() (no '\\r\\n' follows a body in HTTP).",
    },
    CauseDef {
        id: "text-mode",
        title: "Files are read in text mode: binary files are corrupted",
        why: "open(path) reads text: it decodes UTF-8 and rewrites line ends, which garbles a PNG or raises UnicodeDecodeError.",
        fix: "Open every file in binary mode, open(path, 'rb'), and send the bytes as they are.",
    },
    CauseDef {
        id: "single-recv",
        title: "One recv() is taken as the whole request",
        why: "TCP is a stream: a request can arrive in pieces, and a browser's, with cookies, is longer than recv(1024).",
        fix: "Call recv() in a loop and append until the data contains '\\r\\n\\r\\n' (the end of the head).",
    },
    CauseDef {
        id: "one-at-a-time",
        title: "The server serves one connection at a time",
        why: "While it waits on one client (a browser keeps spare connections open), every other client waits too.",
        fix: "Accept in the main thread, serve each connection in its own: threading.Thread(target=handle, args=(connectionSocket,)).start().",
    },
    CauseDef {
        id: "never-closes",
        title: "The server never closes a connection",
        why: "After the response it neither closes nor reads a next request: a client that asked for the close, or sends a second request, waits forever.",
        fix: "After the response, connectionSocket.close(), and say so with a 'Connection: close' header line.",
    },
    CauseDef {
        id: "closes-unannounced",
        title: "The server closes after each response without saying so",
        why: "An HTTP/1.1 response without 'Connection: close' promises the connection stays open for the next request.",
        fix: "Send a 'Connection: close' header line in every response after which you close the connection.",
    },
    CauseDef {
        id: "reason-phrase",
        title: "The reason phrase does not match the status code",
        why: "'404 Found' says two different things; the phrase that goes with 404 is 'Not Found', with 200 'OK'.",
        fix: "Send the phrase that belongs to the code: 'HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found'.",
    },
    CauseDef {
        id: "tiny-sends",
        title: "The response leaves in tiny pieces (one send() per byte or per line)",
        why: "Every send() can become its own TCP segment with 40 bytes of headers: a 300-byte page becomes 300 packets.",
        fix: "Build the whole response (head and body) as one bytes object and send it with one sendall().",
    },
];

/// The definition of a shared cause, a server's or a client's.
pub fn find(id: &str) -> Option<&'static CauseDef> {
    CAUSES
        .iter()
        .chain(CLIENT_CAUSES)
        .find(|cause| cause.id == id)
}

/// Where a cause stands in the order to fix them: shared causes first, in their order.
pub fn rank(id: &str) -> usize {
    CAUSES
        .iter()
        .chain(CLIENT_CAUSES)
        .position(|cause| cause.id == id)
        .unwrap_or(CAUSES.len() + CLIENT_CAUSES.len())
}

/// The shared cause of a server httplab stopped for going past `limit`.
pub fn of_limit(limit: crate::supervise::LimitHit) -> &'static str {
    use crate::supervise::LimitHit;
    match limit {
        LimitHit::Processes => "limit-processes",
        LimitHit::Memory => "limit-memory",
        LimitHit::Cpu => "limit-cpu",
        LimitHit::Folder => "limit-folder",
        LimitHit::Wall => "limit-wall",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervise::Limits;

    /// The bounds the limit causes name are the ones `check --run` sets.
    #[test]
    fn the_limit_causes_name_the_default_bounds() {
        let limits = Limits::default();
        let why = |id: &str| find(id).unwrap().why;
        let mib = |bytes: u64| format!("{} MiB", bytes >> 20);
        assert!(why("limit-processes").contains(&format!("{} at once", limits.processes)));
        assert!(why("limit-memory").contains(&mib(limits.memory_bytes)));
        assert!(why("limit-cpu").contains(&format!("{} s of CPU", limits.cpu.as_secs())));
        assert!(why("limit-folder").contains(&mib(limits.folder_bytes)));
    }
}
