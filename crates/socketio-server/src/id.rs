//! Socket ids: 20 URL-safe characters, like Node's `base64id`.
//!
//! Node peers (the sharded Redis adapter) decide that a room "is a socket's own room"
//! when its name is exactly 20 characters long, so the length matters for interop.

use base64::Engine as _;
use rand::RngCore;
use std::sync::Arc;

/// A Socket.IO socket id (also the name of the socket's own room). Cheap to clone.
pub type Sid = Arc<str>;

/// A fresh random id: 15 random bytes, base64url without padding (always 20 chars).
pub(crate) fn generate() -> Sid {
    let mut raw = [0u8; 15];
    rand::rng().fill_bytes(&mut raw);
    Arc::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_20_url_safe_chars_and_distinct() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 20);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }
}
