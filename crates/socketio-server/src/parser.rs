//! The wire format: JSON (socket.io-parser, default) or msgpack (socket.io-msgpack-parser).
//!
//! Both are the parser crate's [`Codec`] implementations; this enum picks one at run time so
//! that the rest of the server (and user code) is not generic over the codec.

use bytes::Bytes;
use serde::Serialize;
use socketio_parser::{Codec, DecodeError, EncodeError, Encoded, Packet, PacketDecoder};

/// Which packet format the server speaks. Must match the client's parser.
#[derive(Clone, Debug)]
pub enum Parser {
    /// socket.io-parser (text + binary attachments). Node's default.
    Json(socketio_parser::JsonCodec),
    /// socket.io-msgpack-parser (one binary message per packet).
    #[cfg(feature = "msgpack")]
    MsgPack(socketio_parser::MsgpackCodec),
}

impl Default for Parser {
    fn default() -> Self {
        Self::json()
    }
}

macro_rules! dispatch {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            Parser::Json($c) => $e,
            #[cfg(feature = "msgpack")]
            Parser::MsgPack($c) => $e,
        }
    };
}

/// The Engine.IO "message" type byte written in front of every text frame.
pub(crate) const PREFIX: &[u8] = b"4";

impl Parser {
    /// The default JSON parser.
    pub fn json() -> Self {
        Self::Json(socketio_parser::JsonCodec::new())
    }

    /// The msgpack parser (pair it with `socket.io-msgpack-parser` on the client).
    #[cfg(feature = "msgpack")]
    pub fn msgpack() -> Self {
        Self::MsgPack(socketio_parser::MsgpackCodec::new())
    }

    pub(crate) fn decoder(&self) -> Decoder {
        match self {
            Parser::Json(c) => Decoder::Json(c.decoder()),
            #[cfg(feature = "msgpack")]
            Parser::MsgPack(c) => Decoder::MsgPack(c.decoder()),
        }
    }

    pub(crate) fn encode_event<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        event: &str,
        args: &T,
        id: Option<u64>,
    ) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode_event(PREFIX, nsp, event, args, id))
    }

    pub(crate) fn encode_ack<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode_ack(PREFIX, nsp, id, args))
    }

    pub(crate) fn encode_connect<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        data: Option<&T>,
    ) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode_connect(PREFIX, nsp, data))
    }

    pub(crate) fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        nsp: &str,
        data: &T,
    ) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode_connect_error(PREFIX, nsp, data))
    }

    pub(crate) fn encode_disconnect(&self, nsp: &str) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode_disconnect(PREFIX, nsp))
    }

    /// Encodes an already-built packet (raw payload), e.g. one received from another server.
    pub fn encode_packet(&self, packet: &Packet) -> Result<Encoded, EncodeError> {
        dispatch!(self, c => c.encode(packet, PREFIX))
    }
}

/// Per-connection decoder state (a packet may span several engine messages).
pub(crate) enum Decoder {
    Json(<socketio_parser::JsonCodec as Codec>::Decoder),
    #[cfg(feature = "msgpack")]
    MsgPack(<socketio_parser::MsgpackCodec as Codec>::Decoder),
}

impl Decoder {
    pub(crate) fn decode_text(&mut self, text: Bytes) -> Result<Option<Packet>, DecodeError> {
        match self {
            Decoder::Json(d) => d.decode_text(text),
            #[cfg(feature = "msgpack")]
            Decoder::MsgPack(d) => d.decode_text(text),
        }
    }

    /// Text the transport already checked as UTF-8 (not checked again).
    pub(crate) fn decode_str(
        &mut self,
        text: socketio_parser::ByteString,
    ) -> Result<Option<Packet>, DecodeError> {
        match self {
            Decoder::Json(d) => d.decode_str(text),
            #[cfg(feature = "msgpack")]
            Decoder::MsgPack(d) => d.decode_str(text),
        }
    }

    pub(crate) fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        match self {
            Decoder::Json(d) => d.decode_binary(data),
            #[cfg(feature = "msgpack")]
            Decoder::MsgPack(d) => d.decode_binary(data),
        }
    }
}
