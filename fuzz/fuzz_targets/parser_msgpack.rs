//! Fuzzes the msgpack decoder: every input is one binary message. Decoded packets are
//! read lazily, deserialized, re-encoded and decoded again (must be identical).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use socketio_parser::{Codec, MsgpackCodec, PacketDecoder};

fuzz_target!(|data: &[u8]| {
    let codec = MsgpackCodec::new();
    let mut dec = codec.decoder();
    let _ = dec.decode_text(Bytes::copy_from_slice(data));
    if let Ok(Some(packet)) = dec.decode_binary(Bytes::copy_from_slice(data)) {
        let _ = packet.event_name();
        let _ = packet.args::<Vec<serde_json::Value>>();
        let _ = packet.args::<(String, Vec<u8>)>();
        let _ = packet.data::<serde_json::Value>();
        let enc = codec.encode(&packet, b"").expect("a decoded packet re-encodes");
        let again = dec
            .decode_binary(enc.first.as_bytes().clone())
            .expect("re-encoded packet decodes");
        assert_eq!(again.as_ref(), Some(&packet), "round trip");
    }
});
