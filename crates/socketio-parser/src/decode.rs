//! The JSON decoder: a state machine fed text and binary messages.
//!
//! A text message is parsed at once (header, namespace, ack id) and its payload is
//! validated by the [scanner](crate::scan) without building values; the payload stays a
//! slice of the input. A binary packet then waits for its attachments.

use bytes::Bytes;
use bytestring::ByteString;

use crate::codec::PacketDecoder;
use crate::error::DecodeError;
use crate::packet::{Packet, PacketType, Payload, Str};
use crate::scan::{self, Top};

/// Node's default limit on attachments per packet.
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// Streaming decoder of the default (JSON text + binary attachments) format.
#[derive(Debug)]
pub struct JsonDecoder {
    max_attachments: usize,
    /// A binary packet waiting for `expected` attachments (boxed: every connection has a
    /// decoder, few are ever between a binary packet and its attachments).
    pending: Option<Box<(Packet, usize)>>,
}

impl JsonDecoder {
    /// A decoder accepting at most `max_attachments` attachments per packet.
    pub fn new(max_attachments: usize) -> JsonDecoder {
        JsonDecoder {
            max_attachments,
            pending: None,
        }
    }

    /// Attachments still awaited by a partially received binary packet.
    pub fn awaiting(&self) -> usize {
        self.pending.as_ref().map_or(0, |pending| {
            pending.1.saturating_sub(pending.0.attachments.len())
        })
    }
}

impl Default for JsonDecoder {
    fn default() -> Self {
        JsonDecoder::new(DEFAULT_MAX_ATTACHMENTS)
    }
}

/// Parses one text packet already checked as UTF-8 (by the transport, or by
/// [`JsonDecoder::decode_text`]). Returns the packet (kind normalised to EVENT/ACK for
/// binary packets) and the number of attachments it awaits.
pub fn parse_str(
    checked: &ByteString,
    max_attachments: usize,
) -> Result<(Packet, usize), DecodeError> {
    let text = checked.as_bytes();
    let b: &[u8] = text;
    let t = *b.first().ok_or(DecodeError::Empty)?;
    let kind = t
        .checked_sub(b'0')
        .and_then(PacketType::from_u8)
        .ok_or(DecodeError::UnknownType)?;
    let mut pos = 1;

    let mut attachments = 0usize;
    if matches!(kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let start = pos;
        let mut n: usize = 0;
        while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
            n = n.saturating_mul(10).saturating_add(usize::from(d - b'0'));
            pos += 1;
        }
        if pos == start || b.get(pos) != Some(&b'-') || n == 0 {
            return Err(DecodeError::IllegalAttachments);
        }
        if n > max_attachments {
            return Err(DecodeError::TooManyAttachments {
                count: n,
                max: max_attachments,
            });
        }
        pos += 1;
        attachments = n;
    }

    let nsp = if b.get(pos) == Some(&b'/') {
        let start = pos;
        let end = memchr_comma(b, start).unwrap_or(b.len());
        pos = (end + 1).min(b.len());
        // '/' and ',' are ASCII, so both ends are character boundaries.
        let nsp = checked.get(start..end).ok_or(DecodeError::InvalidUtf8)?;
        Str::from_checked(checked.slice_ref(nsp))
    } else {
        Str::ROOT
    };

    let mut id = None;
    if b.get(pos).is_some_and(u8::is_ascii_digit) {
        let mut n: u64 = 0;
        while let Some(d) = b.get(pos).filter(|d| d.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d - b'0')))
                .ok_or(DecodeError::AckIdOverflow)?;
            pos += 1;
        }
        id = Some(n);
    }

    let data = if pos < b.len() {
        let raw = text.slice(pos..);
        let top = scan::validate(&raw, attachments).map_err(|e| match e {
            DecodeError::Syntax { offset, reason } => DecodeError::Syntax {
                offset: offset + pos,
                reason,
            },
            e => e,
        })?;
        check_payload(kind.base(), top, &raw)?;
        Some(Payload::Json(raw))
    } else {
        match kind.base() {
            PacketType::Event => return Err(DecodeError::InvalidEventPayload),
            PacketType::Ack => return Err(DecodeError::InvalidAckPayload),
            PacketType::ConnectError => return Err(DecodeError::InvalidConnectErrorPayload),
            _ => None,
        }
    };

    let packet = Packet {
        kind: kind.base(),
        nsp,
        id,
        data,
        attachments: Vec::new(),
    };
    Ok((packet, attachments))
}

fn memchr_comma(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == b',')
        .map(|p| p + from)
}

/// The per-type payload rules.
fn check_payload(kind: PacketType, top: Top, raw: &[u8]) -> Result<(), DecodeError> {
    match kind {
        PacketType::Connect if top != Top::Object => Err(DecodeError::InvalidConnectPayload),
        PacketType::Disconnect => Err(DecodeError::UnexpectedDisconnectPayload),
        PacketType::ConnectError if !matches!(top, Top::Object | Top::String) => {
            Err(DecodeError::InvalidConnectErrorPayload)
        }
        PacketType::Event if top != Top::Array => Err(DecodeError::InvalidEventPayload),
        PacketType::Event => scan::check_event(raw),
        PacketType::Ack if top != Top::Array => Err(DecodeError::InvalidAckPayload),
        _ => Ok(()),
    }
}

impl PacketDecoder for JsonDecoder {
    fn decode_text(&mut self, text: Bytes) -> Result<Option<Packet>, DecodeError> {
        let checked = ByteString::try_from(text).map_err(|_| DecodeError::InvalidUtf8)?;
        self.decode_str(checked)
    }

    fn decode_str(&mut self, text: ByteString) -> Result<Option<Packet>, DecodeError> {
        if let Some(pending) = self.pending.take() {
            let (p, n) = &*pending;
            return Err(DecodeError::UnexpectedText {
                remaining: n.saturating_sub(p.attachments.len()),
            });
        }
        let (mut packet, n) = parse_str(&text, self.max_attachments)?;
        if n == 0 {
            return Ok(Some(packet));
        }
        packet.attachments = Vec::with_capacity(n.min(DEFAULT_MAX_ATTACHMENTS * 4));
        self.pending = Some(Box::new((packet, n)));
        Ok(None)
    }

    fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, DecodeError> {
        let mut pending = self.pending.take().ok_or(DecodeError::UnexpectedBinary)?;
        let (packet, n) = &mut *pending;
        packet.attachments.push(data);
        if packet.attachments.len() >= *n {
            Ok(Some(pending.0))
        } else {
            self.pending = Some(pending);
            Ok(None)
        }
    }
}
