use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Wake;

use super::*;
use crate::message::Text;

/// A scripted writer: each write takes the next budget (`None`: not writable now);
/// records every call's slice count and size.
struct MockWriter {
    out: Vec<u8>,
    budgets: VecDeque<Option<usize>>,
    calls: Vec<(usize, usize)>,
    vectored: bool,
}

impl MockWriter {
    fn new(vectored: bool, budgets: impl IntoIterator<Item = Option<usize>>) -> Self {
        MockWriter {
            out: Vec::new(),
            budgets: budgets.into_iter().collect(),
            calls: Vec::new(),
            vectored,
        }
    }

    fn take(&mut self, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let budget = match self.budgets.pop_front() {
            Some(None) => return Poll::Pending,
            Some(Some(n)) => n,
            None => usize::MAX,
        };
        let mut left = budget;
        for b in bufs {
            let n = b.len().min(left);
            self.out.extend_from_slice(&b[..n]);
            left -= n;
        }
        let n = budget - left;
        self.calls.push((bufs.len(), n));
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for MockWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().take(&[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.vectored {
            this.take(bufs)
        } else {
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
            this.take(&[IoSlice::new(first)])
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

fn cx_waker() -> std::task::Waker {
    Arc::new(Noop).into()
}

fn text(s: &str) -> OutPacket {
    OutPacket::Message(Message::Text(Text::new(s)))
}

fn binary(len: usize, seed: u8) -> OutPacket {
    let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
    OutPacket::Message(Message::Binary(Bytes::from(data)))
}

/// The bytes `packets` must produce on the wire.
fn expected(packets: &[OutPacket]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        match p {
            OutPacket::Message(Message::Text(t)) => {
                ws_frame::encode_frame(&mut out, OpCode::Text, t.framed().as_bytes())
            }
            OutPacket::Message(Message::Binary(b)) => {
                ws_frame::encode_frame(&mut out, OpCode::Binary, b)
            }
            OutPacket::Ping => ws_frame::encode_frame(&mut out, OpCode::Text, b"2"),
            OutPacket::Noop => ws_frame::encode_frame(&mut out, OpCode::Text, b"6"),
            OutPacket::Close => ws_frame::encode_frame(&mut out, OpCode::Text, b"1"),
        }
    }
    out
}

fn send(outbox: &mut Outbox, io: &mut MockWriter, packets: &[OutPacket]) -> Poll<io::Result<()>> {
    let waker = cx_waker();
    let mut cx = Context::from_waker(&waker);
    let vectored = io.is_write_vectored();
    let batch: VecDeque<OutPacket> = packets.iter().cloned().collect();
    outbox.send(io, &mut cx, |out| out.push_batch(batch, vectored))
}

fn flush(outbox: &mut Outbox, io: &mut MockWriter) -> Poll<io::Result<()>> {
    let waker = cx_waker();
    let mut cx = Context::from_waker(&waker);
    outbox.flush(io, &mut cx)
}

#[test]
fn a_batch_of_small_frames_is_one_write() {
    let packets = vec![
        text("hello"),
        OutPacket::Ping,
        binary(100, 3),
        text("é"),
        OutPacket::Noop,
        OutPacket::Close,
    ];
    let mut io = MockWriter::new(true, []);
    let mut outbox = Outbox::default();
    assert!(matches!(
        send(&mut outbox, &mut io, &packets),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(io.out, expected(&packets));
    assert_eq!(io.calls, vec![(1, io.out.len())]);
    assert!(outbox.is_idle());
    assert_eq!(outbox.capacity(), 0);
}

#[test]
fn large_payloads_are_written_from_their_own_buffer() {
    let packets = vec![
        text("a"),
        binary(SPLICE_MIN, 5),
        text("b"),
        binary(70_000, 7),
    ];
    let mut io = MockWriter::new(true, []);
    let mut outbox = Outbox::default();
    assert!(send(&mut outbox, &mut io, &packets).is_ready());
    assert_eq!(io.out, expected(&packets));
    // One vectored write: [frame a + header], payload, [frame b + header], payload.
    assert_eq!(io.calls, vec![(4, io.out.len())]);
    assert_eq!(outbox.capacity(), 0);

    // A stream that cannot write vectored gets everything copied: still one write.
    let mut io = MockWriter::new(false, []);
    assert!(send(&mut outbox, &mut io, &packets).is_ready());
    assert_eq!(io.out, expected(&packets));
    assert_eq!(io.calls, vec![(1, io.out.len())]);
}

#[test]
fn what_the_socket_does_not_take_is_kept_then_freed() {
    let packets = vec![text("hello"), binary(20_000, 11), text("bye")];
    let all = expected(&packets);
    // 5 bytes now, then the socket is full.
    let mut io = MockWriter::new(true, [Some(5), None]);
    let mut outbox = Outbox::default();
    assert!(send(&mut outbox, &mut io, &packets).is_pending());
    assert_eq!(outbox.pending_bytes(), all.len() - 5);
    assert!(outbox.capacity() > 0);
    // More output while some is pending goes after it.
    let more = vec![text("later"), binary(9000, 13)];
    io.budgets.push_back(None);
    assert!(send(&mut outbox, &mut io, &more).is_pending());
    // The socket drains slowly, then all at once.
    io.budgets
        .extend([Some(1), Some(7), None, Some(20_000), None]);
    for _ in 0..2 {
        assert!(flush(&mut outbox, &mut io).is_pending());
    }
    assert!(matches!(flush(&mut outbox, &mut io), Poll::Ready(Ok(()))));
    let mut want = all;
    want.extend(expected(&more));
    assert_eq!(io.out, want);
    assert!(outbox.is_idle());
    assert_eq!(outbox.capacity(), 0, "freed once written");
}

#[test]
fn every_split_of_the_writes_gives_the_same_bytes() {
    let packets = vec![
        text("x"),
        binary(SPLICE_MIN + 3, 3),
        OutPacket::Ping,
        binary(10, 5),
        binary(3 * SPLICE_MIN, 9),
        text("end"),
    ];
    let want = expected(&packets);
    for vectored in [true, false] {
        for step in [1usize, 2, 3, 7, 100, 4095, 8193, 30_000] {
            // Alternate "writable" and "full" so the rest is kept and resumed.
            let budgets = (0..want.len() / step + 2).flat_map(|_| [Some(step), None]);
            let mut io = MockWriter::new(vectored, budgets);
            let mut outbox = Outbox::default();
            let mut result = send(&mut outbox, &mut io, &packets);
            for _ in 0..2 * want.len() {
                if result.is_ready() {
                    break;
                }
                result = flush(&mut outbox, &mut io);
            }
            assert!(matches!(result, Poll::Ready(Ok(()))), "step {step}");
            assert_eq!(io.out, want, "step {step}, vectored {vectored}");
            assert_eq!(outbox.capacity(), 0);
        }
    }
}

#[test]
fn a_socket_that_takes_nothing_is_an_error() {
    let mut io = MockWriter::new(true, [Some(0)]);
    let mut outbox = Outbox::default();
    match send(&mut outbox, &mut io, &[text("x")]) {
        Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::WriteZero),
        other => panic!("expected WriteZero, got {other:?}"),
    }
    assert!(outbox.is_idle());
}

#[test]
fn control_frames_queue_until_flushed() {
    let mut outbox = Outbox::default();
    outbox.queue(|out| out.push_frame(OpCode::Pong, b"ping-data"));
    outbox.queue(|out| out.push_close(Some(1002)));
    let mut io = MockWriter::new(true, []);
    assert!(matches!(flush(&mut outbox, &mut io), Poll::Ready(Ok(()))));
    let mut want = Vec::new();
    ws_frame::encode_frame(&mut want, OpCode::Pong, b"ping-data");
    ws_frame::encode_close(&mut want, Some(1002));
    assert_eq!(io.out, want);
    assert_eq!(outbox.capacity(), 0);
}
