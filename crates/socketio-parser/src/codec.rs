//! The [`Codec`] trait implemented by both wire formats, and the JSON codec.

use bytes::Bytes;
use bytestring::ByteString;
use serde::Serialize;

use crate::decode::{JsonDecoder, DEFAULT_MAX_ATTACHMENTS};
use crate::encode;
use crate::error::{DecodeError, EncodeError};
use crate::packet::{Packet, PacketType};

/// One WebSocket frame / Engine.IO message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A text message (valid UTF-8), starting with the caller's prefix.
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl Frame {
    /// The frame's bytes.
    pub fn as_bytes(&self) -> &Bytes {
        match self {
            Frame::Text(b) | Frame::Binary(b) => b,
        }
    }
}

/// An encoded packet: the first message, then one binary message per attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The packet itself (text for JSON, binary for msgpack).
    pub first: Frame,
    /// Binary attachments, sent after `first` in this order (JSON codec only).
    pub attachments: Vec<Bytes>,
}

/// A streaming decoder: fed the messages of one connection in order.
pub trait PacketDecoder {
    /// Feeds one text message (without the Engine.IO `4` prefix). `Ok(Some)` when a
    /// packet is complete.
    fn decode_text(&mut self, text: Bytes) -> Result<Option<Packet>, DecodeError>;
    /// Feeds one text message already checked as UTF-8 (the transport checked it): the
    /// JSON decoder does not check it again.
    fn decode_str(&mut self, text: ByteString) -> Result<Option<Packet>, DecodeError> {
        self.decode_text(text.into_bytes())
    }
    /// Feeds one binary message.
    fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError>;
}

/// A wire format: the default JSON text format ([`JsonCodec`]) or msgpack
/// (`MsgpackCodec`, cargo feature `msgpack`).
pub trait Codec: Clone + Send + Sync + 'static {
    /// The streaming decoder of this format.
    type Decoder: PacketDecoder + Send + 'static;

    /// A fresh decoder (one per connection).
    fn decoder(&self) -> Self::Decoder;

    /// Encodes a packet whose payload is already raw (decoded or built).
    fn encode(&self, packet: &Packet, prefix: &[u8]) -> Result<Encoded, EncodeError>;

    /// Encodes an EVENT (a BINARY_EVENT when a binary value is found anywhere in `args`).
    /// `args` serializes as a tuple/sequence, each element one argument (any other value
    /// is a single argument; `()` is none). Written after `prefix` (text frames only).
    fn encode_event<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        event: &str,
        args: &T,
        id: Option<u64>,
    ) -> Result<Encoded, EncodeError>;

    /// Encodes an ACK (BINARY_ACK when `args` contains binary values).
    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError>;

    /// Encodes a CONNECT, with optional data (the server's `{"sid":…}`).
    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        data: Option<&T>,
    ) -> Result<Encoded, EncodeError>;

    /// Encodes a CONNECT_ERROR (`{"message":…}` or a string).
    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        data: &T,
    ) -> Result<Encoded, EncodeError>;

    /// Encodes a DISCONNECT.
    fn encode_disconnect(&self, prefix: &[u8], nsp: &str) -> Result<Encoded, EncodeError>;
}

/// The default Socket.IO format (npm `socket.io-parser`): JSON text messages, binary
/// values as placeholders plus separate binary messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonCodec {
    max_attachments: usize,
}

impl JsonCodec {
    /// A codec whose decoders accept at most 10 attachments per packet (Node's default).
    pub const fn new() -> JsonCodec {
        JsonCodec {
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
        }
    }

    /// Sets the attachment limit of the decoders.
    pub const fn with_max_attachments(mut self, max: usize) -> JsonCodec {
        self.max_attachments = max;
        self
    }

    /// The attachment limit.
    pub const fn max_attachments(&self) -> usize {
        self.max_attachments
    }
}

impl Default for JsonCodec {
    fn default() -> Self {
        JsonCodec::new()
    }
}

impl Codec for JsonCodec {
    type Decoder = JsonDecoder;

    fn decoder(&self) -> JsonDecoder {
        JsonDecoder::new(self.max_attachments)
    }

    fn encode(&self, packet: &Packet, prefix: &[u8]) -> Result<Encoded, EncodeError> {
        encode::encode_packet(packet, prefix)
    }

    fn encode_event<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        event: &str,
        args: &T,
        id: Option<u64>,
    ) -> Result<Encoded, EncodeError> {
        encode::encode_event(prefix, nsp, event, args, id)
    }

    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        encode::encode_ack(prefix, nsp, id, args)
    }

    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        data: Option<&T>,
    ) -> Result<Encoded, EncodeError> {
        encode::encode_plain(prefix, PacketType::Connect, nsp, data)
    }

    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        prefix: &[u8],
        nsp: &str,
        data: &T,
    ) -> Result<Encoded, EncodeError> {
        encode::encode_plain(prefix, PacketType::ConnectError, nsp, Some(data))
    }

    fn encode_disconnect(&self, prefix: &[u8], nsp: &str) -> Result<Encoded, EncodeError> {
        encode::encode_plain::<()>(prefix, PacketType::Disconnect, nsp, None)
    }
}
