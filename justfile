# httplab's recipes. `just test` is what CI runs; `just serve` runs the reference server.

# Format check, lints with warnings as errors, then every test.
test: deps
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings
    cargo test --all-targets

# Serve a folder (default: the fixtures) on port 6789: just serve, just serve site --port 8080
serve dir="fixtures" *args:
    cargo run --release -- serve {{dir}} {{args}}

# Install what the tests drive when missing: rustfmt, clippy, Debian packages (as root)
deps:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
        rustup component add rustfmt clippy
    fi
    need=()
    command -v curl >/dev/null || need+=(curl)
    command -v wget >/dev/null || need+=(wget)
    command -v python3 >/dev/null || need+=(python3)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
    command -v chromium >/dev/null || need+=(chromium)
    command -v ab >/dev/null || need+=(apache2-utils)
    command -v h2load >/dev/null || need+=(nghttp2-client)
    # grade's sandbox: bubblewrap, and the system's own python3 (the only one it can see)
    command -v bwrap >/dev/null || need+=(bubblewrap)
    [ -x /usr/bin/python3 ] || need+=(python3)
    # tshark (and capinfos) read the captures of tests/packets.rs.
    command -v tshark >/dev/null && command -v capinfos >/dev/null || need+=(tshark)
    if [ ${#need[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "installing ${need[*]}"
            # tshark's package asks whether non-root users may capture: no, and never ask.
            echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
        else
            echo "the tests need: ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
            exit 1
        fi
    fi

# Grade a server against the assignment and HTTP/1.1: just check 127.0.0.1 6789
check host="127.0.0.1" port="6789" *args:
    cargo run --release -- check {{host}} {{port}} {{args}}

# Write the fixture site into a folder, to serve with your own server: just fixtures site
fixtures dir:
    cargo run --release -- fixtures {{dir}}

# Probe a server: just probe 127.0.0.1 6789 /helloWorld.html
probe host="127.0.0.1" port="6789" path="/helloWorld.html" *args:
    cargo run --release -- probe {{host}} {{port}} {{path}} {{args}}

# Benchmark httplab against nginx, lighttpd and python side by side (~7 min, 3 rounds; tests/bench/RESULTS.md)
bench *args:
    cargo build --release
    cargo bench --bench core
    python3 tests/bench/run.py {{args}}

# Grade a class of 40 mixed submissions (correct, the seed's, the textbook bugs, hostile), sandboxed, timed
bench-grade jobs="":
    cargo build --release
    python3 tests/bench/grade_class.py {{jobs}}

# The robustness attacks at full scale (~3 min): slowhttptest, 1,000 slow clients, a FIFO race
stress: deps-stress
    cargo test --release --test stress -- --ignored --nocapture --test-threads 1

# What `just stress` drives: Debian's slowhttptest (installed when missing, as root).
deps-stress:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v slowhttptest >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slowhttptest >/dev/null
        else
            echo "just stress needs slowhttptest: sudo apt-get install slowhttptest" >&2
            exit 1
        fi
    fi

# Fuzz each target for a bounded time: just fuzz, just fuzz 600, just fuzz 60 path disk
fuzz seconds="60" *targets:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    # cargo-fuzz passes -Z flags to rustc; a stable toolchain accepts them with this.
    export RUSTC_BOOTSTRAP=1
    targets="{{targets}}"
    for t in ${targets:-parse respond request path disk}; do
        case $t in
            parse|respond|request) dict=(-dict=tests/fuzz/dicts/http.dict) ;;
            path|disk) dict=(-dict=tests/fuzz/dicts/path.dict) ;;
            *) dict=() ;;
        esac
        mkdir -p tests/fuzz/corpus/$t
        echo "== fuzz $t for {{seconds}} s"
        nice -n 19 cargo fuzz run --fuzz-dir tests/fuzz $t tests/fuzz/corpus/$t tests/fuzz/seeds/$t -- \
            -max_total_time={{seconds}} -timeout=10 "${dict[@]}"
    done
