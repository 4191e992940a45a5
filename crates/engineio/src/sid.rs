//! Session ids: 20 URL-safe base64 characters from 15 bytes, like Node's `base64id`
//! (random bytes with a 32-bit sequence number written big-endian at offset 11, so the
//! last four bytes are the sequence and the first eleven are random).

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;

/// A 20-character URL-safe session id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid([u8; 20]);

impl Sid {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Always built from the URL-safe base64 alphabet (ASCII).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Parses a client-supplied id; `None` unless it is 20 URL-safe characters.
    pub fn parse(s: &str) -> Option<Sid> {
        let bytes: [u8; 20] = s.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            .then_some(Sid(bytes))
    }
}

impl std::fmt::Debug for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Generates session ids.
#[derive(Debug, Default)]
pub(crate) struct SidGenerator {
    sequence: AtomicU32,
}

impl SidGenerator {
    pub(crate) fn next(&self) -> Sid {
        let mut raw = [0u8; 15];
        rand::fill(&mut raw[..11]);
        let seq = self
            .sequence
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        raw[11..].copy_from_slice(&seq.to_be_bytes());
        encode(&raw)
    }
}

fn encode(raw: &[u8; 15]) -> Sid {
    let mut out = [0u8; 20];
    // 15 bytes always encode to exactly 20 characters without padding.
    let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(raw, &mut out);
    Sid(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_20_url_safe_chars_and_unique() {
        let g = SidGenerator::default();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let id = g.next();
            assert_eq!(id.as_str().len(), 20);
            assert_eq!(Sid::parse(id.as_str()), Some(id));
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn sequence_is_the_tail() {
        let raw = [0u8; 15];
        assert_eq!(encode(&raw).as_str(), "AAAAAAAAAAAAAAAAAAAA");
        let mut raw = [0xffu8; 15];
        raw[0] = 0xfb;
        assert_eq!(encode(&raw).as_str(), "-___________________");
    }

    #[test]
    fn parse_rejects_bad_ids() {
        assert!(Sid::parse("short").is_none());
        assert!(Sid::parse("AAAAAAAAAAAAAAAAAAA/").is_none());
        assert!(Sid::parse("AAAAAAAAAAAAAAAAAAAAA").is_none());
    }
}
