//! The checks of a student's client (the assignment's part 3), and the causes they name.
//! Ids are fixed, as the server's are.

use super::super::{CauseDef, Check, Level, Part};

pub const CLIENT_CHECKS: &[Check] = &[
    Check {
        id: "client.request-line",
        title: "The request line is GET, the path given, and HTTP/1.1",
        level: Level::Assignment,
        reference: "Assignment part 3: send a GET request; RFC 9112 §3",
        part: Part::Three,
        fix: "Send the request line 'GET ' + path + ' HTTP/1.1\\r\\n': the method, the path exactly as given on the command line, and the version.",
    },
    Check {
        id: "client.crlf",
        title: "Every line of the request ends in \\r\\n",
        level: Level::Assignment,
        reference: "RFC 9112 §2.1 (chapter 2: every line ends with a carriage return and a line feed)",
        part: Part::Three,
        fix: "End every line of the request with '\\r\\n', not '\\n'.",
    },
    Check {
        id: "client.host",
        title: "The request has a Host header line",
        level: Level::Must,
        reference: "RFC 9112 §3.2: an HTTP/1.1 request must have exactly one Host",
        part: Part::Three,
        fix: "Send 'Host: ' + host + ':' + port + '\\r\\n' after the request line.",
    },
    Check {
        id: "client.head-end",
        title: "An empty line ends the request head",
        level: Level::Assignment,
        reference: "RFC 9112 §2.1: the head ends with an empty line",
        part: Part::Three,
        fix: "After the last header line send one more '\\r\\n': the request ends in '\\r\\n\\r\\n', and only then does the server answer.",
    },
    Check {
        id: "client.one-request",
        title: "One connection and one request per run",
        level: Level::Assignment,
        reference: "Assignment part 3: one TCP connection to the server, one GET",
        part: Part::Three,
        fix: "Open one socket, connect it once, send one request on it.",
    },
    Check {
        id: "client.prints-response",
        title: "The body is printed, byte for byte",
        level: Level::Assignment,
        reference: "Assignment part 3: display the server's response",
        part: Part::Three,
        fix: "Write what arrived to standard output as it is: sys.stdout.buffer.write(data) (or print(data.decode())), not print(repr(data)).",
    },
    Check {
        id: "client.prints-status",
        title: "The status line is printed too, so a 404 shows",
        level: Level::Should,
        reference: "Assignment part 3: display the server's response",
        part: Part::Three,
        fix: "Print the whole response, head included: the status line says whether it is a 200 or a 404.",
    },
    Check {
        id: "client.pieces",
        title: "A response that arrives in pieces, with pauses, is printed whole",
        level: Level::Assignment,
        reference: "TCP is a byte stream: one recv() is not one response (RFC 9293 §2.2)",
        part: Part::Three,
        fix: "recv() in a loop until the whole response is there (Content-Length bytes after the head, or the server's close), not once.",
    },
    Check {
        id: "client.large",
        title: "A 1 MiB file is printed whole",
        level: Level::Assignment,
        reference: "Assignment part 3: display the server's response",
        part: Part::Three,
        fix: "Keep reading until the whole body has come: recv() returns at most what fits in its buffer, and a 1 MiB body takes many calls.",
    },
    Check {
        id: "client.not-found",
        title: "A 404 is shown, and the client exits",
        level: Level::Assignment,
        reference: "Assignment part 3: display the server's response (a 404 too)",
        part: Part::Three,
        fix: "Print the 404 response like any other (or say the file was not found and exit with a non-zero status).",
    },
    Check {
        id: "client.zero-in-body",
        title: "A body that contains 0\\r\\n is printed whole",
        level: Level::Assignment,
        reference: "RFC 9112 §6.3: the body's length comes from Content-Length or the close",
        part: Part::Three,
        fix: "Stop reading when Content-Length bytes of body have come (or when the server closes), not when '0\\r\\n' appears: that is the end of a chunked body only, and a page can contain it.",
    },
    Check {
        id: "client.keep-alive",
        title: "The client exits when the response is complete, though the server keeps the connection",
        level: Level::Must,
        reference: "RFC 9112 §9.3: an HTTP/1.1 connection stays open unless one side says close",
        part: Part::Three,
        fix: "Send 'Connection: close' so the server closes after its answer, or stop reading after Content-Length bytes of body.",
    },
    Check {
        id: "client.nothing-listens",
        title: "With nothing listening, the client says so and exits non-zero",
        level: Level::Should,
        reference: "A command-line program reports its errors: a message and a non-zero exit status",
        part: Part::Three,
        fix: "Catch the error of connect() (ConnectionRefusedError, an OSError), print a one-line message to stderr and exit with sys.exit(1).",
    },
];

