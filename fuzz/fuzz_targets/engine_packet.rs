//! Fuzzes the Engine.IO packet decoder: any input must decode or fail cleanly, and a
//! decoded text message must round-trip to the same frame.
#![no_main]

use bytes::Bytes;
use engineio::packet::{decode, Packet};
use engineio::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Bytes::copy_from_slice(data);
    if let Ok(Packet::Message(Message::Text(text))) = decode(input.clone()) {
        assert_eq!(text.framed().as_bytes(), &input[..]);
        assert_eq!(text.as_str().len() + 1, input.len());
    }
});
