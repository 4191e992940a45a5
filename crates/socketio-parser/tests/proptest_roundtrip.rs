//! Property tests: arbitrary packets round-trip through both codecs (typed encode ->
//! decode -> typed read, and decode -> raw re-encode byte-identical), and arbitrary
//! message sequences never panic the decoders.

mod common;

use bytes::Bytes;
use common::Val;
use proptest::prelude::*;
use socketio_parser::{
    Codec, Encoded, Frame, JsonCodec, Packet, PacketDecoder, PacketType, RESERVED_EVENTS,
};

fn leaf(binary: bool) -> BoxedStrategy<Val> {
    let mut s = vec![
        Just(Val::Null).boxed(),
        any::<bool>().prop_map(Val::Bool).boxed(),
        any::<i64>().prop_map(Val::Int).boxed(),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Val::Float)
            .boxed(),
        any::<String>().prop_map(Val::Str).boxed(),
    ];
    if binary {
        s.push(
            proptest::collection::vec(any::<u8>(), 0..40)
                .prop_map(|v| Val::Bin(Bytes::from(v)))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(s).boxed()
}

fn value(binary: bool) -> BoxedStrategy<Val> {
    leaf(binary)
        .prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Val::Arr),
                proptest::collection::vec((any::<String>(), inner), 0..6).prop_map(Val::Obj),
            ]
        })
        .boxed()
}

fn args(binary: bool) -> impl Strategy<Value = Vec<Val>> {
    proptest::collection::vec(value(binary), 0..5)
}

fn nsp() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_string()),
        "/[a-zA-Z0-9_./\\-é😀]{0,12}",
        "/[0-9]{1,4}",
    ]
}

fn event_name() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("not reserved", |s| !RESERVED_EVENTS.contains(&s.as_str()))
}

fn feed<D: PacketDecoder>(dec: &mut D, enc: &Encoded, prefix_len: usize) -> Packet {
    let mut out = match &enc.first {
        Frame::Text(t) => dec.decode_text(t.slice(prefix_len..)).unwrap(),
        Frame::Binary(b) => dec.decode_binary(b.clone()).unwrap(),
    };
    for a in &enc.attachments {
        assert!(out.is_none());
        out = dec.decode_binary(a.clone()).unwrap();
    }
    out.expect("complete packet")
}

fn check_roundtrip<C: Codec>(
    codec: &C,
    enc: &Encoded,
    prefix: &[u8],
) -> Result<Packet, TestCaseError> {
    let p = feed(&mut codec.decoder(), enc, prefix.len());
    // Raw re-encode reproduces the very same bytes.
    let again = codec.encode(&p, prefix).unwrap();
    prop_assert_eq!(&again, enc);
    Ok(p)
}

fn expect_nsp(n: &str) -> &str {
    if n.is_empty() {
        "/"
    } else {
        n
    }
}

fn event_case<C: Codec>(
    codec: &C,
    binary: bool,
    nsp: &str,
    ev: &str,
    args: &[Val],
    id: Option<u64>,
) -> Result<(), TestCaseError> {
    let prefix: &[u8] = if binary { b"4" } else { b"" };
    let enc = codec.encode_event(prefix, nsp, ev, args, id).unwrap();
    let has_bin = args.iter().any(Val::has_binary);
    prop_assert_eq!(binary && has_bin, !enc.attachments.is_empty());
    let p = check_roundtrip(codec, &enc, prefix)?;
    prop_assert_eq!(p.kind, PacketType::Event);
    prop_assert_eq!(&*p.nsp, expect_nsp(nsp));
    prop_assert_eq!(p.id, id);
    let name = p.event_name().unwrap();
    prop_assert_eq!(name.as_str(), Some(ev));
    let back: Vec<Val> = p.args().unwrap();
    prop_assert_eq!(&back[..], args);
    Ok(())
}

fn ack_case<C: Codec>(codec: &C, nsp: &str, args: &[Val], id: u64) -> Result<(), TestCaseError> {
    let enc = codec.encode_ack(b"4", nsp, id, args).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert_eq!(p.kind, PacketType::Ack);
    prop_assert_eq!(&*p.nsp, expect_nsp(nsp));
    prop_assert_eq!(p.id, Some(id));
    let back: Vec<Val> = p.args().unwrap();
    prop_assert_eq!(&back[..], args);
    Ok(())
}

