//! Workspace benchmarks (`cargo bench -p benches`), allocation-counting tests
//! (`cargo test -p benches`), and the end-to-end load generator.
//!
//! Binaries:
//! - `loadgen`: a Socket.IO v5 / Engine.IO v4 load generator over raw WebSocket (or
//!   long-polling) to 127.0.0.1, with the scenarios `connect`, `echo` and `broadcast`;
//!   it prints one JSON line per run. See `docs/benchmarks.md`.
//! - `bench-server`: this project's server implementing the benchmark event contract
//!   (`echo` acked or answered by an `echo` event, `broadcast` re-emitted to everyone),
//!   on one tokio worker.
//!
//! The library holds the load generator's pieces: a minimal WebSocket client ([`ws`]),
//! the Socket.IO client side ([`sio`], [`polling`]), `/proc` sampling ([`procfs`]) and
//! the [`scenario`]s.
//!
//! ```
//! use benches::ws::{frame, OP_TEXT};
//! // A client text frame with the all-zero masking key: header, zero key, payload.
//! assert_eq!(frame(OP_TEXT, b"40"), [0x81, 0x82, 0, 0, 0, 0, b'4', b'0']);
//! ```

pub mod opts;
pub mod polling;
pub mod procfs;
pub mod report;
pub mod scenario;
pub mod sio;
pub mod ws;

/// Raises this process's open-files soft limit to its hard limit (best effort).
pub fn raise_nofile_limit() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
}
