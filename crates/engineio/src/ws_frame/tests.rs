use super::*;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// How a test frame writes its payload length.
#[derive(Clone, Copy)]
enum LenForm {
    Minimal,
    Sixteen,
    SixtyFour,
}

/// A client frame: `b0` is FIN/RSV/opcode as given, the payload is masked with `mask`.
fn raw_frame(b0: u8, payload: &[u8], mask: Option<[u8; 4]>, form: LenForm) -> Vec<u8> {
    let mut out = vec![b0];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    match form {
        LenForm::Minimal if len < 126 => out.push(mask_bit | len as u8),
        LenForm::Minimal if len <= 0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        LenForm::Sixteen => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        LenForm::Minimal | LenForm::SixtyFour => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mut body = payload.to_vec();
    if let Some(mask) = mask {
        out.extend_from_slice(&mask);
        apply_mask(&mut body, mask, 0);
    }
    out.extend_from_slice(&body);
    out
}

/// A masked client frame with a minimal length.
fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(
        if fin { 0x80 } else { 0 } | opcode,
        payload,
        Some(MASK),
        LenForm::Minimal,
    )
}

/// Decodes `input` fed in chunks of `chunk` bytes; stops at the first error.
fn decode_chunked(
    max: usize,
    input: &[u8],
    chunk: usize,
) -> (Vec<Incoming>, Option<FrameError>, Decoder) {
    let mut decoder = Decoder::new(max);
    let mut events = Vec::new();
    for piece in input.chunks(chunk.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            match decoder.decode(rest) {
                Ok((used, event)) => {
                    assert!(used > 0, "no progress on non-empty input");
                    rest = &rest[used..];
                    events.extend(event);
                }
                Err(e) => return (events, Some(e), decoder),
            }
        }
    }
    (events, None, decoder)
}

/// Decodes `input` whole and in every chunk size up to 20; all must agree.
fn decode_all(max: usize, input: &[u8]) -> (Vec<Incoming>, Option<FrameError>) {
    let (events, error, decoder) = decode_chunked(max, input, input.len());
    if error.is_none() {
        assert_eq!(
            decoder.buffered_capacity(),
            0,
            "nothing kept between frames"
        );
    }
    for chunk in 1..20 {
        let (e2, err2, _) = decode_chunked(max, input, chunk);
        assert_eq!((&e2, &err2), (&events, &error), "chunk size {chunk}");
    }
    (events, error)
}

fn text(s: &str) -> Incoming {
    Incoming::Text(ByteString::from(s))
}

#[test]
fn length_forms() {
    for len in [0usize, 1, 125, 126, 127, 65535, 65536, 70_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        for form in [LenForm::Minimal, LenForm::Sixteen, LenForm::SixtyFour] {
            if matches!(form, LenForm::Sixteen) && len > 0xFFFF {
                continue;
            }
            let input = raw_frame(0x82, &payload, Some(MASK), form);
            let (events, error) = decode_all(1 << 20, &input);
            assert_eq!(error, None, "len {len}");
            assert_eq!(events, vec![Incoming::Binary(Bytes::from(payload.clone()))]);
        }
    }
}

#[test]
fn masks_are_applied_across_splits() {
    let msg = "héllo wörld, a masked text message of some length ✓";
    for mask in [[0, 0, 0, 0], [1, 2, 3, 4], [0xff, 0x00, 0xaa, 0x55], MASK] {
        let input = raw_frame(0x81, msg.as_bytes(), Some(mask), LenForm::Minimal);
        assert_eq!(decode_all(1000, &input), (vec![text(msg)], None));
    }
    // apply_mask is its own inverse at every phase.
    let data: Vec<u8> = (0..100).collect();
    for phase in 0..8 {
        let mut buf = data.clone();
        apply_mask(&mut buf, MASK, phase);
        for (i, b) in buf.iter().enumerate() {
            assert_eq!(*b, data[i] ^ MASK[(i + phase) % 4]);
        }
        apply_mask(&mut buf, MASK, phase);
        assert_eq!(buf, data);
    }
}

#[test]
fn several_frames_in_one_input() {
    let mut input = frame(true, 0x1, b"4one");
    input.extend(frame(true, 0x2, &[1, 2, 3]));
    input.extend(frame(true, 0x1, b""));
    input.extend(frame(true, 0x2, b""));
    let (events, error) = decode_all(100, &input);
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            text("4one"),
            Incoming::Binary(Bytes::from_static(&[1, 2, 3])),
            text(""),
            Incoming::Binary(Bytes::new()),
        ]
    );
}

