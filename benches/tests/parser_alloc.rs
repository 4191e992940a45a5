//! Encoding a packet allocates once (the frame); a binary packet once more (the
//! attachment list); decoding a non-binary text packet allocates nothing. Counted with
//! a global allocator wrapper, on this thread only.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use bytes::Bytes;
use serde::Serialize;
use socketio_parser::{Binary, Codec, Frame, JsonCodec, MsgpackCodec, PacketDecoder};

struct Counting;

// Both per thread: the tests run in parallel threads, and a shared counter would mix
// their allocations.
thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if ACTIVE.with(Cell::get) {
        ALLOCS.with(|a| a.set(a.get() + 1));
    }
}

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread (after one warm-up call, which may size the
/// per-thread scratch buffer).
fn count<R>(mut f: impl FnMut() -> R) -> usize {
    drop(f());
    ALLOCS.with(|a| a.set(0));
    ACTIVE.with(|a| a.set(true));
    let r = f();
    ACTIVE.with(|a| a.set(false));
    drop(r);
    ALLOCS.with(Cell::get)
}

#[derive(Serialize)]
struct Item {
    id: u64,
    name: String,
    tags: Vec<&'static str>,
    price: f64,
}

#[test]
fn encoding_allocates_once() {
    let items: Vec<Item> = (0..14)
        .map(|i| Item {
            id: i,
            name: format!("item {i} with a reasonably long name"),
            tags: vec!["a", "b", "c"],
            price: 1.5 * i as f64,
        })
        .collect();
    let blob = Binary(Bytes::from_static(&[7; 4096]));
    let json = JsonCodec::new();
    let mp = MsgpackCodec::new();

    // The counter works at all.
    assert_eq!(count(|| vec![1u8; 10]), 1);

    let e = || {
        json.encode_event(b"4", "/", "chat", &("hello", 42), None)
            .unwrap()
    };
    assert_eq!(count(e), 1, "small event");
    let e = || {
        json.encode_event(b"4", "/chat", "items", &(&items,), Some(99))
            .unwrap()
    };
    assert!(e().first.as_bytes().len() > 1024);
    assert_eq!(count(e), 1, "1 KiB event with ack id");
    assert_eq!(
        count(|| json.encode_ack(b"4", "/chat", 5, &(&items, true)).unwrap()),
        1,
        "ack"
    );
    assert_eq!(
        count(|| json
            .encode_connect(b"4", "/admin", Some(&items[0]))
            .unwrap()),
        1,
        "connect"
    );
    assert_eq!(count(|| json.encode_disconnect(b"4", "/admin").unwrap()), 1);
    // Binary: the frame and the attachment list; the 4 KiB blob is shared, not copied.
    let e = || {
        json.encode_event(b"4", "/", "upload", &("f", &blob, [&blob]), None)
            .unwrap()
    };
    assert_eq!(e().attachments.len(), 2);
    assert_eq!(e().attachments[0].as_ptr(), blob.0.as_ptr());
    assert_eq!(count(e), 2, "binary event");

    // Raw re-encode of a decoded packet.
    let enc = json
        .encode_event(b"4", "/x", "items", &(&items,), Some(1))
        .unwrap();
    let Frame::Text(t) = &enc.first else { panic!() };
    let packet = json.decoder().decode_text(t.slice(1..)).unwrap().unwrap();
    assert_eq!(
        count(|| json.encode(&packet, b"4").unwrap()),
        1,
        "raw encode"
    );

    // msgpack.
    assert_eq!(
        count(|| mp
            .encode_event(b"", "/chat", "items", &(&items,), Some(99))
            .unwrap()),
        1,
        "msgpack event"
    );
    assert_eq!(
        count(|| mp
            .encode_event(b"", "/", "upload", &("f", &blob), None)
            .unwrap()),
        1,
        "msgpack binary event"
    );
}

#[test]
fn decoding_text_allocates_nothing() {
    let text = Bytes::from_static(br#"2/chat,12["message",{"text":"hello","n":[1,2,3]},true]"#);
    let json = JsonCodec::new();
    let n = count(|| {
        let p = json.decoder().decode_text(text.clone()).unwrap().unwrap();
        assert_eq!(p.id, Some(12));
        assert!(p.event_name().is_some());
        p
    });
    assert_eq!(n, 0);
}
