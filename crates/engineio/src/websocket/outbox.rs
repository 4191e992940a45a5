//! The write side of a WebSocket connection: outgoing packets encoded as server frames
//! and written with as few syscalls as possible.
//!
//! A batch (everything the session had queued) is encoded into a per-thread scratch
//! [`Encoded`] and written at once, in the common case with one `write`. Payloads of
//! [`SPLICE_MIN`] bytes or more are not copied: they are written from their own shared
//! buffer, between the headers, with one vectored write. Only what the socket does not
//! take right away is kept by the connection ([`Outbox`], boxed), and that box is freed
//! as soon as it is written out, so an idle connection holds no write buffer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;

use crate::message::Message;
use crate::packet;
use crate::payload::OutPacket;
use crate::ws_frame::{self, OpCode};

/// Payloads at least this long are written from their own buffer (vectored writes).
pub(super) const SPLICE_MIN: usize = 8 * 1024;
/// The most slices one vectored write is given.
const MAX_SLICES: usize = 64;
/// The per-thread scratch keeps at most this much capacity between batches.
const SCRATCH_KEEP: usize = 256 * 1024;

/// Encoded frames: headers and small payloads in `inline`; each spliced payload goes
/// at its offset of `inline`. `written` counts the bytes of the whole already written.
#[derive(Debug, Default)]
pub(super) struct Encoded {
    inline: Vec<u8>,
    spliced: Vec<(usize, Bytes)>,
    total: usize,
    written: usize,
}

impl Encoded {
    const fn new() -> Self {
        Encoded {
            inline: Vec::new(),
            spliced: Vec::new(),
            total: 0,
            written: 0,
        }
    }

    /// Bytes not yet written.
    pub(super) fn unwritten(&self) -> usize {
        self.total - self.written
    }

    /// Appends one frame; a large shared payload is spliced when `vectored`.
    fn push_shared(&mut self, opcode: OpCode, payload: Bytes, vectored: bool) {
        if vectored && payload.len() >= SPLICE_MIN {
            ws_frame::encode_header(&mut self.inline, opcode, payload.len());
            self.total += ws_frame::header_len(payload.len()) + payload.len();
            self.spliced.push((self.inline.len(), payload));
        } else {
            self.push_frame(opcode, &payload);
        }
    }

    /// Appends one frame, copying its payload.
    pub(super) fn push_frame(&mut self, opcode: OpCode, payload: &[u8]) {
        ws_frame::encode_frame(&mut self.inline, opcode, payload);
        self.total += ws_frame::header_len(payload.len()) + payload.len();
    }

    /// Appends a close frame (with a status code, or empty).
    pub(super) fn push_close(&mut self, code: Option<u16>) {
        let before = self.inline.len();
        ws_frame::encode_close(&mut self.inline, code);
        self.total += self.inline.len() - before;
    }

    /// Appends one Engine.IO packet as one frame.
    pub(super) fn push_packet(&mut self, p: OutPacket, vectored: bool) {
        match p {
            OutPacket::Message(Message::Text(t)) => {
                self.push_shared(OpCode::Text, t.framed().as_bytes().clone(), vectored)
            }
            OutPacket::Message(Message::Binary(b)) => self.push_shared(OpCode::Binary, b, vectored),
            OutPacket::Ping => self.push_frame(OpCode::Text, packet::PING.as_bytes()),
            OutPacket::Noop => self.push_frame(OpCode::Text, packet::NOOP.as_bytes()),
            OutPacket::Close => self.push_frame(OpCode::Text, packet::CLOSE.as_bytes()),
        }
    }

    /// Appends a whole batch, in order.
    pub(super) fn push_batch(&mut self, packets: VecDeque<OutPacket>, vectored: bool) {
        for p in packets {
            self.push_packet(p, vectored);
        }
    }

