//! Inputs found by the cargo-fuzz targets (fuzz/), kept as regression tests. Each must
//! decode without panicking and, when accepted, re-encode and decode to the same packet.

use bytes::Bytes;
use socketio_parser::{Codec, Frame, JsonCodec, PacketDecoder};

#[cfg(feature = "msgpack")]
fn msgpack_roundtrip(input: &[u8]) -> Option<socketio_parser::Packet> {
    use socketio_parser::MsgpackCodec;
    let codec = MsgpackCodec::new();
    let p = codec
        .decoder()
        .decode_binary(Bytes::copy_from_slice(input))
        .ok()??;
    let enc = codec.encode(&p, b"").expect("decoded packet re-encodes");
    let again = codec
        .decoder()
        .decode_binary(enc.first.as_bytes().clone())
        .unwrap()
        .unwrap();
    assert_eq!(again, p);
    Some(p)
}

/// parser_msgpack crash-69ad0eb0: namespace "," (valid for msgpack, where any string is
/// a namespace) made the re-encode fail with the JSON format's namespace rule.
#[cfg(feature = "msgpack")]
#[test]
fn msgpack_namespace_with_comma() {
    let input = b"\x83\xa4type\x02\xa4data\x92\xa7ev\n\"x\"\x07\x01\xa3nsp\xa1,";
    let p = msgpack_roundtrip(input).expect("accepted");
    assert_eq!(p.nsp, ",");
    // The empty namespace is the root, as in the JSON format.
    let input = b"\x83\xa4type\x02\xa4data\x91\xa1e\xa3nsp\xa0";
    assert_eq!(msgpack_roundtrip(input).expect("accepted").nsp, "/");
}

#[test]
fn json_text_inputs() {
    let codec = JsonCodec::new();
    for input in [&b"0/,{}"[..], b"2/a,1[\"x\"]", b"0/x"] {
        let p = codec
            .decoder()
            .decode_text(Bytes::copy_from_slice(input))
            .unwrap()
            .unwrap();
        let enc = codec.encode(&p, b"").unwrap();
        let Frame::Text(t) = &enc.first else { panic!() };
        assert_eq!(codec.decoder().decode_text(t.clone()).unwrap().unwrap(), p);
    }
}
