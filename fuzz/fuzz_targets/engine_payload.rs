//! Fuzzes the polling payload decoder: decoding never panics, yields at most one
//! packet per record separator plus one, and stops after the first error.
#![no_main]

use bytes::Bytes;
use engineio::payload::{decode, SEPARATOR};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let max = data.iter().filter(|&&b| b == SEPARATOR).count() + 1;
    let mut count = 0usize;
    let mut failed = false;
    for packet in decode(Bytes::copy_from_slice(data)) {
        assert!(!failed, "decoder continued after an error");
        failed = packet.is_err();
        count += 1;
    }
    assert!(count >= 1 && count <= max);
});
