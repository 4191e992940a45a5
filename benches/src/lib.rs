//! Workspace benchmarks (`cargo bench -p benches`) and allocation-counting tests
//! (`cargo test -p benches`). See `docs/benchmarks.md` for measured results.
//!
//! ```
//! // Nothing to call: the benchmarks live in `benches/`, the tests in `tests/`.
//! assert!(true);
//! ```
