//! Namespaces: static ones (`io.of("/chat")`) and dynamic parents (`io.of_dynamic(...)`).

use crate::adapter::{Adapter, AdapterFactory, LocalNamespace};
use crate::args::Args;
use crate::broadcast::BroadcastOperator;
use crate::data::{read, write};
use crate::error::{BroadcastAckError, EmitError};
use crate::handler::ConnectionHandler;
use crate::id::Sid;
use crate::middleware::ConnectMiddleware;
use crate::parser::Parser;
use crate::remote::RemoteSocket;
use crate::rooms::IntoRooms;
use crate::socket::Socket;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

/// Connect middleware and connection handlers. Shared by a dynamic parent and all its
/// children (handlers added to the parent later apply to existing children too).
#[derive(Default)]
pub(crate) struct NsHandlers {
    middleware: RwLock<Vec<Arc<dyn ConnectMiddleware>>>,
    connection: RwLock<Vec<Arc<dyn ConnectionHandler>>>,
    server_events: RwLock<HashMap<String, ServerEventHandler>>,
}

/// Handler of an event sent by another server (`server_side_emit`): gets the arguments,
/// returns the reply (if the sender waits for one).
pub type ServerEventHandler = Arc<
    dyn Fn(Vec<serde_json::Value>) -> futures_util::future::BoxFuture<'static, serde_json::Value>
        + Send
        + Sync,
>;

impl NsHandlers {
    pub(crate) fn middleware(&self) -> Vec<Arc<dyn ConnectMiddleware>> {
        read(&self.middleware).clone()
    }
    pub(crate) fn connection(&self) -> Vec<Arc<dyn ConnectionHandler>> {
        read(&self.connection).clone()
    }
}

/// A namespace (Node's `Namespace`). Cheap to clone; usable from any task.
#[derive(Clone)]
pub struct Namespace {
    pub(crate) inner: Arc<NamespaceInner>,
}

pub(crate) struct NamespaceInner {
    name: Arc<str>,
    parser: Parser,
    handlers: Arc<NsHandlers>,
    sockets: RwLock<HashMap<Sid, Socket>>,
    adapter: OnceLock<Arc<dyn Adapter>>,
    ack_ids: AtomicU64,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &self.inner.name)
            .finish()
    }
}

