//! WebSocket framing (RFC 6455), server role, no extensions — sans-IO.
//!
//! [`Decoder`] turns the bytes a client sends into complete messages and control frames
//! ([`Incoming`]). It is incremental: feed it whatever a read returned, in any split;
//! it keeps only the bytes of an unfinished frame (its header in a 14-byte array, its
//! payload in a buffer of the exact declared size) and holds no buffer between frames.
//! Every protocol violation is a typed [`FrameError`] that names the close code to
//! answer with ([`FrameError::close_code`]).
//!
//! The encoder functions ([`encode_header`], [`encode_frame`], [`encode_close`]) write
//! server frames: final, unmasked.
//!
//! ```
//! use engineio::ws_frame::{Decoder, Incoming};
//! // A masked client text frame "hi" (mask 0x01020304).
//! let frame = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
//! let mut decoder = Decoder::new(1_000_000);
//! let (used, event) = decoder.decode(&frame).unwrap();
//! assert_eq!(used, frame.len());
//! assert_eq!(event, Some(Incoming::Text("hi".into())));
//! ```

use bytes::Bytes;
use bytestring::ByteString;

/// The longest frame header: 2 bytes, 8 extended-length bytes and a 4-byte mask.
pub const MAX_HEADER: usize = 14;

/// The longest control-frame payload (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// The most a frame header makes the decoder reserve up front; a (configured) larger
/// message grows its buffer as its bytes arrive instead.
const RESERVE_LIMIT: usize = 16 * 1024 * 1024;

/// Frame opcodes a server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum OpCode {
    /// A text message (UTF-8).
    Text = 0x1,
    /// A binary message.
    Binary = 0x2,
    /// A close frame.
    Close = 0x8,
    /// A ping.
    Ping = 0x9,
    /// A pong.
    Pong = 0xA,
}

/// Close status codes used by the server (RFC 6455 §7.4.1).
pub mod close_code {
    /// 1000: normal closure.
    pub const NORMAL: u16 = 1000;
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// 1007: a message's data does not match its type (invalid UTF-8 text).
    pub const INVALID_DATA: u16 = 1007;
    /// 1009: a message is too big to process.
    pub const TOO_BIG: u16 = 1009;
}

/// A protocol violation by the client. The connection must be closed with
/// [`close_code`](Self::close_code); the decoder must not be used afterwards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A client frame without the mask bit (every client frame must be masked).
    #[error("client frame is not masked")]
    Unmasked,
    /// RSV1-3 set while no extension was negotiated.
    #[error("reserved bits set: {0:#04x}")]
    ReservedBits(u8),
    /// An opcode RFC 6455 does not define.
    #[error("unknown opcode {0:#03x}")]
    UnknownOpcode(u8),
    /// A control frame whose payload is longer than 125 bytes.
    #[error("control frame payload longer than 125 bytes")]
    ControlTooLong,
    /// A control frame without the FIN bit.
    #[error("fragmented control frame")]
    FragmentedControl,
    /// A continuation frame while no fragmented message is in progress.
    #[error("continuation frame without a message to continue")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress.
    #[error("new data frame inside a fragmented message")]
    ExpectedContinuation,
    /// A 64-bit payload length with its most significant bit set.
    #[error("payload length with the most significant bit set")]
    LengthOverflow,
    /// A close frame with a 1-byte payload.
    #[error("close frame with a 1-byte payload")]
    InvalidClosePayload,
    /// A close frame with a status code that may not be sent.
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// A text message, or a close reason, that is not valid UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// A message (all its fragments) longer than the limit, detected from the declared
    /// lengths before anything is buffered.
    #[error("message of at least {size} bytes exceeds the limit of {limit} bytes")]
    TooBig {
        /// The message size declared so far (sum of the fragments' lengths).
        size: u64,
        /// The limit (`maxHttpBufferSize`).
        limit: usize,
    },
}

impl FrameError {
    /// The status code of the close frame that answers this error: 1007 for invalid
    /// UTF-8, 1009 for an oversize message, 1002 for everything else.
    pub fn close_code(&self) -> u16 {
        match self {
            FrameError::InvalidUtf8 => close_code::INVALID_DATA,
            FrameError::TooBig { .. } => close_code::TOO_BIG,
            _ => close_code::PROTOCOL_ERROR,
        }
    }
}