/// The client's causes, in the order to fix them: a request the server cannot answer hides
/// everything else.
pub const CLIENT_CAUSES: &[CauseDef] = &[
    CauseDef {
        id: "request-incomplete",
        title: "The request never ends: no line end, so the server keeps waiting",
        why: "A server answers when the request head has ended with an empty line. 'GET /path' alone, with no version and no '\\r\\n', leaves it waiting until it gives up (httplab: 408 Request Timeout).",
        fix: "Send a whole request: 'GET ' + path + ' HTTP/1.1\\r\\nHost: ' + host + '\\r\\nConnection: close\\r\\n\\r\\n'.",
    },
    CauseDef {
        id: "request-no-version",
        title: "The request line has no HTTP version",
        why: "'GET /path' is how HTTP/0.9 spoke; an HTTP/1.1 server refuses it (400) or waits for the rest.",
        fix: "End the request line with ' HTTP/1.1': 'GET ' + path + ' HTTP/1.1\\r\\n'.",
    },
    CauseDef {
        id: "request-bare-lf",
        title: "Lines of the request end in \\n instead of \\r\\n",
        why: "HTTP ends every line with CR LF. Many servers take a bare '\\n' (httplab refuses it with a 400 that says so), others wait for a '\\r\\n' that never comes.",
        fix: "End every line with '\\r\\n', and the head with one more: 'GET /x HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n'.",
    },
    CauseDef {
        id: "request-no-blank-line",
        title: "No empty line ends the request head",
        why: "The empty line tells the server the head is over; without it, the server waits for more header lines.",
        fix: "After the last header line send '\\r\\n' once more.",
    },
    CauseDef {
        id: "request-no-host",
        title: "The request has no Host header line",
        why: "HTTP/1.1 requires Host in every request: a server answers 400 Bad Request without it.",
        fix: "Send 'Host: ' + host + ':' + str(port) + '\\r\\n' after the request line.",
    },
    CauseDef {
        id: "prints-repr",
        title: "The response is printed as a Python bytes literal (repr)",
        why: "print(repr(data)) or print(data) shows b'...' with \\r\\n spelled out: not the page the server sent.",
        fix: "Print the bytes as they are: sys.stdout.buffer.write(data), or print(data.decode()).",
    },
    CauseDef {
        id: "stops-at-zero",
        title: "The client stops reading at the first 0\\r\\n",
        why: "'0\\r\\n' ends a chunked body only; a page with Content-Length can contain those bytes anywhere, and the client cuts it there.",
        fix: "Read the head, take Content-Length from it, and read exactly that many body bytes (or until the server closes).",
    },
    CauseDef {
        id: "single-recv-client",
        title: "The client prints what one recv() returned",
        why: "TCP is a stream: a response arrives in pieces, and a large one in many. One recv() returns whatever has arrived so far.",
        fix: "recv() in a loop, appending, until Content-Length bytes of body have come or recv() returns b''.",
    },
    CauseDef {
        id: "reads-until-server-closes",
        title: "The client waits for the server to close",
        why: "It reads until recv() returns b''. An HTTP/1.1 server keeps the connection open for the next request unless the client says 'Connection: close', so the client waits forever.",
        fix: "Either send 'Connection: close' (the server then closes after its answer), or stop reading after Content-Length bytes of body.",
    },
    CauseDef {
        id: "crashes-without-server",
        title: "With nothing listening, the client crashes with a traceback",
        why: "connect() raises ConnectionRefusedError when nothing listens; uncaught, the student sees a traceback instead of a message.",
        fix: "try: clientSocket.connect((host, port)) except OSError as e: print('cannot connect:', e, file=sys.stderr); sys.exit(1).",
    },
];
