//! Every decoder rule, each violation with its typed error.

use bytes::Bytes;
use socketio_parser::{Codec, DecodeError, JsonCodec, PacketDecoder};

fn text(s: &str) -> Result<Option<socketio_parser::Packet>, DecodeError> {
    JsonCodec::new()
        .decoder()
        .decode_text(Bytes::copy_from_slice(s.as_bytes()))
}

fn err(s: &str) -> DecodeError {
    text(s).expect_err(s)
}

#[test]
fn header_rules() {
    assert_eq!(err(""), DecodeError::Empty);
    assert_eq!(err("7"), DecodeError::UnknownType);
    assert_eq!(err("a"), DecodeError::UnknownType);
    assert_eq!(err("5[\"a\"]"), DecodeError::IllegalAttachments);
    assert_eq!(err("5-[\"a\"]"), DecodeError::IllegalAttachments);
    assert_eq!(err("50-[\"a\"]"), DecodeError::IllegalAttachments);
    assert_eq!(err("51[\"a\"]"), DecodeError::IllegalAttachments);
    assert_eq!(
        err("511-[\"a\"]"),
        DecodeError::TooManyAttachments { count: 11, max: 10 }
    );
    // A huge count saturates instead of overflowing and is refused before any allocation.
    assert!(matches!(
        err(&format!("5{}-[\"a\"]", "9".repeat(100))),
        DecodeError::TooManyAttachments { .. }
    ));
    assert_eq!(
        err("218446744073709551616[\"a\"]"),
        DecodeError::AckIdOverflow
    );
    let p = text("218446744073709551615[\"a\"]").unwrap().unwrap();
    assert_eq!(p.id, Some(u64::MAX));
    assert_eq!(
        JsonCodec::new()
            .decoder()
            .decode_text(Bytes::from_static(b"2[\"\xff\"]"))
            .unwrap_err(),
        DecodeError::InvalidUtf8
    );
}

#[test]
fn configurable_attachment_limit() {
    let mut d = JsonCodec::new().with_max_attachments(2).decoder();
    assert_eq!(
        d.decode_text(Bytes::from_static(b"53-[\"a\"]"))
            .unwrap_err(),
        DecodeError::TooManyAttachments { count: 3, max: 2 }
    );
    let mut d = JsonCodec::new().with_max_attachments(20).decoder();
    assert!(d
        .decode_text(Bytes::from_static(b"515-[\"a\"]"))
        .unwrap()
        .is_none());
}

