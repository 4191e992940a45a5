//! Lazy JSON scanning: validates a payload's syntax in one pass without building
//! values, checks placeholders of binary packets, and reads the event name.
//!
//! Iterative (a 128-bit container stack, no recursion; binary packets add a small
//! placeholder-tracking stack of at most [`MAX_DEPTH`] frames);
//! every step advances through the input, so work is linear in the input length.

use std::borrow::Cow;

use crate::error::DecodeError;
use crate::packet::{reserved, EventName};

/// Deepest nesting accepted in a payload (same default as serde_json).
pub const MAX_DEPTH: usize = 128;

/// The top-level JSON value kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Top {
    Object,
    Array,
    String,
    Other,
}

pub(crate) fn syntax(offset: usize, reason: &'static str) -> DecodeError {
    DecodeError::Syntax { offset, reason }
}

#[inline]
pub(crate) fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while let Some(c) = b.get(pos) {
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => pos += 1,
            _ => break,
        }
    }
    pos
}

/// Bytes that end the fast path inside a string: `"`, `\` and control characters.
static STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Scans a string whose opening quote is just before `start`. Returns the position
/// after the closing quote and whether the string contains escapes.
#[inline]
pub(crate) fn string_end(b: &[u8], start: usize) -> Result<(usize, bool), DecodeError> {
    let mut i = start;
    let mut escaped = false;
    loop {
        let rest = b.get(i..).unwrap_or_default();
        let skip = rest
            .iter()
            .position(|&c| STRING_STOP[c as usize])
            .ok_or_else(|| syntax(b.len(), "unterminated string"))?;
        i += skip;
        match b[i] {
            b'"' => return Ok((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                match b.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        let hex = b
                            .get(i + 2..i + 6)
                            .ok_or_else(|| syntax(i, "truncated \\u escape"))?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(syntax(i, "invalid \\u escape"));
                        }
                        i += 6;
                    }
                    _ => return Err(syntax(i, "invalid escape")),
                }
            }
            _ => return Err(syntax(i, "control character in string")),
        }
    }
}

/// Scans a number starting at `pos` (JSON grammar). Returns the end position.
pub(crate) fn number_end(b: &[u8], mut pos: usize) -> Result<usize, DecodeError> {
    let digits = |b: &[u8], mut p: usize| {
        let s = p;
        while b.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        (p, p - s)
    };
    if b.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match b.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos = digits(b, pos).0,
        _ => return Err(syntax(pos, "invalid number")),
    }
    if b.get(pos) == Some(&b'.') {
        let (p, n) = digits(b, pos + 1);
        if n == 0 {
            return Err(syntax(pos, "invalid number"));
        }
        pos = p;
    }
    if matches!(b.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(b.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let (p, n) = digits(b, pos);
        if n == 0 {
            return Err(syntax(pos, "invalid number"));
        }
        pos = p;
    }
    Ok(pos)
}

/// Decodes the inside of a JSON string (between the quotes). Lone surrogate escapes,
/// which JavaScript allows, become U+FFFD.
pub(crate) fn unescape(inner: &[u8], out: &mut String) {
    let mut i = 0;
    let mut run = 0;
    let flush = |out: &mut String, from: usize, to: usize| {
        if let Some(s) = inner
            .get(from..to)
            .and_then(|s| std::str::from_utf8(s).ok())
        {
            out.push_str(s);
        }
    };
    let hex4 = |p: usize| -> Option<u32> {
        let s = std::str::from_utf8(inner.get(p..p + 4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    while i < inner.len() {
        if inner[i] != b'\\' {
            i += 1;
            continue;
        }
        flush(out, run, i);
        let Some(&e) = inner.get(i + 1) else { break };
        i += 2;
        match e {
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hi = hex4(i).unwrap_or(0xfffd);
                i += 4;
                let c = if (0xd800..0xdc00).contains(&hi)
                    && inner.get(i) == Some(&b'\\')
                    && inner.get(i + 1) == Some(&b'u')
                {
                    match hex4(i + 2) {
                        Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                            i += 6;
                            char::from_u32(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00))
                        }
                        _ => None,
                    }
                } else {
                    char::from_u32(hi)
                };
                out.push(c.unwrap_or('\u{fffd}'));
            }
            other => out.push(char::from(other)),
        }
        run = i;
    }
    if run < inner.len() {
        flush(out, run, inner.len());
    }
}

