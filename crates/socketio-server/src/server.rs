//! The server handle ([`SocketIo`]) and its builder.

use crate::adapter::{AdapterFactory, MemoryAdapterFactory};
use crate::args::Args;
use crate::broadcast::BroadcastOperator;
use crate::client::SocketIoHandler;
use crate::config::SocketIoConfig;
use crate::data::{read, write};
use crate::error::{AdapterError, BroadcastAckError, DisconnectReason, EmitError};
use crate::handler::ConnectionHandler;
use crate::middleware::ConnectMiddleware;
use crate::namespace::{normalize, Namespace, NsHandlers, ParentNamespace};
use crate::parser::Parser;
use crate::remote::RemoteSocket;
use crate::rooms::IntoRooms;
use engineio::{Engine, EngineConfig};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

pub(crate) struct ServerInner {
    pub(crate) config: SocketIoConfig,
    pub(crate) parser: Parser,
    adapter_factory: Arc<dyn AdapterFactory>,
    namespaces: RwLock<HashMap<Arc<str>, Namespace>>,
    parents: RwLock<Vec<ParentNamespace>>,
    engine: OnceLock<Engine<SocketIoHandler>>,
    closing: AtomicBool,
    new_namespace: RwLock<Vec<NewNamespaceHook>>,
    /// Woken whenever a socket finished its disconnection procedure.
    pub(crate) socket_finished: tokio::sync::Notify,
    /// The runtime the server's connections run on (first seen at a connection), for
    /// tasks started from outside it (a close from a plain thread).
    runtime: OnceLock<tokio::runtime::Handle>,
}

type NewNamespaceHook = Arc<dyn Fn(&Namespace) + Send + Sync>;

impl ServerInner {
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Remembers the current runtime (called from the engine's IO path).
    pub(crate) fn note_runtime(&self) {
        if self.runtime.get().is_none() {
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let _ = self.runtime.set(handle);
            }
        }
    }

    /// Runs `fut` as a task: on the current runtime, or else on the server's.
    pub(crate) fn spawn(&self, fut: futures_util::future::BoxFuture<'static, ()>) {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(fut);
            }
            Err(_) => match self.runtime.get() {
                Some(handle) => {
                    handle.spawn(fut);
                }
                None => tracing::warn!("no tokio runtime to run a socket task on; dropped"),
            },
        }
    }

    fn of(&self, name: &str) -> Namespace {
        let name = normalize(name);
        if let Some(ns) = read(&self.namespaces).get(name.as_str()) {
            return ns.clone();
        }
        let ns = {
            let mut map = write(&self.namespaces);
            if let Some(ns) = map.get(name.as_str()) {
                return ns.clone();
            }
            let ns = Namespace::new(
                &name,
                self.parser.clone(),
                Arc::new(NsHandlers::default()),
                self.adapter_factory.as_ref(),
            );
            map.insert(Arc::from(name.as_str()), ns.clone());
            ns
        };
        if name != "/" {
            self.announce(&ns);
        }
        ns
    }

    fn announce(&self, ns: &Namespace) {
        let hooks = read(&self.new_namespace).clone();
        for hook in hooks {
            hook(ns);
        }
    }

    /// The namespace a CONNECT for `name` goes to: an existing one, or a new child of the
    /// first dynamic parent whose predicate accepts `(name, auth)`.
    pub(crate) fn namespace_for_connect(
        &self,
        name: &str,
        auth: &serde_json::Value,
    ) -> Option<Namespace> {
        if let Some(ns) = read(&self.namespaces).get(name) {
            return Some(ns.clone());
        }
        let parents = read(&self.parents).clone();
        let parent = parents.iter().find(|p| (p.predicate)(name, auth))?;
        let mut map = write(&self.namespaces);
        if let Some(ns) = map.get(name) {
            return Some(ns.clone());
        }
        let child = Namespace::new(
            name,
            self.parser.clone(),
            parent.handlers.clone(),
            self.adapter_factory.as_ref(),
        );
        map.insert(Arc::from(name), child.clone());
        drop(map);
        write(&parent.children).push(child.clone());
        tracing::debug!(nsp = name, "dynamic namespace created");
        self.announce(&child);
        Some(child)
    }
}

impl ServerInner {
    /// With `cleanup_empty_child_namespaces`, forgets `ns` if it is a dynamic child
    /// without sockets, and closes its adapter.
    pub(crate) async fn cleanup_child(&self, ns: &Namespace) {
        if !self.config.cleanup_empty_child_namespaces || ns.socket_count() > 0 {
            return;
        }
        let mut removed = false;
        for parent in read(&self.parents).iter() {
            let mut children = write(&parent.children);
            if let Some(pos) = children.iter().position(|c| c.ptr_eq(ns)) {
                children.remove(pos);
                removed = true;
            }
        }
        if !removed {
            return;
        }
        {
            let mut map = write(&self.namespaces);
            if map.get(ns.name()).is_some_and(|n| n.ptr_eq(ns)) {
                map.remove(ns.name());
            }
        }
        tracing::debug!(nsp = ns.name(), "empty dynamic namespace removed");
        if let Err(e) = ns.adapter().close().await {
            tracing::warn!(nsp = ns.name(), error = %e, "adapter close failed");
        }
    }
}

