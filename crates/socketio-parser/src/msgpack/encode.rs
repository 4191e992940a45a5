//! Encoding a packet: the data value (or the arguments, after the event name) is
//! serialized once into a per-thread scratch buffer, then the `{type, data?, nsp, id?}`
//! map is assembled around it in one exactly-sized allocation (one binary frame, no
//! attachments).

use bytes::Bytes;
use serde::Serialize;

use super::ser::{enc_err, write_str, write_uint, MsgpackSerializer};
use crate::args::{ArgSink, ArgsSerializer};
use crate::codec::{Encoded, Frame};
use crate::encode::with_scratch;
use crate::error::EncodeError;
use crate::packet::PacketType;

/// Length of the smallest header for a str / array / map of `len`.
fn header_len(len: usize, fix_max: usize, has8: bool) -> usize {
    if len <= fix_max {
        1
    } else if has8 && len < 0x100 {
        2
    } else if len < 0x10000 {
        3
    } else {
        5
    }
}

fn uint_len(v: u64) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0xff => 2,
        0x100..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}
struct MsgpackArgs<'x> {
    ser: MsgpackSerializer<'x>,
    count: usize,
}

impl<'x> ArgSink for MsgpackArgs<'x> {
    type Inner<'b>
        = &'b mut MsgpackSerializer<'x>
    where
        Self: 'b;
    fn next_arg(&mut self) -> &mut MsgpackSerializer<'x> {
        self.count += 1;
        &mut self.ser
    }
}

/// Writes `{type, data?, nsp, id?}` around an already-encoded data value in one
/// exactly-sized allocation. `data_array` = Some(count) when `data` holds only the
/// elements of an array of `count` elements (its header is written here).
pub(super) fn assemble(
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    data: Option<&[u8]>,
    data_array: Option<usize>,
) -> Result<Encoded, EncodeError> {
    if kind.as_u8() > 4 {
        return Err(EncodeError::UnsupportedType);
    }
    let nsp = if nsp.is_empty() { "/" } else { nsp };
    let array_hdr = data_array.map_or(0, |n| header_len(n, 15, false));
    let mut len = 1 + 5 + 1 + 4 + header_len(nsp.len(), 31, true) + nsp.len();
    if let Some(d) = data {
        len += 5 + array_hdr + d.len();
    }
    if let Some(id) = id {
        len += 3 + uint_len(id);
    }
    let mut out = Vec::with_capacity(len);
    let entries = 2 + u32::from(data.is_some()) + u32::from(id.is_some());
    let _ = rmp::encode::write_map_len(&mut out, entries);
    write_str(&mut out, "type");
    write_uint(&mut out, u64::from(kind.as_u8()));
    if let Some(d) = data {
        write_str(&mut out, "data");
        if let Some(n) = data_array {
            let n = u32::try_from(n).map_err(enc_err)?;
            let _ = rmp::encode::write_array_len(&mut out, n);
        }
        out.extend_from_slice(d);
    }
    write_str(&mut out, "nsp");
    write_str(&mut out, nsp);
    if let Some(id) = id {
        write_str(&mut out, "id");
        write_uint(&mut out, id);
    }
    debug_assert_eq!(out.len(), len);
    Ok(Encoded {
        first: Frame::Binary(Bytes::from(out)),
        attachments: Vec::new(),
    })
}

pub(super) fn encode_args<T: Serialize + ?Sized>(
    kind: PacketType,
    nsp: &str,
    event: Option<&str>,
    args: &T,
    id: Option<u64>,
) -> Result<Encoded, EncodeError> {
    with_scratch(|buf, _| {
        if let Some(event) = event {
            write_str(buf, event);
        }
        let mut sink = MsgpackArgs {
            ser: MsgpackSerializer { out: buf },
            count: usize::from(event.is_some()),
        };
        args.serialize(ArgsSerializer(&mut sink))?;
        let count = sink.count;
        assemble(kind, nsp, id, Some(buf), Some(count))
    })
}

pub(super) fn encode_value<T: Serialize + ?Sized>(
    kind: PacketType,
    nsp: &str,
    data: Option<&T>,
) -> Result<Encoded, EncodeError> {
    with_scratch(|buf, _| match data {
        Some(d) => {
            d.serialize(&mut MsgpackSerializer { out: buf })?;
            assemble(kind, nsp, None, Some(buf), None)
        }
        None => assemble(kind, nsp, None, None, None),
    })
}
