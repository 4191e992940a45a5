//! [`Engine`]: the session table, the [`Handler`] contract and session creation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use tokio::sync::Notify;

use crate::config::EngineConfig;
use crate::error::DisconnectReason;
use crate::message::Message;
use crate::request::RequestInfo;
use crate::service::{EngineLayer, EngineService, NotFound};
use crate::sid::{Sid, SidGenerator};
use crate::socket::{Session, SessionExt, Socket};
use crate::state::{SessionState, Timing, TransportKind};

/// The layer above the engine (e.g. Socket.IO).
///
/// The engine calls it from the session's own IO path. Calls for one session are
/// sequential and in arrival order; `on_disconnect` comes last, exactly once. The calls
/// must not block (they run on the IO path): keep them synchronous and cheap, and
/// `tokio::spawn` anything slow.
pub trait Handler: Send + Sync + 'static {
    /// Per-session state kept by the engine next to the session (no lookup per message).
    ///
    /// The engine drops it once `on_disconnect` returned, so it may hold the session's
    /// own [`Socket`] without keeping the session alive.
    type State: Send + Sync + 'static;
    /// A session opened (after the handshake response is decided).
    fn on_connect(&self, socket: &Socket) -> Self::State;
    /// A message arrived.
    fn on_message(&self, socket: &Socket, state: &Self::State, message: Message);
    /// The session closed.
    fn on_disconnect(&self, socket: &Socket, state: &Self::State, reason: DisconnectReason);
}

/// The typed extension stored in each session.
pub(crate) struct Ext<H: Handler> {
    pub(crate) engine: Arc<EngineInner<H>>,
    /// The handler's state: set after `on_connect`, dropped once `on_disconnect`
    /// returned, so a state that holds its session cannot keep it alive. Read-locked
    /// during `on_message`; that never meets the write in `finalize`, which only runs
    /// when no handler call is in progress (`begin_delivery` / `end_delivery`).
    pub(crate) state: RwLock<Option<H::State>>,
}

impl<H: Handler> Ext<H> {
    fn state(&self) -> std::sync::RwLockReadGuard<'_, Option<H::State>> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn state_mut(&self) -> std::sync::RwLockWriteGuard<'_, Option<H::State>> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) type TypedSession<H> = Session<Ext<H>>;

impl<H: Handler> SessionExt for Ext<H> {
    fn timing(&self) -> &Timing {
        &self.engine.timing
    }

    fn finalize(&self, socket: &Socket, reason: DisconnectReason) {
        let sid = socket.0.id;
        {
            let mut sessions = self
                .engine
                .sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            sessions.remove(&sid);
        }
        let state = self.state_mut().take();
        if let Some(state) = &state {
            self.engine.handler.on_disconnect(socket, state, reason);
        }
        drop(state);
        self.engine.emptied.notify_waiters();
    }
}

pub(crate) struct EngineInner<H: Handler> {
    pub(crate) config: EngineConfig,
    pub(crate) path: String,
    pub(crate) timing: Timing,
    pub(crate) handler: H,
    pub(crate) sessions: Mutex<HashMap<Sid, Arc<TypedSession<H>>>>,
    sids: SidGenerator,
    emptied: Notify,
}

/// An Engine.IO server: a table of sessions and a [`Handler`]. Cheap to clone.
pub struct Engine<H: Handler>(pub(crate) Arc<EngineInner<H>>);

impl<H: Handler> Clone for Engine<H> {
    fn clone(&self) -> Self {
        Engine(self.0.clone())
    }
}

impl<H: Handler> std::fmt::Debug for Engine<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("path", &self.0.path)
            .field("sessions", &self.session_count())
            .finish_non_exhaustive()
    }
}

