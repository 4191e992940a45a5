//! Signed session tokens: `<user>.<base64url(HMAC-SHA256(secret, user))>`.
//!
//! The demo issues one at sign-in; the socket sends it as `auth.token` and the HTTP API
//! as a bearer token. Verification is constant-time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and verifies user tokens with one secret.
#[derive(Clone)]
pub struct TokenSigner {
    secret: Vec<u8>,
}

impl TokenSigner {
    /// A signer for `secret`.
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self {
            secret: secret.into(),
        }
    }

    fn mac(&self, user: &str) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(user.as_bytes());
        mac
    }

    /// The token for `user`.
    pub fn sign(&self, user: &str) -> String {
        let tag = self.mac(user).finalize().into_bytes();
        format!("{user}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The user a token was issued to, or `None` when the signature does not match.
    pub fn verify<'t>(&self, token: &'t str) -> Option<&'t str> {
        let (user, tag) = token.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(user).verify_slice(&tag).ok()?;
        Some(user)
    }
}

/// A user name the demo accepts: 1 to 32 of `[A-Za-z0-9_-]`.
pub fn valid_user_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_and_forged_ones_do_not() {
        let signer = TokenSigner::new("secret");
        let token = signer.sign("alice");
        assert_eq!(signer.verify(&token), Some("alice"));
        assert_eq!(signer.verify("alice.AAAA"), None);
        assert_eq!(signer.verify(&token.replace("alice", "bob")), None);
        assert_eq!(TokenSigner::new("other").verify(&token), None);
        assert_eq!(signer.verify("no-dot"), None);
    }

    #[test]
    fn user_names() {
        assert!(valid_user_name("bob_1"));
        assert!(!valid_user_name(""));
        assert!(!valid_user_name("a b"));
        assert!(!valid_user_name(&"x".repeat(33)));
    }
}
