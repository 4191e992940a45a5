//! Socket.IO packet codec benchmarks: encode and decode of typical packets with both
//! codecs, plus the baseline `serde_json::from_slice::<Value>` on the same 1 KiB
//! arguments. Results and ratios: docs/benchmarks.md.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::time::Duration;

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::{Deserialize, Serialize};
use socketio_parser::{
    Binary, Codec, Encoded, Frame, JsonCodec, MsgpackCodec, Packet, PacketDecoder, Payload,
};

#[derive(Serialize, Deserialize, Clone)]
struct Item {
    id: u64,
    name: String,
    price: f64,
    tags: Vec<String>,
    active: bool,
}

fn items() -> Vec<Item> {
    (0..9)
        .map(|i| Item {
            id: 1000 + i,
            name: format!("Product number {i} with a longer name"),
            price: 19.99 + i as f64,
            tags: vec!["new".into(), "sale".into(), format!("tag-{i}")],
            active: i % 2 == 0,
        })
        .collect()
}

fn blob(n: usize) -> Binary {
    Binary(Bytes::from(
        (0..n).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>(),
    ))
}

/// The cases: name and how to encode them with a codec.
fn encode_case<C: Codec>(codec: &C, case: &str) -> Encoded {
    let r = match case {
        "connect" => codec.encode_connect(
            b"4",
            "/",
            Some(&serde_json::json!({"sid": "Xq9w1ZgA0aBcDeFgHiJk"})),
        ),
        "event_small" => codec.encode_event(b"4", "/", "chat message", &("hello world!", 42), None),
        "event_ack" => codec.encode_event(
            b"4",
            "/chat",
            "chat message",
            &("hello world!", 42),
            Some(1234),
        ),
        "event_1k" => codec.encode_event(b"4", "/", "items", &(items(),), Some(7)),
        "binary_1k" => codec.encode_event(b"4", "/", "upload", &("file.bin", blob(1024)), None),
        "binary_64k" => codec.encode_event(b"4", "/", "upload", &("file.bin", blob(65536)), None),
        other => panic!("unknown case {other}"),
    };
    r.expect("encodes")
}

const CASES: [&str; 6] = [
    "connect",
    "event_small",
    "event_ack",
    "event_1k",
    "binary_1k",
    "binary_64k",
];

fn wire_len(e: &Encoded) -> u64 {
    (e.first.as_bytes().len() + e.attachments.iter().map(Bytes::len).sum::<usize>()) as u64
}

fn decode<C: Codec>(codec: &C, e: &Encoded) -> Packet {
    let mut d = codec.decoder();
    let mut out = match &e.first {
        Frame::Text(t) => d.decode_text(t.slice(1..)).unwrap(),
        Frame::Binary(b) => d.decode_binary(b.clone()).unwrap(),
    };
    for a in &e.attachments {
        out = d.decode_binary(a.clone()).unwrap();
    }
    out.unwrap()
}

fn bench_codec<C: Codec>(c: &mut Criterion, label: &str, codec: C) {
    let mut g = c.benchmark_group(format!("{label}/encode"));
    for case in CASES {
        let sample = encode_case(&codec, case);
        g.throughput(Throughput::Bytes(wire_len(&sample)));
        // Values are built outside the timed loop; only the encode is measured.
        let it = items();
        let b1 = blob(1024);
        let b64 = blob(65536);
        let auth = serde_json::json!({"sid": "Xq9w1ZgA0aBcDeFgHiJk"});
        g.bench_function(BenchmarkId::from_parameter(case), |b| {
            b.iter(|| {
                let r = match case {
                    "connect" => codec.encode_connect(b"4", "/", Some(&auth)),
                    "event_small" => {
                        codec.encode_event(b"4", "/", "chat message", &("hello world!", 42), None)
                    }
                    "event_ack" => codec.encode_event(
                        b"4",
                        "/chat",
                        "chat message",
                        &("hello world!", 42),
                        Some(1234),
                    ),
                    "event_1k" => codec.encode_event(b"4", "/", "items", &(&it,), Some(7)),
                    "binary_1k" => {
                        codec.encode_event(b"4", "/", "upload", &("file.bin", &b1), None)
                    }
                    _ => codec.encode_event(b"4", "/", "upload", &("file.bin", &b64), None),
                };
                black_box(r.unwrap())
            })
        });
    }
    g.finish();

    // Lazy decode: header, namespace, ack id, event name, raw arguments (no
    // deserialization of the arguments).
    let mut g = c.benchmark_group(format!("{label}/decode_lazy"));
    for case in CASES {
        let e = encode_case(&codec, case);
        g.throughput(Throughput::Bytes(wire_len(&e)));
        g.bench_function(BenchmarkId::from_parameter(case), |b| {
            b.iter(|| {
                let p = decode(&codec, black_box(&e));
                black_box((
                    p.event_name().is_some(),
                    p.id,
                    p.nsp.len(),
                    p.data.as_ref().map(|d| d.as_bytes().len()),
                ));
                p
            })
        });
    }
    g.finish();

    // Decode + typed arguments.
    let mut g = c.benchmark_group(format!("{label}/decode_typed"));
    let e = encode_case(&codec, "event_1k");
    g.throughput(Throughput::Bytes(wire_len(&e)));
    g.bench_function("event_1k", |b| {
        b.iter(|| {
            let p = decode(&codec, black_box(&e));
            let (v,): (Vec<Item>,) = p.args().unwrap();
            v
        })
    });
    let e = encode_case(&codec, "binary_64k");
    g.throughput(Throughput::Bytes(wire_len(&e)));
    g.bench_function("binary_64k", |b| {
        b.iter(|| {
            let p = decode(&codec, black_box(&e));
            let (_, v): (String, Binary) = p.args().unwrap();
            v
        })
    });
    g.finish();
}

fn bench_parser(c: &mut Criterion) {
    bench_codec(c, "json", JsonCodec::new());
    bench_codec(c, "msgpack", MsgpackCodec::new());

    // Baseline: the same 1 KiB JSON arguments parsed into a serde_json::Value.
    let e = encode_case(&JsonCodec::new(), "event_1k");
    let p = decode(&JsonCodec::new(), &e);
    let Some(Payload::Json(raw)) = p.data.clone() else {
        unreachable!()
    };
    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function("serde_json_value_1k", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&raw)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench_parser
}
criterion_main!(benches);
