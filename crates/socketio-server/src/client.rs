//! The connection layer: one [`Client`] per Engine.IO session, implementing
//! [`engineio::Handler`]. It owns the packet decoder and the namespaces joined over this
//! connection, and routes each decoded packet:
//!
//! - CONNECT for a namespace not joined → namespace lookup (static, then dynamic parents)
//!   → a new socket running its connection procedure (`lifecycle`); unknown
//!   namespace → `44{"message":"Invalid namespace"}`, the connection stays open;
//! - CONNECT for a namespace already joined, or any other packet for a namespace not
//!   joined → the connection is closed (Node's "invalid state");
//! - EVENT / BINARY_EVENT → the socket's listeners, started right here (`dispatch`);
//! - ACK / BINARY_ACK → resolved right here (never queued behind events);
//! - DISCONNECT → the socket leaves ("client namespace disconnect");
//! - a decode error → the connection is closed ("parse error").

use crate::data::lock;
use crate::error::{DisconnectReason, EmitError};
use crate::handshake::Handshake;
use crate::server::ServerInner;
use crate::socket::Socket;
use engineio::{Message, Text, TrySendError};
use socketio_parser::{Encoded, Frame, Packet, PacketType};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Per-connection state (the engine keeps it next to the session).
///
/// It holds no handle to its engine session (the session holds it): methods that need
/// the session take it as an argument, and each socket keeps one. So the
/// session → client → sockets → session cycle is broken as soon as the sockets are
/// gone, when the connection closes.
pub struct Client {
    server: Arc<ServerInner>,
    decoder: Mutex<crate::parser::Decoder>,
    /// The sockets of the namespaces joined (or being joined) over this connection: a
    /// short list (usually one), searched by namespace name.
    sockets: Mutex<Vec<Socket>>,
    joined_any: AtomicBool,
    timer: Mutex<Option<tokio::task::AbortHandle>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("sockets", &lock(&self.sockets).len())
            .finish()
    }
}

/// The first frame of an encoded packet as an engine message (a text frame already
/// carries its `4` prefix: no copy).
fn first_message(first: Frame) -> Result<Message, EmitError> {
    Ok(match first {
        Frame::Text(bytes) => {
            Message::Text(Text::from_framed(bytes).map_err(|_| EmitError::InvalidFrame)?)
        }
        Frame::Binary(bytes) => Message::Binary(bytes),
    })
}

/// Converts an encoded packet to engine messages: the first frame, then one binary
/// message per attachment.
pub(crate) fn to_messages(encoded: Encoded) -> Result<Vec<Message>, EmitError> {
    let mut out = Vec::with_capacity(1 + encoded.attachments.len());
    out.push(first_message(encoded.first)?);
    out.extend(encoded.attachments.into_iter().map(Message::Binary));
    Ok(out)
}

/// Sends one packet to this client only; a full queue is [`EmitError::QueueFull`]
/// (nothing queued).
pub(crate) fn send_encoded(
    conn: &engineio::Socket,
    encoded: Encoded,
    volatile: bool,
) -> Result<(), EmitError> {
    let result = if encoded.attachments.is_empty() {
        // The common case: one frame, no Vec.
        conn.try_send(first_message(encoded.first)?)
            .map_err(queue_error)
    } else {
        conn.try_send_many(to_messages(encoded)?)
            .map_err(queue_error)
    };
    trace_volatile_drop(conn, &result, volatile);
    result
}

fn trace_volatile_drop(conn: &engineio::Socket, result: &Result<(), EmitError>, volatile: bool) {
    if volatile && matches!(result, Err(EmitError::QueueFull)) {
        tracing::trace!(sid = %conn.id(), "volatile packet dropped");
    }
}

/// A refused `try_send`: nothing was queued.
fn queue_error<T>(e: TrySendError<T>) -> EmitError {
    match e {
        TrySendError::Full(_) => EmitError::QueueFull,
        TrySendError::Closed(_) => EmitError::Disconnected,
    }
}

impl Client {
    fn new(server: Arc<ServerInner>) -> Self {
        Self {
            decoder: Mutex::new(server.parser.decoder()),
            server,
            sockets: Mutex::new(Vec::new()),
            joined_any: AtomicBool::new(false),
            timer: Mutex::new(None),
        }
    }

