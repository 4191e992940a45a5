//! Error types, and the disconnect reasons handlers see (Node's strings).

use serde::Serialize;
use std::fmt;

/// Why a socket left its namespace. [`DisconnectReason::as_str`] gives Node's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// The transport failed (`"transport error"`).
    TransportError,
    /// The client closed the transport (`"transport close"`).
    TransportClose,
    /// The engine session was closed by the server (`"forced close"`).
    ForcedClose,
    /// No pong within pingTimeout (`"ping timeout"`).
    PingTimeout,
    /// The client sent something the parser refused (`"parse error"`).
    ParseError,
    /// [`SocketIo::close`](crate::SocketIo::close) was called (`"server shutting down"`).
    ServerShuttingDown,
    /// The server closed the whole connection (`"forced server close"`).
    ForcedServerClose,
    /// The client left the namespace (`"client namespace disconnect"`).
    ClientNamespaceDisconnect,
    /// The server removed the socket from the namespace (`"server namespace disconnect"`).
    ServerNamespaceDisconnect,
}

impl DisconnectReason {
    /// Node's reason string.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::TransportError => "transport error",
            Self::TransportClose => "transport close",
            Self::ForcedClose => "forced close",
            Self::PingTimeout => "ping timeout",
            Self::ParseError => "parse error",
            Self::ServerShuttingDown => "server shutting down",
            Self::ForcedServerClose => "forced server close",
            Self::ClientNamespaceDisconnect => "client namespace disconnect",
            Self::ServerNamespaceDisconnect => "server namespace disconnect",
        }
    }

    /// Whether Node would keep the session for connection state recovery after this reason.
    pub fn is_recoverable(&self) -> bool {
        !matches!(
            self,
            Self::ClientNamespaceDisconnect | Self::ServerNamespaceDisconnect | Self::ParseError
        )
    }

    pub(crate) fn from_engine(reason: engineio::DisconnectReason) -> Self {
        match reason {
            engineio::DisconnectReason::TransportError => Self::TransportError,
            engineio::DisconnectReason::TransportClose => Self::TransportClose,
            engineio::DisconnectReason::ForcedClose => Self::ForcedClose,
            engineio::DisconnectReason::PingTimeout => Self::PingTimeout,
            engineio::DisconnectReason::ParseError => Self::ParseError,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal from a connect middleware: sent to the client as CONNECT_ERROR
/// `{"message": ..., "data": ...}` (the client sees a `connect_error` with these fields).
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ConnectError {
    /// `err.message` on the client.
    pub message: String,
    /// `err.data` on the client (omitted when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// Adds the `data` field (any JSON value).
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }
}

/// Why an emit could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The event name is reserved (connect, connect_error, disconnect, disconnecting,
    /// newListener, removeListener).
    #[error("\"{0}\" is a reserved event name")]
    ReservedEvent(String),
    /// The arguments could not be encoded.
    #[error("cannot encode the packet: {0}")]
    Encode(#[from] socketio_parser::EncodeError),
    /// The parser produced a text frame the engine refused (a parser bug).
    #[error("the encoded frame is not valid UTF-8")]
    InvalidFrame,
    /// The socket's send queue is full (slow client); nothing was queued.
    #[error("the client's send queue is full")]
    QueueFull,
    /// The socket or its connection is closed.
    #[error("the socket is disconnected")]
    Disconnected,
    /// The adapter failed (broadcasts only).
    #[error("adapter error: {0}")]
    Adapter(#[from] AdapterError),
}

/// Why an acknowledgement from one client did not arrive.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// No reply within the timeout (Node: "operation has timed out").
    #[error("operation has timed out")]
    Timeout,
    /// The emit itself failed.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The socket disconnected before replying.
    #[error("the socket disconnected before acknowledging")]
    Disconnected,
    /// The reply does not fit the requested type.
    #[error("cannot decode the acknowledgement: {0}")]
    Decode(socketio_parser::DecodeError),
}

/// Failure of a broadcast with acknowledgements.
#[derive(Debug, thiserror::Error)]
pub enum BroadcastAckError<T> {
    /// Not every targeted client answered in time; `partial` holds the replies received
    /// (first argument of each).
    #[error("operation has timed out")]
    Timeout {
        /// Replies received before the deadline.
        partial: Vec<T>,
    },
    /// The emit failed before anything was sent.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// Failure reported by an [`Adapter`](crate::adapter::Adapter).
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// A request to the other servers timed out.
    #[error("adapter request timed out")]
    Timeout,
    /// The operation is not available with this adapter or namespace.
    #[error("unsupported adapter operation: {0}")]
    Unsupported(&'static str),
    /// Any other failure (network, serialization...).
    #[error("{0}")]
    Other(String),
}

/// Errors delivered to a socket's `error` listeners ([`Socket::on_error`](crate::Socket::on_error)).
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// An event's arguments do not fit the handler's types. The packet is dropped.
    #[error("event \"{event}\": arguments do not fit the handler: {source}")]
    BadArguments {
        /// The event name.
        event: String,
        /// The decoding error.
        source: socketio_parser::DecodeError,
    },
    /// A per-packet middleware rejected the event. The packet is dropped.
    #[error("event \"{event}\" rejected by middleware: {message}")]
    Rejected {
        /// The event name.
        event: String,
        /// The middleware's message.
        message: String,
    },
    /// The client's inbound queue overflowed; the connection is closed.
    #[error("too many pending events; closing the connection")]
    Overloaded,
}
