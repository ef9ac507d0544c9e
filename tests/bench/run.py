#!/usr/bin/env python3
"""httplab's side-by-side benchmark: httplab, nginx, lighttpd and Python's http.server on
loopback, the same scenarios for each, interleaved (A B C D, A B C D) so that drift on a
shared machine hits every server alike. Prints a table and writes tests/bench/RESULTS.md.

Run it with `just bench` (which builds httplab in release mode first). Bounded to about
seven minutes (three interleaved rounds; `--rounds N` changes that). A missing peer is
installed with apt-get when running as root, else skipped with a notice. Only ratios measured in the same run mean anything."""

import argparse
import datetime
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # tests/bench/ -> the repository
HELLO = b"<head>Hello world!</head>\n<body>abcdefg</body>\n"
CLK_TCK = os.sysconf("SC_CLK_TCK")
HISTORY_MARKER = "<!-- history: kept by run.py -->"


def log(message):
    print(message, file=sys.stderr, flush=True)


def ensure_tool(binary, package):
    """The path of `binary`, installing Debian's `package` when missing and root."""
    found = shutil.which(binary) or (os.path.exists(f"/usr/sbin/{binary}") and f"/usr/sbin/{binary}")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing {package} ...")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = shutil.which(binary) or (os.path.exists(f"/usr/sbin/{binary}") and f"/usr/sbin/{binary}")
    if not found:
        log(f"NOTICE: {binary} is not installed and cannot be installed here: skipped")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def make_docroot(path):
    with open(os.path.join(path, "hello.html"), "wb") as f:
        f.write(HELLO)
    block = os.urandom(1024 * 1024)
    with open(os.path.join(path, "10k.bin"), "wb") as f:
        f.write(block[:10 * 1024])
    with open(os.path.join(path, "1m.bin"), "wb") as f:
        f.write(block)
    with open(os.path.join(path, "100m.bin"), "wb") as f:
        for _ in range(100):
            f.write(block)
    with open(os.path.join(path, "1g.bin"), "wb") as f:
        for _ in range(1024):
            f.write(block)


class Server:
    def __init__(self, name, command, port, cwd=None, config_note=""):
        self.name, self.command, self.port, self.cwd = name, command, port, cwd
        self.config_note = config_note
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.command, cwd=self.cwd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_port(self.port):
            raise RuntimeError(f"{self.name} did not start: {' '.join(self.command)}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_ticks(self):
        """User+system ticks of the server process (and its threads)."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def httplab_server(docroot):
    port = free_port()
    binary = os.path.join(ROOT, "target", "release", "httplab")
    command = [binary, "serve", docroot, "--port", str(port), "--quiet",
               "--max-connections", "4096", "--idle-timeout", "60"]
    return Server("httplab", command, port, config_note="--quiet --max-connections 4096 --idle-timeout 60")


def nginx_server(docroot, state):
    nginx = ensure_tool("nginx", "nginx")
    if not nginx:
        return None
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = f"""{user}worker_processes 1;
daemon off;
master_process off;
pid {state}/nginx.pid;
error_log {state}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 60;
    keepalive_requests 10000000;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    server {{ listen 127.0.0.1:{port} backlog=4096; root {docroot}; }}
}}
"""
    path = os.path.join(state, "nginx.conf")
    with open(path, "w") as f:
        f.write(config)
    return Server("nginx", [nginx, "-c", path, "-p", state, "-e", f"{state}/nginx-error.log"], port,
                  config_note="1 worker, access_log off, sendfile on, keepalive_requests 10M")


def lighttpd_server(docroot, state):
    lighttpd = ensure_tool("lighttpd", "lighttpd")
    if not lighttpd:
        return None
    port = free_port()
    config = f"""server.document-root = "{docroot}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{state}/lighttpd-error.log"
