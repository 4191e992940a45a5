//! The WebSocket connection driver: one hand-written future per connection.
//!
//! [`Connection`] owns the socket, the frame [`Decoder`], the [`Outbox`] and one timer,
//! and is polled by its task. One poll runs rounds of:
//!
//! 1. **read**: one read into the per-thread scratch buffer (or, for the rest of a large
//!    frame, straight into its message buffer), decoded into events while the scratch
//!    is borrowed; then, with the scratch released, each event is handled: messages go
//!    to the handler in order, pings are answered, a close frame is echoed;
//! 2. **session step** (only when needed, see below): under the session lock, run the
//!    due timers, take the whole send queue, note closing/closed, and park the task's
//!    waker in the session;
//! 3. **write**: the taken batch is encoded and written at once (see `outbox`); what the
//!    socket does not take is kept and written when it becomes writable;
//! 4. **timer**: the session's next deadline (heartbeat, graceful close, upgrade).
//!
//! The poll returns `Pending` only when the read is pending (or paused, see below), the
//! timer is pending, and the last session step came after the last handler call.
//!
//! # No lost wake-ups
//!
//! Senders wake the driver only when the queue goes from empty to non-empty, and state
//! changes (closes, upgrade steps) wake it too — but only while it is *parked*
//! (`state::driver`). The session step parks the driver and looks at the queue in one
//! critical section, so whatever is pushed later finds the driver parked and wakes it
//! (waking unparks it: one wake per parking). Before a handler call the driver unparks
//! (in the same lock as `recv`), so messages the handler sends to its own session do not
//! wake the task needlessly; that is safe because a session step always follows the
//! handler calls of a round before the poll may return `Pending`. A poll starts
//! unparked: the wake that started it may have consumed the parking.
//!
//! # A peer that does not read
//!
//! Writes never block the other work: deadlines (pong timeout, graceful-close timeout)
//! and closes from elsewhere are handled while output is pending. Once more than
//! `ws_write_buffer_size` bytes wait, the driver stops taking from the send queue (whose
//! capacity then pushes back on senders) and stops reading (so pongs to a flood of pings
//! cannot grow the output either).
//!
//! # Closing
//!
//! A close frame is sent when the server closes the session (empty), when the client
//! sent one (its status code echoed), or on a protocol violation (1002, 1007 or 1009).
//! The output is then flushed for at most [`CLOSE_FLUSH`] and the socket dropped. After
//! end of stream or a socket error nothing more is written.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BufMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::outbox::Outbox;
use crate::engine::{Handler, TypedSession};
use crate::error::DisconnectReason;
use crate::message::Message;
use crate::packet::{self, Packet};
use crate::socket::Socket;
use crate::state::{Recv, UpgradeStep};
use crate::ws_frame::{Decoder, FrameError, Incoming, OpCode};

/// How long the last frames (a close frame, what was pending) may take to go out.
pub(super) const CLOSE_FLUSH: Duration = Duration::from_secs(1);
/// A data frame with at least this much payload still due is read straight into its
/// message buffer instead of through the scratch buffer.
const DIRECT_MIN: usize = 4096;
/// The last bytes of such a frame still go through the scratch buffer, in one read with
/// whatever follows: a read that ends short tells the runtime that the socket is
/// drained, which saves the next read's `EAGAIN`.
const DIRECT_TAIL: usize = 512;
/// The read size after a large message: enough for the next message if it is small,
/// and for the header of the next large frame, whose payload is then read straight into
/// its buffer instead of being copied out of the scratch buffer.
const SMALL_READ: usize = 2048;
/// Bounds of the bytes one read may take (`ws_read_buffer_size` is clamped to these).
const MIN_READ: usize = 256;
/// See [`MIN_READ`].
const MAX_READ: usize = 1024 * 1024;
/// Rounds per poll before the task yields to others.
const MAX_ROUNDS: usize = 32;
/// A deadline far enough away to mean "none".
const FAR: Duration = Duration::from_secs(3600);

thread_local! {
    /// Where reads land; shared by every connection polled on this thread, borrowed
    /// only within one read step (never while a handler runs).
    static READ_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The connection's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// An upgrading WebSocket: the probe exchange (`2probe` / `3probe`, then `5`).
    Probe { epoch: u32 },
    /// The session's transport.
    Open,
    /// The last frames go out (at most [`CLOSE_FLUSH`]), then the socket is dropped.
    Closing,
    /// Finished.
    Done,
}

