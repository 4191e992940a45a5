//! The msgpack codec, byte-compatible with npm `socket.io-msgpack-parser` 3.x
//! (notepack.io): one binary message per packet, a map `{type, data, nsp, id}`.
//!
//! Types 0..=4 only (binary values stay msgpack `bin`, no attachments). Encoding follows
//! notepack: integral numbers as the smallest msgpack integer, other numbers as
//! float64, strings/bins/arrays/maps with the smallest header, map keys as strings.

use std::borrow::Cow;

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize};

use crate::args::{ArgSink, ArgsSerializer};
use crate::binary::set_source;
use crate::codec::{Codec, Encoded, Frame, PacketDecoder};
use crate::encode::with_scratch;
use crate::error::{DecodeError, EncodeError};
use crate::packet::{reserved, EventName, Packet, PacketType, Payload, Str};
use crate::scan::MAX_DEPTH;

// ---------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------

fn bad(offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::Syntax { offset, reason }
}

/// The head of one msgpack value.
#[derive(Debug, Clone, Copy)]
enum Head {
    Nil,
    Bool,
    Uint(u64),
    Int(i64),
    Float(f64),
    /// Byte range of the content.
    Str(usize, usize),
    Bin,
    Array(usize),
    Map(usize),
    /// `undefined` in notepack (fixext 1, type 0, data 0).
    Undefined,
    Ext,
}