/// What a client sent: a complete message or a control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A complete text message (UTF-8 checked once, here).
    Text(ByteString),
    /// A complete binary message.
    Binary(Bytes),
    /// A ping: answer with a pong carrying the same payload.
    Ping(Bytes),
    /// A pong (nothing to do).
    Pong,
    /// A close frame with the peer's status code, if it gave one. Answer with a close
    /// frame carrying the same code, then close the connection.
    Close(Option<u16>),
}

/// Whether a status code may appear in a close frame (RFC 6455 §7.4 and the IANA
/// registry: 1000–1003, 1007–1014, and 3000–4999 for libraries and applications).
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// XORs `buf` with the masking key, starting at key position `phase` (the payload offset
/// of `buf[0]`, modulo 4). Masking and unmasking are the same operation.
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4], phase: usize) {
    let mut key = mask;
    key.rotate_left(phase & 3);
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = buf.chunks_exact_mut(8);
    for chunk in &mut chunks {
        if let Ok(word) = <[u8; 8]>::try_from(&*chunk) {
            chunk.copy_from_slice(&(u64::from_ne_bytes(word) ^ wide).to_ne_bytes());
        }
    }
    // The remainder starts at a multiple of 8, so the key position is back at 0.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// Where the payload of the frame being read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text, binary or continuation: into the message buffer.
    Data,
    Close,
    Ping,
    /// Pong payloads are not kept.
    Pong,
}

/// The kind of the data message being assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    Text,
    Binary,
}

/// A frame whose header has been read, with the payload still due.
#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: Kind,
    fin: bool,
    mask: [u8; 4],
    /// Payload bytes still to come.
    remaining: usize,
    /// Payload bytes already read, modulo 4 (the masking-key position).
    phase: u8,
}

/// The payload of a control frame being read (at most 125 bytes; boxed, as control
/// frames are rare and the decoder lives in every connection).
#[derive(Debug)]
struct Control {
    len: usize,
    buf: [u8; MAX_CONTROL_PAYLOAD],
}

impl Control {
    fn payload(&self) -> &[u8] {
        &self.buf[..self.len.min(MAX_CONTROL_PAYLOAD)]
    }
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy)]
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    len: u64,
}

/// Parses the header at the start of `buf`: `Ok(None)` while it is incomplete, else the
/// header and its length. Errors are reported as soon as the bytes that show them are
/// there, so the same input gives the same error whatever its split.
fn parse_header(buf: &[u8]) -> Result<Option<(Header, usize)>, FrameError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    if b0 & 0x70 != 0 {
        return Err(FrameError::ReservedBits(b0 & 0x70));
    }
    let opcode = b0 & 0x0F;
    if !matches!(opcode, 0x0..=0x2 | 0x8..=0xA) {
        return Err(FrameError::UnknownOpcode(opcode));
    }
    let fin = b0 & 0x80 != 0;
    let Some(&b1) = buf.get(1) else {
        return Ok(None);
    };
    if b1 & 0x80 == 0 {
        return Err(FrameError::Unmasked);
    }
    let len7 = b1 & 0x7F;
    if opcode >= 0x8 {
        if !fin {
            return Err(FrameError::FragmentedControl);
        }
        // Like Node's `ws`: the 16- and 64-bit length forms are refused for control frames.
        if usize::from(len7) > MAX_CONTROL_PAYLOAD {
            return Err(FrameError::ControlTooLong);
        }
    }
    let extended = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let Some(ext) = buf.get(2..2 + extended) else {
        return Ok(None);
    };
    // Non-minimal length encodings are accepted (as Node's `ws` does).
    let len = match *ext {
        [a, b] => u64::from(u16::from_be_bytes([a, b])),
        [a, b, c, d, e, f, g, h] => {
            let len = u64::from_be_bytes([a, b, c, d, e, f, g, h]);
            if len >> 63 != 0 {
                return Err(FrameError::LengthOverflow);
            }
            len
        }
        _ => u64::from(len7),
    };
    let end = 2 + extended + 4;
    let Some(&[m0, m1, m2, m3]) = buf.get(2 + extended..end) else {
        return Ok(None);
    };
    Ok(Some((
        Header {
            fin,
            opcode,
            mask: [m0, m1, m2, m3],
            len,
        },
        end,
    )))
}

