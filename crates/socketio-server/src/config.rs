//! Socket.IO-level options (engine options live in [`engineio::EngineConfig`]).

use std::time::Duration;

/// Options of the Socket.IO layer. Defaults follow Node's.
#[derive(Debug, Clone)]
pub struct SocketIoConfig {
    /// Close the connection if no namespace was joined within this delay (Node's
    /// `connectTimeout`, 45 s).
    pub connect_timeout: Duration,
    /// Events waiting per socket plus its handlers still running (as tasks) before the
    /// connection is considered overloaded and closed (Node has no limit; this bounds
    /// memory per connection). Default 1024.
    pub max_pending_events: usize,
    /// Run the handlers of one socket strictly one event after the other (default
    /// `false`: handlers start in arrival order and then interleave, like Node's async
    /// listeners).
    pub sequential_events: bool,
    /// Drop a dynamic child namespace once its last socket left (Node's
    /// `cleanupEmptyChildNamespaces`, default `false`). Turn it on when the dynamic
    /// pattern accepts names chosen by clients, so their number stays bounded.
    pub cleanup_empty_child_namespaces: bool,
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(45),
            max_pending_events: 1024,
            sequential_events: false,
            cleanup_empty_child_namespaces: false,
        }
    }
}
