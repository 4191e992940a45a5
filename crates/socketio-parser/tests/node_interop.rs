//! Interop with the real npm packages (conformance/node): socket.io-parser 4.x and
//! socket.io-msgpack-parser 3.x.
//!
//! 1. `node parser-fixtures.js` encodes a corpus with the npm encoders; Rust decodes
//!    every packet, checks type/namespace/id, and re-encodes it both raw (payload kept)
//!    and typed (payload deserialized into a dynamic value and serialized again through
//!    the serde serializers); both must reproduce Node's bytes exactly.
//! 2. What Rust encoded is piped to `node parser-verify.js`, which decodes it with the
//!    npm decoders, compares with the corpus packets and exits non-zero on mismatch.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bytes::Bytes;
use common::Val;
use serde::Deserialize;
use serde_json::json;
use socketio_parser::{
    Codec, Encoded, EventName, Frame, JsonCodec, Packet, PacketDecoder, PacketType,
};

#[derive(Deserialize)]
struct Fixtures {
    json: Vec<JsonCase>,
    #[allow(dead_code)]
    msgpack: Vec<MsgpackCase>,
}

#[derive(Deserialize)]
struct JsonCase {
    name: String,
    #[serde(rename = "type")]
    kind: u8,
    nsp: String,
    id: Option<u64>,
    frames: Vec<FrameJson>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct MsgpackCase {
    name: String,
    #[serde(rename = "type")]
    kind: u8,
    nsp: String,
    id: Option<u64>,
    frame: String,
}

#[derive(Deserialize, PartialEq, Debug)]
#[serde(untagged)]
enum FrameJson {
    Text { text: String },
    Binary { binary: String },
}

fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/node");
    for pkg in ["socket.io-parser", "socket.io-msgpack-parser"] {
        assert!(
            dir.join("node_modules").join(pkg).is_dir(),
            "npm package {pkg} is missing: run `npm ci` in {}",
            dir.display()
        );
    }
    dir
}