#[test]
fn fragments_with_control_frames_between() {
    // "€" (3 bytes) is split across fragments: UTF-8 is checked on the whole message.
    let euro = "€".as_bytes();
    let mut input = frame(false, 0x1, &[b'4', b'a', euro[0]]);
    input.extend(frame(true, 0x9, b"ping!"));
    input.extend(frame(false, 0x0, &euro[1..]));
    input.extend(frame(true, 0xA, b"pong"));
    input.extend(frame(false, 0x0, b""));
    input.extend(frame(true, 0x0, b"z"));
    let (events, error) = decode_all(100, &input);
    assert_eq!(error, None);
    assert_eq!(
        events,
        vec![
            Incoming::Ping(Bytes::from_static(b"ping!")),
            Incoming::Pong,
            text("4a€z"),
        ]
    );
    // Binary fragments.
    let mut input = frame(false, 0x2, &[1]);
    input.extend(frame(true, 0x0, &[2, 3]));
    assert_eq!(
        decode_all(100, &input),
        (vec![Incoming::Binary(Bytes::from_static(&[1, 2, 3]))], None)
    );
}

#[test]
fn ping_pong_and_close() {
    assert_eq!(
        decode_all(10, &frame(true, 0x9, b"")),
        (vec![Incoming::Ping(Bytes::new())], None)
    );
    let long = [7u8; 125];
    assert_eq!(
        decode_all(10, &frame(true, 0x9, &long)),
        (vec![Incoming::Ping(Bytes::copy_from_slice(&long))], None)
    );
    assert_eq!(
        decode_all(10, &frame(true, 0xA, &long)),
        (vec![Incoming::Pong], None)
    );
    assert_eq!(
        decode_all(10, &frame(true, 0x8, b"")),
        (vec![Incoming::Close(None)], None)
    );
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice("bye ✓".as_bytes());
    assert_eq!(
        decode_all(10, &frame(true, 0x8, &payload)),
        (vec![Incoming::Close(Some(1000))], None)
    );
    for code in [1001, 1003, 1007, 1011, 1014, 3000, 4999] {
        assert_eq!(
            decode_all(10, &frame(true, 0x8, &u16::to_be_bytes(code))),
            (vec![Incoming::Close(Some(code))], None)
        );
    }
}

fn error_of(max: usize, input: &[u8]) -> FrameError {
    let (_, error) = decode_all(max, input);
    error.expect("a protocol error")
}

#[test]
fn protocol_violations() {
    let cases: Vec<(Vec<u8>, FrameError)> = vec![
        (
            raw_frame(0x81, b"4x", None, LenForm::Minimal),
            FrameError::Unmasked,
        ),
        (
            raw_frame(0xC1, b"4x", Some(MASK), LenForm::Minimal),
            FrameError::ReservedBits(0x40),
        ),
        (
            raw_frame(0x91, b"4x", Some(MASK), LenForm::Minimal),
            FrameError::ReservedBits(0x10),
        ),
        (frame(true, 0x3, b""), FrameError::UnknownOpcode(0x3)),
        (frame(true, 0xB, b""), FrameError::UnknownOpcode(0xB)),
        (frame(true, 0xF, b""), FrameError::UnknownOpcode(0xF)),
        (frame(true, 0x9, &[0; 126]), FrameError::ControlTooLong),
        (
            raw_frame(0x89, b"abc", Some(MASK), LenForm::Sixteen),
            FrameError::ControlTooLong,
        ),
        (frame(false, 0x9, b""), FrameError::FragmentedControl),
        (frame(false, 0x8, b""), FrameError::FragmentedControl),
        (frame(true, 0x0, b"x"), FrameError::UnexpectedContinuation),
        (frame(true, 0x8, &[3]), FrameError::InvalidClosePayload),
        (
            frame(true, 0x8, &1005u16.to_be_bytes()),
            FrameError::InvalidCloseCode(1005),
        ),
        (
            frame(true, 0x8, &999u16.to_be_bytes()),
            FrameError::InvalidCloseCode(999),
        ),
        (
            frame(true, 0x8, &5000u16.to_be_bytes()),
            FrameError::InvalidCloseCode(5000),
        ),
        (
            frame(true, 0x8, &[0x03, 0xe8, 0xff]),
            FrameError::InvalidUtf8,
        ),
        (frame(true, 0x1, b"4\xff"), FrameError::InvalidUtf8),
    ];
    for (input, expected) in cases {
        let err = error_of(1000, &input);
        assert_eq!(err, expected, "{input:02x?}");
        let code = match expected {
            FrameError::InvalidUtf8 => 1007,
            _ => 1002,
        };
        assert_eq!(err.close_code(), code);
    }
    // A new data frame inside a fragmented message.
    let mut input = frame(false, 0x1, b"4a");
    input.extend(frame(true, 0x1, b"4b"));
    assert_eq!(error_of(100, &input), FrameError::ExpectedContinuation);
    let mut input = frame(false, 0x2, b"a");
    input.extend(frame(true, 0x2, b"b"));
    assert_eq!(error_of(100, &input), FrameError::ExpectedContinuation);
    // Invalid UTF-8 only in the complete message (a split character is fine).
    let mut input = frame(false, 0x1, b"4a\xe2\x82");
    input.extend(frame(true, 0x0, b"\xac"));
    assert_eq!(decode_all(100, &input).1, None);
    let mut input = frame(false, 0x1, b"4a\xe2\x82");
    input.extend(frame(true, 0x0, b"x"));
    assert_eq!(error_of(100, &input), FrameError::InvalidUtf8);
}

