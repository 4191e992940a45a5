//! Event arguments: what may be emitted ([`Args`]) and how received ones are read
//! ([`EventArgs`]).

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use socketio_parser::{DecodeError, Packet};
use std::fmt;
use std::marker::PhantomData;

/// The arguments of an emit: a tuple, each element one argument on the wire.
///
/// `()` sends no argument, `("hello",)` one, `("a", 1, json!({"k": true}))` three.
/// Any `Serialize` element works, including [`Binary`](crate::Binary) (sent as a binary
/// attachment, also nested inside structs/maps). For a list decided at run time use
/// [`DynArgs`]. Implemented for tuples of up to 10 elements.
///
/// A `Vec` is deliberately not `Args`: `emit("list", (vec![1, 2],))` sends one array
/// argument, which is what a Node developer means.
pub trait Args: Serialize + Send {}

macro_rules! impl_args {
    ($($t:ident),*) => { impl<$($t: Serialize + Send),*> Args for ($($t,)*) {} };
}
impl_args!();
impl_args!(A);
impl_args!(A, B);
impl_args!(A, B, C);
impl_args!(A, B, C, D);
impl_args!(A, B, C, D, E);
impl_args!(A, B, C, D, E, F);
impl_args!(A, B, C, D, E, F, G);
impl_args!(A, B, C, D, E, F, G, H);
impl_args!(A, B, C, D, E, F, G, H, I);
impl_args!(A, B, C, D, E, F, G, H, I, J);

/// A run-time list of arguments (each element one argument).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct DynArgs<T: Serialize = serde_json::Value>(pub Vec<T>);

impl<T: Serialize + Send> Args for DynArgs<T> {}

impl<T: Args + Sync> Args for &T {}

/// The arguments of a received event, not yet deserialized.
///
/// Given to `on_any` listeners and per-packet middleware; [`EventArgs::decode`] reads them
/// into any tuple (or `Vec<serde_json::Value>`, or a struct deserializable from a sequence).
pub struct EventArgs<'a> {
    pub(crate) event: &'a str,
    pub(crate) packet: &'a Packet,
}

impl<'a> EventArgs<'a> {
    /// The event name.
    pub fn event(&self) -> &'a str {
        self.event
    }

    /// Deserializes the arguments after the event name, e.g. as `(String, u32)`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, DecodeError> {
        self.packet.args::<T>()
    }

    /// Whether the client asked for an acknowledgement.
    pub fn wants_ack(&self) -> bool {
        self.packet.id.is_some()
    }

    /// The raw packet.
    pub fn packet(&self) -> &'a Packet {
        self.packet
    }
}

impl fmt::Debug for EventArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventArgs")
            .field("event", &self.event)
            .field("ack", &self.packet.id)
            .finish()
    }
}

/// Deserializes only the first element of a sequence and ignores the rest: Node collects
/// the first argument of each client's reply in a broadcast with acknowledgement.
pub(crate) struct First<T>(pub(crate) Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = First<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of arguments")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First<T>, A::Error> {
                let first = seq.next_element::<T>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(First(first))
            }
        }
        deserializer.deserialize_seq(V(PhantomData))
    }
}

/// Reserved event names: they can be neither emitted nor received.
pub(crate) const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

pub(crate) fn is_reserved(event: &str) -> bool {
    RESERVED_EVENTS.contains(&event)
}

#[cfg(test)]
mod tests {
    use super::First;

    #[test]
    fn first_takes_the_first_element_only() {
        let f: First<String> = serde_json::from_str(r#"["a", 1, {"x": 2}]"#).unwrap();
        assert_eq!(f.0.as_deref(), Some("a"));
        let f: First<String> = serde_json::from_str("[]").unwrap();
        assert!(f.0.is_none());
    }
}
