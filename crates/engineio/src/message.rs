//! Messages exchanged with the layer above: [`Message`] and [`Text`].

use bytes::Bytes;
use bytestring::ByteString;

/// One Engine.IO message, as received from or sent to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (`4<text>` on the wire).
    Text(Text),
    /// A binary message (a raw binary WebSocket frame, or `b<base64>` over polling).
    Binary(Bytes),
}

impl From<Text> for Message {
    fn from(text: Text) -> Self {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::Text(Text::new(s))
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}

/// The framed text does not start with the message type `4` or is not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidText {
    /// The first byte is not the Engine.IO message type `4`.
    #[error("text frame does not start with the message type '4'")]
    MissingPrefix,
    /// The bytes are not valid UTF-8.
    #[error("text frame is not valid UTF-8")]
    NotUtf8,
}

/// UTF-8 message text stored *with* its Engine.IO type prefix `4` in one shared buffer.
///
/// The same bytes are the WebSocket text frame for every recipient, so cloning a `Text`
/// (or sending it to many sessions) only bumps a reference count. A text frame read
/// from a WebSocket becomes a `Text` without a copy, its UTF-8 checked once by the
/// frame decoder.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(ByteString);

impl Text {
    /// Builds a text message from `s`, allocating `"4" + s` once.
    pub fn new(s: &str) -> Text {
        let mut framed = String::with_capacity(s.len() + 1);
        framed.push('4');
        framed.push_str(s);
        Text(ByteString::from(framed))
    }

    /// Wraps an already framed message (`b"4"` followed by UTF-8 text), validating it once.
    pub fn from_framed(frame: Bytes) -> Result<Text, InvalidText> {
        if frame.first() != Some(&b'4') {
            return Err(InvalidText::MissingPrefix);
        }
        ByteString::try_from(frame)
            .map(Text)
            .map_err(|_| InvalidText::NotUtf8)
    }

    /// Wraps checked text whose first byte should be the prefix `4` (no UTF-8 check).
    pub(crate) fn from_checked(frame: ByteString) -> Result<Text, InvalidText> {
        if frame.as_bytes().first() != Some(&b'4') {
            return Err(InvalidText::MissingPrefix);
        }
        Ok(Text(frame))
    }

    /// The message text, without the type prefix.
    pub fn as_str(&self) -> &str {
        // The first byte is the ASCII digit '4', so index 1 is a char boundary.
        self.0.get(1..).unwrap_or_default()
    }

    /// The message text without the prefix, as shared bytes (zero-copy).
    pub fn payload(&self) -> Bytes {
        self.0.as_bytes().slice(1..)
    }

    /// The message text without the prefix, as a shared string (zero-copy).
    pub fn payload_str(&self) -> ByteString {
        self.0.slice_ref(self.as_str())
    }

    /// The whole frame, prefix included (what a WebSocket text frame carries).
    pub fn framed(&self) -> &ByteString {
        &self.0
    }

    /// Length of the message text in bytes (without the prefix).
    pub fn len(&self) -> usize {
        self.0.len().saturating_sub(1)
    }

    /// Whether the message text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Text").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_prefixes_once() {
        let t = Text::new("héllo");
        assert_eq!(t.as_str(), "héllo");
        assert_eq!(&t.framed().as_bytes()[..1], b"4");
        assert_eq!(t.payload(), Bytes::from_static("héllo".as_bytes()));
        assert_eq!(t.payload_str(), "héllo");
        assert_eq!(t.len(), "héllo".len());
    }

    #[test]
    fn from_framed_validates() {
        assert_eq!(
            Text::from_framed(Bytes::from_static(b"3x")),
            Err(InvalidText::MissingPrefix)
        );
        assert_eq!(
            Text::from_framed(Bytes::from_static(b"")),
            Err(InvalidText::MissingPrefix)
        );
        assert_eq!(
            Text::from_framed(Bytes::from_static(b"4\xff")),
            Err(InvalidText::NotUtf8)
        );
        let t = Text::from_framed(Bytes::from_static(b"4")).unwrap();
        assert!(t.is_empty());
        assert_eq!(t.as_str(), "");
        assert_eq!(t.payload_str(), "");
    }

    #[test]
    fn payload_str_shares_the_frame() {
        let t = Text::from_framed(Bytes::from(b"4\xc3\xa9t\xc3\xa9".to_vec())).unwrap();
        let payload = t.payload_str();
        assert_eq!(payload, "été");
        // Same buffer: the payload starts one byte into the frame.
        assert_eq!(payload.as_ptr(), t.framed()[1..].as_ptr());
        assert_eq!(
            Text::from_checked(ByteString::from("3x")),
            Err(InvalidText::MissingPrefix)
        );
    }
}
