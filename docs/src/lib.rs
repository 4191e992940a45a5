//! The Rust code blocks of the README and of every guide in `docs/guides/` run as
//! doc-tests of this crate (`cargo test -p guides`), so the documentation cannot go stale.

#[doc = include_str!("../../README.md")]
pub mod readme {}

#[doc = include_str!("../guides/authentication.md")]
pub mod authentication {}

#[doc = include_str!("../guides/rooms-and-emitting.md")]
pub mod rooms_and_emitting {}

#[doc = include_str!("../guides/namespaces.md")]
pub mod namespaces {}

#[doc = include_str!("../guides/acks-and-timeouts.md")]
pub mod acks_and_timeouts {}

#[doc = include_str!("../guides/load-balancing.md")]
pub mod load_balancing {}

#[doc = include_str!("../guides/shutdown-and-health.md")]
pub mod shutdown_and_health {}

#[doc = include_str!("../guides/migrating-from-node.md")]
pub mod migrating_from_node {}
