//! Socket.IO v5 packet codec: pure, zero-copy, no IO.
//!
//! ```
//! use bytes::Bytes;
//! use socketio_parser::{Binary, Codec, Frame, JsonCodec, PacketDecoder, EventName};
//!
//! let codec = JsonCodec::new();
//! // Encode `socket.emit("upload", "photo.png", <binary>)` with ack id 7, after the
//! // Engine.IO message prefix "4".
//! let file = Binary(Bytes::from_static(b"\x89PNG"));
//! let enc = codec.encode_event(b"4", "/files", "upload", &("photo.png", &file), Some(7))?;
//! let Frame::Text(text) = &enc.first else { unreachable!() };
//! assert_eq!(
//!     &text[..],
//!     br#"451-/files,7["upload","photo.png",{"_placeholder":true,"num":0}]"#
//! );
//! assert_eq!(enc.attachments, vec![file.0.clone()]);
//!
//! // Decode it back: the text (without the "4"), then the attachment.
//! let mut decoder = codec.decoder();
//! assert!(decoder.decode_text(text.slice(1..))?.is_none()); // waits for 1 attachment
//! let packet = decoder.decode_binary(enc.attachments[0].clone())?.expect("complete");
//! assert_eq!(packet.nsp, "/files");
//! assert_eq!(packet.id, Some(7));
//! // The event name is read lazily, without touching the arguments...
//! assert_eq!(packet.event_name(), Some(EventName::Str("upload".into())));
//! // ...which deserialize on demand, placeholders resolving to the attachments.
//! let (name, data): (String, Binary) = packet.args()?;
//! assert_eq!(name, "photo.png");
//! assert_eq!(data, file);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Model
//!
//! A [`Packet`] has a [`PacketType`], a namespace ([`Str`], `"/"` by default), an
//! optional ack id (`u64`), a raw [`Payload`] and binary attachments (`bytes::Bytes`).
//! Decoded payloads stay raw: JSON text (or a msgpack value) sharing the input buffer.
//! [`Packet::event_name`] reads only the first array element; [`Packet::args`] and
//! [`Packet::data`] deserialize with serde on demand.
//!
//! Decoded binary packets are normalised like the npm decoder does: `kind` is `Event`
//! or `Ack` and `attachments` is non-empty. Encoding an `Event`/`Ack` packet with
//! attachments writes `BINARY_EVENT`/`BINARY_ACK`.
//!
//! # Codecs
//!
//! Both formats implement [`Codec`] (encoding) and hand out a [`PacketDecoder`]
//! (a per-connection state machine):
//!
//! * [`JsonCodec`]: npm `socket.io-parser` 4.x. Text
//!   `<type>[<attachments>-][<nsp>,][<ackId>][<JSON>]`; binary values become
//!   `{"_placeholder":true,"num":N}` plus one binary message each. Output is
//!   byte-identical to the npm encoder: JSON written like `JSON.stringify` (same string
//!   escaping, integral numbers without `.0`, JS exponent format, NaN/Infinity as
//!   `null`). Binary values in CONNECT / CONNECT_ERROR data are written inline like
//!   Node's `JSON.stringify(buffer)` (`{"type":"Buffer","data":[…]}`).
//! * `MsgpackCodec` (feature `msgpack`): npm `socket.io-msgpack-parser` 3.x, one msgpack
//!   message per packet: a map `{type, data, nsp, id}` in that key order (`data`/`id`
//!   omitted when absent), encoded like notepack.io (integral numbers as the smallest
//!   integer, other numbers as float64, binary as `bin`).
//!
//! User values go in through serde: [`Codec::encode_event`] takes any `Serialize`
//! value serializing as a tuple/sequence (one element per argument) and writes it in
//! one pass; [`Binary`] values anywhere inside become attachments without copying
//! (`serde_bytes` and other `serialize_bytes` users too, with one copy).
//!
//! # API at a glance
//!
//! * [`Packet`] `{ kind, nsp, id, data, attachments }` with [`Packet::event_name`],
//!   [`Packet::args`], [`Packet::data`]; [`PacketType`] (with [`PacketType::base`]);
//!   [`Payload`] (`Json(Bytes)` / `Msgpack(Bytes)`); [`Str`]; [`EventName`].
//! * [`Codec`] (`decoder`, `encode`, `encode_event`, `encode_ack`, `encode_connect`,
//!   `encode_connect_error`, `encode_disconnect`) implemented by [`JsonCodec`]
//!   (`with_max_attachments`) and `MsgpackCodec`; output [`Encoded`] `{ first: Frame,
//!   attachments }` with [`Frame`] `Text(Bytes)` / `Binary(Bytes)`.
//! * [`PacketDecoder`] (`decode_text`, `decode_binary`) implemented by [`JsonDecoder`]
//!   and `MsgpackDecoder`.
//! * [`Binary`] for binary user values; [`DecodeError`] / [`EncodeError`].
//!
//! # Decoder rules
//!
//! Every violation is a [`DecodeError`] variant: CONNECT data is an object (or absent);
//! DISCONNECT has none; CONNECT_ERROR data is a string or an object; EVENT data is a
//! non-empty array whose first element is a number or a non-reserved string
//! ([`RESERVED_EVENTS`]); ACK data is an array; at most `max_attachments` (default 10)
//! attachments; every placeholder `num` is an integer below the attachment count; no
//! text while attachments are awaited, no binary when none are. Payloads nest at most
//! [`MAX_DEPTH`] levels. Work is linear in the input; nothing is preallocated from
//! counts found in the input beyond the attachment limit.
//!
//! Deliberate differences from the npm decoder (all stricter): an empty message, a
//! space in place of a digit, an EVENT/ACK without payload, and ack ids beyond `u64`
//! are errors; the msgpack decoder applies the same EVENT rules as the JSON one.
//!
//! # Allocation
//!
//! Encoding serializes into a per-thread scratch buffer and assembles the frame in one
//! exactly-sized allocation (`prefix` + header + JSON); a packet with binary values
//! allocates one more time for the attachment list. Decoding allocates nothing but
//! the attachment list of binary packets (and `Bytes` bookkeeping).

mod args;
mod binary;
mod codec;
mod de;
mod decode;
mod encode;
mod error;
mod jsnum;
#[cfg(feature = "msgpack")]
mod msgpack;
mod packet;
mod scan;
mod ser;

pub use binary::Binary;
/// The checked UTF-8 string type shared with the transport ([`PacketDecoder::decode_str`]).
pub use bytestring::ByteString;
pub use codec::{Codec, Encoded, Frame, JsonCodec, PacketDecoder};
pub use decode::{JsonDecoder, DEFAULT_MAX_ATTACHMENTS};
pub use error::{DecodeError, EncodeError};
#[cfg(feature = "msgpack")]
pub use msgpack::{MsgpackCodec, MsgpackDecoder};
pub use packet::{EventName, Packet, PacketType, Payload, Str, RESERVED_EVENTS};
pub use scan::MAX_DEPTH;