/// A string value starting at `pos` (the opening quote): borrowed when free of escapes.
pub(crate) fn read_string(b: &[u8], pos: usize) -> Result<(Cow<'_, str>, usize), DecodeError> {
    let (end, escaped) = string_end(b, pos + 1)?;
    let inner = &b[pos + 1..end - 1];
    if escaped {
        let mut s = String::with_capacity(inner.len());
        unescape(inner, &mut s);
        Ok((Cow::Owned(s), end))
    } else {
        let s = std::str::from_utf8(inner).map_err(|_| DecodeError::InvalidUtf8)?;
        Ok((Cow::Borrowed(s), end))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Placeholder,
    Num,
    Other,
}

#[derive(Clone, Copy, PartialEq)]
enum Num {
    Missing,
    Value(f64),
    NotANumber,
}

#[derive(Clone, Copy)]
struct Frame {
    key: Key,
    placeholder: bool,
    num: Num,
}

const EMPTY_FRAME: Frame = Frame {
    key: Key::Other,
    placeholder: false,
    num: Num::Missing,
};

#[derive(Clone, Copy, PartialEq)]
enum Val {
    True,
    Number(usize, usize),
    Other,
}

/// Parses an object key at `pos` (after whitespace) up to and including the `:`.
fn object_key(b: &[u8], pos: usize, f: &mut Frame, track: bool) -> Result<usize, DecodeError> {
    if b.get(pos) != Some(&b'"') {
        return Err(syntax(pos, "expected object key"));
    }
    let (end, escaped) = string_end(b, pos + 1)?;
    if track {
        let inner = &b[pos + 1..end - 1];
        let key: Cow<'_, [u8]> = if escaped && inner.len() <= 96 {
            let mut s = String::new();
            unescape(inner, &mut s);
            Cow::Owned(s.into_bytes())
        } else {
            Cow::Borrowed(inner)
        };
        f.key = match &key[..] {
            b"_placeholder" => Key::Placeholder,
            b"num" => Key::Num,
            _ => Key::Other,
        };
    }
    let p = skip_ws(b, end);
    if b.get(p) != Some(&b':') {
        return Err(syntax(p, "expected ':'"));
    }
    Ok(p + 1)
}

/// Validates that `json` is exactly one JSON value (whitespace around allowed).
/// With `attachments > 0` every object whose `_placeholder` is `true` must have an
/// integer `num` in `0..attachments`.
pub(crate) fn validate(json: &[u8], attachments: usize) -> Result<Top, DecodeError> {
    const _: () = assert!(MAX_DEPTH <= 128);
    let track = attachments > 0;
    // Bit `d` set: the container at depth `d` is an object (else an array).
    let mut objects: u128 = 0;
    let mut depth = 0usize;
    // Placeholder bookkeeping, one frame per open container, only for binary packets.
    let mut frames: Vec<Frame> = Vec::new();
    let mut scratch = EMPTY_FRAME;
    let mut pos = skip_ws(json, 0);
    let top = match json.get(pos) {
        Some(b'{') => Top::Object,
        Some(b'[') => Top::Array,
        Some(b'"') => Top::String,
        Some(_) => Top::Other,
        None => return Err(syntax(pos, "empty payload")),
    };
    'value: loop {
        pos = skip_ws(json, pos);
        let c = *json
            .get(pos)
            .ok_or_else(|| syntax(pos, "unexpected end of payload"))?;
        let mut val = Val::Other;
        match c {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return Err(DecodeError::TooDeep(MAX_DEPTH));
                }
                let object = c == b'{';
                if object {
                    objects |= 1 << depth;
                } else {
                    objects &= !(1 << depth);
                }
                depth += 1;
                if track {
                    frames.push(EMPTY_FRAME);
                }
                pos = skip_ws(json, pos + 1);
                let close = if object { b'}' } else { b']' };
                if json.get(pos) == Some(&close) {
                    pos += 1;
                    depth -= 1;
                    frames.pop();
                } else if object {
                    let f = frames.last_mut().unwrap_or(&mut scratch);
                    pos = object_key(json, pos, f, track)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            b'"' => pos = string_end(json, pos + 1)?.0,
            b't' => {
                pos = literal(json, pos, b"true")?;
                val = Val::True;
            }
            b'f' => pos = literal(json, pos, b"false")?,
            b'n' => pos = literal(json, pos, b"null")?,
            b'-' | b'0'..=b'9' => {
                let end = number_end(json, pos)?;
                val = Val::Number(pos, end);
                pos = end;
            }
            _ => return Err(syntax(pos, "unexpected character")),
        }
        // A value just ended: hand it to its container, close finished containers.
        loop {
            if depth == 0 {
                pos = skip_ws(json, pos);
                if pos != json.len() {
                    return Err(syntax(pos, "trailing characters"));
                }
                return Ok(top);
            }
            let object = objects & (1 << (depth - 1)) != 0;
            if track && object {
                if let Some(f) = frames.last_mut() {
                    match f.key {
                        Key::Placeholder => f.placeholder = val == Val::True,
                        Key::Num => {
                            f.num = match val {
                                Val::Number(s, e) => std::str::from_utf8(&json[s..e])
                                    .ok()
                                    .and_then(|t| t.parse::<f64>().ok())
                                    .map_or(Num::NotANumber, Num::Value),
                                _ => Num::NotANumber,
                            }
                        }
                        Key::Other => {}
                    }
                }
            }
            pos = skip_ws(json, pos);
            match json.get(pos) {
                Some(b',') => {
                    pos += 1;
                    if object {
                        pos = skip_ws(json, pos);
                        let f = frames.last_mut().unwrap_or(&mut scratch);
                        pos = object_key(json, pos, f, track)?;
                    }
                    continue 'value;
                }
                Some(b']') if !object => {
                    pos += 1;
                    depth -= 1;
                    frames.pop();
                    val = Val::Other;
                }
                Some(b'}') if object => {
                    if let Some(f) = frames.pop() {
                        if f.placeholder {
                            let ok = matches!(f.num, Num::Value(n)
                                if n >= 0.0 && n.fract() == 0.0 && n < attachments as f64);
                            if !ok {
                                return Err(DecodeError::InvalidPlaceholder);
                            }
                        }
                    }
                    pos += 1;
                    depth -= 1;
                    val = Val::Other;
                }
                _ => return Err(syntax(pos, "expected ',' or a closing bracket")),
            }
        }
    }
}