fn be(b: &[u8], pos: usize, n: usize) -> Result<u64, DecodeError> {
    let s = b
        .get(pos..pos + n)
        .ok_or_else(|| bad(pos, "truncated value"))?;
    Ok(s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

fn span(b: &[u8], pos: usize, len: u64) -> Result<(usize, usize), DecodeError> {
    let len = usize::try_from(len).map_err(|_| bad(pos, "length too large"))?;
    let end = pos
        .checked_add(len)
        .filter(|&e| e <= b.len())
        .ok_or_else(|| bad(pos, "truncated value"))?;
    Ok((pos, end))
}

/// Reads the head at `pos`; returns it and the position after the head (for strings,
/// bins and exts: after the content).
fn head(b: &[u8], pos: usize) -> Result<(Head, usize), DecodeError> {
    let m = *b
        .get(pos)
        .ok_or_else(|| bad(pos, "unexpected end of message"))?;
    let p = pos + 1;
    Ok(match m {
        0x00..=0x7f => (Head::Uint(u64::from(m)), p),
        0x80..=0x8f => (Head::Map(usize::from(m & 0x0f)), p),
        0x90..=0x9f => (Head::Array(usize::from(m & 0x0f)), p),
        0xa0..=0xbf => {
            let (s, e) = span(b, p, u64::from(m & 0x1f))?;
            (Head::Str(s, e), e)
        }
        0xc0 => (Head::Nil, p),
        0xc1 => return Err(bad(pos, "reserved marker 0xc1")),
        0xc2 | 0xc3 => (Head::Bool, p),
        0xc4..=0xc6 => {
            let n = 1 << (m - 0xc4);
            let (_, e) = span(b, p + n, be(b, p, n)?)?;
            (Head::Bin, e)
        }
        0xc7..=0xc9 => {
            let n = 1 << (m - 0xc7);
            let (_, e) = span(b, p + n + 1, be(b, p, n)?)?;
            (Head::Ext, e)
        }
        0xca => {
            let bits = be(b, p, 4)? as u32;
            (Head::Float(f64::from(f32::from_bits(bits))), p + 4)
        }
        0xcb => (Head::Float(f64::from_bits(be(b, p, 8)?)), p + 8),
        0xcc..=0xcf => {
            let n = 1 << (m - 0xcc);
            (Head::Uint(be(b, p, n)?), p + n)
        }
        0xd0..=0xd3 => {
            let n = 1 << (m - 0xd0);
            let raw = be(b, p, n)?;
            let shift = 64 - 8 * n as u32;
            (Head::Int(((raw << shift) as i64) >> shift), p + n)
        }
        0xd4..=0xd8 => {
            let n = 1usize << (m - 0xd4);
            let (s, e) = span(b, p + 1, n as u64)?;
            if m == 0xd4 && b[p] == 0 && b[s] == 0 {
                (Head::Undefined, e)
            } else {
                (Head::Ext, e)
            }
        }
        0xd9..=0xdb => {
            let n = 1 << (m - 0xd9);
            let (s, e) = span(b, p + n, be(b, p, n)?)?;
            (Head::Str(s, e), e)
        }
        0xdc | 0xdd => {
            let n = if m == 0xdc { 2 } else { 4 };
            (Head::Array(be(b, p, n)? as usize), p + n)
        }
        0xde | 0xdf => {
            let n = if m == 0xde { 2 } else { 4 };
            (Head::Map(be(b, p, n)? as usize), p + n)
        }
        0xe0..=0xff => (Head::Int(i64::from(m as i8)), p),
    })
}

/// Validates the value at `pos` (strings must be UTF-8); returns its end. Every
/// element consumes at least one byte, so work is bounded by the input length.
fn skip(b: &[u8], pos: usize, depth: usize) -> Result<usize, DecodeError> {
    let (h, mut p) = head(b, pos)?;
    let n = match h {
        Head::Str(s, e) => {
            std::str::from_utf8(&b[s..e]).map_err(|_| DecodeError::InvalidUtf8)?;
            return Ok(p);
        }
        Head::Array(n) => n,
        Head::Map(n) => n.saturating_mul(2),
        _ => return Ok(p),
    };
    if depth >= MAX_DEPTH {
        return Err(DecodeError::TooDeep(MAX_DEPTH));
    }
    for _ in 0..n {
        p = skip(b, p, depth + 1)?;
    }
    Ok(p)
}

fn head_integer(h: Head) -> Option<i128> {
    match h {
        Head::Uint(v) => Some(i128::from(v)),
        Head::Int(v) => Some(i128::from(v)),
        Head::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.9e19 => Some(f as i128),
        _ => None,
    }
}

/// The event name: first element of the array payload.
pub(crate) fn first_element_name(raw: &[u8]) -> Option<EventName<'_>> {
    let (h, p) = head(raw, 0).ok()?;
    match h {
        Head::Array(n) if n > 0 => {}
        _ => return None,
    }
    match head(raw, p).ok()?.0 {
        Head::Str(s, e) => Some(EventName::Str(Cow::Borrowed(
            std::str::from_utf8(&raw[s..e]).ok()?,
        ))),
        Head::Uint(v) => Some(EventName::Number(v as f64)),
        Head::Int(v) => Some(EventName::Number(v as f64)),
        Head::Float(v) => Some(EventName::Number(v)),
        _ => None,
    }
}

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

fn de_err(e: rmp_serde::decode::Error) -> DecodeError {
    DecodeError::Deserialize(e.to_string())
}

/// Deserializes the whole payload.
pub(crate) fn from_value<T: DeserializeOwned>(raw: &Bytes) -> Result<T, DecodeError> {
    let _guard = set_source(raw.clone());
    rmp_serde::from_slice(raw).map_err(de_err)
}

/// Deserializes the array elements (after the first if `skip_first`) as a sequence.
pub(crate) fn from_args<T: DeserializeOwned>(
    raw: &Bytes,
    skip_first: bool,
) -> Result<T, DecodeError> {
    let (h, mut p) = head(raw, 0)?;
    let Head::Array(mut n) = h else {
        return Err(DecodeError::Deserialize("payload is not an array".into()));
    };
    if skip_first && n > 0 {
        p = skip(raw, p, 1)?;
        n -= 1;
    }
    let _guard = set_source(raw.clone());
    let rest = raw.get(p..).unwrap_or_default();
    let mut de = rmp_serde::Deserializer::from_read_ref(rest);
    T::deserialize(ArgsDe {
        de: &mut de,
        remaining: n,
    })
}

type RefDe<'de> = rmp_serde::Deserializer<rmp_serde::decode::ReadRefReader<'de, [u8]>>;

struct ArgsDe<'s, 'de> {
    de: &'s mut RefDe<'de>,
    remaining: usize,
}

impl<'de> de::Deserializer<'de> for ArgsDe<'_, 'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_seq(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> de::SeqAccess<'de> for ArgsDe<'_, 'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(&mut *self.de).map(Some).map_err(de_err)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.remaining.min(64))
    }
}

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

fn enc_err<E: std::fmt::Display>(e: E) -> EncodeError {
    EncodeError::Serialize(e.to_string())
}

fn write_uint(out: &mut Vec<u8>, v: u64) {
    // Writing to a Vec cannot fail.
    let _ = rmp::encode::write_uint(out, v);
}

fn write_sint(out: &mut Vec<u8>, v: i64) {
    let _ = rmp::encode::write_sint(out, v);
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let _ = rmp::encode::write_str(out, s);
}