    /// Sends shared pre-encoded messages (a broadcast). A full queue drops a volatile
    /// packet; for other packets it closes the connection of this slow client.
    ///
    /// Per recipient this costs one reference-count increment per frame (and, only for
    /// packets with attachments, one small `Vec` so the frames are queued atomically).
    pub(crate) fn send_shared(
        &self,
        conn: &engineio::Socket,
        messages: &[Message],
        volatile: bool,
    ) {
        let result = match messages {
            [one] => conn.try_send(one.clone()).map_err(queue_error),
            many => conn.try_send_many(many.to_vec()).map_err(queue_error),
        };
        trace_volatile_drop(conn, &result, volatile);
        match result {
            Ok(()) | Err(EmitError::Disconnected) => {}
            Err(EmitError::QueueFull) if volatile => {}
            Err(e) => {
                tracing::warn!(sid = %conn.id(), error = %e, "broadcast to a slow client: closing its connection");
                self.close_with(
                    conn,
                    DisconnectReason::TransportError,
                    engineio::DisconnectReason::TransportError,
                );
            }
        }
    }

    pub(crate) fn server(&self) -> &Arc<ServerInner> {
        &self.server
    }

    /// Removes `socket` from the joined namespaces (if it is still the one registered).
    pub(crate) fn forget(&self, socket: &Socket) {
        let mut list = lock(&self.sockets);
        if let Some(pos) = list.iter().position(|s| s.ptr_eq(socket)) {
            list.swap_remove(pos);
            if list.is_empty() {
                *list = Vec::new();
            }
        }
    }

    /// Every socket of this connection leaves with a DISCONNECT packet, then the engine
    /// connection closes (Node's `socket.disconnect(true)`).
    pub(crate) fn disconnect_all(&self, conn: &engineio::Socket) {
        let sockets: Vec<Socket> = lock(&self.sockets).clone();
        for s in sockets {
            s.disconnect_namespace();
        }
        conn.close(engineio::DisconnectReason::ForcedClose);
    }

    /// Closes every socket with `reason`, then the engine session.
    pub(crate) fn close_with(
        &self,
        conn: &engineio::Socket,
        reason: DisconnectReason,
        engine: engineio::DisconnectReason,
    ) {
        self.close_sockets(reason);
        conn.close(engine);
    }

    fn close_sockets(&self, reason: DisconnectReason) {
        let sockets: Vec<Socket> = std::mem::take(&mut *lock(&self.sockets));
        for s in sockets {
            s.request_close(reason);
        }
    }

    pub(crate) fn mark_joined(&self) {
        self.joined_any.store(true, Ordering::Release);
        if let Some(t) = lock(&self.timer).take() {
            t.abort();
        }
    }

    fn on_packet(self: &Arc<Self>, conn: &engineio::Socket, packet: Packet) {
        let nsp: &str = if packet.nsp.is_root() {
            "/"
        } else {
            &packet.nsp
        };
        if packet.kind == PacketType::Connect {
            if self.socket_of(nsp).is_some() {
                tracing::debug!(sid = %conn.id(), nsp, "second CONNECT for a joined namespace: closing");
                return self.invalid_state(conn);
            }
            return self.connect(conn, packet);
        }
        let socket = self.socket_of(nsp);
        let Some(socket) = socket else {
            tracing::debug!(sid = %conn.id(), nsp, kind = ?packet.kind, "packet for a namespace not joined: closing");
            return self.invalid_state(conn);
        };
        match packet.kind {
            PacketType::Event | PacketType::BinaryEvent => {
                crate::dispatch::on_event(&socket, packet)
            }
            PacketType::Ack | PacketType::BinaryAck => socket.resolve_ack(packet),
            PacketType::Disconnect => {
                self.forget(&socket);
                socket.request_close(DisconnectReason::ClientNamespaceDisconnect);
            }
            PacketType::Connect | PacketType::ConnectError => self.invalid_state(conn),
        }
    }

    /// The socket joined to namespace `nsp` over this connection.
    fn socket_of(&self, nsp: &str) -> Option<Socket> {
        lock(&self.sockets)
            .iter()
            .find(|s| s.ns().name() == nsp)
            .cloned()
    }

