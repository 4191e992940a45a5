//! The JSON (text) encoder: `<type>[<attachments>-][<nsp>,][<ackId>][<JSON>]`.
//!
//! User values are serialized in one pass into a per-thread scratch buffer (reused, so
//! no allocation in steady state); the frame is then assembled in one exactly-sized
//! allocation holding `prefix + header + JSON`. That is the only allocation of a packet
//! without binary data; a binary packet adds one for the attachment list (the
//! attachments themselves are shared `Bytes`, never copied for [`crate::Binary`]).

use std::cell::Cell;

use bytes::Bytes;
use serde::Serialize;

use crate::args::{ArgSink, ArgsSerializer};
use crate::codec::{Encoded, Frame};
use crate::error::EncodeError;
use crate::jsnum;
use crate::packet::{Packet, PacketType, Payload};
use crate::ser::{BinaryMode, JsonSerializer};

/// Scratch buffers larger than this are not kept between calls.
const MAX_RETAINED_SCRATCH: usize = 256 * 1024;

#[derive(Default)]
struct Scratch {
    buf: Vec<u8>,
    bins: Vec<Bytes>,
}

thread_local! {
    static SCRATCH: Cell<Scratch> = const { Cell::new(Scratch { buf: Vec::new(), bins: Vec::new() }) };
}

/// Runs `f` with this thread's (cleared) scratch buffers.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>, &mut Vec<Bytes>) -> R) -> R {
    let mut s = SCRATCH.with(|c| c.take());
    s.buf.clear();
    s.bins.clear();
    let r = f(&mut s.buf, &mut s.bins);
    s.bins.clear();
    if s.buf.capacity() > MAX_RETAINED_SCRATCH {
        s.buf = Vec::new();
    }
    SCRATCH.with(|c| c.set(s));
    r
}

/// Returns whether the namespace is written (`false` for the root namespace).
pub(crate) fn check_nsp(nsp: &str) -> Result<bool, EncodeError> {
    if nsp.is_empty() || nsp == "/" {
        Ok(false)
    } else if nsp.starts_with('/') && !nsp.contains(',') {
        Ok(true)
    } else {
        Err(EncodeError::InvalidNamespace(nsp.to_owned()))
    }
}

fn check_prefix(prefix: &[u8]) -> Result<(), EncodeError> {
    std::str::from_utf8(prefix)
        .map(|_| ())
        .map_err(|_| EncodeError::InvalidPrefix)
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Writes the whole frame into one exactly-sized buffer.
fn assemble(
    prefix: &[u8],
    kind: PacketType,
    attachments: usize,
    nsp: &str,
    id: Option<u64>,
    json: &[u8],
) -> Result<Bytes, EncodeError> {
    let write_nsp = check_nsp(nsp)?;
    let mut len = prefix.len() + 1 + json.len();
    if attachments > 0 {
        len += digits(attachments as u64) + 1;
    }
    if write_nsp {
        len += nsp.len() + 1;
    }
    if let Some(id) = id {
        len += digits(id);
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(prefix);
    out.push(b'0' + kind.as_u8());
    let mut ib = itoa::Buffer::new();
    if attachments > 0 {
        out.extend_from_slice(ib.format(attachments).as_bytes());
        out.push(b'-');
    }
    if write_nsp {
        out.extend_from_slice(nsp.as_bytes());
        out.push(b',');
    }
    if let Some(id) = id {
        out.extend_from_slice(ib.format(id).as_bytes());
    }
    out.extend_from_slice(json);
    debug_assert_eq!(out.len(), len);
    Ok(Bytes::from(out))
}

/// Encodes a packet whose payload is already raw JSON.
pub(crate) fn encode_packet(packet: &Packet, prefix: &[u8]) -> Result<Encoded, EncodeError> {
    check_prefix(prefix)?;
    let json: &[u8] = match &packet.data {
        None => &[],
        Some(Payload::Json(b)) => b,
        #[cfg(feature = "msgpack")]
        Some(Payload::Msgpack(_)) => return Err(EncodeError::PayloadFormat),
    };
    let n = packet.attachments.len();
    let kind = match (packet.kind.base(), n) {
        (PacketType::Event, 0) => PacketType::Event,
        (PacketType::Ack, 0) => PacketType::Ack,
        (PacketType::Event, _) => PacketType::BinaryEvent,
        (PacketType::Ack, _) => PacketType::BinaryAck,
        (other, 0) => other,
        _ => return Err(EncodeError::AttachmentsNotAllowed),
    };
    let first = assemble(prefix, kind, n, &packet.nsp, packet.id, json)?;
    Ok(Encoded {
        first: Frame::Text(first),
        attachments: packet.attachments.clone(),
    })
}

/// The argument sink of the JSON encoder.
struct JsonArgs<'x> {
    ser: JsonSerializer<'x>,
    first: bool,
}

impl<'x> ArgSink for JsonArgs<'x> {
    type Inner<'b>
        = &'b mut JsonSerializer<'x>
    where
        Self: 'b;
    fn next_arg(&mut self) -> &mut JsonSerializer<'x> {
        if self.first {
            self.first = false;
        } else {
            self.ser.out.push(b',');
        }
        &mut self.ser
    }
}

