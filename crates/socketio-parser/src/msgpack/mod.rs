//! The msgpack codec, byte-compatible with npm `socket.io-msgpack-parser` 3.x
//! (notepack.io): one binary message per packet, a map `{type, data, nsp, id}`.
//!
//! Types 0..=4 only (binary values stay msgpack `bin`, no attachments). Encoding follows
//! notepack: integral numbers as the smallest msgpack integer, other numbers as
//! float64, strings/bins/arrays/maps with the smallest header, map keys as strings.
//!
//! Layout, following one message: [`read`] reads msgpack value heads and validates
//! values, [`decode`] turns a message into a [`Packet`] ([`MsgpackDecoder`]), [`de`]
//! gives typed access to the raw payload later; on the way out, [`ser`] is the
//! notepack-compatible serializer and [`encode`] assembles the packet map around what
//! it wrote. This file holds the codec itself.

mod de;
mod decode;
mod encode;
mod read;
mod ser;

use serde::Serialize;

use crate::codec::{Codec, Encoded};
use crate::error::EncodeError;
use crate::packet::{Packet, PacketType, Payload};

pub(crate) use de::{from_args, from_value};
pub use decode::MsgpackDecoder;
use encode::{assemble, encode_args, encode_value};
pub(crate) use read::first_element_name;

/// The msgpack format (npm `socket.io-msgpack-parser`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsgpackCodec;

impl MsgpackCodec {
    /// The codec.
    pub const fn new() -> MsgpackCodec {
        MsgpackCodec
    }
}

impl Codec for MsgpackCodec {
    type Decoder = MsgpackDecoder;

    fn decoder(&self) -> MsgpackDecoder {
        MsgpackDecoder::default()
    }

    fn encode(&self, packet: &Packet, _prefix: &[u8]) -> Result<Encoded, EncodeError> {
        if !packet.attachments.is_empty() {
            return Err(EncodeError::UnsupportedType);
        }
        let data = match &packet.data {
            None => None,
            Some(Payload::Msgpack(b)) => Some(&b[..]),
            Some(Payload::Json(_)) => return Err(EncodeError::PayloadFormat),
        };
        assemble(packet.kind.base(), &packet.nsp, packet.id, data, None)
    }

    fn encode_event<T: Serialize + ?Sized>(
        &self,
        _prefix: &[u8],
        nsp: &str,
        event: &str,
        args: &T,
        id: Option<u64>,
    ) -> Result<Encoded, EncodeError> {
        encode_args(PacketType::Event, nsp, Some(event), args, id)
    }

    fn encode_ack<T: Serialize + ?Sized>(
        &self,
        _prefix: &[u8],
        nsp: &str,
        id: u64,
        args: &T,
    ) -> Result<Encoded, EncodeError> {
        encode_args(PacketType::Ack, nsp, None, args, Some(id))
    }

    fn encode_connect<T: Serialize + ?Sized>(
        &self,
        _prefix: &[u8],
        nsp: &str,
        data: Option<&T>,
    ) -> Result<Encoded, EncodeError> {
        encode_value(PacketType::Connect, nsp, data)
    }

    fn encode_connect_error<T: Serialize + ?Sized>(
        &self,
        _prefix: &[u8],
        nsp: &str,
        data: &T,
    ) -> Result<Encoded, EncodeError> {
        encode_value(PacketType::ConnectError, nsp, Some(data))
    }

    fn encode_disconnect(&self, _prefix: &[u8], nsp: &str) -> Result<Encoded, EncodeError> {
        encode_value::<()>(PacketType::Disconnect, nsp, None)
    }
}