/// How one read step ended (after its events).
#[derive(Debug)]
enum ReadOutcome {
    /// Bytes were read (more may follow).
    Progress,
    /// Nothing to read now (the waker is registered).
    Pending,
    /// End of stream.
    Eof,
    /// A socket error.
    Failed(io::Error),
    /// The client broke the protocol.
    Violation(FrameError),
}

/// The events decoded in one read step: usually one, so the first is inline.
#[derive(Debug, Default)]
struct Events {
    first: Option<Incoming>,
    more: Vec<Incoming>,
}

impl Events {
    fn push(&mut self, event: Incoming) {
        if self.first.is_none() {
            self.first = Some(event);
        } else {
            self.more.push(event);
        }
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The size of the last message, if there is one.
    fn last_message_len(&self) -> Option<usize> {
        let last = self.more.iter().rev().chain(self.first.iter());
        last.filter_map(|e| match e {
            Incoming::Text(t) => Some(t.len()),
            Incoming::Binary(b) => Some(b.len()),
            _ => None,
        })
        .next()
    }
}

impl IntoIterator for Events {
    type Item = Incoming;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Incoming>, std::vec::IntoIter<Incoming>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.more)
    }
}

/// Feeds `input` to the decoder, collecting events; stops at a violation.
fn decode_into(decoder: &mut Decoder, mut input: &[u8], events: &mut Events) -> ReadOutcome {
    while !input.is_empty() {
        match decoder.decode(input) {
            Ok((used, event)) => {
                let stuck = used == 0 && event.is_none();
                input = &input[used.min(input.len())..];
                if let Some(event) = event {
                    events.push(event);
                }
                if stuck {
                    break;
                }
            }
            Err(err) => return ReadOutcome::Violation(err),
        }
    }
    ReadOutcome::Progress
}

/// Everything of a connection but its timer.
struct Core<H: Handler, S> {
    session: Arc<TypedSession<H>>,
    socket: Socket,
    io: S,
    decoder: Decoder,
    outbox: Outbox,
    mode: Mode,
    /// The last message was large: read a little first (see [`SMALL_READ`]).
    after_large: bool,
}

pin_project_lite::pin_project! {
    /// The future driving one WebSocket connection (see the module docs).
    pub(super) struct Connection<H: Handler, S> {
        core: Core<H, S>,
        #[pin]
        timer: Sleep,
    }
}

impl<H: Handler, S: AsyncRead + AsyncWrite + Unpin> Connection<H, S> {
    /// A connection for a new WebSocket-only session; `open` (the open packet) is the
    /// first frame.
    pub(super) fn open(session: Arc<TypedSession<H>>, socket: Socket, io: S, open: String) -> Self {
        let mut conn = Self::new(session, socket, io, Mode::Open);
        conn.core
            .outbox
            .queue(|out| out.push_frame(OpCode::Text, open.as_bytes()));
        conn
    }

    /// A connection upgrading a polling session (upgrade `epoch`).
    pub(super) fn probe(session: Arc<TypedSession<H>>, socket: Socket, io: S, epoch: u32) -> Self {
        Self::new(session, socket, io, Mode::Probe { epoch })
    }

    fn new(session: Arc<TypedSession<H>>, socket: Socket, io: S, mode: Mode) -> Self {
        let max_payload = session.ext.engine.config.max_payload;
        Connection {
            core: Core {
                session,
                socket,
                io,
                decoder: Decoder::new(max_payload),
                outbox: Outbox::default(),
                mode,
                after_large: false,
            },
            timer: tokio::time::sleep(FAR),
        }
    }

    /// Heap bytes held by the decoder and the outbox (tests of the idle property).
    #[cfg(test)]
    pub(super) fn buffered_capacity(&self) -> usize {
        self.core.decoder.buffered_capacity() + self.core.outbox.capacity()
    }
}

