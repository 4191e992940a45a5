//! Polling payload codec (sans-IO): packets joined by the record separator `\x1e`;
//! binary messages as `b` + standard base64.

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};

use crate::message::Message;
use crate::packet::{self, DecodeError, Packet};

/// The record separator between packets of a polling payload.
pub const SEPARATOR: u8 = 0x1e;

/// Decodes a polling payload lazily: yields one result per packet, in order.
///
/// Like Node, decoding stops after the first invalid packet (which closes the session);
/// packets before it are still delivered.
///
/// ```
/// use engineio::payload::decode;
/// let packets: Vec<_> = decode(bytes::Bytes::from_static(b"4hello\x1ebAQID")).collect();
/// assert_eq!(packets.len(), 2);
/// ```
pub fn decode(body: Bytes) -> Decoder {
    Decoder {
        rest: Some(body),
        failed: false,
    }
}

/// Iterator over the packets of a payload; see [`decode`].
#[derive(Debug)]
pub struct Decoder {
    rest: Option<Bytes>,
    failed: bool,
}

impl Iterator for Decoder {
    type Item = Result<Packet, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let mut rest = self.rest.take()?;
        let segment = match memchr_sep(&rest) {
            Some(i) => {
                let seg = rest.split_to(i);
                rest.advance_one();
                self.rest = Some(rest);
                seg
            }
            None => rest,
        };
        let result = packet::decode(segment);
        if result.is_err() {
            self.failed = true;
        }
        Some(result)
    }
}

trait AdvanceOne {
    fn advance_one(&mut self);
}

impl AdvanceOne for Bytes {
    fn advance_one(&mut self) {
        bytes::Buf::advance(self, 1);
    }
}

fn memchr_sep(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == SEPARATOR)
}

/// One packet the server writes into a polling response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutPacket {
    Message(Message),
    Ping,
    Noop,
    Close,
}

/// Appends `packets` as one payload to `out`.
pub(crate) fn encode<'a>(packets: impl IntoIterator<Item = &'a OutPacket>, out: &mut BytesMut) {
    for (i, p) in packets.into_iter().enumerate() {
        if i > 0 {
            out.put_u8(SEPARATOR);
        }
        match p {
            OutPacket::Message(Message::Text(t)) => out.extend_from_slice(t.framed().as_bytes()),
            OutPacket::Message(Message::Binary(b)) => {
                out.put_u8(b'b');
                let start = out.len();
                let n = base64::encoded_len(b.len(), true).unwrap_or(0);
                out.resize(start + n, 0);
                let written = base64::engine::general_purpose::STANDARD
                    .encode_slice(b, &mut out[start..])
                    .unwrap_or(0);
                out.truncate(start + written);
            }
            OutPacket::Ping => out.extend_from_slice(packet::PING.as_bytes()),
            OutPacket::Noop => out.extend_from_slice(packet::NOOP.as_bytes()),
            OutPacket::Close => out.extend_from_slice(packet::CLOSE.as_bytes()),
        }
    }
}

/// Exact encoded size of `packets` (to allocate the response once).
pub(crate) fn encoded_len<'a>(packets: impl IntoIterator<Item = &'a OutPacket>) -> usize {
    let mut n = 0usize;
    for (i, p) in packets.into_iter().enumerate() {
        if i > 0 {
            n += 1;
        }
        n += match p {
            OutPacket::Message(Message::Text(t)) => t.framed().len(),
            OutPacket::Message(Message::Binary(b)) => {
                1 + base64::encoded_len(b.len(), true).unwrap_or(0)
            }
            OutPacket::Ping | OutPacket::Noop | OutPacket::Close => 1,
        };
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Text;

    fn all(body: &'static [u8]) -> Vec<Result<Packet, DecodeError>> {
        decode(Bytes::from_static(body)).collect()
    }

    #[test]
    fn decodes_payloads() {
        assert_eq!(
            all(b"4hello\x1e2\x1ebAQID"),
            vec![
                Ok(Packet::Message(Message::Text(Text::new("hello")))),
                Ok(Packet::Ping(Bytes::new())),
                Ok(Packet::Message(Message::Binary(Bytes::from_static(&[
                    1, 2, 3
                ])))),
            ]
        );
        assert_eq!(all(b"1"), vec![Ok(Packet::Close)]);
    }

    #[test]
    fn stops_at_first_error() {
        assert_eq!(
            all(b"4a\x1e9\x1e4b"),
            vec![
                Ok(Packet::Message(Message::Text(Text::new("a")))),
                Err(DecodeError::UnknownType(b'9')),
            ]
        );
        assert_eq!(all(b""), vec![Err(DecodeError::Empty)]);
        assert_eq!(
            all(b"4a\x1e"),
            vec![
                Ok(Packet::Message(Message::Text(Text::new("a")))),
                Err(DecodeError::Empty)
            ]
        );
    }

    #[test]
    fn encodes_payloads() {
        let packets = vec![
            OutPacket::Message(Message::Text(Text::new("héllo"))),
            OutPacket::Message(Message::Binary(Bytes::from_static(&[1, 2, 3, 4]))),
            OutPacket::Ping,
            OutPacket::Noop,
            OutPacket::Close,
        ];
        let mut out = BytesMut::new();
        encode(&packets, &mut out);
        assert_eq!(&out[..], "4héllo\x1ebAQIDBA==\x1e2\x1e6\x1e1".as_bytes());
        assert_eq!(encoded_len(&packets), out.len());
        let mut empty = BytesMut::new();
        encode(
            &[OutPacket::Message(Message::Binary(Bytes::new()))],
            &mut empty,
        );
        assert_eq!(&empty[..], b"b");
    }
}
