//! A `serde::Serializer` writing JSON exactly like `JSON.stringify`, straight into an
//! output `Vec<u8>`, with binary values turned into attachments + placeholders.

use bytes::Bytes;
use serde::ser::{self, Serialize};

use crate::binary::take_outgoing;
use crate::error::EncodeError;
use crate::jsnum;

/// What to do with binary values (`serialize_bytes`).
pub(crate) enum BinaryMode<'a> {
    /// EVENT / ACK: write `{"_placeholder":true,"num":N}` and collect the bytes.
    Extract(&'a mut Vec<Bytes>),
    /// Other packets: write what Node's `JSON.stringify(buffer)` writes,
    /// `{"type":"Buffer","data":[1,2,3]}`.
    Inline,
}

/// The JSON serializer.
pub(crate) struct JsonSerializer<'a> {
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) bins: BinaryMode<'a>,
}

impl JsonSerializer<'_> {
    fn write_bytes(&mut self, v: &[u8]) {
        match &mut self.bins {
            BinaryMode::Extract(list) => {
                let num = list.len();
                list.push(take_outgoing(v));
                self.out
                    .extend_from_slice(b"{\"_placeholder\":true,\"num\":");
                let mut ib = itoa::Buffer::new();
                self.out.extend_from_slice(ib.format(num).as_bytes());
                self.out.push(b'}');
            }
            BinaryMode::Inline => {
                self.out
                    .extend_from_slice(b"{\"type\":\"Buffer\",\"data\":[");
                let mut ib = itoa::Buffer::new();
                for (i, b) in v.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.out.extend_from_slice(ib.format(*b).as_bytes());
                }
                self.out.extend_from_slice(b"]}");
            }
        }
    }
}

/// Sequence / map / struct in progress.
pub(crate) struct Compound<'s, 'a> {
    ser: &'s mut JsonSerializer<'a>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn sep(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.ser.out.push(b',');
        }
    }
}

impl<'s, 'a> ser::Serializer for &'s mut JsonSerializer<'a> {
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
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
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
        let mut b = itoa::Buffer::new();
        self.out.extend_from_slice(b.format(v).as_bytes());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        let mut b = itoa::Buffer::new();
        self.out.extend_from_slice(b.format(v).as_bytes());
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
        let mut b = itoa::Buffer::new();
        self.out.extend_from_slice(b.format(v).as_bytes());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        let mut b = itoa::Buffer::new();
        self.out.extend_from_slice(b.format(v).as_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        jsnum::write_f32(self.out, v);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        jsnum::write_f64(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        let mut buf = [0u8; 4];
        jsnum::write_str(self.out, v.encode_utf8(&mut buf));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        jsnum::write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        self.write_bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.out.extend_from_slice(b"null");
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
        self.out.push(b'{');
        jsnum::write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(b'[');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]",
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(b'{');
        jsnum::write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound {
            ser: self,
            first: true,
            close: b"]}",
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(b'{');
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}",
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>, EncodeError> {
        self.out.push(b'{');
        jsnum::write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound {
            ser: self,
            first: true,
            close: b"}}",
        })
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.sep();
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.sep();
        key.serialize(KeySerializer { out: self.ser.out })?;
        self.ser.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
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
        self.sep();
        jsnum::write_str(self.ser.out, key);
        self.ser.out.push(b':');
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<(), EncodeError> {
        self.ser.out.extend_from_slice(self.close);
        Ok(())
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
        ser::SerializeStruct::end(self)
    }
}

/// Object keys: strings as-is; numbers, chars and booleans quoted (JavaScript object
/// keys are strings); anything else is an error.
pub(crate) struct KeySerializer<'a> {
    pub(crate) out: &'a mut Vec<u8>,
}

fn key_error() -> EncodeError {
    EncodeError::Serialize("object key must be a string or a number".into())
}

macro_rules! key_int {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), EncodeError> {
            let mut b = itoa::Buffer::new();
            self.out.push(b'"');
            self.out.extend_from_slice(b.format(v).as_bytes());
            self.out.push(b'"');
            Ok(())
        }
    )*};
}

impl ser::Serializer for KeySerializer<'_> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = ser::Impossible<(), EncodeError>;
    type SerializeTuple = ser::Impossible<(), EncodeError>;
    type SerializeTupleStruct = ser::Impossible<(), EncodeError>;
    type SerializeTupleVariant = ser::Impossible<(), EncodeError>;
    type SerializeMap = ser::Impossible<(), EncodeError>;
    type SerializeStruct = ser::Impossible<(), EncodeError>;
    type SerializeStructVariant = ser::Impossible<(), EncodeError>;

    key_int!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128);

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_f32(self, _v: f32) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        let mut buf = [0u8; 4];
        jsnum::write_str(self.out, v.encode_utf8(&mut buf));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        jsnum::write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_none(self) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Err(key_error())
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
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), EncodeError> {
        Err(key_error())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        Err(key_error())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Err(key_error())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        Err(key_error())
    }
}