/// Incremental decoder of client frames into [`Incoming`] events.
///
/// Between frames it holds no heap memory. While a frame is unfinished it holds its
/// header bytes inline and its payload in a buffer reserved for the declared size, after
/// the size check: for a data message at most `max_payload` bytes (up to twice that when
/// a recycled buffer of a large message is reused), 125 for a control frame.
#[derive(Debug)]
pub struct Decoder {
    max_payload: usize,
    /// Header bytes of the next frame received so far.
    head: [u8; MAX_HEADER],
    head_len: u8,
    /// The frame whose payload is being read.
    frame: Option<Frame>,
    /// The data message in progress (first frame seen, final frame not yet).
    message: Option<Message>,
    /// The data message's payload so far (unmasked).
    data: Vec<u8>,
    /// The payload of the control frame being read (unmasked).
    control: Option<Box<Control>>,
}

impl Decoder {
    /// A decoder accepting messages of up to `max_payload` bytes (the sum of a
    /// message's fragments).
    pub fn new(max_payload: usize) -> Self {
        Decoder {
            max_payload,
            head: [0; MAX_HEADER],
            head_len: 0,
            frame: None,
            message: None,
            data: Vec::new(),
            control: None,
        }
    }

    /// The message size limit.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    /// Consumes bytes from `input` up to the end of the next event, and returns how many
    /// it consumed and the event, if one completed. Call it again with the rest of the
    /// input: every byte belongs to the decoder once consumed (a partial frame is kept).
    /// With non-empty input it always consumes at least one byte.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<Incoming>), FrameError> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            if rest.is_empty() {
                return Ok((used, None));
            }
            if let Some(frame) = self.frame {
                let take = frame.remaining.min(rest.len());
                self.append_payload(&rest[..take]);
                used += take;
                if let Some(event) = self.frame_progress()? {
                    return Ok((used, Some(event)));
                }
                continue;
            }
            // A header: straight from the input when none is pending (the usual case).
            let parsed = if self.head_len == 0 {
                match parse_header(rest)? {
                    Some(found) => Some(found),
                    None => {
                        // Incomplete: keep it (shorter than a full header by definition).
                        let n = rest.len().min(MAX_HEADER);
                        self.head[..n].copy_from_slice(&rest[..n]);
                        self.head_len = n as u8;
                        return Ok((used + n, None));
                    }
                }
            } else {
                let have = usize::from(self.head_len);
                let n = (MAX_HEADER - have).min(rest.len());
                self.head[have..have + n].copy_from_slice(&rest[..n]);
                match parse_header(&self.head[..have + n])? {
                    // The header ends `header_len - have` bytes into this input.
                    Some((header, header_len)) => Some((header, header_len - have)),
                    None => {
                        self.head_len = (have + n) as u8;
                        return Ok((used + n, None));
                    }
                }
            };
            if let Some((header, consumed)) = parsed {
                self.head_len = 0;
                used += consumed;
                self.start_frame(header)?;
                if let Some(event) = self.frame_progress()? {
                    return Ok((used, Some(event)));
                }
            }
        }
    }

    /// Checks a complete header against the decoder's state and prepares for its
    /// payload (reserving its exact size).
    fn start_frame(&mut self, h: Header) -> Result<(), FrameError> {
        let kind = match h.opcode {
            0x0 => {
                if self.message.is_none() {
                    return Err(FrameError::UnexpectedContinuation);
                }
                Kind::Data
            }
            0x1 | 0x2 => {
                if self.message.is_some() {
                    return Err(FrameError::ExpectedContinuation);
                }
                Kind::Data
            }
            0x8 => Kind::Close,
            0x9 => Kind::Ping,
            0xA => Kind::Pong,
            other => return Err(FrameError::UnknownOpcode(other)),
        };
        let len = match kind {
            Kind::Data => {
                // Checked before anything is buffered: memory stays within the limit.
                let size = (self.data.len() as u64).saturating_add(h.len);
                if size > self.max_payload as u64 {
                    return Err(FrameError::TooBig {
                        size,
                        limit: self.max_payload,
                    });
                }
                let too_big = FrameError::TooBig {
                    size,
                    limit: self.max_payload,
                };
                let len = usize::try_from(h.len).map_err(|_| too_big.clone())?;
                if h.opcode != 0x0 {
                    self.message = Some(if h.opcode == 0x1 {
                        Message::Text
                    } else {
                        Message::Binary
                    });
                }
                // The buffer size is known: one allocation for an unfragmented message.
                let reserve = len.min(RESERVE_LIMIT);
                if self.data.capacity() == 0 {
                    self.data = recycle::buffer(reserve).map_err(|_| too_big)?;
                } else {
                    self.data.try_reserve_exact(reserve).map_err(|_| too_big)?;
                }
                len
            }
            // parse_header refused control frames longer than 125 bytes.
            Kind::Close | Kind::Ping | Kind::Pong => (h.len as usize).min(MAX_CONTROL_PAYLOAD),
        };
        self.frame = Some(Frame {
            kind,
            fin: h.fin,
            mask: h.mask,
            remaining: len,
            phase: 0,
        });
        Ok(())
    }

    /// Copies (and unmasks) payload bytes of the current frame; `bytes` must not be
    /// longer than what the frame still expects.
    fn append_payload(&mut self, bytes: &[u8]) {
        let Some(frame) = &mut self.frame else {
            return;
        };
        let bytes = &bytes[..bytes.len().min(frame.remaining)];
        let buf: &mut [u8] = match frame.kind {
            Kind::Data => {
                let start = self.data.len();
                self.data.extend_from_slice(bytes);
                &mut self.data[start..]
            }
            Kind::Close | Kind::Ping => {
                let control = self.control.get_or_insert_with(|| {
                    Box::new(Control {
                        len: 0,
                        buf: [0; MAX_CONTROL_PAYLOAD],
                    })
                });
                let start = control.len;
                let Some(dest) = control.buf.get_mut(start..start + bytes.len()) else {
                    // Unreachable: a control frame is at most 125 bytes.
                    frame.remaining = 0;
                    return;
                };
                dest.copy_from_slice(bytes);
                control.len += bytes.len();
                dest
            }
            Kind::Pong => {
                frame.remaining -= bytes.len();
                return;
            }
        };
        apply_mask(buf, frame.mask, usize::from(frame.phase));
        frame.remaining -= bytes.len();
        frame.phase = ((usize::from(frame.phase) + bytes.len()) & 3) as u8;
    }

    /// Finishes the current frame if its payload is complete.
    fn frame_progress(&mut self) -> Result<Option<Incoming>, FrameError> {
        match self.frame {
            Some(frame) if frame.remaining == 0 => {
                self.frame = None;
                self.finish_frame(frame)
            }
            _ => Ok(None),
        }
    }

    fn finish_frame(&mut self, frame: Frame) -> Result<Option<Incoming>, FrameError> {
        match frame.kind {
            Kind::Data if !frame.fin => Ok(None),
            Kind::Data => {
                // Taken whole: the decoder keeps no capacity between messages.
                let data = std::mem::take(&mut self.data);
                let data = recycle::freeze(data);
                match self.message.take() {
                    Some(Message::Text) => ByteString::try_from(data)
                        .map(|s| Some(Incoming::Text(s)))
                        .map_err(|_| FrameError::InvalidUtf8),
                    _ => Ok(Some(Incoming::Binary(data))),
                }
            }
            Kind::Ping => {
                let control = self.control.take();
                let payload = control.as_deref().map_or(&[][..], Control::payload);
                Ok(Some(Incoming::Ping(Bytes::copy_from_slice(payload))))
            }
            Kind::Pong => Ok(Some(Incoming::Pong)),
            Kind::Close => {
                let control = self.control.take();
                match *control.as_deref().map_or(&[][..], Control::payload) {
                    [] => Ok(Some(Incoming::Close(None))),
                    [_] => Err(FrameError::InvalidClosePayload),
                    [a, b, ref reason @ ..] => {
                        let code = u16::from_be_bytes([a, b]);
                        if !is_valid_close_code(code) {
                            return Err(FrameError::InvalidCloseCode(code));
                        }
                        if std::str::from_utf8(reason).is_err() {
                            return Err(FrameError::InvalidUtf8);
                        }
                        Ok(Some(Incoming::Close(Some(code))))
                    }
                }
            }
        }
    }

    /// Payload bytes the current data frame still expects (0 when not inside a data
    /// frame's payload). When this is large, the IO layer can read them straight into
    /// the message buffer with [`direct_read`](Self::direct_read) instead of through a
    /// scratch buffer.
    pub fn data_remaining(&self) -> usize {
        match self.frame {
            Some(f) if f.kind == Kind::Data => f.remaining,
            _ => 0,
        }
    }

    /// Access to the message buffer for reading the current data frame's payload
    /// straight into it; `None` when not inside a data frame's payload.
    pub fn direct_read(&mut self) -> Option<DirectRead<'_>> {
        let remaining = self.data_remaining();
        if remaining == 0 {
            return None;
        }
        let start = self.data.len();
        if self.data.capacity() == start {
            // Only for messages above RESERVE_LIMIT (others were reserved whole).
            self.data.try_reserve(remaining.min(RESERVE_LIMIT)).ok()?;
        }
        Some(DirectRead {
            decoder: self,
            start,
            remaining,
        })
    }

    /// Heap bytes held for unfinished frames (0 between frames).
    pub fn buffered_capacity(&self) -> usize {
        self.data.capacity() + self.control.as_ref().map_or(0, |_| size_of::<Control>())
    }
}

