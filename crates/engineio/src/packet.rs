//! Engine.IO v4 packet codec (sans-IO).
//!
//! A text packet is one ASCII type digit followed by its data: `0` open, `1` close,
//! `2` ping, `3` pong, `4` message, `5` upgrade, `6` noop. A text packet starting with
//! `b` is a binary message in base64 (polling framing; also accepted in text frames, as
//! Node does). Binary WebSocket frames are binary messages and never reach this decoder.

use base64::Engine as _;
use bytes::Bytes;
use bytestring::ByteString;

use crate::message::{Message, Text};

/// A decoded Engine.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: open (sent by servers only; ignored when received).
    Open,
    /// `1`: close.
    Close,
    /// `2`: ping, with its data (`probe` during an upgrade).
    Ping(Bytes),
    /// `3`: pong, with its data (`probe` during an upgrade).
    Pong(Bytes),
    /// `4` (text) or `b` (base64 binary): a message.
    Message(Message),
    /// `5`: upgrade.
    Upgrade,
    /// `6`: noop.
    Noop,
}

/// Why a packet could not be decoded. Every variant closes the session ("parse error").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The packet is empty.
    #[error("empty packet")]
    Empty,
    /// The first byte is not a packet type.
    #[error("unknown packet type {0:#04x}")]
    UnknownType(u8),
    /// A text packet is not valid UTF-8.
    #[error("packet is not valid UTF-8")]
    NotUtf8,
    /// A `b` packet is not valid base64.
    #[error("invalid base64 in binary packet")]
    Base64,
}

/// Decodes one text packet from raw bytes (validates UTF-8 once).
///
/// ```
/// use engineio::packet::{decode, Packet};
/// assert_eq!(decode(bytes::Bytes::from_static(b"2probe")), Ok(Packet::Ping("probe".into())));
/// ```
pub fn decode(frame: Bytes) -> Result<Packet, DecodeError> {
    match frame.first() {
        None => return Err(DecodeError::Empty),
        // Binary packets are ASCII base64: no need to validate UTF-8 first.
        Some(b'b') => return decode_base64(&frame[1..]),
        Some(_) => {}
    }
    let text = ByteString::try_from(frame).map_err(|_| DecodeError::NotUtf8)?;
    decode_text(text)
}

/// Decodes one text packet that is already checked UTF-8 (a WebSocket text frame); a
/// message keeps `frame` as its buffer, without a copy or a second UTF-8 check.
///
/// ```
/// use engineio::packet::{decode_text, Packet};
/// use engineio::{Message, Text};
/// let packet = decode_text("4héllo".into());
/// assert_eq!(packet, Ok(Packet::Message(Message::Text(Text::new("héllo")))));
/// ```
pub fn decode_text(frame: ByteString) -> Result<Packet, DecodeError> {
    let Some(&first) = frame.as_bytes().first() else {
        return Err(DecodeError::Empty);
    };
    let data = || frame.as_bytes().slice(1..);
    Ok(match first {
        b'0' => Packet::Open,
        b'1' => Packet::Close,
        b'2' => Packet::Ping(data()),
        b'3' => Packet::Pong(data()),
        b'4' => match Text::from_checked(frame) {
            Ok(text) => Packet::Message(Message::Text(text)),
            Err(_) => return Err(DecodeError::UnknownType(first)),
        },
        b'5' => Packet::Upgrade,
        b'6' => Packet::Noop,
        b'b' => return decode_base64(&frame.as_bytes()[1..]),
        other => return Err(DecodeError::UnknownType(other)),
    })
}

/// Standard alphabet; padding optional when decoding (Node's `Buffer.from(_, "base64")`
/// accepts both).
const LENIENT_B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn decode_base64(data: &[u8]) -> Result<Packet, DecodeError> {
    LENIENT_B64
        .decode(data)
        .map(|v| Packet::Message(Message::Binary(Bytes::from(v))))
        .map_err(|_| DecodeError::Base64)
}

/// Server → client packets that are not messages, as their static text form.
pub(crate) const PING: &str = "2";
pub(crate) const PONG_PROBE: &str = "3probe";
pub(crate) const NOOP: &str = "6";
pub(crate) const CLOSE: &str = "1";

/// Writes the open packet `0{...}`.
pub(crate) fn encode_open(
    sid: &str,
    upgrades: bool,
    ping_interval_ms: u128,
    ping_timeout_ms: u128,
    max_payload: usize,
) -> String {
    let upgrades = if upgrades { "[\"websocket\"]" } else { "[]" };
    format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":{upgrades},\"pingInterval\":{ping_interval_ms},\"pingTimeout\":{ping_timeout_ms},\"maxPayload\":{max_payload}}}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &'static [u8]) -> Result<Packet, DecodeError> {
        decode(Bytes::from_static(s))
    }

    #[test]
    fn decodes_every_type() {
        assert_eq!(d(b"0"), Ok(Packet::Open));
        assert_eq!(d(b"1"), Ok(Packet::Close));
        assert_eq!(d(b"2"), Ok(Packet::Ping(Bytes::new())));
        assert_eq!(d(b"3probe"), Ok(Packet::Pong(Bytes::from_static(b"probe"))));
        assert_eq!(
            d(b"4hi"),
            Ok(Packet::Message(Message::Text(Text::new("hi"))))
        );
        assert_eq!(d(b"4"), Ok(Packet::Message(Message::Text(Text::new("")))));
        assert_eq!(d(b"5"), Ok(Packet::Upgrade));
        assert_eq!(d(b"6"), Ok(Packet::Noop));
        assert_eq!(
            d(b"bAQID"),
            Ok(Packet::Message(Message::Binary(Bytes::from_static(&[
                1, 2, 3
            ]))))
        );
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(d(b""), Err(DecodeError::Empty));
        assert_eq!(d(b"7"), Err(DecodeError::UnknownType(b'7')));
        assert_eq!(d(b"x"), Err(DecodeError::UnknownType(b'x')));
        assert_eq!(d(b"4\xff\xfe"), Err(DecodeError::NotUtf8));
        assert_eq!(d(b"b!!!"), Err(DecodeError::Base64));
        assert_eq!(d(b"bA"), Err(DecodeError::Base64));
        assert_eq!(
            d(b"bAQI"),
            Ok(Packet::Message(Message::Binary(Bytes::from_static(&[
                1, 2
            ]))))
        );
    }

    #[test]
    fn open_packet_is_node_shaped() {
        assert_eq!(
            encode_open("abc", true, 25000, 20000, 1_000_000),
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
        );
        assert!(encode_open("abc", false, 1, 2, 3).contains(r#""upgrades":[]"#));
    }
}