fn literal(b: &[u8], pos: usize, lit: &'static [u8]) -> Result<usize, DecodeError> {
    if b.get(pos..pos + lit.len()) == Some(lit) {
        Ok(pos + lit.len())
    } else {
        Err(syntax(pos, "invalid literal"))
    }
}

/// Position of the first element of the array starting (after whitespace) in `raw`,
/// or `None` when `raw` is not an array or is empty.
pub(crate) fn first_element(raw: &[u8]) -> Option<usize> {
    let pos = skip_ws(raw, 0);
    if raw.get(pos) != Some(&b'[') {
        return None;
    }
    let pos = skip_ws(raw, pos + 1);
    match raw.get(pos) {
        None | Some(b']') => None,
        Some(_) => Some(pos),
    }
}

/// The event name: first element of the (validated) array, a string or a number.
pub(crate) fn first_element_name(raw: &[u8]) -> Option<EventName<'_>> {
    let pos = first_element(raw)?;
    match raw.get(pos)? {
        b'"' => read_string(raw, pos).ok().map(|(s, _)| EventName::Str(s)),
        b'-' | b'0'..=b'9' => {
            let end = number_end(raw, pos).ok()?;
            let n = std::str::from_utf8(&raw[pos..end]).ok()?.parse().ok()?;
            Some(EventName::Number(n))
        }
        _ => None,
    }
}

/// EVENT rule on a validated array: non-empty, first element a non-reserved string or
/// a number.
pub(crate) fn check_event(raw: &[u8]) -> Result<(), DecodeError> {
    let pos = first_element(raw).ok_or(DecodeError::InvalidEventPayload)?;
    match raw.get(pos) {
        Some(b'"') => {
            let (name, _) = read_string(raw, pos)?;
            match reserved(&name) {
                Some(r) => Err(DecodeError::ReservedEventName(r)),
                None => Ok(()),
            }
        }
        Some(b'-' | b'0'..=b'9') => Ok(()),
        _ => Err(DecodeError::InvalidEventName),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        for ok in [
            &b"{}"[..],
            b" [1, 2.5e-3, -0, \"a\\u00e9\\n\", true, false, null, {\"a\":[]}] ",
            b"\"x\"",
            b"0",
        ] {
            validate(ok, 0).unwrap();
        }
        for bad in [
            &b""[..],
            b"[",
            b"[1,]",
            b"{\"a\"}",
            b"01",
            b"[1] x",
            b"\"\x01\"",
            b"\"\\x\"",
            b"{\"a\":1,}",
            b"[}",
            b"tru",
            b"-",
            b"1.",
            b"1e",
        ] {
            assert!(
                validate(bad, 0).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(
            validate(deep.as_bytes(), 0),
            Err(DecodeError::TooDeep(MAX_DEPTH))
        );
    }

    #[test]
    fn placeholders() {
        let p = br#"["a",{"_placeholder":true,"num":0},{"x":{"num":1,"_placeholder":true}}]"#;
        validate(p, 2).unwrap();
        assert_eq!(validate(p, 1), Err(DecodeError::InvalidPlaceholder));
        let esc = br#"[{"_placeholder":true,"\u006eum":5}]"#;
        assert_eq!(validate(esc, 1), Err(DecodeError::InvalidPlaceholder));
        validate(br#"[{"_placeholder":false,"num":5}]"#, 1).unwrap();
        assert_eq!(
            validate(br#"[{"_placeholder":true,"num":0.5}]"#, 1),
            Err(DecodeError::InvalidPlaceholder)
        );
        assert_eq!(
            validate(br#"[{"_placeholder":true}]"#, 1),
            Err(DecodeError::InvalidPlaceholder)
        );
    }

    #[test]
    fn unescapes() {
        let mut s = String::new();
        unescape(br#"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"#, &mut s);
        assert_eq!(s, "a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}\u{fffd}x");
    }
}