/// The message buffer lent out by [`Decoder::direct_read`]: append at most
/// [`remaining`](Self::remaining) raw (still masked) payload bytes to
/// [`buffer`](Self::buffer), then call [`finish`](Self::finish).
#[derive(Debug)]
pub struct DirectRead<'a> {
    decoder: &'a mut Decoder,
    start: usize,
    remaining: usize,
}

impl DirectRead<'_> {
    /// Payload bytes the frame still expects: append no more than this.
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// The message buffer, with spare capacity for the payload (all of `remaining`,
    /// except for messages of more than 16 MiB).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.decoder.data
    }

    /// Unmasks what was appended and completes the frame (and the message) if its
    /// payload is all there. Bytes appended beyond `remaining` are discarded.
    pub fn finish(self) -> Result<Option<Incoming>, FrameError> {
        let decoder = self.decoder;
        let appended = decoder.data.len().saturating_sub(self.start);
        let appended = appended.min(self.remaining);
        decoder.data.truncate(self.start + appended);
        if let Some(frame) = &mut decoder.frame {
            apply_mask(
                &mut decoder.data[self.start..],
                frame.mask,
                usize::from(frame.phase),
            );
            frame.remaining -= appended;
            frame.phase = ((usize::from(frame.phase) + appended) & 3) as u8;
        }
        decoder.frame_progress()
    }
}

/// Length of the header of a server frame with a `len`-byte payload.
pub fn header_len(len: usize) -> usize {
    match len {
        0..=125 => 2,
        126..=0xFFFF => 4,
        _ => 10,
    }
}

/// Appends the header of a final, unmasked server frame with a `len`-byte payload.
pub fn encode_header(out: &mut Vec<u8>, opcode: OpCode, len: usize) {
    out.push(0x80 | opcode as u8);
    match len {
        0..=125 => out.push(len as u8),
        126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

/// Appends a final, unmasked server frame.
pub fn encode_frame(out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
    encode_header(out, opcode, payload.len());
    out.extend_from_slice(payload);
}

/// Appends a close frame: with a status code, or empty.
pub fn encode_close(out: &mut Vec<u8>, code: Option<u16>) {
    match code {
        Some(code) => encode_frame(out, OpCode::Close, &code.to_be_bytes()),
        None => encode_frame(out, OpCode::Close, &[]),
    }
}

mod recycle;
#[cfg(test)]
mod tests;
