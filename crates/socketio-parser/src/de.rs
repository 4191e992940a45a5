//! Typed access to a raw JSON payload: a `serde::Deserializer` over the raw bytes that
//! resolves `{"_placeholder":true,"num":N}` objects to the packet's attachments.
//!
//! Placeholders are only resolved when the packet has attachments (as in Node, a
//! placeholder-looking object in a non-binary packet is a plain object).

use bytes::Bytes;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

use crate::binary::set_source;
use crate::error::DecodeError;
use crate::scan::{number_end, skip_ws, string_end, syntax, unescape, MAX_DEPTH};

type Result<T> = std::result::Result<T, DecodeError>;

/// Deserializes the whole payload.
pub(crate) fn from_value<T: DeserializeOwned>(raw: &Bytes, attachments: &[Bytes]) -> Result<T> {
    let mut de = JsonDeserializer::new(raw, attachments);
    T::deserialize(&mut de)
}

/// Deserializes the elements of the payload array (after the first one if
/// `skip_first`) as one sequence.
pub(crate) fn from_args<T: DeserializeOwned>(
    raw: &Bytes,
    attachments: &[Bytes],
    skip_first: bool,
) -> Result<T> {
    let mut de = JsonDeserializer::new(raw, attachments);
    de.pos = skip_ws(de.input, 0);
    if de.input.get(de.pos) != Some(&b'[') {
        return Err(DecodeError::Deserialize("payload is not an array".into()));
    }
    de.pos += 1;
    let mut first = true;
    if skip_first {
        de.pos = skip_ws(de.input, de.pos);
        if de.input.get(de.pos) != Some(&b']') {
            de.pos = skip_value(de.input, de.pos)?;
            first = false;
        }
    }
    T::deserialize(ArgsDeserializer { de: &mut de, first })
}

/// Position after the value starting at `pos` (after whitespace).
pub(crate) fn skip_value(b: &[u8], pos: usize) -> Result<usize> {
    let pos = skip_ws(b, pos);
    match b.get(pos) {
        Some(b'"') => Ok(string_end(b, pos + 1)?.0),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match b.get(i) {
                    None => return Err(syntax(i, "unexpected end of payload")),
                    Some(b'"') => i = string_end(b, i + 1)?.0,
                    Some(b'{' | b'[') => {
                        depth += 1;
                        i += 1;
                    }
                    Some(b'}' | b']') => {
                        depth = depth.saturating_sub(1);
                        i += 1;
                        if depth == 0 {
                            return Ok(i);
                        }
                    }
                    Some(_) => i += 1,
                }
            }
        }
        Some(b'-' | b'0'..=b'9') => number_end(b, pos),
        Some(b't') => lit(b, pos, b"true"),
        Some(b'f') => lit(b, pos, b"false"),
        Some(b'n') => lit(b, pos, b"null"),
        _ => Err(syntax(pos, "expected a value")),
    }
}

fn lit(b: &[u8], pos: usize, l: &[u8]) -> Result<usize> {
    if b.get(pos..pos + l.len()) == Some(l) {
        Ok(pos + l.len())
    } else {
        Err(syntax(pos, "invalid literal"))
    }
}

/// If the object at `pos` is a placeholder (its `_placeholder` is `true`), its `num`
/// and end position.
fn placeholder_at(b: &[u8], pos: usize) -> Result<Option<(usize, usize)>> {
    let mut i = skip_ws(b, pos + 1);
    let mut flag = false;
    let mut num: Option<f64> = None;
    if b.get(i) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return Err(syntax(i, "expected object key"));
        }
        let (kend, escaped) = string_end(b, i + 1)?;
        let inner = &b[i + 1..kend - 1];
        let mut owned = String::new();
        let key: &[u8] = if escaped && inner.len() <= 96 {
            unescape(inner, &mut owned);
            owned.as_bytes()
        } else {
            inner
        };
        let is_flag = key == b"_placeholder";
        let is_num = key == b"num";
        i = skip_ws(b, kend);
        if b.get(i) != Some(&b':') {
            return Err(syntax(i, "expected ':'"));
        }
        let vstart = skip_ws(b, i + 1);
        let vend = skip_value(b, vstart)?;
        let v = &b[vstart..vend];
        if is_flag {
            flag = v == b"true";
        } else if is_num {
            num = std::str::from_utf8(v).ok().and_then(|s| s.parse().ok());
        }
        i = skip_ws(b, vend);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return Err(syntax(i, "expected ',' or '}'")),
        }
    }
    if !flag {
        return Ok(None);
    }
    match num {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n < usize::MAX as f64 => {
            Ok(Some((n as usize, i + 1)))
        }
        _ => Err(DecodeError::InvalidPlaceholder),
    }
}

