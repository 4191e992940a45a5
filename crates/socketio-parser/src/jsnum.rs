//! Numbers and strings written exactly like JavaScript's `JSON.stringify`.

use std::fmt::Write as _;

/// A fixed stack buffer for `core::fmt` output (no allocation).
struct StackBuf {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `v` as `JSON.stringify(v)` would: `null` for NaN/±Infinity, `0` for -0,
/// integral values without `.0`, exponent form (`1e+21`, `1.5e-7`) outside
/// `[1e-6, 1e21)`. Digits are the shortest that round-trip (as in JS).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    let mut sb = StackBuf {
        buf: [0; 48],
        len: 0,
    };
    // Rust's `{:e}` prints the shortest round-trip digits as `d.ddde<exp>`.
    if write!(sb, "{:e}", v.abs()).is_err() {
        out.extend_from_slice(b"null");
        return;
    }
    let s = &sb.buf[..sb.len];
    let epos = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let (mant, exp) = (&s[..epos], s.get(epos + 1..).unwrap_or(b"0"));
    let mut digits = [0u8; 32];
    let mut k = 0;
    for &b in mant {
        if b.is_ascii_digit() && k < digits.len() {
            digits[k] = b;
            k += 1;
        }
    }
    let digits = &digits[..k];
    let (neg_exp, exp_digits) = match exp.first() {
        Some(b'-') => (true, &exp[1..]),
        _ => (false, exp),
    };
    let mut e: i32 = 0;
    for &b in exp_digits {
        e = e * 10 + i32::from(b - b'0');
    }
    if neg_exp {
        e = -e;
    }
    let k = k as i32;
    let n = e + 1; // position of the decimal point
    if v < 0.0 {
        out.push(b'-');
    }
    if k <= n && n <= 21 {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        let e = n - 1;
        out.push(if e >= 0 { b'+' } else { b'-' });
        let mut ib = itoa::Buffer::new();
        out.extend_from_slice(ib.format(e.unsigned_abs()).as_bytes());
    }
}

/// `f32` values are written with their own shortest digits (like serde_json), then
/// formatted with the JavaScript rules.
pub(crate) fn write_f32(out: &mut Vec<u8>, v: f32) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    // The shortest f32 digits, re-read as f64, print the same digits.
    let mut sb = StackBuf {
        buf: [0; 48],
        len: 0,
    };
    if write!(sb, "{:e}", v).is_err() {
        out.extend_from_slice(b"null");
        return;
    }
    let parsed = std::str::from_utf8(&sb.buf[..sb.len])
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(f64::from(v));
    write_f64(out, parsed);
}

/// 0 = no escape, otherwise the escape letter (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Writes `s` as a quoted JSON string with `JSON.stringify`'s escaping: `\"`, `\\`,
/// `\b \f \n \r \t`, other controls as lowercase `\u00xx`, everything else verbatim.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = ESCAPE[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if esc == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', esc]);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut o = Vec::new();
        write_f64(&mut o, v);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn js_number_format() {
        assert_eq!(f(1.0), "1");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(123456.789), "123456.789");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(-2.5e-300), "-2.5e-300");
        assert_eq!(f(f64::NAN), "null");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(5e-324), "5e-324");
    }

    #[test]
    fn js_string_escape() {
        let mut o = Vec::new();
        write_str(&mut o, "a\"b\\c\n\u{1}\u{7f}é😀\u{2028}");
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "\"a\\\"b\\\\c\\n\\u0001\u{7f}é😀\u{2028}\""
        );
    }
}