impl<H: Handler> Engine<H> {
    /// Creates an engine.
    pub fn new(config: EngineConfig, handler: H) -> Self {
        let timing = Timing {
            ping_interval: config.ping_interval,
            ping_timeout: config.ping_timeout,
            upgrade_timeout: config.upgrade_timeout,
            close_timeout: config.close_timeout,
        };
        Engine(Arc::new(EngineInner {
            path: config.normalized_path(),
            config,
            timing,
            handler,
            sessions: Mutex::new(HashMap::new()),
            sids: SidGenerator::default(),
            emptied: Notify::new(),
        }))
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.0.handler
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.0.config
    }

    /// Number of open sessions (Node's `clientsCount`).
    pub fn session_count(&self) -> usize {
        self.0
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// A handle to the session with this id, if it is open.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        let sid = Sid::parse(sid)?;
        self.0.lookup(&sid).map(|s| socket_of(&s))
    }

    /// A tower service answering this engine's path and 404 for everything else.
    pub fn service(&self) -> EngineService<H, NotFound> {
        EngineService::new(self.clone(), NotFound)
    }

    /// A tower layer: requests under the engine's path are answered by the engine, the
    /// rest go to the wrapped service.
    pub fn layer(&self) -> EngineLayer<H> {
        EngineLayer::new(self.clone())
    }

    /// Closes every session at once (reason `forced close`; a pending poll gets `1`)
    /// and waits until their `on_disconnect` calls are done.
    ///
    /// A session in the middle of an upgrade gets both transports closed: a waiting
    /// poll gets `1`, and the upgrading WebSocket is closed at once, or — when the
    /// client already got `3probe` and may be pausing its polling — as soon as the
    /// client switches to it (its `5`), at the latest at the upgrade deadline.
    pub async fn close(&self) {
        let sessions: Vec<Socket> = {
            let map = self.0.sessions.lock().unwrap_or_else(|e| e.into_inner());
            map.values().map(socket_of).collect()
        };
        for s in &sessions {
            s.close_now(DisconnectReason::ForcedClose);
        }
        // Sessions whose handler call was running finalize when it returns.
        for _ in 0..100 {
            let notified = self.0.emptied.notified();
            if self.session_count() == 0 {
                return;
            }
            let _ = tokio::time::timeout(std::time::Duration::from_millis(50), notified).await;
        }
    }
}

pub(crate) fn socket_of<H: Handler>(s: &Arc<TypedSession<H>>) -> Socket {
    let erased: Arc<Session<dyn SessionExt>> = s.clone();
    Socket(erased)
}

impl<H: Handler> EngineInner<H> {
    pub(crate) fn lookup(&self, sid: &Sid) -> Option<Arc<TypedSession<H>>> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(sid)
            .cloned()
    }

    /// Creates and registers a session, running `on_connect`.
    pub(crate) fn create_session(
        self: &Arc<Self>,
        request: RequestInfo,
        transport: TransportKind,
    ) -> (Arc<TypedSession<H>>, Socket) {
        let id = self.sids.next();
        let mut state = SessionState::new(
            Instant::now(),
            transport,
            &self.timing,
            self.config.send_queue_capacity,
        );
        // on_connect counts as a handler call: a close inside it finalizes afterwards.
        state.begin_delivery();
        let session = Arc::new(Session {
            id,
            request,
            state: Mutex::new(state),
            changed: Notify::new(),
            space: Notify::new(),
            ext: Ext {
                engine: self.clone(),
                state: RwLock::new(None),
            },
        });
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, session.clone());
        let socket = socket_of(&session);
        let user_state = self.handler.on_connect(&socket);
        *session.ext.state_mut() = Some(user_state);
        socket.update(|st, _, _| st.end_delivery());
        tracing::debug!(sid = %id, transport = transport.as_str(), "session opened");
        (session, socket)
    }

    /// Hands messages to the handler in order; stops when the session closes.
    pub(crate) fn deliver(&self, session: &TypedSession<H>, socket: &Socket, message: Message) {
        if let Some(state) = session.ext.state().as_ref() {
            self.handler.on_message(socket, state, message);
        }
    }
}
