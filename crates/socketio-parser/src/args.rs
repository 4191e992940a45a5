//! Serializing "the arguments": a tuple / sequence whose elements become the elements
//! of the packet's array (after the event name for an EVENT). Any other value is one
//! argument; `()` and `None` are zero arguments.

use serde::ser::{self, Serialize};

use crate::error::EncodeError;

/// Where the arguments go: hands out a serializer for each next argument (writing the
/// separator / counting as needed).
pub(crate) trait ArgSink {
    /// The serializer of one argument.
    type Inner<'b>: ser::Serializer<Ok = (), Error = EncodeError>
    where
        Self: 'b;
    /// Starts the next argument.
    fn next_arg(&mut self) -> Self::Inner<'_>;
}

/// The top-level serializer for the arguments.
pub(crate) struct ArgsSerializer<'a, S: ArgSink>(pub(crate) &'a mut S);

/// Elements of the top-level sequence.
pub(crate) struct ArgsSeq<'a, S: ArgSink>(&'a mut S);

macro_rules! single {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), EncodeError> {
            ser::Serializer::$f(self.0.next_arg(), v)
        }
    )*};
}

type Inner<'a, S> = <S as ArgSink>::Inner<'a>;

impl<'a, S: ArgSink> ser::Serializer for ArgsSerializer<'a, S> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = ArgsSeq<'a, S>;
    type SerializeTuple = ArgsSeq<'a, S>;
    type SerializeTupleStruct = ArgsSeq<'a, S>;
    type SerializeTupleVariant = <Inner<'a, S> as ser::Serializer>::SerializeTupleVariant;
    type SerializeMap = <Inner<'a, S> as ser::Serializer>::SerializeMap;
    type SerializeStruct = <Inner<'a, S> as ser::Serializer>::SerializeStruct;
    type SerializeStructVariant = <Inner<'a, S> as ser::Serializer>::SerializeStructVariant;

    single!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8]);

    fn serialize_none(self) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        ser::Serializer::serialize_unit_variant(self.0.next_arg(), name, index, variant)
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
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        ser::Serializer::serialize_newtype_variant(self.0.next_arg(), name, index, variant, value)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<ArgsSeq<'a, S>, EncodeError> {
        Ok(ArgsSeq(self.0))
    }
    fn serialize_tuple(self, _len: usize) -> Result<ArgsSeq<'a, S>, EncodeError> {
        Ok(ArgsSeq(self.0))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<ArgsSeq<'a, S>, EncodeError> {
        Ok(ArgsSeq(self.0))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        ser::Serializer::serialize_tuple_variant(self.0.next_arg(), name, index, variant, len)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        ser::Serializer::serialize_map(self.0.next_arg(), len)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        ser::Serializer::serialize_struct(self.0.next_arg(), name, len)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        ser::Serializer::serialize_struct_variant(self.0.next_arg(), name, index, variant, len)
    }
}

impl<S: ArgSink> ser::SerializeSeq for ArgsSeq<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self.0.next_arg())
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl<S: ArgSink> ser::SerializeTuple for ArgsSeq<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self.0.next_arg())
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl<S: ArgSink> ser::SerializeTupleStruct for ArgsSeq<'_, S> {
    type Ok = ();
    type Error = EncodeError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self.0.next_arg())
    }
    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}