#[test]
fn oversize_is_refused_from_the_header() {
    let max = 1000;
    assert_eq!(decode_all(max, &frame(true, 0x2, &[0; 1000])).1, None);
    let err = error_of(max, &frame(true, 0x2, &[0; 1001]));
    assert_eq!(
        err,
        FrameError::TooBig {
            size: 1001,
            limit: max
        }
    );
    assert_eq!(err.close_code(), 1009);
    // Only the header is needed: nothing of the payload is buffered.
    let mut decoder = Decoder::new(max);
    let head = &raw_frame(0x82, &[0; 1001], Some(MASK), LenForm::Minimal)[..8];
    assert!(decoder.decode(head).is_err());
    assert_eq!(decoder.buffered_capacity(), 0);
    // The sum of the fragments counts.
    let mut input = frame(false, 0x1, &[b'4'; 600]);
    input.extend(frame(true, 0x9, b"p"));
    input.extend(frame(true, 0x0, &[b'a'; 401]));
    assert_eq!(
        error_of(max, &input),
        FrameError::TooBig {
            size: 1001,
            limit: max
        }
    );
    // Huge declared lengths, with and without the top bit.
    let mut huge = vec![0x82, 0xFF];
    huge.extend_from_slice(&(1u64 << 40).to_be_bytes());
    huge.extend_from_slice(&MASK);
    assert!(matches!(error_of(max, &huge), FrameError::TooBig { .. }));
    let mut top = vec![0x82, 0xFF];
    top.extend_from_slice(&u64::MAX.to_be_bytes());
    top.extend_from_slice(&MASK);
    let err = error_of(usize::MAX, &top);
    assert_eq!(err, FrameError::LengthOverflow);
    assert_eq!(err.close_code(), 1002);
    let mut top = vec![0x82, 0xFF];
    top.extend_from_slice(&(1u64 << 63).to_be_bytes());
    assert_eq!(error_of(usize::MAX, &top), FrameError::LengthOverflow);
}

#[test]
fn non_minimal_lengths_are_accepted() {
    let input = raw_frame(0x81, b"4hi", Some(MASK), LenForm::Sixteen);
    assert_eq!(decode_all(100, &input), (vec![text("4hi")], None));
    let input = raw_frame(0x81, b"4hi", Some(MASK), LenForm::SixtyFour);
    assert_eq!(decode_all(100, &input), (vec![text("4hi")], None));
}

#[test]
fn errors_are_reported_early() {
    // One byte shows bad RSV bits or an unknown opcode; two show a missing mask.
    assert_eq!(
        Decoder::new(10).decode(&[0xF1]),
        Err(FrameError::ReservedBits(0x70))
    );
    assert_eq!(
        Decoder::new(10).decode(&[0x84]),
        Err(FrameError::UnknownOpcode(4))
    );
    assert_eq!(
        Decoder::new(10).decode(&[0x81, 0x05]),
        Err(FrameError::Unmasked)
    );
    // Checks against the decoder's state wait for the complete header.
    assert_eq!(Decoder::new(10).decode(&[0x80, 0x85]), Ok((2, None)));
    assert_eq!(
        Decoder::new(10).decode(&[0x80, 0x85, 1, 2, 3, 4]),
        Err(FrameError::UnexpectedContinuation)
    );
}

