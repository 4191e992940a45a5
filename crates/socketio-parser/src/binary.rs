//! [`Binary`]: a zero-copy binary value for user data.
//!
//! Serializing a `Binary` with this crate's serializers moves its `Bytes` (a refcount
//! bump, no copy) into the packet's attachments: `Binary::serialize` leaves a clone of
//! the `Bytes` in a thread-local slot right before calling `serialize_bytes`, and the
//! serializer takes it back when the slice it receives is the same memory. With any
//! other serializer it is plain bytes. Deserializing does the reverse: the decoder
//! publishes the buffer the bytes come from, and `Binary` takes a shared slice of it.

use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// A binary value: serialized as a binary attachment (JSON codec) or a msgpack `bin`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Binary(pub Bytes);

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} bytes)", self.0.len())
    }
}

impl From<Bytes> for Binary {
    fn from(b: Bytes) -> Self {
        Binary(b)
    }
}

impl From<Vec<u8>> for Binary {
    fn from(b: Vec<u8>) -> Self {
        Binary(Bytes::from(b))
    }
}

impl From<&'static [u8]> for Binary {
    fn from(b: &'static [u8]) -> Self {
        Binary(Bytes::from_static(b))
    }
}

impl std::ops::Deref for Binary {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

thread_local! {
    /// Serialize side: the `Bytes` behind the slice passed to `serialize_bytes`.
    static OUTGOING: Cell<Option<Bytes>> = const { Cell::new(None) };
    /// Deserialize side: the buffer that slices given to `visit_bytes` may come from.
    static SOURCE: Cell<Option<Bytes>> = const { Cell::new(None) };
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        OUTGOING.with(|c| c.set(Some(self.0.clone())));
        let result = serializer.serialize_bytes(&self.0);
        OUTGOING.with(|c| c.take());
        result
    }
}

/// Serializer side: the `Bytes` for `v` without copying when `v` is a stashed `Binary`,
/// otherwise a copy.
pub(crate) fn take_outgoing(v: &[u8]) -> Bytes {
    match OUTGOING.with(|c| c.take()) {
        Some(b) if b.as_ptr() == v.as_ptr() && b.len() == v.len() => b,
        _ => Bytes::copy_from_slice(v),
    }
}

/// Restores the previous source when dropped (so nesting and unwinding are safe).
pub(crate) struct SourceGuard(Option<Bytes>);

impl Drop for SourceGuard {
    fn drop(&mut self) {
        let prev = self.0.take();
        SOURCE.with(|c| c.set(prev));
    }
}

/// Publishes `src` as the buffer slices handed to `visit_bytes` may belong to.
pub(crate) fn set_source(src: Bytes) -> SourceGuard {
    SourceGuard(SOURCE.with(|c| c.replace(Some(src))))
}

/// A shared slice of the published source when `v` lies inside it, otherwise a copy.
pub(crate) fn bytes_from_source(v: &[u8]) -> Bytes {
    SOURCE.with(|c| {
        let src = c.take();
        let out = match &src {
            Some(s) => {
                let (start, end) = (s.as_ptr() as usize, s.as_ptr() as usize + s.len());
                let (vs, ve) = (v.as_ptr() as usize, v.as_ptr() as usize + v.len());
                if !v.is_empty() && vs >= start && ve <= end {
                    s.slice(vs - start..ve - start)
                } else {
                    Bytes::copy_from_slice(v)
                }
            }
            None => Bytes::copy_from_slice(v),
        };
        c.set(src);
        out
    })
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("binary data")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(bytes_from_source(v)))
    }

    fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Binary, E> {
        Ok(Binary(bytes_from_source(v)))
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(Bytes::from(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(Binary(Bytes::from(out)))
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Binary, D::Error> {
        deserializer.deserialize_byte_buf(BinaryVisitor)
    }
}