fn finish(
    prefix: &[u8],
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    buf: &[u8],
    bins: &mut Vec<Bytes>,
) -> Result<Encoded, EncodeError> {
    let (kind, n) = if bins.is_empty() {
        (kind, 0)
    } else {
        let binary = match kind {
            PacketType::Event => PacketType::BinaryEvent,
            _ => PacketType::BinaryAck,
        };
        (binary, bins.len())
    };
    let first = assemble(prefix, kind, n, nsp, id, buf)?;
    let attachments = if bins.is_empty() {
        Vec::new()
    } else {
        // Exactly sized; the scratch list keeps its capacity for the next packet.
        let list = bins.to_vec();
        bins.clear();
        list
    };
    Ok(Encoded {
        first: Frame::Text(first),
        attachments,
    })
}

pub(crate) fn encode_event<T: Serialize + ?Sized>(
    prefix: &[u8],
    nsp: &str,
    event: &str,
    args: &T,
    id: Option<u64>,
) -> Result<Encoded, EncodeError> {
    check_prefix(prefix)?;
    check_nsp(nsp)?;
    with_scratch(|buf, bins| {
        buf.push(b'[');
        jsnum::write_str(buf, event);
        let mut sink = JsonArgs {
            ser: JsonSerializer {
                out: buf,
                bins: BinaryMode::Extract(bins),
            },
            first: false,
        };
        args.serialize(ArgsSerializer(&mut sink))?;
        buf.push(b']');
        finish(prefix, PacketType::Event, nsp, id, buf, bins)
    })
}

pub(crate) fn encode_ack<T: Serialize + ?Sized>(
    prefix: &[u8],
    nsp: &str,
    id: u64,
    args: &T,
) -> Result<Encoded, EncodeError> {
    check_prefix(prefix)?;
    check_nsp(nsp)?;
    with_scratch(|buf, bins| {
        buf.push(b'[');
        let mut sink = JsonArgs {
            ser: JsonSerializer {
                out: buf,
                bins: BinaryMode::Extract(bins),
            },
            first: true,
        };
        args.serialize(ArgsSerializer(&mut sink))?;
        buf.push(b']');
        finish(prefix, PacketType::Ack, nsp, Some(id), buf, bins)
    })
}

/// CONNECT / CONNECT_ERROR / DISCONNECT: binary values are written inline the way
/// Node's `JSON.stringify(buffer)` does, never as attachments.
pub(crate) fn encode_plain<T: Serialize + ?Sized>(
    prefix: &[u8],
    kind: PacketType,
    nsp: &str,
    data: Option<&T>,
) -> Result<Encoded, EncodeError> {
    check_prefix(prefix)?;
    check_nsp(nsp)?;
    with_scratch(|buf, _| {
        if let Some(data) = data {
            let mut ser = JsonSerializer {
                out: buf,
                bins: BinaryMode::Inline,
            };
            data.serialize(&mut ser)?;
        }
        let first = assemble(prefix, kind, 0, nsp, None, buf)?;
        Ok(Encoded {
            first: Frame::Text(first),
            attachments: Vec::new(),
        })
    })
}
