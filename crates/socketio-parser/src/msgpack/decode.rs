//! Decoding one msgpack message into a [`Packet`]: the `{type, data, nsp, id}` map is
//! read and validated in one pass (the `data` value stays a slice of the message), then
//! the payload is checked against the packet type with the same rules as the JSON
//! decoder.

use bytes::Bytes;

use super::read::{bad, head, head_integer, skip, Head};
use crate::codec::PacketDecoder;
use crate::error::DecodeError;
use crate::packet::{reserved, Packet, PacketType, Payload, Str};

fn check_data(
    kind: PacketType,
    data: Option<(Head, usize)>,
    raw: &[u8],
) -> Result<(), DecodeError> {
    let h = data.map(|(h, _)| h);
    match (kind, h) {
        (PacketType::Connect, None | Some(Head::Map(_))) => Ok(()),
        (PacketType::Connect, _) => Err(DecodeError::InvalidConnectPayload),
        (PacketType::Disconnect, None) => Ok(()),
        (PacketType::Disconnect, _) => Err(DecodeError::UnexpectedDisconnectPayload),
        (PacketType::ConnectError, Some(Head::Map(_) | Head::Str(..))) => Ok(()),
        (PacketType::ConnectError, _) => Err(DecodeError::InvalidConnectErrorPayload),
        (PacketType::Ack, Some(Head::Array(_))) => Ok(()),
        (PacketType::Ack, _) => Err(DecodeError::InvalidAckPayload),
        (PacketType::Event, Some(Head::Array(n))) if n > 0 => {
            let p = data.map_or(0, |(_, p)| p);
            match head(raw, p)?.0 {
                Head::Str(s, e) => {
                    let name =
                        std::str::from_utf8(&raw[s..e]).map_err(|_| DecodeError::InvalidUtf8)?;
                    match reserved(name) {
                        Some(r) => Err(DecodeError::ReservedEventName(r)),
                        None => Ok(()),
                    }
                }
                Head::Uint(_) | Head::Int(_) | Head::Float(_) => Ok(()),
                _ => Err(DecodeError::InvalidEventName),
            }
        }
        (PacketType::Event, _) => Err(DecodeError::InvalidEventPayload),
        _ => Err(DecodeError::InvalidMsgpackType),
    }
}

/// Decodes one msgpack packet message.
pub fn parse_message(msg: &Bytes) -> Result<Packet, DecodeError> {
    let b: &[u8] = msg;
    let (h, mut pos) = head(b, 0)?;
    let Head::Map(n) = h else {
        return Err(DecodeError::InvalidMsgpackType);
    };
    let mut ty: Option<Option<i128>> = None;
    let mut nsp: Option<Option<(usize, usize)>> = None;
    // (start, end, head, position after the head)
    let mut data: Option<(usize, usize, Head, usize)> = None;
    let mut id: Result<Option<u64>, ()> = Ok(None);
    for _ in 0..n {
        let key_start = pos;
        let (kh, kend) = head(b, key_start)?;
        let key: &[u8] = match kh {
            Head::Str(s, e) => &b[s..e],
            _ => b"",
        };
        pos = skip(b, key_start, 1)?;
        debug_assert!(pos >= kend);
        let vstart = pos;
        let (vh, vafter) = head(b, vstart)?;
        pos = skip(b, vstart, 1)?;
        match key {
            b"type" => ty = Some(head_integer(vh)),
            b"nsp" => {
                nsp = Some(match vh {
                    Head::Str(s, e) => Some((s, e)),
                    _ => None,
                })
            }
            b"data" => {
                data = match vh {
                    Head::Undefined => None,
                    _ => Some((vstart, pos, vh, vafter)),
                }
            }
            b"id" => {
                id = match vh {
                    Head::Undefined => Ok(None),
                    _ => head_integer(vh)
                        .and_then(|v| u64::try_from(v).ok())
                        .map(Some)
                        .ok_or(()),
                }
            }
            _ => {}
        }
    }
    if pos != b.len() {
        return Err(bad(pos, "trailing bytes"));
    }
    let kind = ty
        .flatten()
        .filter(|t| (0..=4).contains(t))
        .and_then(|t| PacketType::from_u8(t as u8))
        .ok_or(DecodeError::InvalidMsgpackType)?;
    let (ns, ne) = nsp.flatten().ok_or(DecodeError::InvalidNamespace)?;
    // Any string is a namespace here (no separator to worry about, as in npm); the
    // empty one means the root, as in the JSON format.
    let nsp = if ns == ne {
        Str::ROOT
    } else {
        Str::from_utf8(msg.slice(ns..ne)).map_err(|_| DecodeError::InvalidUtf8)?
    };
    check_data(kind, data.map(|(_, _, h, after)| (h, after)), b)?;
    let id = id.map_err(|_| DecodeError::InvalidPacketId)?;
    Ok(Packet {
        kind,
        nsp,
        id,
        data: data.map(|(s, e, _, _)| Payload::Msgpack(msg.slice(s..e))),
        attachments: Vec::new(),
    })
}

/// Streaming decoder of the msgpack format (stateless: one message, one packet).
#[derive(Debug, Default)]
pub struct MsgpackDecoder {
    _private: (),
}

impl PacketDecoder for MsgpackDecoder {
    fn decode_text(&mut self, _text: Bytes) -> Result<Option<Packet>, DecodeError> {
        Err(DecodeError::UnexpectedText { remaining: 0 })
    }

    fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        parse_message(&data).map(Some)
    }
}