/// The deserializer over one raw JSON payload.
pub(crate) struct JsonDeserializer<'a> {
    input: &'a [u8],
    pos: usize,
    attachments: &'a [Bytes],
    depth: usize,
    scratch: String,
}

impl<'a> JsonDeserializer<'a> {
    fn new(raw: &'a Bytes, attachments: &'a [Bytes]) -> Self {
        JsonDeserializer {
            input: raw,
            pos: 0,
            attachments,
            depth: 0,
            scratch: String::new(),
        }
    }

    fn peek(&mut self) -> Result<u8> {
        self.pos = skip_ws(self.input, self.pos);
        self.input
            .get(self.pos)
            .copied()
            .ok_or_else(|| syntax(self.pos, "unexpected end of payload"))
    }

    /// The attachment if the value at the cursor is a placeholder (cursor moves past it).
    fn take_placeholder(&mut self) -> Result<Option<Bytes>> {
        if self.attachments.is_empty() || self.peek()? != b'{' {
            return Ok(None);
        }
        match placeholder_at(self.input, self.pos)? {
            Some((num, end)) => {
                let att = self
                    .attachments
                    .get(num)
                    .cloned()
                    .ok_or(DecodeError::InvalidPlaceholder)?;
                self.pos = end;
                Ok(Some(att))
            }
            None => Ok(None),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep(MAX_DEPTH));
        }
        Ok(())
    }

    fn parse_number<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let start = self.pos;
        let end = number_end(self.input, start)?;
        self.pos = end;
        let text =
            std::str::from_utf8(&self.input[start..end]).map_err(|_| DecodeError::InvalidUtf8)?;
        let float = text.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'));
        if !float {
            if text.starts_with('-') {
                if let Ok(v) = text.parse::<i64>() {
                    return visitor.visit_i64(v);
                }
            } else if let Ok(v) = text.parse::<u64>() {
                return visitor.visit_u64(v);
            }
        }
        let v: f64 = text.parse().map_err(|_| syntax(start, "invalid number"))?;
        visitor.visit_f64(v)
    }

    /// After a container's visitor returned: skips what it did not read, then the
    /// closing bracket.
    fn finish_container(&mut self, close: u8, object: bool) -> Result<()> {
        loop {
            match self.peek()? {
                c if c == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                b',' => {
                    self.pos += 1;
                    if object {
                        self.pos = skip_value(self.input, self.pos)?;
                        if self.peek()? != b':' {
                            return Err(syntax(self.pos, "expected ':'"));
                        }
                        self.pos += 1;
                    }
                    self.pos = skip_value(self.input, self.pos)?;
                }
                _ => {
                    // The first element/entry was never read.
                    if object {
                        self.pos = skip_value(self.input, self.pos)?;
                        if self.peek()? != b':' {
                            return Err(syntax(self.pos, "expected ':'"));
                        }
                        self.pos += 1;
                    }
                    self.pos = skip_value(self.input, self.pos)?;
                }
            }
        }
    }

    fn visit_attachment<'de, V: Visitor<'de>>(att: Bytes, visitor: V) -> Result<V::Value> {
        let _guard = set_source(att.clone());
        visitor.visit_bytes(&att)
    }
}

