//! Typed access to a raw msgpack payload: the whole value ([`from_value`]) or the
//! elements of its array as a sequence of arguments ([`from_args`], through `ArgsDe`).
//! Binary values deserialize as shared slices of the payload (see [`crate::Binary`]).

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};

use super::read::{head, skip, Head};
use crate::binary::set_source;
use crate::error::DecodeError;

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