impl<H: Handler, S: AsyncRead + AsyncWrite + Unpin> Future for Connection<H, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let core = this.core;
        let mut timer = this.timer;
        // Unparked at first: the wake that started this poll may have used the parking.
        let mut parked = false;
        for _ in 0..MAX_ROUNDS {
            match core.mode {
                Mode::Done => return Poll::Ready(()),
                Mode::Closing => return core.poll_closing(cx, timer.as_mut()),
                Mode::Probe { .. } | Mode::Open => {}
            }
            let mut progress = false;

            // 1. Read, unless the peer is not taking our output.
            let paused = core.outbox.pending_bytes() >= core.write_limit();
            if !paused {
                let (events, outcome) = core.read_step(cx);
                if !events.is_empty() {
                    if let Some(len) = events.last_message_len() {
                        core.after_large = len >= DIRECT_MIN;
                    }
                    // A handler call unparks the driver: a session step must follow.
                    parked = false;
                    core.handle_events(events, timer.as_mut());
                }
                if !core.is_live() {
                    // An event ended the connection (a close frame, a parse error).
                    continue;
                }
                match outcome {
                    ReadOutcome::Progress => progress = true,
                    ReadOutcome::Pending => {}
                    ReadOutcome::Eof => core.lost(None),
                    ReadOutcome::Failed(err) => core.lost(Some(err)),
                    ReadOutcome::Violation(err) => core.violation(err, timer.as_mut()),
                }
                if !core.is_live() {
                    continue;
                }
            }

            // 2. Session step: timers, the send queue, closing; parks the driver.
            if !parked {
                core.session_step(cx, timer.as_mut());
                parked = true;
                if !core.is_live() {
                    continue;
                }
            }

            // 3. Output kept from earlier (the socket was full).
            if !core.outbox.is_idle() {
                match core.outbox.flush(&mut core.io, cx) {
                    Poll::Pending => {}
                    Poll::Ready(Ok(())) => {
                        // Written out: a graceful close may complete, reads may resume.
                        parked = false;
                        progress = true;
                    }
                    Poll::Ready(Err(err)) => {
                        core.write_failed(err);
                        continue;
                    }
                }
            }

            // 4. The session's next deadline.
            if timer.as_mut().poll(cx).is_ready() {
                // Runs the due timers (and moves the deadline) in the next session step.
                parked = false;
                progress = true;
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Plenty done for one poll: let other tasks run, then carry on.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<H: Handler, S: AsyncRead + AsyncWrite + Unpin> Core<H, S> {
    fn is_live(&self) -> bool {
        matches!(self.mode, Mode::Probe { .. } | Mode::Open)
    }

    fn write_limit(&self) -> usize {
        self.session.ext.engine.config.ws_write_buffer_size.max(1)
    }

    /// One read (straight into a large frame's buffer, or into the scratch buffer),
    /// decoded into events.
    fn read_step(&mut self, cx: &mut Context<'_>) -> (Events, ReadOutcome) {
        let mut events = Events::default();
        if self.decoder.data_remaining() >= DIRECT_MIN {
            if let Some(mut direct) = self.decoder.direct_read() {
                let limit = direct.remaining() - DIRECT_TAIL.min(direct.remaining() / 2);
                let polled = {
                    let mut buf = direct.buffer().limit(limit);
                    pin!(self.io.read_buf(&mut buf)).poll(cx)
                };
                let outcome = match polled {
                    Poll::Pending => ReadOutcome::Pending,
                    Poll::Ready(Ok(0)) => ReadOutcome::Eof,
                    Poll::Ready(Ok(_)) => ReadOutcome::Progress,
                    Poll::Ready(Err(err)) => ReadOutcome::Failed(err),
                };
                return match direct.finish() {
                    Ok(event) => {
                        if let Some(event) = event {
                            events.push(event);
                        }
                        (events, outcome)
                    }
                    Err(err) => (events, ReadOutcome::Violation(err)),
                };
            }
        }
        let mut size = self
            .session
            .ext
            .engine
            .config
            .ws_read_buffer_size
            .clamp(MIN_READ, MAX_READ);
        if self.after_large {
            size = size.min(SMALL_READ);
        }
        let io = &mut self.io;
        let decoder = &mut self.decoder;
        let outcome = READ_SCRATCH.with(|cell| {
            let mut own = Vec::new();
            let mut borrowed = cell.try_borrow_mut();
            // Not reentrant in practice (no user code runs in a read step); stay
            // correct anyway with a buffer of our own.
            let scratch = match &mut borrowed {
                Ok(scratch) => &mut **scratch,
                Err(_) => &mut own,
            };
            if scratch.len() < size {
                scratch.resize(size, 0);
            }
            let mut buf = ReadBuf::new(&mut scratch[..size]);
            match Pin::new(&mut *io).poll_read(cx, &mut buf) {
                Poll::Pending => ReadOutcome::Pending,
                Poll::Ready(Err(err)) => ReadOutcome::Failed(err),
                Poll::Ready(Ok(())) if buf.filled().is_empty() => ReadOutcome::Eof,
                Poll::Ready(Ok(())) => decode_into(decoder, buf.filled(), &mut events),
            }
        });
        (events, outcome)
    }

    /// Handles the events of one read, in order, until the connection stops.
    fn handle_events(&mut self, events: Events, mut timer: Pin<&mut Sleep>) {
        for event in events {
            match self.mode {
                Mode::Open => self.on_open_event(event, timer.as_mut()),
                Mode::Probe { epoch } => self.on_probe_event(epoch, event, timer.as_mut()),
                Mode::Closing | Mode::Done => return,
            }
        }
    }

    fn on_open_event(&mut self, event: Incoming, timer: Pin<&mut Sleep>) {
        let packet = match event {
            Incoming::Text(text) => match packet::decode_text(text) {
                Ok(p) => p,
                Err(err) => {
                    tracing::debug!(sid = self.socket.id(), %err, "parse error");
                    self.socket.close_now(DisconnectReason::ParseError);
                    self.begin_closing(Some(None), timer);
                    return;
                }
            },
            Incoming::Binary(data) => Packet::Message(Message::Binary(data)),
            Incoming::Ping(data) => {
                self.outbox.queue(|out| out.push_frame(OpCode::Pong, &data));
                return;
            }
            Incoming::Pong => return,
            Incoming::Close(code) => {
                self.socket.close_now(DisconnectReason::TransportClose);
                self.begin_closing(Some(code), timer);
                return;
            }
        };
        let message = self.socket.update(|st, now, t| {
            // The driver runs a session step after this round's handler calls.
            st.unpark_driver();
            st.on_timeout(now, t);
            match st.recv(now, t, packet) {
                Recv::Deliver(m) => {
                    st.begin_delivery();
                    Some(m)
                }
                Recv::Ignore | Recv::Closed => None,
            }
        });
        if let Some(m) = message {
            self.session
                .ext
                .engine
                .deliver(&self.session, &self.socket, m);
            self.socket.update(|st, _, _| st.end_delivery());
        }
    }

    fn on_probe_event(&mut self, epoch: u32, event: Incoming, timer: Pin<&mut Sleep>) {
        let packet = match event {
            Incoming::Text(text) => match packet::decode_text(text) {
                Ok(p) => p,
                Err(_) => return self.abort_probe(epoch, Some(None), timer),
            },
            Incoming::Ping(data) => {
                self.outbox.queue(|out| out.push_frame(OpCode::Pong, &data));
                return;
            }
            Incoming::Pong => return,
            Incoming::Binary(_) => return self.abort_probe(epoch, Some(None), timer),
            Incoming::Close(code) => return self.abort_probe(epoch, Some(code), timer),
        };
        match self
            .socket
            .update(|st, _, _| st.upgrade_recv(epoch, &packet))
        {
            UpgradeStep::SendProbe => self
                .outbox
                .queue(|out| out.push_frame(OpCode::Text, packet::PONG_PROBE.as_bytes())),
            UpgradeStep::Complete => {
                tracing::debug!(sid = self.socket.id(), "upgraded to websocket");
                self.mode = Mode::Open;
            }
            UpgradeStep::Abort => self.abort_probe(epoch, Some(None), timer),
            UpgradeStep::Ignore => {}
        }
    }

    /// The upgrade failed or was superseded: the session stays on polling.
    fn abort_probe(&mut self, epoch: u32, frame: Option<Option<u16>>, timer: Pin<&mut Sleep>) {
        self.socket.update(|st, _, _| {
            st.clear_driver();
            st.abort_upgrade(epoch);
        });
        self.begin_closing(frame, timer);
    }

    /// Timers, the send queue and the session's life, under one lock that also parks
    /// the driver.
    fn session_step(&mut self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) {
        match self.mode {
            Mode::Probe { epoch } => {
                let deadline = self.socket.update_parked(cx.waker(), |st, now, t| {
                    st.on_timeout(now, t);
                    st.upgrade_deadline(epoch)
                });
                match deadline {
                    Some(deadline) => rearm(timer, deadline),
                    None => self.abort_probe(epoch, Some(None), timer),
                }
            }
            Mode::Open => self.open_session_step(cx, timer),
            Mode::Closing | Mode::Done => {}
        }
    }

    fn open_session_step(&mut self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) {
        let accept = self.outbox.pending_bytes() < self.write_limit();
        let (packets, deadline, closing, closed) =
            self.socket.update_parked(cx.waker(), |st, now, t| {
                st.on_timeout(now, t);
                // The whole queue, buffer included: an idle session keeps no capacity.
                let packets = if accept {
                    st.take_queue()
                } else {
                    Default::default()
                };
                (packets, st.next_deadline(), st.is_closing(), st.is_closed())
            });
        if !packets.is_empty() {
            let vectored = self.io.is_write_vectored();
            let sent = self
                .outbox
                .send(&mut self.io, cx, |out| out.push_batch(packets, vectored));
            if let Poll::Ready(Err(err)) = sent {
                return self.write_failed(err);
            }
        }
        if closed {
            // Closed elsewhere (forced close, ping timeout, ...): a close frame, then drop.
            return self.begin_closing(Some(None), timer);
        }
        if closing && self.outbox.is_idle() {
            // Graceful close: the queue is flushed, now the close frame.
            self.socket.update(|st, _, _| {
                st.clear_driver();
                st.finish_closing();
            });
            return self.begin_closing(Some(None), timer);
        }
        if let Some(deadline) = deadline {
            rearm(timer, deadline);
        }
    }

    /// The client broke the protocol: "transport error", and a close frame with the code.
    fn violation(&mut self, err: FrameError, timer: Pin<&mut Sleep>) {
        tracing::debug!(sid = self.socket.id(), %err, "websocket protocol error");
        match self.mode {
            Mode::Probe { epoch } => self.abort_probe(epoch, Some(Some(err.close_code())), timer),
            _ => {
                self.socket.close_now(DisconnectReason::TransportError);
                self.begin_closing(Some(Some(err.close_code())), timer);
            }
        }
    }

    /// The socket ended or failed: "transport close", nothing more is written.
    fn lost(&mut self, err: Option<io::Error>) {
        if let Some(err) = &err {
            tracing::debug!(sid = self.socket.id(), %err, "websocket read error");
        }
        self.stop_now();
    }

    fn write_failed(&mut self, err: io::Error) {
        tracing::debug!(sid = self.socket.id(), %err, "websocket write error");
        self.stop_now();
    }

    /// Ends the connection at once (the socket is unusable).
    fn stop_now(&mut self) {
        match self.mode {
            Mode::Probe { epoch } => self.socket.update(|st, _, _| {
                st.clear_driver();
                st.abort_upgrade(epoch);
            }),
            Mode::Open => self.socket.update(|st, _, _| {
                st.clear_driver();
                st.close(DisconnectReason::TransportClose);
            }),
            Mode::Closing | Mode::Done => {}
        }
        self.mode = Mode::Done;
    }

    /// Starts the last phase: queue a close frame (`Some(code)`; `None`: no frame), then
    /// flush for at most [`CLOSE_FLUSH`].
    fn begin_closing(&mut self, frame: Option<Option<u16>>, timer: Pin<&mut Sleep>) {
        if matches!(self.mode, Mode::Closing | Mode::Done) {
            return;
        }
        self.socket.lock().clear_driver();
        if let Some(code) = frame {
            self.outbox.queue(|out| out.push_close(code));
        }
        timer.reset(Instant::now() + CLOSE_FLUSH);
        self.mode = Mode::Closing;
    }

    fn poll_closing(&mut self, cx: &mut Context<'_>, timer: Pin<&mut Sleep>) -> Poll<()> {
        if self.outbox.flush(&mut self.io, cx).is_ready() || timer.poll(cx).is_ready() {
            self.mode = Mode::Done;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<H: Handler, S> Drop for Core<H, S> {
    /// A connection dropped before it finished (its runtime shut down) does not leave
    /// its waker parked in the session (it would keep the task's memory alive).
    fn drop(&mut self) {
        if matches!(self.mode, Mode::Probe { .. } | Mode::Open) {
            self.socket.lock().clear_driver();
        }
    }
}

/// Moves the timer to `deadline` if it is not there already.
fn rearm(timer: Pin<&mut Sleep>, deadline: std::time::Instant) {
    let deadline = Instant::from_std(deadline);
    if timer.deadline() != deadline {
        timer.reset(deadline);
    }
}

#[cfg(test)]
mod tests;
