//! The adapter: room membership and every operation that may span several servers.
//!
//! [`MemoryAdapter`] (the default) keeps everything in this process. A cluster adapter
//! (e.g. one speaking Node's `@socket.io/redis-adapter` protocol) implements the same
//! trait; each method maps to the Redis messages as follows (see
//! `docs/socketio-server.md` for the full table):
//!
//! | method | classic Redis adapter |
//! |---|---|
//! | [`broadcast`](Adapter::broadcast) | publish `[uid, packet, opts]` on `socket.io#<nsp>#` (or `#<room>#` for exactly one room) unless `flags.local`; deliver locally |
//! | [`broadcast_with_ack`](Adapter::broadcast_with_ack) | request type 7; responses 8 (`clientCount` → [`AckCollector::client_count`]) and 9 (→ [`AckCollector::reply`]) |
//! | [`server_count`](Adapter::server_count) | `PUBSUB NUMSUB socket.io-request#<nsp>#` |
//! | [`fetch_sockets`](Adapter::fetch_sockets) | request type 5, responses `{requestId, sockets}` |
//! | [`add_sockets`](Adapter::add_sockets) / [`del_sockets`](Adapter::del_sockets) | request type 2 / 3 (applied when the message comes back) |
//! | [`disconnect_sockets`](Adapter::disconnect_sockets) | request type 4 |
//! | [`server_side_emit`](Adapter::server_side_emit) | request type 6, responses `{type: 6, requestId, data}` |
//! | [`all_rooms`](Adapter::all_rooms) | request type 1 |
//! | [`persist_session`](Adapter::persist_session) / [`restore_session`](Adapter::restore_session) | not supported by the classic adapter (Redis Streams: `sio:session:<pid>`) |
//!
//! Incoming remote operations are applied through the [`LocalNamespace`] handle given to
//! [`AdapterFactory::create`].

mod memory;

pub use memory::{MemoryAdapter, MemoryAdapterFactory};

use crate::ack::AckCollector;
use crate::error::AdapterError;
use crate::id::Sid;
use crate::namespace::{Namespace, NamespaceInner};
use crate::parser::Parser;
use crate::rooms::Room;
use crate::socket::Socket;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use socketio_parser::{DecodeError, Packet};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Node's adapter request timeout (`requestsTimeout`, 5 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Flags of a broadcast (Node's `BroadcastFlags`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastFlags {
    /// Drop the packet for clients that are not ready.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub volatile: bool,
    /// Per-message compression wish (`None` = default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<bool>,
    /// This server only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
    /// Acknowledgement timeout.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_millis")]
    pub timeout: Option<Duration>,
}

mod opt_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u64(d.as_millis() as u64),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// Who receives a broadcast (Node's `BroadcastOptions`): the union of `rooms` (everyone
/// when empty) minus the members of `except`. Serializes like Node's `opts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BroadcastOptions {
    /// Target rooms (empty = every socket of the namespace).
    pub rooms: Vec<Room>,
    /// Rooms whose members are excluded.
    pub except: Vec<Room>,
    /// Flags.
    #[serde(default)]
    pub flags: BroadcastFlags,
}

/// A packet to broadcast, encoded once.
///
/// [`messages`](Self::messages) are the engine messages (text frame with its `4` prefix,
/// then binary attachments) handed to every local recipient as shared `Bytes`.
/// A cluster adapter forwarding it to other servers uses [`decode`](Self::decode) to get
/// the packet back (event name and arguments).
#[derive(Clone)]
pub struct BroadcastPacket {
    pub(crate) nsp: Arc<str>,
    pub(crate) messages: Arc<[engineio::Message]>,
    pub(crate) parser: Parser,
    pub(crate) ack_id: Option<u64>,
    /// Event name and arguments for `on_any_outgoing` listeners, decoded at most once
    /// per broadcast (not once per recipient), and only if some recipient has one.
    pub(crate) outgoing: Arc<std::sync::OnceLock<Option<(String, serde_json::Value)>>>,
}

impl std::fmt::Debug for BroadcastPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastPacket")
            .field("nsp", &self.nsp)
            .field("frames", &self.messages.len())
            .field("ack_id", &self.ack_id)
            .finish()
    }
}

impl BroadcastPacket {
    /// The namespace.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }

    /// The encoded engine messages.
    pub fn messages(&self) -> &[engineio::Message] {
        &self.messages
    }

    /// The ack id carried by the packet (broadcast with acknowledgement).
    pub fn ack_id(&self) -> Option<u64> {
        self.ack_id
    }

    /// The event name and arguments as `on_any_outgoing` listeners see them; decoded on
    /// first use and shared by every recipient.
    pub(crate) fn outgoing_view(&self) -> Option<&(String, serde_json::Value)> {
        self.outgoing
            .get_or_init(|| {
                let packet = self.decode().ok()??;
                let event = crate::dispatch::event_name(&packet)?.into_owned();
                let args = packet
                    .args::<serde_json::Value>()
                    .unwrap_or(serde_json::Value::Null);
                Some((event, args))
            })
            .as_ref()
    }

    /// Decodes the packet back (for forwarding to other servers). `Ok(None)` cannot
    /// happen with the built-in codecs (the encoder always produces a complete packet).
    pub fn decode(&self) -> Result<Option<Packet>, DecodeError> {
        let mut decoder = self.parser.decoder();
        let mut out = None;
        for m in self.messages.iter() {
            out = match m {
                engineio::Message::Text(t) => decoder.decode_text(t.payload())?,
                engineio::Message::Binary(b) => decoder.decode_binary(b.clone())?,
            };
        }
        Ok(out)
    }
}

/// A socket as seen through the adapter (possibly on another server): Node's
/// `RemoteSocket` data `{id, handshake, rooms, data}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SocketDescriptor {
    /// Socket id.
    pub id: Sid,
    /// Handshake as Node serializes it.
    pub handshake: serde_json::Value,
    /// Rooms.
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: serde_json::Value,
}

/// A server-side emit (to the other servers of the cluster).
#[derive(Debug, Clone)]
pub struct ServerSideEmit {
    /// Event name.
    pub event: String,
    /// Arguments.
    pub args: Vec<serde_json::Value>,
    /// How long to wait for the replies (`None`: no reply expected).
    pub timeout: Option<Duration>,
}

/// A session saved for connection state recovery (Node's `persistSession` argument).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersistedSession {
    /// Socket id.
    pub sid: Sid,
    /// Private session id.
    pub pid: String,
    /// Rooms.
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: serde_json::Value,
}

/// A restored session and the packets it missed.
#[derive(Debug, Clone)]
pub struct RestoredSession {
    /// The saved session.
    pub session: PersistedSession,
    /// Data arrays (`[event, ...args]`) of the missed packets, oldest first.
    pub missed_packets: Vec<Vec<serde_json::Value>>,
}

