//! Typed errors of the codec. Every decoder rule has its own variant.

use thiserror::Error;

/// Why a message could not be decoded (or a decoded payload could not be turned into
/// typed values). Any of these, coming from the network, means "parse error": the
/// connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text message was empty (no packet type).
    #[error("empty packet")]
    Empty,
    /// The packet type is not one of 0..=6 (JSON) or 0..=4 (msgpack).
    #[error("unknown packet type")]
    UnknownType,
    /// The text message is not valid UTF-8.
    #[error("packet is not valid UTF-8")]
    InvalidUtf8,
    /// A binary packet header whose attachment count is not `<digits>-` with at least one.
    #[error(
        "illegal attachments: the attachment count must be a positive integer followed by '-'"
    )]
    IllegalAttachments,
    /// More attachments announced than the configured limit.
    #[error("too many attachments: {count} announced, at most {max} allowed")]
    TooManyAttachments {
        /// Announced count (saturated).
        count: usize,
        /// Configured limit.
        max: usize,
    },
    /// The ack id does not fit in a `u64`.
    #[error("ack id does not fit in a u64")]
    AckIdOverflow,
    /// The payload is not valid JSON (or valid msgpack, for the msgpack codec).
    #[error("invalid payload encoding at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset inside the payload.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The payload nests deeper than the supported limit.
    #[error("payload nesting deeper than {0} levels")]
    TooDeep(usize),
    /// CONNECT data must be an object (or absent).
    #[error("invalid payload: CONNECT data must be an object")]
    InvalidConnectPayload,
    /// DISCONNECT must not carry data.
    #[error("invalid payload: DISCONNECT must not carry data")]
    UnexpectedDisconnectPayload,
    /// CONNECT_ERROR data must be a string or an object.
    #[error("invalid payload: CONNECT_ERROR data must be a string or an object")]
    InvalidConnectErrorPayload,
    /// EVENT data must be a non-empty array.
    #[error("invalid payload: EVENT data must be a non-empty array")]
    InvalidEventPayload,
    /// The first element of an EVENT must be a string or a number.
    #[error("invalid payload: the event name must be a string or a number")]
    InvalidEventName,
    /// The event name is reserved (connect, connect_error, disconnect, disconnecting,
    /// newListener, removeListener).
    #[error("invalid payload: reserved event name {0:?}")]
    ReservedEventName(&'static str),
    /// ACK data must be an array.
    #[error("invalid payload: ACK data must be an array")]
    InvalidAckPayload,
    /// A placeholder `{"_placeholder":true,"num":N}` whose `num` is not an integer in
    /// `0..attachments`.
    #[error("illegal attachments: placeholder number out of range")]
    InvalidPlaceholder,
    /// A text message arrived while binary attachments were still awaited.
    #[error("got plaintext data while {remaining} binary attachment(s) are awaited")]
    UnexpectedText {
        /// Attachments still missing.
        remaining: usize,
    },
    /// A binary message arrived while no attachment was awaited.
    #[error("got binary data when not reconstructing a packet")]
    UnexpectedBinary,
    /// msgpack: the message is not a map, or `type` is missing / not an integer in 0..=4.
    #[error("msgpack: invalid packet type")]
    InvalidMsgpackType,
    /// msgpack: `nsp` missing or not a string.
    #[error("msgpack: invalid namespace")]
    InvalidNamespace,
    /// msgpack: `id` is not a non-negative integer that fits in a u64.
    #[error("msgpack: invalid packet id")]
    InvalidPacketId,
    /// The packet has no payload to deserialize.
    #[error("the packet has no payload")]
    NoPayload,
    /// The payload was produced by another codec than the one asked to read it.
    #[error("payload format mismatch (JSON vs msgpack)")]
    PayloadFormat,
    /// The payload is valid but does not deserialize into the requested type.
    #[error("cannot deserialize payload: {0}")]
    Deserialize(String),
}

impl serde::de::Error for DecodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DecodeError::Deserialize(msg.to_string())
    }
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The user value's `Serialize` impl failed, or used something JSON cannot express
    /// (e.g. a map key that is not a string or a number).
    #[error("cannot serialize value: {0}")]
    Serialize(String),
    /// JSON format: a namespace must be empty, `/`, or start with `/` and contain no `,`
    /// (the decoder ends it at the first comma). The msgpack format takes any string.
    #[error("invalid namespace {0:?}: must start with '/' and contain no ','")]
    InvalidNamespace(String),
    /// The prefix must be valid UTF-8 for a text frame.
    #[error("the frame prefix is not valid UTF-8")]
    InvalidPrefix,
    /// Attachments are only allowed on EVENT and ACK packets.
    #[error("attachments are only allowed on EVENT and ACK packets")]
    AttachmentsNotAllowed,
    /// The packet type cannot be expressed by this codec (msgpack: binary types).
    #[error("packet type not supported by this codec")]
    UnsupportedType,
    /// The packet's payload was produced by the other codec.
    #[error("payload format mismatch (JSON vs msgpack)")]
    PayloadFormat,
}

impl serde::ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError::Serialize(msg.to_string())
    }
}
