//! Every example packet of the Socket.IO v5 protocol description, decoded and
//! re-encoded byte for byte, and produced by the typed encoder.

use bytes::Bytes;
use serde_json::json;
use socketio_parser::{
    Binary, Codec, EventName, Frame, JsonCodec, Packet, PacketDecoder, PacketType, Payload,
};

fn decode_all(text: &str, bins: &[&[u8]]) -> Packet {
    let mut dec = JsonCodec::new().decoder();
    let mut out = dec
        .decode_text(Bytes::copy_from_slice(text.as_bytes()))
        .unwrap();
    for b in bins {
        assert!(out.is_none(), "{text}: complete before its attachments");
        out = dec.decode_binary(Bytes::copy_from_slice(b)).unwrap();
    }
    out.unwrap_or_else(|| panic!("{text}: incomplete"))
}

fn text_of(enc: &socketio_parser::Encoded) -> &[u8] {
    match &enc.first {
        Frame::Text(t) => t,
        Frame::Binary(_) => panic!("text expected"),
    }
}

/// Decodes `wire` (Engine.IO framing, leading "4"), checks the fields, re-encodes with
/// the "4" prefix and expects `reencoded` (the same bytes unless stated otherwise).
fn roundtrip(wire: &str, bins: &[&[u8]], reencoded: &str) -> Packet {
    let body = wire.strip_prefix('4').unwrap();
    let p = decode_all(body, bins);
    let enc = JsonCodec::new().encode(&p, b"4").unwrap();
    assert_eq!(
        std::str::from_utf8(text_of(&enc)).unwrap(),
        reencoded,
        "re-encoding {wire}"
    );
    let atts: Vec<&[u8]> = enc.attachments.iter().map(|b| &b[..]).collect();
    assert_eq!(atts, bins);
    p
}

