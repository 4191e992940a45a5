//! Fuzzes the WebSocket frame decoder (`engineio::ws_frame`): any byte stream decodes
//! or fails cleanly, with the same events and the same error whatever its split into
//! reads (including reads straight into a large frame's buffer), progress on every
//! call, bounded buffering, and messages within the size limit.
#![no_main]

use engineio::ws_frame::{Decoder, FrameError, Incoming, MAX_CONTROL_PAYLOAD};
use libfuzzer_sys::fuzz_target;

const LIMITS: [usize; 7] = [0, 1, 125, 126, 1000, 65_536, 1 << 20];

fuzz_target!(|data: &[u8]| {
    let [pick, chunk, input @ ..] = data else {
        return;
    };
    let max = LIMITS[usize::from(*pick) % LIMITS.len()];
    let whole = run(max, input, input.len().max(1), false);
    let split = run(max, input, usize::from(*chunk) + 1, true);
    assert_eq!(whole, split);
});

/// Decodes `input` fed in pieces of `chunk` bytes; with `direct`, the payload of a data
/// frame is appended through `direct_read` instead of `decode`.
fn run(max: usize, input: &[u8], chunk: usize, direct: bool) -> (Vec<Incoming>, Option<FrameError>) {
    let mut decoder = Decoder::new(max);
    let mut events = Vec::new();
    for piece in input.chunks(chunk) {
        let mut rest = piece;
        while !rest.is_empty() {
            if direct && decoder.data_remaining() > 0 {
                if let Some(mut read) = decoder.direct_read() {
                    let n = read.remaining().min(rest.len());
                    read.buffer().extend_from_slice(&rest[..n]);
                    rest = &rest[n..];
                    match read.finish() {
                        Ok(event) => events.extend(event),
                        Err(err) => return (events, Some(err)),
                    }
                    continue;
                }
            }
            match decoder.decode(rest) {
                Ok((used, event)) => {
                    assert!(used > 0 && used <= rest.len(), "progress");
                    rest = &rest[used..];
                    events.extend(event);
                }
                Err(err) => return (events, Some(err)),
            }
            // At most one message buffer (within the limit; a recycled one may be up to
            // twice the message) and one control frame are held.
            assert!(decoder.buffered_capacity() <= 2 * max + 256);
        }
    }
    for event in &events {
        match event {
            Incoming::Text(t) => assert!(t.len() <= max),
            Incoming::Binary(b) => assert!(b.len() <= max),
            Incoming::Ping(p) => assert!(p.len() <= MAX_CONTROL_PAYLOAD),
            Incoming::Pong | Incoming::Close(_) => {}
        }
    }
    (events, None)
}
