//! Reading msgpack values without building them: the head of a value (marker, length,
//! content range), validation of a whole value ([`skip`]), and the event name of an
//! EVENT payload. Every read is bounds-checked; nothing here allocates.

use std::borrow::Cow;

use crate::error::DecodeError;
use crate::packet::EventName;
use crate::scan::MAX_DEPTH;

pub(super) fn bad(offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::Syntax { offset, reason }
}

/// The head of one msgpack value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Head {
    Nil,
    Bool,
    Uint(u64),
    Int(i64),
    Float(f64),
    /// Byte range of the content.
    Str(usize, usize),
    Bin,
    Array(usize),
    Map(usize),
    /// `undefined` in notepack (fixext 1, type 0, data 0).
    Undefined,
    Ext,
}

fn be(b: &[u8], pos: usize, n: usize) -> Result<u64, DecodeError> {
    let s = b
        .get(pos..pos + n)
        .ok_or_else(|| bad(pos, "truncated value"))?;
    Ok(s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

fn span(b: &[u8], pos: usize, len: u64) -> Result<(usize, usize), DecodeError> {
    let len = usize::try_from(len).map_err(|_| bad(pos, "length too large"))?;
    let end = pos
        .checked_add(len)
        .filter(|&e| e <= b.len())
        .ok_or_else(|| bad(pos, "truncated value"))?;
    Ok((pos, end))
}

/// Reads the head at `pos`; returns it and the position after the head (for strings,
/// bins and exts: after the content).
pub(super) fn head(b: &[u8], pos: usize) -> Result<(Head, usize), DecodeError> {
    let m = *b
        .get(pos)
        .ok_or_else(|| bad(pos, "unexpected end of message"))?;
    let p = pos + 1;
    Ok(match m {
        0x00..=0x7f => (Head::Uint(u64::from(m)), p),
        0x80..=0x8f => (Head::Map(usize::from(m & 0x0f)), p),
        0x90..=0x9f => (Head::Array(usize::from(m & 0x0f)), p),
        0xa0..=0xbf => {
            let (s, e) = span(b, p, u64::from(m & 0x1f))?;
            (Head::Str(s, e), e)
        }
        0xc0 => (Head::Nil, p),
        0xc1 => return Err(bad(pos, "reserved marker 0xc1")),
        0xc2 | 0xc3 => (Head::Bool, p),
        0xc4..=0xc6 => {
            let n = 1 << (m - 0xc4);
            let (_, e) = span(b, p + n, be(b, p, n)?)?;
            (Head::Bin, e)
        }
        0xc7..=0xc9 => {
            let n = 1 << (m - 0xc7);
            let (_, e) = span(b, p + n + 1, be(b, p, n)?)?;
            (Head::Ext, e)
        }
        0xca => {
            let bits = be(b, p, 4)? as u32;
            (Head::Float(f64::from(f32::from_bits(bits))), p + 4)
        }
        0xcb => (Head::Float(f64::from_bits(be(b, p, 8)?)), p + 8),
        0xcc..=0xcf => {
            let n = 1 << (m - 0xcc);
            (Head::Uint(be(b, p, n)?), p + n)
        }
        0xd0..=0xd3 => {
            let n = 1 << (m - 0xd0);
            let raw = be(b, p, n)?;
            let shift = 64 - 8 * n as u32;
            (Head::Int(((raw << shift) as i64) >> shift), p + n)
        }
        0xd4..=0xd8 => {
            let n = 1usize << (m - 0xd4);
            let (s, e) = span(b, p + 1, n as u64)?;
            if m == 0xd4 && b[p] == 0 && b[s] == 0 {
                (Head::Undefined, e)
            } else {
                (Head::Ext, e)
            }
        }
        0xd9..=0xdb => {
            let n = 1 << (m - 0xd9);
            let (s, e) = span(b, p + n, be(b, p, n)?)?;
            (Head::Str(s, e), e)
        }
        0xdc | 0xdd => {
            let n = if m == 0xdc { 2 } else { 4 };
            (Head::Array(be(b, p, n)? as usize), p + n)
        }
        0xde | 0xdf => {
            let n = if m == 0xde { 2 } else { 4 };
            (Head::Map(be(b, p, n)? as usize), p + n)
        }
        0xe0..=0xff => (Head::Int(i64::from(m as i8)), p),
    })
}

/// Validates the value at `pos` (strings must be UTF-8); returns its end. Every
/// element consumes at least one byte, so work is bounded by the input length.
pub(super) fn skip(b: &[u8], pos: usize, depth: usize) -> Result<usize, DecodeError> {
    let (h, mut p) = head(b, pos)?;
    let n = match h {
        Head::Str(s, e) => {
            std::str::from_utf8(&b[s..e]).map_err(|_| DecodeError::InvalidUtf8)?;
            return Ok(p);
        }
        Head::Array(n) => n,
        Head::Map(n) => n.saturating_mul(2),
        _ => return Ok(p),
    };
    if depth >= MAX_DEPTH {
        return Err(DecodeError::TooDeep(MAX_DEPTH));
    }
    for _ in 0..n {
        p = skip(b, p, depth + 1)?;
    }
    Ok(p)
}

pub(super) fn head_integer(h: Head) -> Option<i128> {
    match h {
        Head::Uint(v) => Some(i128::from(v)),
        Head::Int(v) => Some(i128::from(v)),
        Head::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1.9e19 => Some(f as i128),
        _ => None,
    }
}

/// The event name: first element of the array payload.
pub(crate) fn first_element_name(raw: &[u8]) -> Option<EventName<'_>> {
    let (h, p) = head(raw, 0).ok()?;
    match h {
        Head::Array(n) if n > 0 => {}
        _ => return None,
    }
    match head(raw, p).ok()?.0 {
        Head::Str(s, e) => Some(EventName::Str(Cow::Borrowed(
            std::str::from_utf8(&raw[s..e]).ok()?,
        ))),
        Head::Uint(v) => Some(EventName::Number(v as f64)),
        Head::Int(v) => Some(EventName::Number(v as f64)),
        Head::Float(v) => Some(EventName::Number(v)),
        _ => None,
    }
}