#[test]
fn connect_examples() {
    let c = JsonCodec::new();
    let p = roundtrip("40", &[], "40");
    assert_eq!(
        (p.kind, &*p.nsp, p.data.is_none()),
        (PacketType::Connect, "/", true)
    );
    let e = c.encode_connect::<()>(b"4", "/", None).unwrap();
    assert_eq!(text_of(&e), b"40");

    let p = roundtrip(r#"40{"token":"123"}"#, &[], r#"40{"token":"123"}"#);
    assert_eq!(
        p.data::<serde_json::Value>().unwrap(),
        json!({"token":"123"})
    );

    let p = roundtrip(
        r#"40/admin,{"token":"123"}"#,
        &[],
        r#"40/admin,{"token":"123"}"#,
    );
    assert_eq!(p.nsp, "/admin");
    let e = c
        .encode_connect(b"4", "/admin", Some(&json!({"token":"123"})))
        .unwrap();
    assert_eq!(text_of(&e), br#"40/admin,{"token":"123"}"#);

    // Server accepts.
    let sid = "Xq9w1ZgA0aBcDeFgHiJk";
    let wire = format!(r#"40{{"sid":"{sid}"}}"#);
    roundtrip(&wire, &[], &wire);
    let wire = format!(r#"40/admin,{{"sid":"{sid}","pid":"p1"}}"#);
    let p = roundtrip(&wire, &[], &wire);
    #[derive(serde::Deserialize, serde::Serialize)]
    struct Hello {
        sid: String,
        pid: String,
    }
    let h: Hello = p.data().unwrap();
    assert_eq!((h.sid.as_str(), h.pid.as_str()), (sid, "p1"));
    let e = c.encode_connect(b"4", "/admin", Some(&h)).unwrap();
    assert_eq!(text_of(&e), wire.as_bytes());

    // A packet may end right after the namespace, without a comma.
    let p = roundtrip("40/custom", &[], "40/custom,");
    assert_eq!((p.kind, &*p.nsp), (PacketType::Connect, "/custom"));
}

#[test]
fn connect_error_examples() {
    let c = JsonCodec::new();
    let wire = r#"44/admin,{"message":"Not authorized","data":{"reason":"token"}}"#;
    let p = roundtrip(wire, &[], wire);
    assert_eq!(p.kind, PacketType::ConnectError);
    #[derive(serde::Serialize)]
    struct Refused {
        message: &'static str,
        data: serde_json::Value,
    }
    let refused = Refused {
        message: "Not authorized",
        data: json!({"reason":"token"}),
    };
    let e = c.encode_connect_error(b"4", "/admin", &refused).unwrap();
    assert_eq!(text_of(&e), wire.as_bytes());

    let wire = r#"44{"message":"Invalid namespace"}"#;
    roundtrip(wire, &[], wire);
    #[derive(serde::Serialize)]
    struct Err {
        message: &'static str,
    }
    let e = c
        .encode_connect_error(
            b"4",
            "/",
            &Err {
                message: "Invalid namespace",
            },
        )
        .unwrap();
    assert_eq!(text_of(&e), wire.as_bytes());

    roundtrip(r#"44"plain string""#, &[], r#"44"plain string""#);
}

#[test]
fn event_and_ack_examples() {
    let c = JsonCodec::new();
    let p = roundtrip(r#"42["foo",1]"#, &[], r#"42["foo",1]"#);
    assert_eq!(p.event_name(), Some(EventName::Str("foo".into())));
    assert_eq!(p.args::<(u32,)>().unwrap(), (1,));
    assert_eq!(
        text_of(&c.encode_event(b"4", "/", "foo", &(1,), None).unwrap()),
        br#"42["foo",1]"#
    );

    let p = roundtrip(r#"4212["foo",1]"#, &[], r#"4212["foo",1]"#);
    assert_eq!(p.id, Some(12));
    assert_eq!(
        text_of(&c.encode_event(b"4", "", "foo", &[1], Some(12)).unwrap()),
        br#"4212["foo",1]"#
    );

    let p = roundtrip(r#"43/admin,13["bar"]"#, &[], r#"43/admin,13["bar"]"#);
    assert_eq!(
        (p.kind, p.id, &*p.nsp),
        (PacketType::Ack, Some(13), "/admin")
    );
    assert_eq!(p.args::<(String,)>().unwrap().0, "bar");
    assert!(p.event_name().is_none());
    assert_eq!(
        text_of(&c.encode_ack(b"4", "/admin", 13, &("bar",)).unwrap()),
        br#"43/admin,13["bar"]"#
    );
}

#[test]
fn binary_examples() {
    let c = JsonCodec::new();
    let blob: &[u8] = &[1, 2, 3, 0xff];
    let wire = r#"451-["baz",{"_placeholder":true,"num":0}]"#;
    let p = roundtrip(wire, &[blob], wire);
    assert_eq!(p.kind, PacketType::Event);
    assert_eq!(p.attachments.len(), 1);
    assert_eq!(p.event_name().unwrap().as_str(), Some("baz"));
    let (b,): (Binary,) = p.args().unwrap();
    assert_eq!(&b[..], blob);
    // Zero-copy: the argument shares the attachment's memory.
    assert_eq!(b.0.as_ptr(), p.attachments[0].as_ptr());
    let (v,): (Vec<u8>,) = p.args().unwrap();
    assert_eq!(v, blob);
    let (bb,): (serde_bytes::ByteBuf,) = p.args().unwrap();
    assert_eq!(&bb[..], blob);
    let enc = c
        .encode_event(b"4", "/", "baz", &(Binary(Bytes::from_static(blob)),), None)
        .unwrap();
    assert_eq!(text_of(&enc), wire.as_bytes());
    assert_eq!(enc.attachments, vec![Bytes::from_static(blob)]);

    let wire = r#"461-15[{"_placeholder":true,"num":0}]"#;
    let p = roundtrip(wire, &[blob], wire);
    assert_eq!((p.kind, p.id), (PacketType::Ack, Some(15)));
    let enc = c
        .encode_ack(b"4", "/", 15, &(serde_bytes::Bytes::new(blob),))
        .unwrap();
    assert_eq!(text_of(&enc), wire.as_bytes());

    let wire = r#"461-15["bar",{"_placeholder":true,"num":0}]"#;
    let p = roundtrip(wire, &[blob], wire);
    let (s, b): (String, Bytes) = p.args().unwrap();
    assert_eq!((s.as_str(), &b[..]), ("bar", blob));
}

#[test]
fn disconnect_examples() {
    let c = JsonCodec::new();
    let p = roundtrip("41", &[], "41");
    assert_eq!(p.kind, PacketType::Disconnect);
    let p = roundtrip("41/admin,", &[], "41/admin,");
    assert_eq!(p.nsp, "/admin");
    assert_eq!(
        text_of(&c.encode_disconnect(b"4", "/admin").unwrap()),
        b"41/admin,"
    );
    assert_eq!(text_of(&c.encode_disconnect(b"4", "/").unwrap()), b"41");
}

#[test]
fn built_packets_encode() {
    let mut p = Packet::new(PacketType::Event, "/chat");
    p.id = Some(3);
    p.data = Some(Payload::Json(Bytes::from_static(
        br#"["msg",{"_placeholder":true,"num":0}]"#,
    )));
    p.attachments.push(Bytes::from_static(b"x"));
    let enc = JsonCodec::new().encode(&p, b"4").unwrap();
    assert_eq!(
        text_of(&enc),
        br#"451-/chat,3["msg",{"_placeholder":true,"num":0}]"#
    );
}

#[test]
fn binary_outside_events_is_inline_like_node() {
    // Node: JSON.stringify({a: Buffer.from([1,2])}) === '{"a":{"type":"Buffer","data":[1,2]}}'
    #[derive(serde::Serialize)]
    struct Auth {
        a: Binary,
    }
    let enc = JsonCodec::new()
        .encode_connect(
            b"4",
            "/",
            Some(&Auth {
                a: Binary(Bytes::from_static(&[1, 2])),
            }),
        )
        .unwrap();
    assert_eq!(text_of(&enc), br#"40{"a":{"type":"Buffer","data":[1,2]}}"#);
    assert!(enc.attachments.is_empty());
}
