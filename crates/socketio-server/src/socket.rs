//! A socket: one client connected to one namespace (Node's `Socket`).

use crate::ack::{AckSender, PendingAck};
use crate::args::{is_reserved, Args, EventArgs};
use crate::broadcast::BroadcastOperator;
use crate::client::Client;
use crate::data::{lock, DataSlot};
use crate::error::{AckError, DisconnectReason, EmitError, SocketError};
use crate::handler::{erase, DisconnectHandler, EventHandler};
use crate::handshake::Handshake;
use crate::id::Sid;
use crate::lifecycle::Life;
use crate::listeners::{ListenerId, Listeners};
use crate::middleware::PacketMiddleware;
use crate::namespace::Namespace;
use crate::rooms::{IntoRooms, Room};
use serde::de::DeserializeOwned;
use serde::Serialize;
use socketio_parser::Packet;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

const CONNECTING: u8 = 0;
const CONNECTED: u8 = 1;
const CLOSED: u8 = 2;

/// A client connected to a namespace. Cheap to clone; usable from any task.
///
/// Node's `socket`: [`id`](Self::id), [`handshake`](Self::handshake), typed
/// [`data`](Self::data), rooms ([`join`](Self::join), [`leave`](Self::leave)), listeners
/// ([`on`](Self::on), [`once`](Self::once), [`off`](Self::off), [`on_any`](Self::on_any),
/// [`on_any_outgoing`](Self::on_any_outgoing)), emits ([`emit`](Self::emit),
/// [`emit_with_ack`](Self::emit_with_ack), [`timeout`](Self::timeout)), broadcasts
/// excluding itself ([`to`](Self::to), [`broadcast`](Self::broadcast)) and
/// [`disconnect`](Self::disconnect).
#[derive(Clone)]
pub struct Socket {
    pub(crate) inner: Arc<SocketInner>,
}

pub(crate) struct SocketInner {
    pub(crate) id: Sid,
    pub(crate) ns: Namespace,
    pub(crate) client: Arc<Client>,
    pub(crate) handshake: Handshake,
    data: DataSlot,
    state: AtomicU8,
    has_outgoing: AtomicBool,
    pub(crate) listeners: Mutex<Listeners>,
    acks: Mutex<HashMap<u64, PendingAck>>,
    /// Connection procedure, event gate and queue, close reason (see `lifecycle`).
    pub(crate) life: Mutex<Life>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.inner.id)
            .field("nsp", &self.inner.ns.name())
            .field("connected", &self.connected())
            .finish()
    }
}

impl Socket {
    /// A socket about to run its connection procedure ([`crate::lifecycle::start`]).
    pub(crate) fn new(ns: Namespace, client: Arc<Client>, handshake: Handshake) -> Self {
        let inner = SocketInner {
            id: crate::id::generate(),
            ns,
            client,
            handshake,
            data: DataSlot::default(),
            state: AtomicU8::new(CONNECTING),
            has_outgoing: AtomicBool::new(false),
            listeners: Mutex::new(Listeners::default()),
            acks: Mutex::new(HashMap::new()),
            life: Mutex::new(Life::connecting()),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The socket id (20 characters, distinct from the engine session id). Also the name
    /// of the room every socket joins automatically.
    pub fn id(&self) -> &Sid {
        &self.inner.id
    }

    /// The namespace this socket belongs to.
    pub fn ns(&self) -> &Namespace {
        &self.inner.ns
    }

    /// The handshake details (headers, query, `auth`, address, time...).
    pub fn handshake(&self) -> &Handshake {
        &self.inner.handshake
    }

    /// The underlying Engine.IO session (Node's `socket.conn`).
    pub fn conn(&self) -> &engineio::Socket {
        self.inner.handshake.conn()
    }

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.inner.state.load(Ordering::Acquire) == CONNECTED
    }

    /// Whether this socket was restored by connection state recovery (never, for now).
    pub fn recovered(&self) -> bool {
        false
    }

    pub(crate) fn mark_connected(&self) -> bool {
        self.inner
            .state
            .compare_exchange(CONNECTING, CONNECTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.state.load(Ordering::Acquire) == CLOSED
    }

    // ----- data -----

    /// Replaces the socket's data (Node's `socket.data = ...`). Any `Serialize` type; it is
    /// serialized only when the socket is fetched ([`Namespace::fetch_sockets`]).
    pub fn set_data<T: Serialize + Send + Sync + 'static>(&self, value: T) {
        self.inner.data.set(value)
    }

    /// The socket's data if it was set with type `T`.
    pub fn data<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.data.get::<T>()
    }

