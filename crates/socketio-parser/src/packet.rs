//! The packet model shared by both codecs.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use bytestring::ByteString;
use serde::de::DeserializeOwned;

use crate::error::DecodeError;

/// The seven Socket.IO v5 packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: connect to a namespace (client) / accept (server).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event `["name", ...args]`.
    Event = 2,
    /// `3`: an acknowledgement `[...args]`.
    Ack = 3,
    /// `4`: the server refused a namespace connection.
    ConnectError = 4,
    /// `5`: an event with binary attachments (JSON codec wire form only).
    BinaryEvent = 5,
    /// `6`: an acknowledgement with binary attachments (JSON codec wire form only).
    BinaryAck = 6,
}

impl PacketType {
    /// The type from its wire digit.
    pub fn from_u8(n: u8) -> Option<PacketType> {
        Some(match n {
            0 => PacketType::Connect,
            1 => PacketType::Disconnect,
            2 => PacketType::Event,
            3 => PacketType::Ack,
            4 => PacketType::ConnectError,
            5 => PacketType::BinaryEvent,
            6 => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// `Event` for `BinaryEvent`, `Ack` for `BinaryAck`, otherwise itself.
    pub fn base(self) -> PacketType {
        match self {
            PacketType::BinaryEvent => PacketType::Event,
            PacketType::BinaryAck => PacketType::Ack,
            other => other,
        }
    }

    /// EVENT or BINARY_EVENT.
    pub fn is_event(self) -> bool {
        self.base() == PacketType::Event
    }

    /// ACK or BINARY_ACK.
    pub fn is_ack(self) -> bool {
        self.base() == PacketType::Ack
    }
}

/// A cheap-to-clone UTF-8 string backed by [`Bytes`] (namespaces).
///
/// Decoded namespaces share the input buffer; `"/"` is static. Wraps
/// [`ByteString`](bytestring::ByteString), so text checked once (by the transport) is
/// never checked again.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Str(ByteString);

impl Str {
    /// The root namespace `"/"`.
    pub const ROOT: Str = Str(ByteString::from_static("/"));

    /// A static string (no allocation).
    pub const fn from_static(s: &'static str) -> Str {
        Str(ByteString::from_static(s))
    }

    /// Wraps bytes after checking they are UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<Str, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        ByteString::try_from(bytes).map(Str)
    }

    /// Wraps an already checked string (no copy, no check).
    pub fn from_checked(s: ByteString) -> Str {
        Str(s)
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        self.0.as_bytes()
    }

    /// Is this the root namespace (`"/"`, or the empty string which means the same)?
    pub fn is_root(&self) -> bool {
        self.0.is_empty() || &*self.0 == "/"
    }
}

impl Default for Str {
    fn default() -> Self {
        Str::ROOT
    }
}

impl std::ops::Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        if s == "/" {
            Str::ROOT
        } else {
            Str(ByteString::from(s))
        }
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str(ByteString::from(s))
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A raw, not yet deserialized payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// JSON text (the JSON codec). Binary values are placeholders
    /// `{"_placeholder":true,"num":N}` referring to [`Packet::attachments`].
    Json(Bytes),
    /// One msgpack value (the msgpack codec). Binary values are msgpack `bin`.
    #[cfg(feature = "msgpack")]
    Msgpack(Bytes),
}

impl Payload {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &Bytes {
        match self {
            Payload::Json(b) => b,
            #[cfg(feature = "msgpack")]
            Payload::Msgpack(b) => b,
        }
    }
}

/// An event name: JSON/msgpack string, or a number (the protocol allows both).
#[derive(Debug, Clone, PartialEq)]
pub enum EventName<'a> {
    /// A string name (borrowed from the packet unless it contained JSON escapes).
    Str(Cow<'a, str>),
    /// A numeric name.
    Number(f64),
}

impl EventName<'_> {
    /// The name when it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            EventName::Str(s) => Some(s),
            EventName::Number(_) => None,
        }
    }
}

/// The names that cannot be used as event names (rejected by the decoder).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

pub(crate) fn reserved(name: &str) -> Option<&'static str> {
    RESERVED_EVENTS.iter().copied().find(|r| *r == name)
}

/// A Socket.IO packet: decoded from the wire, or built to be encoded.
///
/// The payload stays raw (JSON text or a msgpack value sharing the input buffer) until
/// [`Packet::args`] or [`Packet::data`] is called.
///
/// Decoded packets are normalised like the npm decoder does: a `BINARY_EVENT` /
/// `BINARY_ACK` arrives as `kind == Event` / `Ack` with non-empty `attachments`.
/// When encoding, an `Event`/`Ack` with attachments is written as `BINARY_*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace, `"/"` by default.
    pub nsp: Str,
    /// The ack id.
    pub id: Option<u64>,
    /// The raw payload.
    pub data: Option<Payload>,
    /// Binary attachments (JSON codec), in placeholder order.
    pub attachments: Vec<Bytes>,
}

impl Packet {
    /// A packet without payload.
    pub fn new(kind: PacketType, nsp: impl Into<Str>) -> Packet {
        Packet {
            kind,
            nsp: nsp.into(),
            id: None,
            data: None,
            attachments: Vec::new(),
        }
    }

    /// Is this an EVENT (binary or not)?
    pub fn is_event(&self) -> bool {
        self.kind.is_event()
    }

    /// Is this an ACK (binary or not)?
    pub fn is_ack(&self) -> bool {
        self.kind.is_ack()
    }

    /// The event name of an EVENT, read without touching the arguments.
    pub fn event_name(&self) -> Option<EventName<'_>> {
        if !self.kind.is_event() {
            return None;
        }
        match self.data.as_ref()? {
            Payload::Json(raw) => crate::scan::first_element_name(raw),
            #[cfg(feature = "msgpack")]
            Payload::Msgpack(raw) => crate::msgpack::first_element_name(raw),
        }
    }

    /// The arguments as a tuple / sequence / struct-as-seq: for an EVENT the elements after
    /// the event name, for an ACK the whole array. Placeholders resolve to attachments
    /// (deserialize them as [`crate::Binary`], `bytes::Bytes`, `serde_bytes::ByteBuf` or
    /// `Vec<u8>`). Extra arguments beyond what `T` consumes are ignored, as in JavaScript.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        let skip_first = self.kind.is_event();
        match self.data.as_ref().ok_or(DecodeError::NoPayload)? {
            Payload::Json(raw) => crate::de::from_args(raw, &self.attachments, skip_first),
            #[cfg(feature = "msgpack")]
            Payload::Msgpack(raw) => crate::msgpack::from_args(raw, skip_first),
        }
    }

    /// The whole payload as one value (CONNECT auth / CONNECT_ERROR data, or the whole
    /// EVENT/ACK array). Placeholders resolve to attachments.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        match self.data.as_ref().ok_or(DecodeError::NoPayload)? {
            Payload::Json(raw) => crate::de::from_value(raw, &self.attachments),
            #[cfg(feature = "msgpack")]
            Payload::Msgpack(raw) => crate::msgpack::from_value(raw),
        }
    }
}