/// notepack: a number is an integer when `Math.floor(v) === v` (and finite).
fn write_f64(out: &mut Vec<u8>, v: f64) {
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.is_finite() && v.fract() == 0.0 && v.abs() <= SAFE {
        write_sint(out, v as i64);
    } else {
        let _ = rmp::encode::write_f64(out, v);
    }
}

/// Length of the smallest header for a str / array / map of `len`.
fn header_len(len: usize, fix_max: usize, has8: bool) -> usize {
    if len <= fix_max {
        1
    } else if has8 && len < 0x100 {
        2
    } else if len < 0x10000 {
        3
    } else {
        5
    }
}

fn uint_len(v: u64) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// The msgpack serializer.
pub(crate) struct MsgpackSerializer<'a> {
    out: &'a mut Vec<u8>,
}

#[derive(Clone, Copy)]
enum Container {
    Array,
    Map,
}

/// A container in progress: header written now (known length) or patched at the end.
pub(crate) struct Compound<'s, 'a> {
    ser: &'s mut MsgpackSerializer<'a>,
    kind: Container,
    count: usize,
    declared: Option<usize>,
    /// Start of the 5 reserved header bytes (unknown length).
    patch_at: usize,
}

impl<'s, 'a> Compound<'s, 'a> {
    fn begin(
        ser: &'s mut MsgpackSerializer<'a>,
        kind: Container,
        len: Option<usize>,
    ) -> Result<Self, EncodeError> {
        let patch_at = ser.out.len();
        match (len, kind) {
            (Some(n), Container::Array) => {
                let n = u32::try_from(n).map_err(enc_err)?;
                let _ = rmp::encode::write_array_len(ser.out, n);
            }
            (Some(n), Container::Map) => {
                let n = u32::try_from(n).map_err(enc_err)?;
                let _ = rmp::encode::write_map_len(ser.out, n);
            }
            (None, _) => ser.out.extend_from_slice(&[0; 5]),
        }
        Ok(Compound {
            ser,
            kind,
            count: 0,
            declared: len,
            patch_at,
        })
    }

    fn end(self) -> Result<(), EncodeError> {
        match self.declared {
            Some(n) if n == self.count => Ok(()),
            Some(_) => Err(EncodeError::Serialize(
                "sequence length differs from its declared length".into(),
            )),
            None => {
                let n = u32::try_from(self.count).map_err(enc_err)?;
                let mut tmp = [0u8; 5];
                let written = {
                    let mut cursor = &mut tmp[..];
                    let before = cursor.len();
                    let _ = match self.kind {
                        Container::Array => rmp::encode::write_array_len(&mut cursor, n),
                        Container::Map => rmp::encode::write_map_len(&mut cursor, n),
                    };
                    before - cursor.len()
                };
                let start = self.patch_at;
                let out = &mut *self.ser.out;
                out.copy_within(start + 5.., start + written);
                out[start..start + written].copy_from_slice(&tmp[..written]);
                let new_len = out.len() - (5 - written);
                out.truncate(new_len);
                Ok(())
            }
        }
    }
}