/// Room membership and cluster operations of one namespace. Async, object-safe.
pub trait Adapter: Send + Sync + 'static {
    /// Called once after creation.
    fn init(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }

    /// Called by [`SocketIo::close`](crate::SocketIo::close).
    fn close(&self) -> BoxFuture<'_, Result<(), AdapterError>> {
        Box::pin(async { Ok(()) })
    }

    /// Number of servers in the cluster, this one included.
    fn server_count(&self) -> BoxFuture<'_, Result<usize, AdapterError>>;

    /// Adds a socket to rooms.
    fn add_all<'a>(
        &'a self,
        sid: &'a Sid,
        rooms: &'a [Room],
    ) -> BoxFuture<'a, Result<(), AdapterError>>;

    /// Removes a socket from one room.
    fn del<'a>(&'a self, sid: &'a Sid, room: &'a Room) -> BoxFuture<'a, Result<(), AdapterError>>;

    /// Removes a socket from every room.
    fn del_all<'a>(&'a self, sid: &'a Sid) -> BoxFuture<'a, Result<(), AdapterError>>;

    /// Sends `packet` to the sockets selected by `opts`, on every server unless
    /// `opts.flags.local`.
    fn broadcast(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
    ) -> BoxFuture<'_, Result<(), AdapterError>>;

    /// Like [`broadcast`](Self::broadcast) for a packet carrying an ack id: report each
    /// server's client count, then each reply, to `acks`.
    fn broadcast_with_ack(
        &self,
        packet: BroadcastPacket,
        opts: BroadcastOptions,
        acks: AckCollector,
    ) -> BoxFuture<'_, Result<(), AdapterError>>;

    /// Ids of the sockets in `rooms` (every socket when empty), this server only.
    fn sockets<'a>(&'a self, rooms: &'a [Room]) -> BoxFuture<'a, Result<Vec<Sid>, AdapterError>>;

    /// Rooms of one socket (this server only); `None` if unknown.
    fn socket_rooms<'a>(&'a self, sid: &'a Sid) -> BoxFuture<'a, Option<Vec<Room>>>;

    /// Every room name (across the cluster for cluster adapters).
    fn all_rooms(&self) -> BoxFuture<'_, Result<Vec<Room>, AdapterError>>;

    /// Sockets matching `opts`, on every server unless `opts.flags.local`.
    fn fetch_sockets(
        &self,
        opts: BroadcastOptions,
    ) -> BoxFuture<'_, Result<Vec<SocketDescriptor>, AdapterError>>;

    /// Makes the sockets matching `opts` join `rooms`.
    fn add_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'_, Result<(), AdapterError>>;

    /// Makes the sockets matching `opts` leave `rooms`.
    fn del_sockets(
        &self,
        opts: BroadcastOptions,
        rooms: Vec<Room>,
    ) -> BoxFuture<'_, Result<(), AdapterError>>;

    /// Disconnects the sockets matching `opts` (closing their connections if `close`).
    fn disconnect_sockets(
        &self,
        opts: BroadcastOptions,
        close: bool,
    ) -> BoxFuture<'_, Result<(), AdapterError>>;

    /// Sends an event to the other servers; returns one reply per server when
    /// `emit.timeout` is set (times out with [`AdapterError::Timeout`]).
    fn server_side_emit(
        &self,
        emit: ServerSideEmit,
    ) -> BoxFuture<'_, Result<Vec<serde_json::Value>, AdapterError>>;

    /// Saves a session for connection state recovery. Default: not kept.
    fn persist_session(&self, session: PersistedSession) -> BoxFuture<'_, ()> {
        let _ = session;
        Box::pin(async {})
    }

    /// Restores a session saved by [`persist_session`](Self::persist_session) with the
    /// packets broadcast after `offset`. Default: `None` (not found).
    fn restore_session<'a>(
        &'a self,
        pid: &'a str,
        offset: &'a str,
    ) -> BoxFuture<'a, Result<Option<RestoredSession>, AdapterError>> {
        let _ = (pid, offset);
        Box::pin(async { Ok(None) })
    }
}

/// Creates one adapter per namespace.
pub trait AdapterFactory: Send + Sync + 'static {
    /// A new adapter for the namespace behind `nsp`.
    fn create(&self, nsp: LocalNamespace) -> Arc<dyn Adapter>;
}

/// The local side of a namespace, handed to its adapter: the sockets connected to this
/// server (to deliver packets and apply remote operations).
#[derive(Clone)]
pub struct LocalNamespace {
    pub(crate) inner: Weak<NamespaceInner>,
}

impl std::fmt::Debug for LocalNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalNamespace")
    }
}

impl LocalNamespace {
    /// The namespace, while the server is alive.
    pub fn namespace(&self) -> Option<Namespace> {
        self.inner.upgrade().map(|inner| Namespace { inner })
    }

    /// A local socket by id.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.namespace()?.get_socket(sid)
    }

    /// Delivers pre-encoded messages to a local socket.
    pub fn deliver(&self, socket: &Socket, packet: &BroadcastPacket, volatile: bool) {
        socket.deliver(packet, volatile)
    }

    /// Runs this server's handler for a server-side event received from another server
    /// (see [`Namespace::on_server_side_emit`]); the result is the reply to send back,
    /// `None` when no handler exists.
    pub async fn server_side_event(
        &self,
        event: &str,
        args: Vec<serde_json::Value>,
    ) -> Option<serde_json::Value> {
        self.namespace()?.server_side_event(event, args).await
    }

    /// Registers `acks` for `packet`'s ack id on a local socket (before delivering it).
    pub fn expect_ack(&self, socket: &Socket, packet: &BroadcastPacket, acks: &AckCollector) {
        if let Some(id) = packet.ack_id {
            socket.register_ack(id, crate::ack::PendingAck::Broadcast(acks.clone()));
        }
    }
}