    /// The socket's data as JSON (`{}` when unset).
    pub fn data_json(&self) -> serde_json::Value {
        self.inner.data.json()
    }

    // ----- listeners -----

    /// Adds a listener for `event`. Several listeners per event run in registration order.
    ///
    /// Handler shapes (annotate the parameter types):
    /// `|socket: Socket| async {}`, `|socket: Socket, (a, b): (String, u32)| async {}`,
    /// `|socket: Socket, args: (T,), ack: AckSender| async {}`.
    /// Arguments that do not fit the types go to [`on_error`](Self::on_error) listeners
    /// (and a `tracing` warning); the socket stays connected.
    pub fn on<H: EventHandler<M>, M: 'static>(&self, event: &str, handler: H) -> ListenerId {
        lock(&self.inner.listeners).add_event(event, false, erase(handler))
    }

    /// Like [`on`](Self::on), removed after its first call.
    pub fn once<H: EventHandler<M>, M: 'static>(&self, event: &str, handler: H) -> ListenerId {
        lock(&self.inner.listeners).add_event(event, true, erase(handler))
    }

    /// Removes every listener of `event` (Node's `removeAllListeners(event)`).
    pub fn off(&self, event: &str) {
        lock(&self.inner.listeners).remove_event(event);
    }

    /// Removes one listener (event, any or outgoing-any). Returns whether it existed.
    pub fn off_listener(&self, id: ListenerId) -> bool {
        let mut l = lock(&self.inner.listeners);
        let removed = l.remove(id);
        self.inner
            .has_outgoing
            .store(l.has_outgoing(), Ordering::Release);
        removed
    }

    /// Number of listeners of `event`.
    pub fn listener_count(&self, event: &str) -> usize {
        lock(&self.inner.listeners).count(event)
    }

    /// Adds a catch-all listener for incoming events (Node's `onAny`), called before the
    /// event's own listeners, synchronously, with the event name and raw arguments.
    pub fn on_any<F>(&self, f: F) -> ListenerId
    where
        F: Fn(&Socket, &EventArgs<'_>) + Send + Sync + 'static,
    {
        let mut l = lock(&self.inner.listeners);
        let id = l.next_id();
        l.extra_mut().any.push((id, Arc::new(f)));
        id
    }

    /// Like [`on_any`](Self::on_any), called before the catch-all listeners already
    /// registered (Node's `prependAny`).
    pub fn prepend_any<F>(&self, f: F) -> ListenerId
    where
        F: Fn(&Socket, &EventArgs<'_>) + Send + Sync + 'static,
    {
        let mut l = lock(&self.inner.listeners);
        let id = l.next_id();
        l.extra_mut().any.insert(0, (id, Arc::new(f)));
        id
    }

    /// Removes every catch-all listener (Node's `offAny()`); use
    /// [`off_listener`](Self::off_listener) for one.
    pub fn off_any(&self) {
        lock(&self.inner.listeners).extra_mut().any.clear();
    }

    /// Adds a catch-all listener for outgoing events (Node's `onAnyOutgoing`), called
    /// synchronously on every emit from this socket with the arguments as JSON (only
    /// computed when such a listener exists).
    pub fn on_any_outgoing<F>(&self, f: F) -> ListenerId
    where
        F: Fn(&Socket, &str, &serde_json::Value) + Send + Sync + 'static,
    {
        let mut l = lock(&self.inner.listeners);
        let id = l.next_id();
        l.extra_mut().outgoing.push((id, Arc::new(f)));
        self.inner.has_outgoing.store(true, Ordering::Release);
        id
    }

    /// Like [`on_any_outgoing`](Self::on_any_outgoing), called first (Node's
    /// `prependAnyOutgoing`).
    pub fn prepend_any_outgoing<F>(&self, f: F) -> ListenerId
    where
        F: Fn(&Socket, &str, &serde_json::Value) + Send + Sync + 'static,
    {
        let mut l = lock(&self.inner.listeners);
        let id = l.next_id();
        l.extra_mut().outgoing.insert(0, (id, Arc::new(f)));
        self.inner.has_outgoing.store(true, Ordering::Release);
        id
    }

    /// Removes every outgoing catch-all listener (Node's `offAnyOutgoing()`).
    pub fn off_any_outgoing(&self) {
        lock(&self.inner.listeners).extra_mut().outgoing.clear();
        self.inner.has_outgoing.store(false, Ordering::Release);
    }

    /// Adds an `error` listener: arguments that do not fit a handler, packets rejected by
    /// middleware, overload.
    pub fn on_error<F>(&self, f: F)
    where
        F: Fn(&Socket, &SocketError) + Send + Sync + 'static,
    {
        lock(&self.inner.listeners)
            .extra_mut()
            .errors
            .push(Arc::new(f));
    }

    /// Adds a per-packet middleware (Node's `socket.use`): runs for every incoming event
    /// in registration order; an `Err` drops the event and reaches the `error` listeners.
    #[doc(alias = "use")]
    pub fn use_middleware<M: PacketMiddleware>(&self, middleware: M) {
        lock(&self.inner.listeners)
            .extra_mut()
            .middleware
            .push(Arc::new(middleware));
    }

    /// Adds a `disconnecting` handler: runs when the socket is leaving, rooms still joined.
    pub fn on_disconnecting<H: DisconnectHandler>(&self, handler: H) {
        lock(&self.inner.listeners)
            .extra_mut()
            .disconnecting
            .push(Arc::new(handler));
    }

    /// Adds a `disconnect` handler: runs after the socket left its rooms.
    pub fn on_disconnect<H: DisconnectHandler>(&self, handler: H) {
        lock(&self.inner.listeners)
            .extra_mut()
            .disconnect
            .push(Arc::new(handler));
    }

    pub(crate) fn report_error(&self, error: SocketError) {
        let listeners = lock(&self.inner.listeners)
            .extra()
            .map(|e| e.errors.clone())
            .unwrap_or_default();
        if listeners.is_empty() {
            tracing::warn!(sid = %self.inner.id, nsp = %self.inner.ns.name(), %error, "socket error");
        }
        for l in listeners {
            l(self, &error);
        }
    }

    // ----- emitting -----

    /// Emits `event` with arguments (a tuple, see [`Args`]) to this client.
    ///
    /// Fails with [`EmitError::ReservedEvent`] for reserved names, and with
    /// [`EmitError::QueueFull`] when the client does not read fast enough.
    pub fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        self.emit_inner(event, &args, None, false)
    }

    /// Like [`emit`](Self::emit), but when the client's send queue is full it waits for
    /// room instead of failing with [`EmitError::QueueFull`]: backpressure for producers
    /// (background workers streaming to one client).
    pub async fn emit_wait(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        if is_reserved(event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        if self.is_closed() {
            return Err(EmitError::Disconnected);
        }
        self.notify_outgoing(event, &args);
        let encoded =
            self.inner
                .ns
                .parser()
                .encode_event(self.inner.ns.name(), event, &args, None)?;
        let messages = crate::client::to_messages(encoded)?;
        self.conn()
            .send_many(messages)
            .await
            .map_err(|_| EmitError::Disconnected)
    }

    /// Emits `message` (Node's `socket.send`).
    pub fn send(&self, args: impl Args) -> Result<(), EmitError> {
        self.emit("message", args)
    }

    fn emit_inner<T: Serialize + ?Sized>(
        &self,
        event: &str,
        args: &T,
        id: Option<u64>,
        volatile: bool,
    ) -> Result<(), EmitError> {
        if is_reserved(event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        if self.is_closed() {
            return Err(EmitError::Disconnected);
        }
        self.notify_outgoing(event, args);
        let encoded = self
            .inner
            .ns
            .parser()
            .encode_event(self.inner.ns.name(), event, args, id)?;
        crate::client::send_encoded(self.conn(), encoded, volatile)
    }

    fn notify_outgoing<T: Serialize + ?Sized>(&self, event: &str, args: &T) {
        if !self.inner.has_outgoing.load(Ordering::Acquire) {
            return;
        }
        let listeners = self.outgoing_listeners();
        let value = serde_json::to_value(args).unwrap_or(serde_json::Value::Null);
        for (_, l) in listeners {
            l(self, event, &value);
        }
    }

    /// Emits `event` and waits for the client's acknowledgement, decoded as `R` (a tuple
    /// of the client's callback arguments, e.g. `(String,)`). Without a
    /// [`timeout`](Self::timeout) it waits until the reply or the disconnection.
    ///
    /// The packet is queued when this is called, not when the future is first polled.
    pub fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
    ) -> impl Future<Output = Result<R, AckError>> + Send + 'static {
        self.emit_with_ack_inner(event, &args, None, false)
    }

    pub(crate) fn emit_with_ack_inner<
        R: DeserializeOwned + Send + 'static,
        T: Serialize + ?Sized,
    >(
        &self,
        event: &str,
        args: &T,
        timeout: Option<Duration>,
        volatile: bool,
    ) -> impl Future<Output = Result<R, AckError>> + Send + 'static {
        let id = self.inner.ns.next_ack_id();
        let (tx, rx) = oneshot::channel();
        self.register_ack(id, PendingAck::Single(tx));
        let sent = self.emit_inner(event, args, Some(id), volatile);
        if sent.is_err() {
            lock(&self.inner.acks).remove(&id);
        }
        let socket = self.clone();
        async move {
            sent?;
            let reply = match timeout {
                Some(t) => match tokio::time::timeout(t, rx).await {
                    Ok(r) => r,
                    Err(_) => {
                        lock(&socket.inner.acks).remove(&id);
                        return Err(AckError::Timeout);
                    }
                },
                None => rx.await,
            };
            let packet = reply.map_err(|_| AckError::Disconnected)?;
            packet.args::<R>().map_err(AckError::Decode)
        }
    }

    /// Sets a timeout for the next [`emit_with_ack`](SocketEmitter::emit_with_ack)
    /// (Node's `socket.timeout(ms)`).
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            timeout: Some(timeout),
            volatile: false,
        }
    }

    /// The next emit may be dropped if the client is not ready (Node's `socket.volatile`).
    pub fn volatile(&self) -> SocketEmitter {
        SocketEmitter {
            socket: self.clone(),
            timeout: None,
            volatile: true,
        }
    }

    pub(crate) fn send_ack<T: Serialize + ?Sized>(
        &self,
        id: u64,
        args: &T,
    ) -> Result<(), EmitError> {
        if self.is_closed() {
            return Err(EmitError::Disconnected);
        }
        let encoded = self
            .inner
            .ns
            .parser()
            .encode_ack(self.inner.ns.name(), id, args)?;
        crate::client::send_encoded(self.conn(), encoded, false)
    }

    /// Delivers a broadcast: the same pre-encoded bytes for every recipient. Outgoing
    /// catch-all listeners (if any) see it too, like in Node.
    pub(crate) fn deliver(&self, packet: &crate::adapter::BroadcastPacket, volatile: bool) {
        if self.is_closed() {
            return;
        }
        if self.inner.has_outgoing.load(Ordering::Acquire) {
            if let Some((event, args)) = packet.outgoing_view() {
                let listeners = self.outgoing_listeners();
                for (_, l) in listeners {
                    l(self, event, args);
                }
            }
        }
        self.inner
            .client
            .send_shared(self.conn(), packet.messages(), volatile);
    }

    pub(crate) fn register_ack(&self, id: u64, pending: PendingAck) {
        let mut acks = lock(&self.inner.acks);
        if acks.len() >= 16 {
            acks.retain(|_, p| !p.is_abandoned());
        }
        acks.insert(id, pending);
    }

    pub(crate) fn resolve_ack(&self, packet: Packet) {
        let Some(id) = packet.id else { return };
        let pending = lock(&self.inner.acks).remove(&id);
        match pending {
            Some(p) => p.resolve(packet),
            None => tracing::debug!(sid = %self.inner.id, id, "ack for an unknown id ignored"),
        }
    }

    pub(crate) fn drop_pending_acks(&self) {
        lock(&self.inner.acks).clear();
    }

    // ----- rooms -----

    /// Joins one or several rooms.
    pub async fn join(&self, rooms: impl IntoRooms) -> Result<(), crate::AdapterError> {
        let rooms = rooms.into_rooms();
        self.inner
            .ns
            .adapter()
            .add_all(&self.inner.id, &rooms)
            .await
    }

    /// Leaves one or several rooms.
    pub async fn leave(&self, rooms: impl IntoRooms) -> Result<(), crate::AdapterError> {
        let adapter = self.inner.ns.adapter();
        for room in rooms.into_rooms() {
            adapter.del(&self.inner.id, &room).await?;
        }
        Ok(())
    }

    /// The rooms this socket is in (its own id room included).
    pub async fn rooms(&self) -> Vec<Room> {
        self.inner
            .ns
            .adapter()
            .socket_rooms(&self.inner.id)
            .await
            .unwrap_or_default()
    }

    // ----- broadcasting from a socket (excluding itself) -----

    /// Broadcast to a room (or rooms), excluding this socket (Node's `socket.to(room)`).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`to`](Self::to) (Node's `socket.in(room)`).
    #[doc(alias = "in")]
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Broadcast to everyone but these rooms and this socket.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Broadcast to every socket of the namespace except this one (Node's
    /// `socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.ns.clone()).except(self.inner.id.clone())
    }

    // ----- disconnecting -----

    /// Leaves the namespace (Node's `socket.disconnect(close)`).
    ///
    /// `close = false`: sends DISCONNECT; reason "server namespace disconnect".
    /// `close = true`: every socket of this client's connection leaves and the engine
    /// connection is closed.
    pub fn disconnect(&self, close: bool) {
        if close {
            self.inner.client.disconnect_all(self.conn());
        } else {
            self.disconnect_namespace();
        }
    }

    pub(crate) fn disconnect_namespace(&self) {
        if self.is_closed() {
            return;
        }
        if let Ok(encoded) = self
            .inner
            .ns
            .parser()
            .encode_disconnect(self.inner.ns.name())
        {
            let _ = crate::client::send_encoded(self.conn(), encoded, false);
        }
        self.inner.client.forget(self);
        self.request_close(DisconnectReason::ServerNamespaceDisconnect);
    }

    fn outgoing_listeners(&self) -> Vec<(ListenerId, crate::listeners::OutgoingListener)> {
        lock(&self.inner.listeners)
            .extra()
            .map(|e| e.outgoing.clone())
            .unwrap_or_default()
    }

    /// Closes the socket; the first reason wins. Returns whether this call closed it.
    ///
    /// Events still queued are dropped. The disconnection procedure (`disconnecting`
    /// handlers, leaving the rooms, `disconnect` handlers) starts as a task, unless the
    /// connection procedure is still running: that one finishes the close itself.
    pub(crate) fn request_close(&self, reason: DisconnectReason) -> bool {
        let run_disconnection = {
            let mut life = lock(&self.inner.life);
            if life.close_reason.is_some() {
                return false;
            }
            life.close_reason = Some(reason);
            life.queue = Default::default();
            !life.setup
        };
        self.inner.state.store(CLOSED, Ordering::Release);
        if run_disconnection {
            crate::lifecycle::spawn_disconnection(self.clone());
        }
        true
    }

    pub(crate) fn close_reason(&self) -> Option<DisconnectReason> {
        lock(&self.inner.life).close_reason
    }

    /// Resolves when the socket is done (its `disconnect` handlers finished).
    pub(crate) async fn finished(&self) {
        let server = self.inner.client.server().clone();
        loop {
            let notified = server.socket_finished.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if lock(&self.inner.life).finished {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn ptr_eq(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// Emit options for one socket: [`Socket::timeout`], [`Socket::volatile`].
#[derive(Clone, Debug)]
pub struct SocketEmitter {
    socket: Socket,
    timeout: Option<Duration>,
    volatile: bool,
}

impl SocketEmitter {
    /// Sets the acknowledgement timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Marks the emit volatile (dropped when the client's queue is full).
    pub fn volatile(mut self) -> Self {
        self.volatile = true;
        self
    }

    /// Emits without acknowledgement.
    pub fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        match self.socket.emit_inner(event, &args, None, self.volatile) {
            Err(EmitError::QueueFull) if self.volatile => Ok(()),
            r => r,
        }
    }

    /// Emits and waits for the acknowledgement (typed as `R`), failing with
    /// [`AckError::Timeout`] after the timeout.
    pub fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
    ) -> impl Future<Output = Result<R, AckError>> + Send + 'static {
        self.socket
            .emit_with_ack_inner(event, &args, self.timeout, self.volatile)
    }
}

impl AckSender {
    /// A responder for `packet` on `socket` (used by the event dispatch).
    pub(crate) fn for_packet(socket: &Socket, packet: &Packet) -> Self {
        AckSender::new(socket, packet.id)
    }
}