impl<'s, 'a> ser::Serializer for &'s mut MsgpackSerializer<'a> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Compound<'s, 'a>;
    type SerializeTuple = Compound<'s, 'a>;
    type SerializeTupleStruct = Compound<'s, 'a>;
    type SerializeTupleVariant = Compound<'s, 'a>;
    type SerializeMap = Compound<'s, 'a>;
    type SerializeStruct = Compound<'s, 'a>;
    type SerializeStructVariant = Compound<'s, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.out.push(if v { 0xc3 } else { 0xc2 });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        write_sint(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        if let Ok(v) = u64::try_from(v) {
            write_uint(self.out, v);
        } else {
            write_sint(self.out, i64::try_from(v).map_err(enc_err)?);
        }
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        write_uint(self.out, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        write_uint(self.out, u64::try_from(v).map_err(enc_err)?);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        write_f64(self.out, f64::from(v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        write_f64(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        let mut buf = [0u8; 4];
        write_str(self.out, v.encode_utf8(&mut buf));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        // msgpack keeps binary inline (`bin`); `Binary::serialize` clears its stash.
        let _ = rmp::encode::write_bin(self.out, v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        self.out.push(0xc0);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.out.push(0xc0);
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.out.push(0x81);
        write_str(self.out, variant);
        value.serialize(self)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'a>, EncodeError> {
        Compound::begin(self, Container::Array, len)
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'a>, EncodeError> {
        Compound::begin(self, Container::Array, Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        Compound::begin(self, Container::Array, Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(0x81);
        write_str(self.out, variant);
        Compound::begin(self, Container::Array, Some(len))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'s, 'a>, EncodeError> {
        Compound::begin(self, Container::Map, len)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        // Skipped fields make the declared length unreliable: patch it at the end.
        Compound::begin(self, Container::Map, None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(0x81);
        write_str(self.out, variant);
        Compound::begin(self, Container::Map, None)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.count += 1;
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.count += 1;
        let mut json_key = Vec::new();
        key.serialize(crate::ser::KeySerializer { out: &mut json_key })?;
        // The JSON key serializer quotes; keys here are plain strings.
        let mut s = String::new();
        crate::scan::unescape(
            json_key
                .get(1..json_key.len().saturating_sub(1))
                .unwrap_or_default(),
            &mut s,
        );
        write_str(self.ser.out, &s);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.count += 1;
        write_str(self.ser.out, key);
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        Compound::end(self)
    }
}

struct MsgpackArgs<'x> {
    ser: MsgpackSerializer<'x>,
    count: usize,
}

impl<'x> ArgSink for MsgpackArgs<'x> {
    type Inner<'b>
        = &'b mut MsgpackSerializer<'x>
    where
        Self: 'b;
    fn next_arg(&mut self) -> &mut MsgpackSerializer<'x> {
        self.count += 1;
        &mut self.ser
    }
}

/// Writes `{type, data?, nsp, id?}` around an already-encoded data value in one
/// exactly-sized allocation. `data_array` = Some(count) when `data` holds only the
/// elements of an array of `count` elements (its header is written here).
fn assemble(
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    data: Option<&[u8]>,
    data_array: Option<usize>,
) -> Result<Encoded, EncodeError> {
    if kind.as_u8() > 4 {
        return Err(EncodeError::UnsupportedType);
    }
    let nsp = if nsp.is_empty() { "/" } else { nsp };
    let array_hdr = data_array.map_or(0, |n| header_len(n, 15, false));
    let mut len = 1 + 5 + 1 + 4 + header_len(nsp.len(), 31, true) + nsp.len();
    if let Some(d) = data {
        len += 5 + array_hdr + d.len();
    }
    if let Some(id) = id {
        len += 3 + uint_len(id);
    }
    let mut out = Vec::with_capacity(len);
    let entries = 2 + u32::from(data.is_some()) + u32::from(id.is_some());
    let _ = rmp::encode::write_map_len(&mut out, entries);
    write_str(&mut out, "type");
    write_uint(&mut out, u64::from(kind.as_u8()));
    if let Some(d) = data {
        write_str(&mut out, "data");
        if let Some(n) = data_array {
            let n = u32::try_from(n).map_err(enc_err)?;
            let _ = rmp::encode::write_array_len(&mut out, n);
        }
        out.extend_from_slice(d);
    }
    write_str(&mut out, "nsp");
    write_str(&mut out, nsp);
    if let Some(id) = id {
        write_str(&mut out, "id");
        write_uint(&mut out, id);
    }
    debug_assert_eq!(out.len(), len);
    Ok(Encoded {
        first: Frame::Binary(Bytes::from(out)),
        attachments: Vec::new(),
    })
}

/// The msgpack format (npm `socket.io-msgpack-parser`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsgpackCodec;

impl MsgpackCodec {
    /// The codec.
    pub const fn new() -> MsgpackCodec {
        MsgpackCodec
    }
}

fn encode_args<T: Serialize + ?Sized>(
    kind: PacketType,
    nsp: &str,
    event: Option<&str>,
    args: &T,
    id: Option<u64>,
) -> Result<Encoded, EncodeError> {
    with_scratch(|buf, _| {
        if let Some(event) = event {
            write_str(buf, event);
        }
        let mut sink = MsgpackArgs {
            ser: MsgpackSerializer { out: buf },
            count: usize::from(event.is_some()),
        };
        args.serialize(ArgsSerializer(&mut sink))?;
        let count = sink.count;
        assemble(kind, nsp, id, Some(buf), Some(count))
    })
}

fn encode_value<T: Serialize + ?Sized>(
    kind: PacketType,
    nsp: &str,
    data: Option<&T>,
) -> Result<Encoded, EncodeError> {
    with_scratch(|buf, _| match data {
        Some(d) => {
            d.serialize(&mut MsgpackSerializer { out: buf })?;
            assemble(kind, nsp, None, Some(buf), None)
        }
        None => assemble(kind, nsp, None, None, None),
    })
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
