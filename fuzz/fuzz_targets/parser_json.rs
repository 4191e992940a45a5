//! Fuzzes the JSON decoder with arbitrary sequences of text and binary messages.
//!
//! Input: messages separated by 0xFF; a message starting with 0xFE is binary (rest of
//! the bytes), otherwise text. Every decoded packet is read lazily, deserialized,
//! re-encoded and decoded again: it must come back identical.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use socketio_parser::{Codec, Frame, JsonCodec, Packet, PacketDecoder};

fn check(codec: &JsonCodec, packet: &Packet) {
    let _ = packet.event_name();
    let _ = packet.args::<Vec<serde_json::Value>>();
    let _ = packet.args::<(String, Vec<u8>)>();
    let _ = packet.data::<serde_json::Value>();
    let enc = codec.encode(packet, b"").expect("a decoded packet re-encodes");
    let Frame::Text(text) = &enc.first else { panic!("text frame expected") };
    let mut dec = codec.decoder();
    let mut out = dec.decode_text(text.clone()).expect("re-encoded packet decodes");
    for a in &enc.attachments {
        assert!(out.is_none());
        out = dec.decode_binary(a.clone()).expect("attachment accepted");
    }
    assert_eq!(out.as_ref(), Some(packet), "round trip");
}

fuzz_target!(|data: &[u8]| {
    let codec = JsonCodec::new();
    let mut dec = codec.decoder();
    let input = Bytes::copy_from_slice(data);
    let mut start = 0;
    for part in data.split(|&b| b == 0xff) {
        let msg = input.slice(start..start + part.len());
        start += part.len() + 1;
        let r = if part.first() == Some(&0xfe) {
            dec.decode_binary(msg.slice(1..))
        } else {
            dec.decode_text(msg)
        };
        match r {
            Ok(Some(p)) => check(&codec, &p),
            Ok(None) => {}
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
});