impl<'de> de::Deserializer<'de> for &mut JsonDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek()? {
            b'n' => {
                self.pos = lit(self.input, self.pos, b"null")?;
                visitor.visit_unit()
            }
            b't' => {
                self.pos = lit(self.input, self.pos, b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.pos = lit(self.input, self.pos, b"false")?;
                visitor.visit_bool(false)
            }
            b'"' => {
                let (end, escaped) = string_end(self.input, self.pos + 1)?;
                let inner = &self.input[self.pos + 1..end - 1];
                self.pos = end;
                if escaped {
                    self.scratch.clear();
                    unescape(inner, &mut self.scratch);
                    visitor.visit_str(&self.scratch)
                } else {
                    let s = std::str::from_utf8(inner).map_err(|_| DecodeError::InvalidUtf8)?;
                    visitor.visit_str(s)
                }
            }
            b'-' | b'0'..=b'9' => self.parse_number(visitor),
            b'[' => {
                self.enter()?;
                self.pos += 1;
                let v = visitor.visit_seq(Seq {
                    de: &mut *self,
                    first: true,
                })?;
                self.finish_container(b']', false)?;
                Ok(v)
            }
            b'{' => {
                if let Some(att) = self.take_placeholder()? {
                    return JsonDeserializer::visit_attachment(att, visitor);
                }
                self.enter()?;
                self.pos += 1;
                let v = visitor.visit_map(Map {
                    de: &mut *self,
                    first: true,
                })?;
                self.finish_container(b'}', true)?;
                Ok(v)
            }
            _ => Err(syntax(self.pos, "expected a value")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.take_placeholder()? {
            Some(att) => JsonDeserializer::visit_attachment(att, visitor),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.take_placeholder()? {
            Some(att) => visitor.visit_seq(ByteSeq {
                bytes: &att,
                pos: 0,
            }),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? == b'n' {
            self.pos = lit(self.input, self.pos, b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.peek()? {
            b'"' => {
                let (end, escaped) = string_end(self.input, self.pos + 1)?;
                let inner = &self.input[self.pos + 1..end - 1];
                self.pos = end;
                let mut s = String::new();
                if escaped {
                    unescape(inner, &mut s);
                } else {
                    s.push_str(std::str::from_utf8(inner).map_err(|_| DecodeError::InvalidUtf8)?);
                }
                visitor.visit_enum(IntoDeserializer::<DecodeError>::into_deserializer(s))
            }
            b'{' => {
                self.enter()?;
                self.pos += 1;
                let v = visitor.visit_enum(Enum { de: &mut *self })?;
                if self.peek()? != b'}' {
                    return Err(syntax(self.pos, "expected '}' after enum variant"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(v)
            }
            _ => Err(DecodeError::Deserialize("expected an enum".into())),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.pos = skip_value(self.input, self.pos)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct tuple tuple_struct map struct identifier
    }
}

struct Seq<'s, 'a> {
    de: &'s mut JsonDeserializer<'a>,
    first: bool,
}

impl<'de> de::SeqAccess<'de> for Seq<'_, '_> {
    type Error = DecodeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.de.peek()? {
            b']' => return Ok(None),
            b',' if !self.first => self.de.pos += 1,
            _ if self.first => {}
            _ => return Err(syntax(self.de.pos, "expected ',' or ']'")),
        }
        self.first = false;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

struct Map<'s, 'a> {
    de: &'s mut JsonDeserializer<'a>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Map<'_, '_> {
    type Error = DecodeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.de.peek()? {
            b'}' => return Ok(None),
            b',' if !self.first => self.de.pos += 1,
            _ if self.first => {}
            _ => return Err(syntax(self.de.pos, "expected ',' or '}'")),
        }
        self.first = false;
        if self.de.peek()? != b'"' {
            return Err(syntax(self.de.pos, "expected object key"));
        }
        let v = seed.deserialize(MapKey { de: &mut *self.de })?;
        if self.de.peek()? != b':' {
            return Err(syntax(self.de.pos, "expected ':'"));
        }
        self.de.pos += 1;
        Ok(Some(v))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
}

/// Object keys: strings, also readable as integers (like serde_json).
struct MapKey<'s, 'a> {
    de: &'s mut JsonDeserializer<'a>,
}

macro_rules! key_int {
    ($($f:ident => $v:ident: $t:ty),*) => {$(
        fn $f<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let (end, _) = string_end(self.de.input, self.de.pos + 1)?;
            let inner = &self.de.input[self.de.pos + 1..end - 1];
            self.de.pos = end;
            let n: $t = std::str::from_utf8(inner)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| DecodeError::Deserialize("expected an integer key".into()))?;
            visitor.$v(n)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for MapKey<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.de.deserialize_any(visitor)
    }

    key_int!(deserialize_i8 => visit_i64: i64, deserialize_i16 => visit_i64: i64,
        deserialize_i32 => visit_i64: i64, deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u64: u64, deserialize_u16 => visit_u64: u64,
        deserialize_u32 => visit_u64: u64, deserialize_u64 => visit_u64: u64);

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_enum(&mut *self.de, name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Enum<'s, 'a> {
    de: &'s mut JsonDeserializer<'a>,
}

impl<'de> de::EnumAccess<'de> for Enum<'_, '_> {
    type Error = DecodeError;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        if self.de.peek()? != b'"' {
            return Err(syntax(self.de.pos, "expected variant name"));
        }
        let v = seed.deserialize(MapKey { de: &mut *self.de })?;
        if self.de.peek()? != b':' {
            return Err(syntax(self.de.pos, "expected ':'"));
        }
        self.de.pos += 1;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, '_> {
    type Error = DecodeError;
    fn unit_variant(self) -> Result<()> {
        de::Deserialize::deserialize(&mut *self.de)
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(&mut *self.de, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(&mut *self.de, visitor)
    }
}

/// An attachment read as a sequence of bytes (for `Vec<u8>`).
struct ByteSeq<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'de> de::SeqAccess<'de> for ByteSeq<'_> {
    type Error = DecodeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                seed.deserialize(b.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.bytes.len() - self.pos)
    }
}

/// The top-level arguments: the rest of the payload array as one sequence.
struct ArgsDeserializer<'s, 'a> {
    de: &'s mut JsonDeserializer<'a>,
    first: bool,
}

impl<'de> de::Deserializer<'de> for ArgsDeserializer<'_, '_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(Seq {
            de: self.de,
            first: self.first,
        })
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option seq tuple tuple_struct map struct enum identifier ignored_any
    }
}
