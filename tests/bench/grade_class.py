#!/usr/bin/env python3
"""Times `httplab grade` on a class of 40 mixed submissions, sandboxed (needs root).

The class, built in a temporary folder from tests/peers: 7 correct servers (one of them
zipped), the seed's two servers (4 each), the five student-like servers with the textbook's
bugs (3 each), and the ten hostile submissions of tests/peers/class (a syntax error, never
listens, another port, exits at once, forks, loops forever, floods stdout, writes a huge
file, reads outside its folder, kill(-1)). A benchmark, not a test: it prints numbers.

Usage: python3 tests/bench/grade_class.py [JOBS]   (just bench-grade)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = os.path.join(REPO, "tests", "peers")
HTTPLAB = os.path.join(REPO, "target", "release", "httplab")


def add(class_dir, student, script):
    os.makedirs(os.path.join(class_dir, student))
    shutil.copy(script, os.path.join(class_dir, student, "server.py"))


def build(class_dir):
    good = os.path.join(PEERS, "class", "good", "server.py")
    for n in range(6):
        add(class_dir, "correct_%d" % n, good)
    with zipfile.ZipFile(os.path.join(class_dir, "correct_zipped.zip"), "w") as z:
        z.write(good, "correct_zipped/server.py")
    for n in range(4):
        add(class_dir, "seed_%d" % n, os.path.join(PEERS, "seed_server.py"))
        add(class_dir, "seed_threaded_%d" % n, os.path.join(PEERS, "seed_threaded_server.py"))
    for name in ["skeleton", "threaded_chars", "eof_reader", "crash_on_empty", "crash_on_png"]:
        for n in range(3):
            add(class_dir, "%s_%d" % (name, n), os.path.join(PEERS, "students", name + ".py"))
    for name in sorted(os.listdir(os.path.join(PEERS, "class"))):
        if name != "good" and os.path.isdir(os.path.join(PEERS, "class", name)):
            add(class_dir, name, os.path.join(PEERS, "class", name, "server.py"))


def main():
    if os.geteuid() != 0:
        sys.exit("grade's sandbox needs root: run as root")
    jobs = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
    with tempfile.TemporaryDirectory() as work:
        class_dir = os.path.join(work, "class")
        os.makedirs(class_dir)
        build(class_dir)
        count = len(os.listdir(class_dir))
        out = os.path.join(work, "out")
        command = [HTTPLAB, "grade", class_dir, "--run", "python3 server.py {port}",
                   "--out", out, "--junit", os.path.join(out, "junit.xml")]
        if jobs:
            command += ["--jobs", jobs]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
        if done.returncode != 0:
            sys.exit("grade failed (%d):\n%s" % (done.returncode, done.stderr))
        grades = json.load(open(os.path.join(out, "grades.json")))["students"]
        slowest = sorted(grades, key=lambda g: -g["seconds"])[:5]
        print(done.stdout)
        print("== grade: %d submissions in %.1f s (%.2f s each on average, jobs %s)"
              % (count, elapsed, elapsed / count, jobs or "default: 2 x cores"))
        print("   slowest: " + ", ".join("%s %.1f s" % (g["student"], g["seconds"]) for g in slowest))
        print("   target: <= 90 s on 2 cores: %s" % ("met" if elapsed <= 90 else "NOT met"))


if __name__ == "__main__":
    main()