/// Names without a leading `/` get one (Node does the same).
pub(crate) fn normalize(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

impl Namespace {
    pub(crate) fn new(
        name: &str,
        parser: Parser,
        handlers: Arc<NsHandlers>,
        factory: &dyn AdapterFactory,
    ) -> Self {
        let inner = Arc::new(NamespaceInner {
            name: Arc::from(name),
            parser,
            handlers,
            sockets: RwLock::new(HashMap::new()),
            adapter: OnceLock::new(),
            ack_ids: AtomicU64::new(0),
        });
        let adapter = factory.create(LocalNamespace {
            inner: Arc::downgrade(&inner),
        });
        let _ = inner.adapter.set(adapter);
        Self { inner }
    }

    pub(crate) fn ptr_eq(&self, other: &Namespace) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The namespace name, e.g. `/` or `/chat`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub(crate) fn parser(&self) -> &Parser {
        &self.inner.parser
    }

    pub(crate) fn handlers(&self) -> &Arc<NsHandlers> {
        &self.inner.handlers
    }

    /// The namespace's adapter (rooms, broadcasts, cluster operations).
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        // Set in `new` before the namespace is shared.
        self.inner
            .adapter
            .get()
            .expect("adapter is set at namespace creation")
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.inner.ack_ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn insert_socket(&self, socket: Socket) {
        write(&self.inner.sockets).insert(socket.id().clone(), socket);
    }

    pub(crate) fn remove_socket(&self, sid: &str) {
        write(&self.inner.sockets).remove(sid);
    }

    /// A connected socket of this namespace on this server.
    pub fn get_socket(&self, sid: &str) -> Option<Socket> {
        read(&self.inner.sockets).get(sid).cloned()
    }

    /// The connected sockets among `ids` (one lock for the whole lookup).
    pub(crate) fn sockets_by_id(&self, ids: &[Sid]) -> Vec<Socket> {
        let map = read(&self.inner.sockets);
        ids.iter().filter_map(|id| map.get(id).cloned()).collect()
    }

    /// Every connected socket of this namespace on this server.
    pub fn local_sockets(&self) -> Vec<Socket> {
        read(&self.inner.sockets).values().cloned().collect()
    }

    /// Number of connected sockets on this server.
    pub fn socket_count(&self) -> usize {
        read(&self.inner.sockets).len()
    }

    /// Adds a connect middleware (Node's `nsp.use`), run in registration order.
    #[doc(alias = "use")]
    pub fn use_middleware<M: ConnectMiddleware>(&self, middleware: M) -> &Self {
        write(&self.inner.handlers.middleware).push(Arc::new(middleware));
        self
    }

    /// Adds a connection handler (Node's `nsp.on("connection")`). Events of the socket
    /// are dispatched after every connection handler returned: register listeners here.
    pub fn on_connection<H: ConnectionHandler>(&self, handler: H) -> &Self {
        write(&self.inner.handlers.connection).push(Arc::new(handler));
        self
    }

    /// Handles an event sent by another server with `server_side_emit` (Node's
    /// `nsp.on(event, (...args, ack) => ...)` for server-side events). The returned value
    /// is the reply sent back when the other server waits for replies. With the
    /// in-memory adapter there is no other server, so it never fires.
    pub fn on_server_side_emit<F, Fut>(&self, event: &str, handler: F) -> &Self
    where
        F: Fn(Vec<serde_json::Value>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = serde_json::Value> + Send + 'static,
    {
        let handler: ServerEventHandler = Arc::new(move |args| Box::pin(handler(args)));
        write(&self.inner.handlers.server_events).insert(event.to_owned(), handler);
        self
    }

    /// Runs the handler of a server-side event received by the adapter; `None` when
    /// nothing handles `event`.
    pub(crate) async fn server_side_event(
        &self,
        event: &str,
        args: Vec<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        let handler = read(&self.inner.handlers.server_events)
            .get(event)
            .cloned()?;
        Some(handler(args).await)
    }

    // ----- broadcast shortcuts (Node's namespace operators) -----

    /// A broadcast to every socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone())
    }

    /// Targets a room or rooms (Node's `nsp.to`).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`to`](Self::to) (Node's `nsp.in`).
    #[doc(alias = "in")]
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Excludes a room or rooms.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Volatile broadcast.
    pub fn volatile(&self) -> BroadcastOperator {
        self.broadcast().volatile()
    }

    /// This server only.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// Broadcast with an acknowledgement timeout.
    pub fn timeout(&self, timeout: Duration) -> BroadcastOperator {
        self.broadcast().timeout(timeout)
    }

    /// Emits to every socket of the namespace.
    pub async fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        self.broadcast().emit(event, args).await
    }

    /// Emits to every socket and collects the first argument of each reply.
    pub async fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
    ) -> Result<Vec<R>, BroadcastAckError<R>> {
        self.broadcast().emit_with_ack(event, args).await
    }

    /// Sockets of the namespace, on every server.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, crate::AdapterError> {
        self.broadcast().fetch_sockets().await
    }

    /// Makes every socket join rooms.
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), crate::AdapterError> {
        self.broadcast().sockets_join(rooms).await
    }

    /// Makes every socket leave rooms.
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), crate::AdapterError> {
        self.broadcast().sockets_leave(rooms).await
    }

    /// Disconnects every socket.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), crate::AdapterError> {
        self.broadcast().disconnect_sockets(close).await
    }

    /// Emits to the other servers of the cluster and collects one reply per server
    /// (in memory: there is none, the result is empty).
    pub async fn server_side_emit(
        &self,
        event: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<Vec<serde_json::Value>, crate::AdapterError> {
        self.adapter()
            .server_side_emit(crate::adapter::ServerSideEmit {
                event: event.to_owned(),
                args,
                timeout: Some(crate::adapter::DEFAULT_REQUEST_TIMEOUT),
            })
            .await
    }
}

/// A predicate choosing dynamic namespace names: `(name, auth) -> bool`.
pub type NamespacePredicate = Arc<dyn Fn(&str, &serde_json::Value) -> bool + Send + Sync>;

/// A dynamic namespace (Node's `io.of(regex | fn)`): the first CONNECT to a matching
/// name creates a child namespace sharing this parent's middleware and connection
/// handlers.
#[derive(Clone)]
pub struct ParentNamespace {
    pub(crate) predicate: NamespacePredicate,
    pub(crate) handlers: Arc<NsHandlers>,
    pub(crate) children: Arc<RwLock<Vec<Namespace>>>,
}

impl std::fmt::Debug for ParentNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParentNamespace")
            .field("children", &read(&self.children).len())
            .finish()
    }
}

impl ParentNamespace {
    /// Adds a connect middleware shared by every child.
    #[doc(alias = "use")]
    pub fn use_middleware<M: ConnectMiddleware>(&self, middleware: M) -> &Self {
        write(&self.handlers.middleware).push(Arc::new(middleware));
        self
    }

    /// Adds a connection handler shared by every child.
    pub fn on_connection<H: ConnectionHandler>(&self, handler: H) -> &Self {
        write(&self.handlers.connection).push(Arc::new(handler));
        self
    }

    /// The child namespaces created so far.
    pub fn children(&self) -> Vec<Namespace> {
        read(&self.children).clone()
    }

    /// Emits to every socket of every child (Node's `parent.emit`).
    pub async fn emit(&self, event: &str, args: impl Args + Sync) -> Result<(), EmitError> {
        for child in self.children() {
            child.emit(event, &args).await?;
        }
        Ok(())
    }
}
