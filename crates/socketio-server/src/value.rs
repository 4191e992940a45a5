//! [`AnyValue`]: a dynamic argument that keeps binary data (unlike `serde_json::Value`),
//! to receive and forward arbitrary arguments unchanged.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use socketio_parser::Binary;
use std::fmt;

/// Any argument value, binary included. Objects keep their key order.
///
/// `Vec<AnyValue>` as a handler's argument type accepts any arguments;
/// `DynArgs(vec)` sends them back unchanged (binary stays binary).
#[derive(Debug, Clone, PartialEq)]
pub enum AnyValue {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// A non-integral number.
    Float(f64),
    /// A string.
    String(String),
    /// Binary data (an attachment with the JSON parser, `bin` with msgpack).
    Binary(Binary),
    /// An array.
    Array(Vec<AnyValue>),
    /// An object (key order kept).
    Object(Vec<(String, AnyValue)>),
}

impl Serialize for AnyValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyValue::Null => s.serialize_unit(),
            AnyValue::Bool(b) => s.serialize_bool(*b),
            AnyValue::Int(n) => s.serialize_i64(*n),
            AnyValue::UInt(n) => s.serialize_u64(*n),
            AnyValue::Float(f) => s.serialize_f64(*f),
            AnyValue::String(v) => s.serialize_str(v),
            AnyValue::Binary(b) => b.serialize(s),
            AnyValue::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            AnyValue::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = AnyValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_unit<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue::Null)
    }
    fn visit_none<E>(self) -> Result<AnyValue, E> {
        Ok(AnyValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<AnyValue, D::Error> {
        AnyValue::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<AnyValue, E> {
        Ok(AnyValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<AnyValue, E> {
        Ok(AnyValue::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<AnyValue, E> {
        Ok(i64::try_from(v).map_or(AnyValue::UInt(v), AnyValue::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<AnyValue, E> {
        Ok(AnyValue::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<AnyValue, E> {
        Ok(AnyValue::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<AnyValue, E> {
        Ok(AnyValue::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<AnyValue, E> {
        // Through `Binary`'s own deserializer: zero-copy when the parser provides the
        // attachment's `Bytes`.
        Binary::deserialize(de::value::BytesDeserializer::<E>::new(v)).map(AnyValue::Binary)
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<AnyValue, E> {
        Ok(AnyValue::Binary(Binary(v.into())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyValue, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(AnyValue::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyValue, A::Error> {
        let mut out = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, AnyValue>()? {
            out.push((k, v));
        }
        Ok(AnyValue::Object(out))
    }
}

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnyValue, D::Error> {
        d.deserialize_any(AnyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::AnyValue;

    #[test]
    fn json_round_trip_keeps_order() {
        let v: AnyValue = serde_json::from_str(r#"{"b":1,"a":[true,null,1.5,"x"]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"b":1,"a":[true,null,1.5,"x"]}"#
        );
    }
}