#[test]
fn payload_rules() {
    assert_eq!(err("0[]"), DecodeError::InvalidConnectPayload);
    assert_eq!(err("0\"x\""), DecodeError::InvalidConnectPayload);
    assert_eq!(err("1{}"), DecodeError::UnexpectedDisconnectPayload);
    assert_eq!(err("1/a,[]"), DecodeError::UnexpectedDisconnectPayload);
    assert_eq!(err("4[]"), DecodeError::InvalidConnectErrorPayload);
    assert_eq!(err("4"), DecodeError::InvalidConnectErrorPayload);
    assert_eq!(err("2{}"), DecodeError::InvalidEventPayload);
    assert_eq!(err("2[]"), DecodeError::InvalidEventPayload);
    assert_eq!(err("2"), DecodeError::InvalidEventPayload);
    assert_eq!(err("2[null]"), DecodeError::InvalidEventName);
    assert_eq!(err("2[{}]"), DecodeError::InvalidEventName);
    assert_eq!(err("2[[\"a\"]]"), DecodeError::InvalidEventName);
    for r in socketio_parser::RESERVED_EVENTS {
        assert_eq!(
            err(&format!("2[\"{r}\",1]")),
            DecodeError::ReservedEventName(r)
        );
    }
    // Escaped spellings of a reserved name are the same string in JavaScript.
    assert_eq!(
        err(r#"2["conn\u0065ct"]"#),
        DecodeError::ReservedEventName("connect")
    );
    text("2[42,\"x\"]").unwrap().unwrap();
    text("2[-1.5e3]").unwrap().unwrap();
    text("2[\"Connect\"]").unwrap().unwrap();
    assert_eq!(err("3{}"), DecodeError::InvalidAckPayload);
    assert_eq!(err("31"), DecodeError::InvalidAckPayload);
    text("31[]").unwrap().unwrap();
    assert!(matches!(err("2[\"a\",]"), DecodeError::Syntax { .. }));
    assert!(matches!(err("2[\"a\"] x"), DecodeError::Syntax { .. }));
    assert!(matches!(err("0{\"a\":01}"), DecodeError::Syntax { .. }));
    let deep = format!("2[\"a\",{}{}]", "[".repeat(300), "]".repeat(300));
    assert_eq!(err(&deep), DecodeError::TooDeep(socketio_parser::MAX_DEPTH));
}

#[test]
fn placeholder_rules() {
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true,"num":1}]"#),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true,"num":-1}]"#),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true,"num":"0"}]"#),
        DecodeError::InvalidPlaceholder
    );
    assert_eq!(
        err(r#"51-["a",{"_placeholder":true}]"#),
        DecodeError::InvalidPlaceholder
    );
    // Nested placeholders count too.
    assert_eq!(
        err(r#"52-["a",{"x":[{"_placeholder":true,"num":2}]}]"#),
        DecodeError::InvalidPlaceholder
    );
    assert!(text(r#"52-["a",{"x":[{"_placeholder":true,"num":1}]}]"#)
        .unwrap()
        .is_none());
}

#[test]
fn sequencing_rules() {
    let mut d = JsonCodec::new().decoder();
    assert_eq!(
        d.decode_binary(Bytes::from_static(b"x")).unwrap_err(),
        DecodeError::UnexpectedBinary
    );
    assert!(d
        .decode_text(Bytes::from_static(
            br#"52-["a",{"_placeholder":true,"num":0}]"#
        ))
        .unwrap()
        .is_none());
    assert!(d.decode_binary(Bytes::from_static(b"1")).unwrap().is_none());
    assert_eq!(
        d.decode_text(Bytes::from_static(b"2[\"b\"]")).unwrap_err(),
        DecodeError::UnexpectedText { remaining: 1 }
    );
    // After an error the decoder starts afresh.
    assert!(d
        .decode_text(Bytes::from_static(b"2[\"b\"]"))
        .unwrap()
        .is_some());
    assert_eq!(
        d.decode_binary(Bytes::from_static(b"x")).unwrap_err(),
        DecodeError::UnexpectedBinary
    );
}

#[test]
fn lazy_and_zero_copy() {
    let input = Bytes::from(r#"2/chat,77["message",{"big":[1,2,3]},"x"]"#.to_string());
    let p = JsonCodec::new()
        .decoder()
        .decode_text(input.clone())
        .unwrap()
        .unwrap();
    assert_eq!(p.id, Some(77));
    assert_eq!(p.event_name().unwrap().as_str(), Some("message"));
    let raw = p.data.as_ref().unwrap().as_bytes();
    // The raw arguments are a slice of the input buffer, not a copy.
    let offset = raw.as_ptr() as usize - input.as_ptr() as usize;
    assert_eq!(&input[offset..offset + raw.len()], &raw[..]);
    assert_eq!(
        p.nsp.as_bytes().as_ptr() as usize - input.as_ptr() as usize,
        1
    );
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Big {
        big: Vec<u8>,
    }
    let (big, x): (Big, String) = p.args().unwrap();
    assert_eq!(big, Big { big: vec![1, 2, 3] });
    assert_eq!(x, "x");
    // Fewer typed arguments than sent: the rest is ignored, as in JavaScript.
    let (only,): (Big,) = p.args().unwrap();
    assert_eq!(only.big.len(), 3);
    // Numeric event names.
    let p = text("2[7,\"x\"]").unwrap().unwrap();
    assert_eq!(
        p.event_name(),
        Some(socketio_parser::EventName::Number(7.0))
    );
    // Escaped names are unescaped.
    let p = text(r#"2["a\nb\ud83d\ude00"]"#).unwrap().unwrap();
    assert_eq!(p.event_name().unwrap().as_str(), Some("a\nb😀"));
}