/// Builder of a [`SocketIo`] server.
pub struct SocketIoBuilder {
    config: SocketIoConfig,
    engine: EngineConfig,
    parser: Parser,
    adapter: Arc<dyn AdapterFactory>,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("config", &self.config)
            .field("parser", &self.parser)
            .finish()
    }
}

impl Default for SocketIoBuilder {
    fn default() -> Self {
        let engine = EngineConfig::default().path("/socket.io");
        Self {
            config: SocketIoConfig::default(),
            engine,
            parser: Parser::default(),
            adapter: Arc::new(MemoryAdapterFactory),
        }
    }
}

impl SocketIoBuilder {
    /// Node's `connectTimeout` (default 45 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Bound of each socket's events waiting plus handlers still running (default 1024).
    pub fn max_pending_events(mut self, n: usize) -> Self {
        self.config.max_pending_events = n.max(1);
        self
    }

    /// Run each socket's handlers one event at a time (default `false`).
    pub fn sequential_events(mut self, sequential: bool) -> Self {
        self.config.sequential_events = sequential;
        self
    }

    /// Drop empty dynamic child namespaces (Node's `cleanupEmptyChildNamespaces`).
    pub fn cleanup_empty_child_namespaces(mut self, cleanup: bool) -> Self {
        self.config.cleanup_empty_child_namespaces = cleanup;
        self
    }

    /// The packet format (default JSON; must match the client's parser).
    pub fn parser(mut self, parser: Parser) -> Self {
        self.parser = parser;
        self
    }

    /// The adapter factory (default [`MemoryAdapterFactory`]).
    pub fn adapter<F: AdapterFactory>(mut self, factory: F) -> Self {
        self.adapter = Arc::new(factory);
        self
    }

    /// Replaces every engine option (keep `path` = `/socket.io/` unless you mean it).
    pub fn engine_config(mut self, config: EngineConfig) -> Self {
        self.engine = config;
        self
    }

    /// Adjusts engine options in place, e.g. `|c| c.ping_interval = ...`.
    pub fn configure_engine(mut self, f: impl FnOnce(&mut EngineConfig)) -> Self {
        f(&mut self.engine);
        self
    }

    /// Node's `pingInterval` (default 25 s).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.engine.ping_interval = d;
        self
    }

    /// Node's `pingTimeout` (default 20 s).
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.engine.ping_timeout = d;
        self
    }

    /// Node's `maxHttpBufferSize` (default 1 MB).
    pub fn max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.engine.max_payload = bytes;
        self
    }

    /// Node's `path` (default `/socket.io/`).
    pub fn path(mut self, path: &str) -> Self {
        let mut p = path.trim_end_matches('/').to_owned();
        if !p.starts_with('/') {
            p.insert(0, '/');
        }
        self.engine.path = p;
        self
    }

    /// Builds the server. The root namespace `/` always exists.
    pub fn build(self) -> SocketIo {
        let inner = Arc::new(ServerInner {
            config: self.config,
            parser: self.parser,
            adapter_factory: self.adapter,
            namespaces: RwLock::new(HashMap::new()),
            parents: RwLock::new(Vec::new()),
            engine: OnceLock::new(),
            closing: AtomicBool::new(false),
            new_namespace: RwLock::new(Vec::new()),
            socket_finished: tokio::sync::Notify::new(),
            runtime: OnceLock::new(),
        });
        let engine = Engine::new(
            self.engine,
            SocketIoHandler {
                server: inner.clone(),
            },
        );
        let _ = inner.engine.set(engine);
        let io = SocketIo { inner };
        io.of("/");
        io
    }
}

/// The Socket.IO server handle (Node's `io`). Cheap to clone; usable from any task
/// (HTTP handlers, background workers).
///
/// Methods without a namespace act on `/` (like Node's `io.emit`, `io.to`, ...).
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo")
            .field("namespaces", &read(&self.inner.namespaces).len())
            .finish()
    }
}

impl Default for SocketIo {
    fn default() -> Self {
        Self::new()
    }
}

impl SocketIo {
    /// A server with Node's defaults.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for options.
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// The Socket.IO options in use.
    pub fn config(&self) -> &SocketIoConfig {
        &self.inner.config
    }

    /// The Engine.IO server (Node's `io.engine`).
    pub fn engine(&self) -> &Engine<SocketIoHandler> {
        // Set in `build` before the handle is returned.
        self.inner.engine.get().expect("engine is set in build()")
    }

    /// The tower service answering `/socket.io/` (404 elsewhere).
    pub fn service(&self) -> engineio::EngineService<SocketIoHandler, engineio::NotFound> {
        self.engine().service()
    }

