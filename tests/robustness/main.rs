//! Robustness: hostile input, slow and greedy clients, faults, each proven by a bounded test
//! against a real server in both connection models (the event loop and a thread per
//! connection). Loopback only; every wait has a deadline; every process, thread and socket a
//! test starts is stopped when it ends (servers run as the real binary are killed by PID on
//! drop).
//!
//! Where a test needs the server's own figures (open files, memory, threads) it runs the
//! binary and reads `/proc/PID/{fd,status}`; where it needs the test-only panic trigger, it
//! runs the server in-process. The full-scale attacks (1,000 slow clients, slowhttptest) are
//! in `tests/stress.rs`, run by `just stress`.
//!
//! Timing-sensitive tests (latency of a normal client under attack) must not share the two
//! cores with CPU-heavy ones: [`harness::measures_latency`] and [`harness::heavy`] keep them
//! apart.
//!
//! The two trickle tests found a bug in the event model (a read with nothing to send moved
//! the head deadline, so a client trickling bytes was never cut); they now hold both models
//! to one fixed deadline.
//!
//! Layout: the shared harness is in `harness.rs`; each section of tests has its own file, and
//! each test runs once per model, as `SECTION::events::NAME` and `SECTION::threads::NAME`:
//! - `slow_clients.rs`: heads and bodies trickled a byte at a time;
//! - `greedy_clients.rs`: idle keep-alive connections, every slot held, silent clients,
//!   readers that never read (the write timeout), a 1 MiB head;
//! - `leaks.rs`: 20,000 connections of every kind leak no file and no memory;
//! - `desync.rs`: request smuggling, a body is never read as a request;
//! - `panics_and_shutdown.rs`: a panic inside one connection, SIGTERM during a download;
//! - `folder_faults.rs`: the served folder changing under the server (a truncated file, the
//!   folder deleted or replaced, FIFOs and devices).

// `#[macro_use]`: the sections below invoke `for_both_models!` from it.
#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod harness;

mod desync;
mod folder_faults;
mod greedy_clients;
mod leaks;
mod panics_and_shutdown;
mod slow_clients;