#[test]
fn direct_reads_fill_the_message_buffer() {
    let payload: Vec<u8> = (0..10_000).map(|i| (i % 253) as u8).collect();
    let input = raw_frame(0x82, &payload, Some(MASK), LenForm::Minimal);
    let mut decoder = Decoder::new(1 << 20);
    // The header and the first 1001 payload bytes come through `decode`.
    let head = 4 + 4 + 1001;
    assert_eq!(decoder.decode(&input[..head]), Ok((head, None)));
    assert_eq!(decoder.data_remaining(), 10_000 - 1001);
    assert!(decoder.buffered_capacity() >= 10_000);
    // The rest is appended straight into the message buffer, in odd-sized pieces.
    let mut pos = head;
    let mut result = None;
    for size in [3usize, 1, 4096, 7] {
        let mut direct = decoder.direct_read().expect("inside a data frame");
        let n = size.min(direct.remaining());
        direct.buffer().extend_from_slice(&input[pos..pos + n]);
        pos += n;
        assert_eq!(direct.finish(), Ok(None));
    }
    while decoder.data_remaining() > 0 {
        let mut direct = decoder.direct_read().expect("inside a data frame");
        let n = direct.remaining().min(5000);
        direct.buffer().extend_from_slice(&input[pos..pos + n]);
        pos += n;
        result = direct.finish().expect("valid");
    }
    assert_eq!(pos, input.len());
    assert_eq!(result, Some(Incoming::Binary(Bytes::from(payload))));
    assert!(decoder.direct_read().is_none());
    assert_eq!(decoder.buffered_capacity(), 0);
    // Bytes beyond the frame are not taken.
    let mut decoder = Decoder::new(100);
    let input = frame(true, 0x1, b"4abc");
    assert_eq!(decoder.decode(&input[..6]), Ok((6, None)));
    let mut direct = decoder.direct_read().expect("inside a data frame");
    direct.buffer().extend_from_slice(&input[6..]);
    direct.buffer().extend_from_slice(b"junk");
    assert_eq!(direct.finish(), Ok(Some(text("4abc"))));
    // Not inside a data frame: no direct read.
    let mut decoder = Decoder::new(100);
    assert!(decoder.direct_read().is_none());
    assert_eq!(
        decoder.decode(&frame(true, 0x9, b"abc")[..7]),
        Ok((7, None))
    );
    assert!(decoder.direct_read().is_none());
}

#[test]
fn server_frames() {
    let mut out = Vec::new();
    encode_frame(&mut out, OpCode::Text, b"4hi");
    assert_eq!(out, b"\x81\x034hi");
    for (len, head) in [
        (0usize, vec![0x82, 0]),
        (125, vec![0x82, 125]),
        (126, vec![0x82, 126, 0, 126]),
        (65535, vec![0x82, 126, 0xff, 0xff]),
        (65536, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let mut out = Vec::new();
        encode_header(&mut out, OpCode::Binary, len);
        assert_eq!(out, head, "len {len}");
        assert_eq!(header_len(len), head.len());
    }
    let mut out = Vec::new();
    encode_close(&mut out, Some(1002));
    encode_close(&mut out, None);
    encode_frame(&mut out, OpCode::Pong, b"p");
    assert_eq!(out, [0x88, 2, 0x03, 0xea, 0x88, 0, 0x8A, 1, b'p']);
}

#[test]
fn server_frames_round_trip_through_the_decoder() {
    // A server frame, masked as a client would send it, decodes to the same payload.
    for len in [0usize, 5, 125, 126, 1000, 65535, 65536, 100_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let mut out = Vec::new();
        encode_frame(&mut out, OpCode::Binary, &payload);
        let head = header_len(len);
        let mut client = out[..head].to_vec();
        client[1] |= 0x80;
        client.extend_from_slice(&MASK);
        let mut body = out[head..].to_vec();
        apply_mask(&mut body, MASK, 0);
        client.extend_from_slice(&body);
        let mut decoder = Decoder::new(1 << 20);
        assert_eq!(
            decoder.decode(&client),
            Ok((client.len(), Some(Incoming::Binary(Bytes::from(payload)))))
        );
    }
}