    /// Fills `out` with the unwritten parts, in order; returns how many it filled.
    fn slices<'a>(&'a self, out: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let mut pos = 0; // offset of the next part in the whole
        let mut inline_from = 0;
        let mut push = |part: &'a [u8], pos: &mut usize| {
            let end = *pos + part.len();
            if end > self.written && !part.is_empty() && n < out.len() {
                let skip = self.written.saturating_sub(*pos);
                out[n] = IoSlice::new(&part[skip..]);
                n += 1;
            }
            *pos = end;
        };
        for (at, payload) in &self.spliced {
            push(&self.inline[inline_from..*at], &mut pos);
            push(payload, &mut pos);
            inline_from = *at;
        }
        push(&self.inline[inline_from..], &mut pos);
        n
    }

    /// Writes until everything is written (`Ready(Ok)`), the socket is full
    /// (`Pending`, the waker is registered) or fails.
    fn poll_write<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        while self.written < self.total {
            let n = if self.spliced.is_empty() {
                ready!(Pin::new(&mut *io).poll_write(cx, &self.inline[self.written..]))?
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                let count = self.slices(&mut slices);
                ready!(Pin::new(&mut *io).poll_write_vectored(cx, &slices[..count]))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written = (self.written + n).min(self.total);
        }
        Poll::Ready(Ok(()))
    }

    /// Moves the unwritten rest into a new, exactly sized `Encoded`, and clears `self`
    /// (keeping its capacity).
    fn take_rest(&mut self) -> Encoded {
        // Offset in the whole of each inline byte: the inline bytes before a splice
        // point are followed by the spliced payloads pushed at or before it.
        let mut rest = Encoded::new();
        let mut pos = 0;
        let mut inline_from = 0;
        let keep_inline = |part: &[u8], pos: &mut usize, rest: &mut Encoded| {
            let end = *pos + part.len();
            if end > self.written {
                let skip = self.written.saturating_sub(*pos);
                rest.inline.extend_from_slice(&part[skip..]);
            }
            *pos = end;
        };
        rest.inline
            .reserve_exact(self.inline.len().min(self.unwritten()));
        for (at, payload) in std::mem::take(&mut self.spliced) {
            keep_inline(&self.inline[inline_from..at], &mut pos, &mut rest);
            let end = pos + payload.len();
            if end > self.written {
                let skip = self.written.saturating_sub(pos);
                rest.spliced
                    .push((rest.inline.len(), payload.slice(skip..)));
            }
            pos = end;
            inline_from = at;
        }
        keep_inline(&self.inline[inline_from..], &mut pos, &mut rest);
        rest.total = self.unwritten();
        self.clear();
        rest
    }

    fn clear(&mut self) {
        self.inline.clear();
        self.spliced.clear();
        self.total = 0;
        self.written = 0;
    }
}

thread_local! {
    /// Where batches are encoded; shared by every connection polled on this thread.
    static SCRATCH: RefCell<Encoded> = const { RefCell::new(Encoded::new()) };
}

/// What a connection keeps of its output: nothing, or what the peer has not taken yet.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    pending: Option<Box<Encoded>>,
}

impl Outbox {
    /// Bytes encoded but not written yet.
    pub(super) fn pending_bytes(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.unwritten())
    }

    /// Nothing waits to be written.
    pub(super) fn is_idle(&self) -> bool {
        self.pending.is_none()
    }

    /// Heap bytes held (0 when idle).
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.pending
            .as_ref()
            .map_or(0, |p| p.inline.capacity() + p.spliced.capacity())
    }

    /// Appends frames to what waits to be written (allocating the box if needed); they go
    /// out with the next [`flush`](Self::flush).
    pub(super) fn queue(&mut self, encode: impl FnOnce(&mut Encoded)) {
        encode(self.pending.get_or_insert_with(Default::default));
    }

    /// Encodes frames and writes them, with whatever was pending before them. What the
    /// socket does not take now is kept (`Pending`: the waker is registered).
    pub(super) fn send<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
        encode: impl FnOnce(&mut Encoded),
    ) -> Poll<io::Result<()>> {
        if self.pending.is_some() {
            self.queue(encode);
            return self.flush(io, cx);
        }
        let kept = SCRATCH.with(|scratch| {
            let Ok(mut scratch) = scratch.try_borrow_mut() else {
                // Not reentrant in practice (no user code runs here); stay correct anyway.
                let mut own = Encoded::new();
                encode(&mut own);
                return (own.poll_write(io, cx), Some(own));
            };
            encode(&mut scratch);
            let result = scratch.poll_write(io, cx);
            let kept = match result {
                Poll::Pending => Some(scratch.take_rest()),
                Poll::Ready(_) => {
                    scratch.clear();
                    None
                }
            };
            if scratch.inline.capacity() > SCRATCH_KEEP {
                scratch.inline = Vec::new();
            }
            (result, kept)
        });
        match kept {
            (Poll::Pending, Some(rest)) => {
                self.pending = Some(Box::new(rest));
                Poll::Pending
            }
            (result, _) => result,
        }
    }

    /// Writes what is pending; frees it once it is all written.
    pub(super) fn flush<S: AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(pending) = &mut self.pending else {
            return Poll::Ready(Ok(()));
        };
        let result = ready!(pending.poll_write(io, cx));
        self.pending = None;
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests;