server.max-connections = 4096
server.max-fds = 8192
server.max-keep-alive-requests = 10000000
server.max-keep-alive-idle = 60
server.network-backend = "sendfile"
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
"""
    path = os.path.join(state, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(config)
    return Server("lighttpd", [lighttpd, "-D", "-f", path], port,
                  config_note="max-keep-alive-requests 10M, max-keep-alive-idle 60, sendfile")


def python_server(docroot):
    port = free_port()
    return Server("python", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                  port, cwd=docroot, config_note="python3 -m http.server (ThreadingHTTPServer)")


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(text):
    result = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    result["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
    if m:
        scale = {"B": 1e-6, "KB": 1e-3, "MB": 1.0, "GB": 1e3}.get(m.group(2), 1.0)
        result["mbps"] = float(m.group(1)) * scale
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        result[f"p{pct}"] = float(m.group(1)) * UNITS[m.group(2)] if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non2xx"] = int(m.group(1)) if m else 0
    return result


class Watch:
    """While a client runs: the server's peak RSS (sampled every `interval` s), its CPU use
    and the wall time, from `with Watch(server) as watch:` to its end."""

    def __init__(self, server, interval):
        self.server, self.interval = server, interval

    def __enter__(self):
        self.ticks = self.server.cpu_ticks()
        self.peak_kib = self.server.rss_kib()
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample)
        self.sampler.start()
        self.started = time.time()
        return self

    def _sample(self):
        while not self.done.wait(self.interval):
            try:
                self.peak_kib = max(self.peak_kib, self.server.rss_kib())
            except OSError:
                return

    def __exit__(self, *_):
        self.elapsed = time.time() - self.started
        self.done.set()
        self.sampler.join()
        self.cpu = 100.0 * (self.server.cpu_ticks() - self.ticks) / CLK_TCK / max(self.elapsed, 1e-6)
        self.rss_mib = self.peak_kib / 1024.0


def wrk(server, path, seconds, connections=50, close=False):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if close:
        command += ["-H", "Connection: close"]
    command.append(f"http://127.0.0.1:{server.port}{path}")
    with Watch(server, 0.1) as watch:
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    result = parse_wrk(output)
    result["cpu"] = watch.cpu
    result["rss"] = watch.rss_mib
    return result


def download(server, path, byte_range=None):
    """One curl download (of `byte_range` only, as curl -r takes it, when given); returns MB/s
    and the server's peak RSS during it."""
    ranged = ["-r", byte_range] if byte_range else []
    with Watch(server, 0.01) as watch:
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{speed_download}",
                              *ranged, f"http://127.0.0.1:{server.port}{path}"], capture_output=True,
                             text=True, timeout=120).stdout.split()
    size, speed = (int(out[0]), float(out[1])) if len(out) == 2 else (0, 0.0)
    return {"mbps": speed / 1e6, "bytes": size, "rss": watch.rss_mib, "cpu": watch.cpu}


class IdleHolder:
    """Holds `count` keep-alive connections open and idle: each sends one request, reads the
    answer, and then says nothing. Bounded: whatever is not connected within 15 s is left
    out (a server with a tiny listen backlog makes connections wait)."""

    def __init__(self, port, count, path, budget=15.0):
        self.sockets = []
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        deadline = time.time() + budget
        for _ in range(count):
            left = deadline - time.time()
            if left <= 0:
                break
            s = socket.socket()
            s.settimeout(min(left, 2.0))
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(request)
                self.sockets.append(s)
            except OSError:
                s.close()
        for s in self.sockets:
            left = deadline + 5 - time.time()
            try:
                s.settimeout(max(left, 0.01))
                s.recv(65536)
            except OSError:
                pass

    def still_open(self):
        alive = 0
        for s in self.sockets:
            s.setblocking(False)
            try:
                data = s.recv(1)
                alive += 1 if data else 0
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def close(self):
        for s in self.sockets:
            s.close()