fn other_cases<C: Codec>(
    codec: &C,
    nsp: &str,
    obj: &[(String, Val)],
    msg: &str,
) -> Result<(), TestCaseError> {
    let data = Val::Obj(obj.to_vec());
    let enc = codec.encode_connect(b"4", nsp, Some(&data)).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert_eq!(p.kind, PacketType::Connect);
    prop_assert_eq!(p.data::<Val>().unwrap(), data.clone());

    let enc = codec.encode_connect::<()>(b"4", nsp, None).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert!(p.data.is_none());

    let enc = codec.encode_connect_error(b"4", nsp, msg).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert_eq!(p.kind, PacketType::ConnectError);
    prop_assert_eq!(p.data::<String>().unwrap(), msg);
    let enc = codec.encode_connect_error(b"4", nsp, &data).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert_eq!(p.data::<Val>().unwrap(), data);

    let enc = codec.encode_disconnect(b"4", nsp).unwrap();
    let p = check_roundtrip(codec, &enc, b"4")?;
    prop_assert_eq!(p.kind, PacketType::Disconnect);
    prop_assert_eq!(&*p.nsp, expect_nsp(nsp));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn json_events_roundtrip(
        nsp in nsp(), ev in event_name(), args in args(true), id in proptest::option::of(any::<u64>())
    ) {
        event_case(&JsonCodec::new().with_max_attachments(usize::MAX), true, &nsp, &ev, &args, id)?;
    }

    #[test]
    fn json_events_without_binary_roundtrip(
        nsp in nsp(), ev in event_name(), args in args(false), id in proptest::option::of(any::<u64>())
    ) {
        event_case(&JsonCodec::new(), true, &nsp, &ev, &args, id)?;
    }

    #[test]
    fn json_acks_roundtrip(nsp in nsp(), args in args(true), id in any::<u64>()) {
        ack_case(&JsonCodec::new().with_max_attachments(usize::MAX), &nsp, &args, id)?;
    }

    #[test]
    fn json_other_packets_roundtrip(
        nsp in nsp(), obj in proptest::collection::vec((any::<String>(), value(false)), 0..5),
        msg in any::<String>()
    ) {
        other_cases(&JsonCodec::new(), &nsp, &obj, &msg)?;
    }

    #[test]
    fn json_decoder_never_panics(msgs in proptest::collection::vec(message(), 0..8)) {
        let mut dec = JsonCodec::new().decoder();
        for (binary, m) in msgs {
            let r = if binary { dec.decode_binary(m) } else { dec.decode_text(m) };
            if let Ok(Some(p)) = r {
                touch(&p);
            }
        }
    }
}

/// Reads everything lazily readable from a decoded packet (must not panic).
fn touch(p: &Packet) {
    let _ = p.event_name();
    let _ = p.args::<Vec<Val>>();
    let _ = p.args::<(String, Vec<u8>, Option<bool>)>();
    let _ = p.data::<Val>();
    let _ = p.data::<serde_json::Value>();
}

/// Arbitrary messages: random bytes, or text that looks like packets.
fn message() -> impl Strategy<Value = (bool, Bytes)> {
    prop_oneof![
        (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(b, v)| (b, Bytes::from(v))),
        "[0-6]([0-9]{0,3}-)?(/[a-z,]{0,4})?[0-9]{0,3}[\\[\\]{}\",:_a-z0-9 .eE+-]{0,40}"
            .prop_map(|s| (false, Bytes::from(s))),
        r#"5[0-3]-\["a",\{"_placeholder":(true|false),"num":-?[0-9.]{1,3}\}\]"#
            .prop_map(|s| (false, Bytes::from(s))),
    ]
}

#[cfg(feature = "msgpack")]
mod msgpack {
    use super::*;
    use socketio_parser::MsgpackCodec;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn msgpack_events_roundtrip(
            nsp in nsp(), ev in event_name(), args in args(true), id in proptest::option::of(any::<u64>())
        ) {
            event_case(&MsgpackCodec::new(), false, &nsp, &ev, &args, id)?;
        }

        #[test]
        fn msgpack_acks_roundtrip(nsp in nsp(), args in args(true), id in any::<u64>()) {
            ack_case(&MsgpackCodec::new(), &nsp, &args, id)?;
        }

        #[test]
        fn msgpack_other_packets_roundtrip(
            nsp in nsp(), obj in proptest::collection::vec((any::<String>(), value(true)), 0..5),
            msg in any::<String>()
        ) {
            other_cases(&MsgpackCodec::new(), &nsp, &obj, &msg)?;
        }

        #[test]
        fn msgpack_decoder_never_panics(msgs in proptest::collection::vec(mp_message(), 0..8)) {
            let mut dec = MsgpackCodec::new().decoder();
            for m in msgs {
                let _ = dec.decode_text(m.clone());
                if let Ok(Some(p)) = dec.decode_binary(m) {
                    touch(&p);
                }
            }
        }
    }

    /// Random bytes, or a valid packet with a few bytes overwritten / truncated.
    fn mp_message() -> impl Strategy<Value = Bytes> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from),
            (
                nsp(),
                event_name(),
                args(true),
                proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
                any::<usize>()
            )
                .prop_map(|(nsp, ev, args, edits, cut)| {
                    let enc = MsgpackCodec::new()
                        .encode_event(b"", &nsp, &ev, &args, Some(1))
                        .unwrap();
                    let mut v = enc.first.as_bytes().to_vec();
                    for (i, b) in edits {
                        let n = v.len();
                        v[i % n] = b;
                    }
                    let keep = v.len() - cut % 3;
                    v.truncate(keep);
                    Bytes::from(v)
                }),
        ]
    }
}