    /// Node's "invalid state": every socket gets "forced server close", the engine closes.
    fn invalid_state(&self, conn: &engineio::Socket) {
        self.close_with(
            conn,
            DisconnectReason::ForcedServerClose,
            engineio::DisconnectReason::ForcedClose,
        );
    }

    fn connect(self: &Arc<Self>, conn: &engineio::Socket, packet: Packet) {
        let nsp: &str = if packet.nsp.is_root() {
            "/"
        } else {
            &packet.nsp
        };
        if self.server.is_closing() {
            return;
        }
        let auth = match packet.data {
            Some(_) => packet
                .data::<serde_json::Value>()
                .unwrap_or_else(|_| serde_json::json!({})),
            None => serde_json::json!({}),
        };
        let Some(ns) = self.server.namespace_for_connect(nsp, &auth) else {
            tracing::debug!(sid = %conn.id(), nsp, "invalid namespace");
            let refusal = serde_json::json!({ "message": "Invalid namespace" });
            match self.server.parser.encode_connect_error(nsp, &refusal) {
                Ok(enc) => {
                    let _ = send_encoded(conn, enc, false);
                }
                Err(e) => tracing::warn!(error = %e, "cannot encode CONNECT_ERROR"),
            }
            return;
        };
        let handshake = Handshake::from_engine(conn, auth);
        let socket = Socket::new(ns.clone(), self.clone(), handshake);
        {
            let mut list = lock(&self.sockets);
            list.reserve_exact(1);
            list.push(socket.clone());
        }
        crate::lifecycle::start(socket);
    }

    /// Sends CONNECT_ERROR for a middleware refusal and forgets the socket.
    pub(crate) fn refuse(&self, socket: &Socket, error: &crate::ConnectError) {
        self.forget(socket);
        match self
            .server
            .parser
            .encode_connect_error(socket.ns().name(), error)
        {
            Ok(enc) => {
                let _ = send_encoded(socket.conn(), enc, false);
            }
            Err(e) => tracing::warn!(error = %e, "cannot encode CONNECT_ERROR"),
        }
    }
}

/// The [`engineio::Handler`] of a Socket.IO server. Obtained through
/// [`SocketIo`](crate::SocketIo); appears in the types of the service and layer.
pub struct SocketIoHandler {
    pub(crate) server: Arc<ServerInner>,
}

impl std::fmt::Debug for SocketIoHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketIoHandler")
    }
}

impl engineio::Handler for SocketIoHandler {
    type State = Arc<Client>;

    fn on_connect(&self, socket: &engineio::Socket) -> Arc<Client> {
        self.server.note_runtime();
        let client = Arc::new(Client::new(self.server.clone()));
        if self.server.is_closing() {
            socket.close(engineio::DisconnectReason::ForcedClose);
            return client;
        }
        let weak: Weak<Client> = Arc::downgrade(&client);
        let timeout = self.server.config.connect_timeout;
        let conn = socket.downgrade();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let (Some(c), Some(conn)) = (weak.upgrade(), conn.upgrade()) {
                if !c.joined_any.load(Ordering::Acquire) {
                    tracing::debug!(sid = %conn.id(), "no namespace joined within connect_timeout: closing");
                    conn.close(engineio::DisconnectReason::ForcedClose);
                }
            }
        });
        *lock(&client.timer) = Some(timer.abort_handle());
        client
    }

    fn on_message(&self, conn: &engineio::Socket, client: &Arc<Client>, message: Message) {
        let decoded = {
            let mut decoder = lock(&client.decoder);
            match message {
                Message::Text(text) => decoder.decode_str(text.payload_str()),
                Message::Binary(data) => decoder.decode_binary(data),
            }
        };
        match decoded {
            Ok(Some(packet)) => client.on_packet(conn, packet),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(sid = %conn.id(), %error, "decode error: closing");
                client.close_with(
                    conn,
                    DisconnectReason::ParseError,
                    engineio::DisconnectReason::ParseError,
                );
            }
        }
    }

    fn on_disconnect(
        &self,
        _socket: &engineio::Socket,
        client: &Arc<Client>,
        reason: engineio::DisconnectReason,
    ) {
        if let Some(t) = lock(&client.timer).take() {
            t.abort();
        }
        client.close_sockets(DisconnectReason::from_engine(reason));
    }
}