def fmt(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def ratio(value, base):
    if not value or not base:
        return "—"
    return f"{value / base:.2f}×"


def main():
    # SIGTERM (a timeout, Ctrl-C from a wrapper) still stops the servers and removes the files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=4, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per scenario")
    parser.add_argument("--only", default="", help="comma-separated scenario numbers (4c: the ranged download alone)")
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    want = lambda n: not only or str(n) in only

    if not ensure_tool("wrk", "wrk") or not ensure_tool("curl", "curl"):
        sys.exit("wrk and curl are needed")
    binary = os.path.join(ROOT, "target", "release", "httplab")
    if not os.path.exists(binary):
        sys.exit("build httplab first: cargo build --release (just bench does)")

    work = tempfile.mkdtemp(prefix="httplab-bench-")
    os.chmod(work, 0o755)
    docroot = os.path.join(work, "site")
    state = os.path.join(work, "state")
    os.makedirs(docroot)
    os.makedirs(state)
    log(f"making the docroot in {docroot} (hello page, 10 KiB, 1 MiB, 100 MiB, 1 GiB) ...")
    make_docroot(docroot)

    servers = [s for s in (httplab_server(docroot), nginx_server(docroot, state),
                           lighttpd_server(docroot, state), python_server(docroot)) if s]
    rows = []  # (scenario, metric label, {server: result})
    try:
        for server in servers:
            server.start()
        log("servers: " + ", ".join(f"{s.name} on {s.port}" for s in servers))

        def interleaved(label, run, skip=()):
            results = {s.name: [] for s in servers if s.name not in skip}
            for round_ in range(args.rounds):
                for server in servers:
                    if server.name in skip:
                        continue
                    log(f"  {label}: {server.name} (round {round_ + 1})")
                    results[server.name].append(run(server))
            best = {}
            for name, runs in results.items():
                # The median run by throughput: one slow or
                # lucky round on a shared machine does not decide the table.
                runs = sorted(runs, key=lambda r: r.get("rps") or r.get("mbps") or 0)
                best[name] = runs[len(runs) // 2]
            return best

        if want(1):
            rows.append(("1. hello page, keep-alive, 50 connections", "rps",
                         interleaved("scenario 1", lambda s: wrk(s, "/hello.html", args.seconds))))
        if want(2):
            rows.append(("2. hello page, Connection: close (a connection per request)", "rps",
                         interleaved("scenario 2", lambda s: wrk(s, "/hello.html", args.seconds, close=True))))
        if want(3):
            rows.append(("3a. 10 KiB file, keep-alive, 50 connections", "rps",
                         interleaved("scenario 3a", lambda s: wrk(s, "/10k.bin", args.seconds))))
            rows.append(("3b. 1 MiB file, keep-alive, 50 connections", "mbps",
                         interleaved("scenario 3b", lambda s: wrk(s, "/1m.bin", args.seconds))))
        if want(4):
            rows.append(("4a. one 100 MiB download (curl)", "mbps",
                         interleaved("scenario 4a", lambda s: download(s, "/100m.bin"))))
            rows.append(("4b. one 1 GiB download: server peak RSS", "rss",
                         interleaved("scenario 4b", lambda s: download(s, "/1g.bin"))))
        if want(4) or "4c" in only:
            # A resumed download: a range from 100 MiB to the end is sent with sendfile from an
            # offset, as fast as the whole file and in as little memory. Python's http.server
            # ignores Range and sends the whole GiB.
            rows.append(("4c. the 1 GiB file from 100 MiB on (Range: bytes=104857600-, 924 MiB): "
                         "server peak RSS", "rss",
                         interleaved("scenario 4c", lambda s: download(s, "/1g.bin", "104857600-"))))
        if want(5):
            def with_idle(server):
                holder = IdleHolder(server.port, 1000, "/hello.html")
                try:
                    result = wrk(server, "/hello.html", args.seconds)
                    result["held"] = holder.still_open()
                    return result
                finally:
                    holder.close()
                    time.sleep(0.5)
            rows.append(("5. scenario 1 while 1,000 idle keep-alive connections are held", "rps",
                         interleaved("scenario 5", with_idle)))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    report = render(rows, servers, args)
    print(report)
    if not args.no_results:
        # Keep the hand-written history (what each change bought) below the marker.
        history = ""
        if os.path.exists(args.results):
            with open(args.results) as f:
                previous = f.read()
            if HISTORY_MARKER in previous:
                history = previous[previous.index(HISTORY_MARKER):]
        with open(args.results, "w") as f:
            f.write(report + "\n" + history)
        log(f"wrote {args.results}")


def versions(servers):
    def first_line(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    names = {s.name for s in servers}
    found = [("httplab", first_line([os.path.join(ROOT, "target", "release", "httplab"), "--version"]))]
    if "nginx" in names:
        found.append(("nginx", first_line([shutil.which("nginx") or "/usr/sbin/nginx", "-v"])))
    if "lighttpd" in names:
        found.append(("lighttpd", first_line([shutil.which("lighttpd") or "/usr/sbin/lighttpd", "-v"])))
    found.append(("python", first_line([sys.executable, "--version"])))
    found.append(("wrk", first_line(["wrk", "--version"])))
    found.append(("curl", first_line(["curl", "--version"])))
    found.append(("rustc", first_line(["rustc", "--version"])))
    return found


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def render(rows, servers, args):
    names = [s.name for s in servers]
    out = []
    out.append("# httplab benchmark results\n")
    out.append(f"Run on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; "
               f"machine: {machine()}. Loopback; wrk -t1 -c50, {args.seconds} s per run, "
               f"{args.rounds} interleaved rounds (the median run is kept). "
               "wrk runs on the same two cores as the server, so absolute numbers are low; "
               "only the ratios of one run mean anything.\n")
    out.append("Versions: " + "; ".join(f"{n}: {v}" for n, v in versions(servers)) + "\n")
    out.append("Configurations: " + "; ".join(f"{s.name}: {s.config_note}" for s in servers) + "\n")
    for scenario, metric, results in rows:
        out.append(f"\n## {scenario}\n")
        if metric == "rss":
            out.append("| server | peak RSS (MiB) | MB/s | server CPU % | ratio RSS to nginx | to lighttpd |")
            out.append("|---|---:|---:|---:|---:|---:|")
        else:
            out.append("| server | req/s | MB/s | p50 ms | p99 ms | server CPU % | peak RSS MiB | "
                       "vs nginx | vs lighttpd |" + (" idle held |" if "idle" in scenario else ""))
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if "idle" in scenario else ""))
        base_n = results.get("nginx", {})
        base_l = results.get("lighttpd", {})
        for name in names:
            if name not in results:
                continue
            r = results[name]
            if metric == "rss":
                out.append(f"| {name} | {fmt(r['rss'], 1)} | {fmt(r.get('mbps'), 0)} | {fmt(r.get('cpu'), 0)} | "
                           f"{ratio(r['rss'], base_n.get('rss'))} | {ratio(r['rss'], base_l.get('rss'))} |")
                continue
            key = "mbps" if metric == "mbps" else "rps"
            errors = ""
            if r.get("errors") or r.get("non2xx"):
                errors = f" ({r.get('errors', 0)} socket errors, {r.get('non2xx', 0)} non-2xx)"
            line = (f"| {name}{errors} | {fmt(r.get('rps'))} | {fmt(r.get('mbps'), 1)} | {fmt(r.get('p50'), 2)} | "
                    f"{fmt(r.get('p99'), 2)} | {fmt(r.get('cpu'), 0)} | {fmt(r.get('rss'), 1)} | "
                    f"{ratio(r.get(key), base_n.get(key))} | {ratio(r.get(key), base_l.get(key))} |")
            if "idle" in scenario:
                line += f" {r.get('held', '—')} |"
            out.append(line)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
