//! A `serde::Serializer` writing msgpack exactly like notepack.io: integral numbers as
//! the smallest msgpack integer, other numbers as float64, strings/bins/arrays/maps
//! with the smallest header, map keys as strings. Binary values stay inline (`bin`).
//!
//! A container of unknown length reserves a 5-byte header and is patched to the
//! smallest header at its end.

use serde::ser::{self, Serialize};

use crate::error::EncodeError;

pub(super) fn enc_err<E: std::fmt::Display>(e: E) -> EncodeError {
    EncodeError::Serialize(e.to_string())
}

pub(super) fn write_uint(out: &mut Vec<u8>, v: u64) {
    // Writing to a Vec cannot fail.
    let _ = rmp::encode::write_uint(out, v);
}

fn write_sint(out: &mut Vec<u8>, v: i64) {
    let _ = rmp::encode::write_sint(out, v);
}

pub(super) fn write_str(out: &mut Vec<u8>, s: &str) {
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

/// The msgpack serializer.
pub(crate) struct MsgpackSerializer<'a> {
    pub(super) out: &'a mut Vec<u8>,
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