fn node(script: &str, stdin: Option<&[u8]>) -> Vec<u8> {
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(node_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`node` must be installed and on PATH");
    {
        let mut si = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            si.write_all(input).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node {script} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn fixtures() -> Fixtures {
    serde_json::from_slice(&node("parser-fixtures.js", None)).expect("fixtures JSON")
}

fn to_frames(enc: &Encoded) -> Vec<FrameJson> {
    let mut v = vec![match &enc.first {
        Frame::Text(t) => FrameJson::Text {
            text: String::from_utf8(t.to_vec()).unwrap(),
        },
        Frame::Binary(b) => FrameJson::Binary {
            binary: B64.encode(b),
        },
    }];
    v.extend(enc.attachments.iter().map(|a| FrameJson::Binary {
        binary: B64.encode(a),
    }));
    v
}

fn check_meta(name: &str, p: &Packet, kind: u8, nsp: &str, id: Option<u64>) {
    assert_eq!(p.kind.as_u8(), kind, "{name}: type");
    assert_eq!(&*p.nsp, nsp, "{name}: nsp");
    assert_eq!(p.id, id, "{name}: id");
}

/// Re-encodes a decoded packet through the typed API (values deserialized then
/// serialized again). `None` when the typed API cannot express it (numeric names).
fn typed<C: Codec>(codec: &C, p: &Packet, prefix: &[u8]) -> Option<Encoded> {
    let enc = match p.kind {
        PacketType::Connect => {
            let data: Option<Val> = p.data.as_ref().map(|_| p.data().unwrap());
            codec.encode_connect(prefix, &p.nsp, data.as_ref())
        }
        PacketType::ConnectError => {
            codec.encode_connect_error(prefix, &p.nsp, &p.data::<Val>().unwrap())
        }
        PacketType::Disconnect => codec.encode_disconnect(prefix, &p.nsp),
        PacketType::Event => {
            let EventName::Str(name) = p.event_name().unwrap() else {
                return None;
            };
            let args: Vec<Val> = p.args().unwrap();
            codec.encode_event(prefix, &p.nsp, &name, &args, p.id)
        }
        PacketType::Ack => {
            let args: Vec<Val> = p.args().unwrap();
            codec.encode_ack(prefix, &p.nsp, p.id.unwrap(), &args)
        }
        other => panic!("decoder yielded {other:?}"),
    };
    Some(enc.unwrap())
}

#[test]
fn json_codec_matches_npm_socket_io_parser() {
    let fx = fixtures();
    assert!(fx.json.len() >= 30, "corpus too small");
    let codec = JsonCodec::new();
    let mut for_node = Vec::new();
    for case in &fx.json {
        let mut dec = codec.decoder();
        let mut out = None;
        for (i, f) in case.frames.iter().enumerate() {
            assert!(out.is_none(), "{}: complete before frame {i}", case.name);
            out = match f {
                FrameJson::Text { text } => dec.decode_text(Bytes::from(text.clone())),
                FrameJson::Binary { binary } => {
                    dec.decode_binary(Bytes::from(B64.decode(binary).unwrap()))
                }
            }
            .unwrap_or_else(|e| panic!("{}: decode error {e}", case.name));
        }
        let p = out.unwrap_or_else(|| panic!("{}: incomplete", case.name));
        let kind = case.kind;
        check_meta(&case.name, &p, kind, &case.nsp, case.id);

        let raw = codec.encode(&p, b"").unwrap();
        assert_eq!(to_frames(&raw), case.frames, "{}: raw re-encode", case.name);
        for_node.push(json!({"name": case.name, "via": "raw", "frames": to_frames(&raw)}));

        if let Some(t) = typed(&codec, &p, b"") {
            assert_eq!(to_frames(&t), case.frames, "{}: typed re-encode", case.name);
            for_node.push(json!({"name": case.name, "via": "typed", "frames": to_frames(&t)}));
        }
    }
    let input = json!({"json": for_node, "msgpack": []});
    let out = node(
        "parser-verify.js",
        Some(&serde_json::to_vec(&input).unwrap()),
    );
    assert!(String::from_utf8_lossy(&out).starts_with("verified"));
}

impl serde::Serialize for FrameJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FrameJson::Text { text } => json!({ "text": text }).serialize(s),
            FrameJson::Binary { binary } => json!({ "binary": binary }).serialize(s),
        }
    }
}

#[cfg(feature = "msgpack")]
#[test]
fn msgpack_codec_matches_npm_socket_io_msgpack_parser() {
    use socketio_parser::MsgpackCodec;
    let fx = fixtures();
    assert!(fx.msgpack.len() >= 30, "corpus too small");
    let codec = MsgpackCodec::new();
    let mut for_node = Vec::new();
    for case in &fx.msgpack {
        let bytes = Bytes::from(B64.decode(&case.frame).unwrap());
        let p = codec
            .decoder()
            .decode_binary(bytes.clone())
            .unwrap_or_else(|e| panic!("{}: decode error {e}", case.name))
            .unwrap();
        check_meta(&case.name, &p, case.kind, &case.nsp, case.id);
        let raw = codec.encode(&p, b"4").unwrap();
        assert_eq!(
            raw.first,
            Frame::Binary(bytes.clone()),
            "{}: raw re-encode",
            case.name
        );
        for_node.push(
            json!({"name": case.name, "via": "raw", "frame": B64.encode(raw.first.as_bytes())}),
        );
        if let Some(t) = typed(&codec, &p, b"4") {
            assert_eq!(
                t.first,
                Frame::Binary(bytes.clone()),
                "{}: typed re-encode",
                case.name
            );
            for_node.push(
                json!({"name": case.name, "via": "typed", "frame": B64.encode(t.first.as_bytes())}),
            );
        }
    }
    let input = json!({"json": [], "msgpack": for_node});
    let out = node(
        "parser-verify.js",
        Some(&serde_json::to_vec(&input).unwrap()),
    );
    assert!(String::from_utf8_lossy(&out).starts_with("verified"));
}