    /// A tower layer: `/socket.io/` requests are answered, others go to the inner service.
    pub fn layer(&self) -> engineio::EngineLayer<SocketIoHandler> {
        self.engine().layer()
    }

    /// Serves on `listener` until the listener fails (standalone server).
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.engine().clone().serve(listener).await
    }

    /// A namespace, created if needed (Node's `io.of(name)`).
    pub fn of(&self, name: &str) -> Namespace {
        self.inner.of(name)
    }

    /// Dynamic namespaces (Node's `io.of(regex | fn)`): the first CONNECT to a name not
    /// yet known for which `predicate(name, auth)` is true creates a child namespace that
    /// shares the returned parent's middleware and connection handlers. Parents are
    /// tried in creation order.
    pub fn of_dynamic<F>(&self, predicate: F) -> ParentNamespace
    where
        F: Fn(&str, &serde_json::Value) -> bool + Send + Sync + 'static,
    {
        let parent = ParentNamespace {
            predicate: Arc::new(predicate),
            handlers: Arc::new(NsHandlers::default()),
            children: Arc::new(RwLock::new(Vec::new())),
        };
        write(&self.inner.parents).push(parent.clone());
        parent
    }

    /// Called for every namespace created from now on, static (except `/`) or dynamic
    /// child (Node's `io.on("new_namespace")`). Synchronous; runs on the creating task.
    pub fn on_new_namespace<F>(&self, hook: F)
    where
        F: Fn(&Namespace) + Send + Sync + 'static,
    {
        write(&self.inner.new_namespace).push(Arc::new(hook));
    }

    /// Every namespace currently known (static and dynamic children).
    pub fn namespaces(&self) -> Vec<Namespace> {
        read(&self.inner.namespaces).values().cloned().collect()
    }

    /// The root namespace `/` (Node's `io.sockets`).
    pub fn sockets(&self) -> Namespace {
        self.of("/")
    }

    /// Connection handler on `/`.
    pub fn on_connection<H: ConnectionHandler>(&self, handler: H) {
        self.sockets().on_connection(handler);
    }

    /// Connect middleware on `/` (Node's `io.use`).
    #[doc(alias = "use")]
    pub fn use_middleware<M: ConnectMiddleware>(&self, middleware: M) {
        self.sockets().use_middleware(middleware);
    }

    /// Targets rooms of `/`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().to(rooms)
    }

    /// Same as [`to`](Self::to) (Node's `io.in`).
    #[doc(alias = "in")]
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().to(rooms)
    }

    /// Excludes rooms of `/`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.sockets().except(rooms)
    }

    /// Volatile broadcast on `/`.
    pub fn volatile(&self) -> BroadcastOperator {
        self.sockets().volatile()
    }

    /// Compression flag on `/`.
    pub fn compress(&self, compress: bool) -> BroadcastOperator {
        self.sockets().broadcast().compress(compress)
    }

    /// This server only, on `/`.
    pub fn local(&self) -> BroadcastOperator {
        self.sockets().local()
    }

    /// Acknowledgement timeout for a broadcast on `/`.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.sockets().timeout(timeout)
    }

    /// Emits to every socket of `/`.
    pub async fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        self.sockets().emit(event, args).await
    }

    /// Emits to every socket of `/` and collects the replies.
    pub async fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
    ) -> Result<Vec<R>, BroadcastAckError<R>> {
        self.sockets().emit_with_ack(event, args).await
    }

    /// Sockets of `/` on every server.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        self.sockets().fetch_sockets().await
    }

    /// Every socket of `/` joins rooms.
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.sockets().sockets_join(rooms).await
    }

    /// Every socket of `/` leaves rooms.
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.sockets().sockets_leave(rooms).await
    }

    /// Disconnects every socket of `/`.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), AdapterError> {
        self.sockets().disconnect_sockets(close).await
    }

    /// Emits to the other servers (on `/`); one reply per server.
    pub async fn server_side_emit(
        &self,
        event: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<Vec<serde_json::Value>, AdapterError> {
        self.sockets().server_side_emit(event, args).await
    }

    /// Graceful shutdown: stops accepting connections, disconnects every socket with
    /// "server shutting down" and waits for their `disconnect` handlers, closes the
    /// adapters, then closes every engine session.
    pub async fn close(&self) {
        self.inner.closing.store(true, Ordering::Release);
        let namespaces = self.namespaces();
        let mut sockets = Vec::new();
        for ns in &namespaces {
            for s in ns.local_sockets() {
                s.inner.client.forget(&s);
                s.request_close(DisconnectReason::ServerShuttingDown);
                sockets.push(s);
            }
        }
        for s in sockets {
            s.finished().await;
        }
        for ns in &namespaces {
            if let Err(e) = ns.adapter().close().await {
                tracing::warn!(nsp = ns.name(), error = %e, "adapter close failed");
            }
        }
        self.engine().close().await;
    }
}
