//! The session state machine, free of IO (quinn-proto style).
//!
//! Every method takes the current [`Instant`] (and the engine's [`Timing`]) as input and
//! returns what the IO layer must do; nothing here sleeps, spawns or touches a socket.
//! The IO drivers (`polling.rs`, `websocket.rs`, `socket.rs`) hold one `SessionState`
//! behind the session's mutex and react to its answers.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{DisconnectReason, TrySendError};
use crate::message::Message;
use crate::packet::Packet;
use crate::payload::OutPacket;

/// The current transport of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl TransportKind {
    /// Node's transport name (`polling` / `websocket`).
    pub fn as_str(&self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
        }
    }
}

/// Engine-wide timing parameters (kept once in the engine, not per session).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    pub(crate) upgrade_timeout: Duration,
    pub(crate) close_timeout: Duration,
}

/// `now + d`, saturating far in the future instead of panicking on huge durations
/// (e.g. a "disabled" timeout configured as `Duration::MAX`).
fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heartbeat {
    /// The next ping goes out at this instant.
    Idle { ping_at: Instant },
    /// A ping is out; the pong must arrive before this instant.
    AwaitingPong { deadline: Instant },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upgrade {
    None,
    Pending {
        epoch: u32,
        deadline: Instant,
        /// The WebSocket is open (polls are answered with a noop from now on).
        established: bool,
        probed: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Open,
    /// Server-initiated graceful close: the queue is flushed, then the close happens.
    Closing {
        reason: DisconnectReason,
        deadline: Instant,
        /// Polling: a GET was waiting on an empty queue when the close began, so it
        /// carries a bare `1` (Node: the transport was writable, the close goes out at
        /// once). Otherwise the close waits for the queue to drain and goes out as
        /// `6␞1` on a later GET, never in the same response as the last messages.
        immediate: bool,
    },
    Closed {
        reason: DisconnectReason,
    },
}

/// What a GET that was pending when the session closed receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CloseReply {
    Close,
    Noop,
}

/// Result of a timer check.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fired {
    /// A ping was queued.
    pub(crate) ping: bool,
    /// The session closed (ping timeout, or a graceful close that timed out).
    pub(crate) closed: bool,
    /// A pending upgrade expired and was cancelled.
    pub(crate) upgrade_expired: bool,
}

/// What to do with a packet received on the active transport.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Recv {
    /// Hand the message to the handler.
    Deliver(Message),
    /// Nothing to do.
    Ignore,
    /// The session is now closed.
    Closed,
}

/// What to do with a packet received on an upgrading WebSocket.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UpgradeStep {
    /// Answer `3probe`; pending GETs must now get a noop.
    SendProbe,
    /// The WebSocket is now the session's transport.
    Complete,
    /// The upgrade is over (failed or superseded): close this WebSocket.
    Abort,
    /// Nothing to do.
    Ignore,
}

/// What a pending polling GET does now.
#[derive(Debug, PartialEq)]
pub(crate) enum GetStep {
    /// Keep waiting.
    Wait,
    /// Answer with these packets (never empty).
    Reply(Vec<OutPacket>),
}

/// The state of one session.
#[derive(Debug)]
pub(crate) struct SessionState {
    transport: TransportKind,
    upgrade: Upgrade,
    upgrade_epoch: u32,
    heartbeat: Heartbeat,
    life: Life,
    close_reply: CloseReply,
    queue: VecDeque<OutPacket>,
    queued_messages: usize,
    capacity: usize,
    get_pending: bool,
    post_active: bool,
    delivering: u32,
    finalized: bool,
}

impl SessionState {
    /// A new open session; the first ping is due `ping_interval` from `now`.
    pub(crate) fn new(
        now: Instant,
        transport: TransportKind,
        timing: &Timing,
        capacity: usize,
    ) -> Self {
        SessionState {
            transport,
            upgrade: Upgrade::None,
            upgrade_epoch: 0,
            heartbeat: Heartbeat::Idle {
                ping_at: after(now, timing.ping_interval),
            },
            life: Life::Open,
            close_reply: CloseReply::Close,
            queue: VecDeque::new(),
            queued_messages: 0,
            capacity: capacity.max(1),
            get_pending: false,
            post_active: false,
            delivering: 0,
            finalized: false,
        }
    }

    pub(crate) fn transport(&self) -> TransportKind {
        self.transport
    }

    /// Open (not closing, not closed).
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.life, Life::Open)
    }

    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.life, Life::Closed { .. })
    }

    pub(crate) fn is_closing(&self) -> bool {
        matches!(self.life, Life::Closing { .. })
    }

    /// The earliest instant at which [`on_timeout`](Self::on_timeout) has work to do.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match self.life {
            Life::Closed { .. } => None,
            Life::Closing { deadline, .. } => Some(deadline),
            Life::Open => {
                let hb = match self.heartbeat {
                    Heartbeat::Idle { ping_at } => ping_at,
                    Heartbeat::AwaitingPong { deadline } => deadline,
                };
                match self.upgrade {
                    Upgrade::Pending { deadline, .. } => Some(hb.min(deadline)),
                    Upgrade::None => Some(hb),
                }
            }
        }
    }

    /// Runs every timer that is due at `now`. Call it on timer wake-ups *and* before
    /// handling any request: a deadline that passed closes the session even if the
    /// timer has not fired yet.
    pub(crate) fn on_timeout(&mut self, now: Instant, timing: &Timing) -> Fired {
        let mut fired = Fired::default();
        match self.life {
            Life::Closed { .. } => {}
            Life::Closing {
                reason, deadline, ..
            } => {
                if now >= deadline {
                    self.set_closed(reason, CloseReply::Close);
                    fired.closed = true;
                }
            }
            Life::Open => match self.heartbeat {
                Heartbeat::AwaitingPong { deadline } if now >= deadline => {
                    self.set_closed(DisconnectReason::PingTimeout, CloseReply::Close);
                    fired.closed = true;
                }
                Heartbeat::Idle { ping_at } if now >= ping_at => {
                    // The pong deadline counts from when the ping was due, not from when
                    // a (possibly late) timer noticed: the deadline never drifts.
                    let deadline = after(ping_at, timing.ping_timeout);
                    if now >= deadline {
                        self.set_closed(DisconnectReason::PingTimeout, CloseReply::Close);
                        fired.closed = true;
                    } else {
                        self.queue.push_back(OutPacket::Ping);
                        self.heartbeat = Heartbeat::AwaitingPong { deadline };
                        fired.ping = true;
                    }
                }
                _ => {}
            },
        }
        // Also while closing, and for an upgrade left waiting for its `5` after the
        // session closed (see `set_closed`).
        if let Upgrade::Pending { deadline, .. } = self.upgrade {
            if now >= deadline {
                self.upgrade = Upgrade::None;
                fired.upgrade_expired = true;
            }
        }
        fired
    }

    /// Handles a packet from the session's active transport.
    pub(crate) fn recv(&mut self, now: Instant, timing: &Timing, packet: Packet) -> Recv {
        if !self.is_open() {
            return Recv::Ignore;
        }
        match packet {
            Packet::Message(m) => Recv::Deliver(m),
            Packet::Pong(_) => {
                self.heartbeat = Heartbeat::Idle {
                    ping_at: after(now, timing.ping_interval),
                };
                Recv::Ignore
            }
            // v4: the server pings; a client ping is "invalid heartbeat direction".
            Packet::Ping(_) => {
                self.set_closed(DisconnectReason::TransportError, CloseReply::Close);
                Recv::Closed
            }
            Packet::Close => {
                self.set_closed(DisconnectReason::TransportClose, CloseReply::Noop);
                Recv::Closed
            }
            Packet::Open | Packet::Upgrade | Packet::Noop => Recv::Ignore,
        }
    }

    /// Closes the session at once (protocol errors, transport loss, forced close).
    /// Returns false if it was already closed.
    pub(crate) fn close(&mut self, reason: DisconnectReason) -> bool {
        if self.is_closed() {
            return false;
        }
        self.set_closed(reason, CloseReply::Close);
        true
    }

    /// Server-initiated graceful close: what is queued is still delivered, then the
    /// close packet (polling) or the close frame (WebSocket). Returns false if the
    /// session was already closing or closed.
    pub(crate) fn close_gracefully(
        &mut self,
        now: Instant,
        timing: &Timing,
        reason: DisconnectReason,
    ) -> bool {
        if !self.is_open() {
            return false;
        }
        // A pending upgrade carries on (Node: it may complete while closing; the queue
        // then goes out over the WebSocket, followed by its close).
        self.life = Life::Closing {
            reason,
            deadline: after(now, timing.close_timeout),
            immediate: self.get_pending && self.queue.is_empty(),
        };
        true
    }

    /// Marks a graceful close as done (the WebSocket driver flushed everything).
    pub(crate) fn finish_closing(&mut self) {
        if let Life::Closing { reason, .. } = self.life {
            self.set_closed(reason, CloseReply::Close);
        }
    }

    fn set_closed(&mut self, reason: DisconnectReason, reply: CloseReply) {
        self.life = Life::Closed { reason };
        self.close_reply = reply;
        // A client that got `3probe` pauses polling: it sends no GET until the one in
        // flight returns, then switches to the WebSocket and sends `5`. If no GET is
        // here to carry the close, that in-flight answer was a noop, and closing the
        // upgrading WebSocket now could reach the client before that noop: its probe
        // then fails, its polling stays paused, and it only notices at its ping
        // timeout. So the upgrading WebSocket waits (until the upgrade deadline) for the
        // client's `5` — the client has switched by then — and is closed on it.
        let client_may_be_pausing =
            matches!(self.upgrade, Upgrade::Pending { probed: true, .. }) && !self.get_pending;
        if !client_may_be_pausing {
            self.upgrade = Upgrade::None;
        }
        self.queue = VecDeque::new();
        self.queued_messages = 0;
    }

    /// Queues a message, or hands it back.
    pub(crate) fn push(&mut self, message: Message) -> Result<(), TrySendError> {
        if !self.is_open() {
            return Err(TrySendError::Closed(message));
        }
        if self.queued_messages >= self.capacity {
            return Err(TrySendError::Full(message));
        }
        self.queue.push_back(OutPacket::Message(message));
        self.queued_messages += 1;
        Ok(())
    }

    /// Queues a batch all-or-nothing, or hands it back.
    ///
    /// The batch fits when the queued messages plus the batch stay within the capacity,
    /// and always when no message is queued: a batch larger than the whole capacity is
    /// accepted into an empty queue (otherwise it could never be sent), so the queue
    /// holds at most `max(capacity, largest batch)` messages.
    pub(crate) fn push_many(
        &mut self,
        messages: Vec<Message>,
    ) -> Result<(), TrySendError<Vec<Message>>> {
        if !self.is_open() {
            return Err(TrySendError::Closed(messages));
        }
        let fits = self.queued_messages == 0
            || self.queued_messages.saturating_add(messages.len()) <= self.capacity;
        if !fits {
            return Err(TrySendError::Full(messages));
        }
        self.queued_messages += messages.len();
        self.queue
            .extend(messages.into_iter().map(OutPacket::Message));
        Ok(())
    }

    /// Whether anything waits to be written.
    pub(crate) fn has_output(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Moves everything queued to `out` (in order).
    pub(crate) fn drain_into(&mut self, out: &mut Vec<OutPacket>) {
        out.extend(self.queue.drain(..));
        self.queued_messages = 0;
        if self.queue.capacity() > 64 {
            self.queue.shrink_to(16);
        }
    }

    // ---- delivery bookkeeping: on_disconnect runs once, after any on_message ----

    /// A handler call is about to run.
    pub(crate) fn begin_delivery(&mut self) {
        self.delivering += 1;
    }

    /// A handler call finished.
    pub(crate) fn end_delivery(&mut self) {
        self.delivering = self.delivering.saturating_sub(1);
    }

    /// `Some(reason)` exactly once: when the session is closed and no handler call is in
    /// progress. Whoever receives it runs the disconnect path.
    pub(crate) fn take_finalize(&mut self) -> Option<DisconnectReason> {
        match self.life {
            Life::Closed { reason } if !self.finalized && self.delivering == 0 => {
                self.finalized = true;
                Some(reason)
            }
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn is_finalized(&self) -> bool {
        self.finalized
    }

    // ---- polling ----

    /// A GET arrives. `Err` if one is already pending (overlap: the caller closes).
    pub(crate) fn begin_get(&mut self) -> Result<(), ()> {
        if self.get_pending {
            return Err(());
        }
        self.get_pending = true;
        Ok(())
    }

    /// What the pending GET does now.
    ///
    /// While a graceful close is in progress the GET gets what is queued alone; the
    /// close packet goes out on the next GET (as `6␞1`, like Node, whose polling
    /// transport is not writable again until that GET), or as a bare `1` when a GET was
    /// already waiting on an empty queue when the close began. Socket.IO clients depend
    /// on this order: they handle decoded messages on the next tick but a close packet
    /// at once, so a close in the same response would overtake e.g. a DISCONNECT.
    /// Each drain restarts the `close_timeout` wait for that next GET (Node starts its
    /// close timer once the write buffer has drained).
    pub(crate) fn poll_get(&mut self, now: Instant, timing: &Timing) -> GetStep {
        let reply = match self.life {
            Life::Closed { .. } => match self.close_reply {
                CloseReply::Close => vec![OutPacket::Close],
                CloseReply::Noop => vec![OutPacket::Noop],
            },
            Life::Closing {
                reason, immediate, ..
            } => {
                if self.has_output() {
                    let mut out = Vec::with_capacity(self.queue.len());
                    self.drain_into(&mut out);
                    self.life = Life::Closing {
                        reason,
                        deadline: after(now, timing.close_timeout),
                        immediate: false,
                    };
                    out
                } else {
                    self.set_closed(reason, CloseReply::Close);
                    if immediate {
                        vec![OutPacket::Close]
                    } else {
                        vec![OutPacket::Noop, OutPacket::Close]
                    }
                }
            }
            Life::Open => {
                if self.transport == TransportKind::WebSocket {
                    vec![OutPacket::Noop]
                } else if !self.queue.is_empty() {
                    let mut out = Vec::with_capacity(self.queue.len());
                    self.drain_into(&mut out);
                    out
                } else if matches!(
                    self.upgrade,
                    Upgrade::Pending {
                        established: true,
                        ..
                    }
                ) {
                    vec![OutPacket::Noop]
                } else {
                    return GetStep::Wait;
                }
            }
        };
        GetStep::Reply(reply)
    }

    /// The GET is over (answered or aborted).
    pub(crate) fn end_get(&mut self) {
        self.get_pending = false;
    }

    /// A POST arrives. `Err` if one is already being read (overlap).
    pub(crate) fn begin_post(&mut self) -> Result<(), ()> {
        if self.post_active {
            return Err(());
        }
        self.post_active = true;
        Ok(())
    }

    /// The POST is over.
    pub(crate) fn end_post(&mut self) {
        self.post_active = false;
    }

    // ---- upgrade ----

    /// Whether a WebSocket may start upgrading this session now.
    pub(crate) fn can_upgrade(&self) -> bool {
        self.is_open() && self.transport == TransportKind::Polling && self.upgrade == Upgrade::None
    }

    /// A WebSocket with this sid was accepted: the upgrade starts. Returns its epoch.
    pub(crate) fn begin_upgrade(&mut self, now: Instant, timing: &Timing) -> Option<u32> {
        if !self.can_upgrade() {
            return None;
        }
        self.upgrade_epoch = self.upgrade_epoch.wrapping_add(1);
        self.upgrade = Upgrade::Pending {
            epoch: self.upgrade_epoch,
            deadline: after(now, timing.upgrade_timeout),
            established: false,
            probed: false,
        };
        Some(self.upgrade_epoch)
    }

    /// Whether the WebSocket of upgrade `epoch` is still wanted: the upgrade is pending
    /// (the session is open or closing), or the session closed while the client may be
    /// pausing its polling to switch (the WebSocket then waits for the `5`).
    pub(crate) fn upgrade_pending(&self, epoch: u32) -> bool {
        matches!(self.upgrade, Upgrade::Pending { epoch: e, .. } if e == epoch)
    }

    /// The deadline of upgrade `epoch`, if it is still pending.
    pub(crate) fn upgrade_deadline(&self, epoch: u32) -> Option<Instant> {
        match self.upgrade {
            Upgrade::Pending {
                epoch: e, deadline, ..
            } if e == epoch => Some(deadline),
            _ => None,
        }
    }

    /// A packet arrived on the upgrading WebSocket of `epoch`.
    pub(crate) fn upgrade_recv(&mut self, epoch: u32, packet: &Packet) -> UpgradeStep {
        if !self.upgrade_pending(epoch) {
            return UpgradeStep::Abort;
        }
        if self.is_closed() {
            // The client switched (`5`) or gave up: either way, close this WebSocket now.
            self.upgrade = Upgrade::None;
            return UpgradeStep::Abort;
        }
        match packet {
            Packet::Ping(data) if &data[..] == b"probe" => {
                if let Upgrade::Pending {
                    probed,
                    established,
                    ..
                } = &mut self.upgrade
                {
                    *probed = true;
                    *established = true;
                }
                UpgradeStep::SendProbe
            }
            Packet::Upgrade => {
                self.upgrade = Upgrade::None;
                self.transport = TransportKind::WebSocket;
                UpgradeStep::Complete
            }
            Packet::Noop => UpgradeStep::Ignore,
            _ => {
                self.upgrade = Upgrade::None;
                UpgradeStep::Abort
            }
        }
    }

    /// The WebSocket of upgrade `epoch` is open: from now on polls are answered with a
    /// noop at once, so the client can finish its pending poll and switch.
    pub(crate) fn upgrade_established(&mut self, epoch: u32) {
        if let Upgrade::Pending {
            epoch: e,
            established,
            ..
        } = &mut self.upgrade
        {
            if *e == epoch {
                *established = true;
            }
        }
    }

    /// The upgrading WebSocket of `epoch` went away or timed out.
    pub(crate) fn abort_upgrade(&mut self, epoch: u32) {
        if matches!(self.upgrade, Upgrade::Pending { epoch: e, .. } if e == epoch) {
            self.upgrade = Upgrade::None;
        }
    }

    /// Number of queued messages (control packets excluded).
    pub(crate) fn queued_messages(&self) -> usize {
        self.queued_messages
    }

    /// Changes whenever the upgrade state changes (pending, probed, epoch).
    pub(crate) fn upgrade_fingerprint(&self) -> u64 {
        match self.upgrade {
            Upgrade::None => 0,
            Upgrade::Pending {
                epoch,
                probed,
                established,
                ..
            } => {
                (u64::from(epoch) << 3)
                    | 1
                    | (u64::from(probed) << 1)
                    | (u64::from(established) << 2)
            }
        }
    }

    /// The close reason, once closing or closed.
    #[cfg(test)]
    pub(crate) fn reason(&self) -> Option<DisconnectReason> {
        match self.life {
            Life::Open => None,
            Life::Closing { reason, .. } | Life::Closed { reason } => Some(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Text;
    use bytes::Bytes;

    fn timing() -> Timing {
        Timing {
            ping_interval: Duration::from_millis(300),
            ping_timeout: Duration::from_millis(200),
            upgrade_timeout: Duration::from_millis(1000),
            close_timeout: Duration::from_millis(3000),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn msg(s: &str) -> Message {
        Message::Text(Text::new(s))
    }

    #[test]
    fn first_ping_after_interval_then_timeout() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        assert_eq!(s.next_deadline(), Some(t0 + ms(300)));
        assert_eq!(s.on_timeout(t0 + ms(299), &t), Fired::default());
        assert!(!s.has_output());
        let f = s.on_timeout(t0 + ms(300), &t);
        assert!(f.ping && !f.closed);
        assert_eq!(s.next_deadline(), Some(t0 + ms(500)));
        // the pong deadline is strict: exactly at the deadline the session is gone
        let f = s.on_timeout(t0 + ms(500), &t);
        assert!(f.closed);
        assert_eq!(s.reason(), Some(DisconnectReason::PingTimeout));
        assert_eq!(s.take_finalize(), Some(DisconnectReason::PingTimeout));
        assert_eq!(s.take_finalize(), None);
    }

    #[test]
    fn late_timer_does_not_move_the_deadline() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        // the timer notices the ping 50 ms late: the deadline is still due + pingTimeout
        assert!(s.on_timeout(t0 + ms(350), &t).ping);
        assert_eq!(s.next_deadline(), Some(t0 + ms(500)));
        assert!(s.on_timeout(t0 + ms(500), &t).closed);

        // nothing ran until after the whole deadline: closed at once, no ping queued
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        let f = s.on_timeout(t0 + ms(520), &t);
        assert!(f.closed && !f.ping);
        assert_eq!(s.reason(), Some(DisconnectReason::PingTimeout));
    }

    #[test]
    fn pong_reschedules_from_pong_time() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::WebSocket, &t, 8);
        s.on_timeout(t0 + ms(300), &t);
        let mut out = Vec::new();
        s.drain_into(&mut out);
        assert!(matches!(out[..], [OutPacket::Ping]));
        assert_eq!(
            s.recv(t0 + ms(450), &t, Packet::Pong(Bytes::new())),
            Recv::Ignore
        );
        assert_eq!(s.next_deadline(), Some(t0 + ms(750)));
        assert!(!s.on_timeout(t0 + ms(700), &t).closed);
        assert!(s.is_open());
    }

    #[test]
    fn client_ping_and_close() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::WebSocket, &t, 8);
        assert_eq!(s.recv(t0, &t, Packet::Ping(Bytes::new())), Recv::Closed);
        assert_eq!(s.reason(), Some(DisconnectReason::TransportError));

        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        s.begin_get().unwrap();
        assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
        assert_eq!(s.recv(t0, &t, Packet::Close), Recv::Closed);
        assert_eq!(s.reason(), Some(DisconnectReason::TransportClose));
        // a GET pending when the client closes gets a noop
        assert!(
            matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop]))
        );
    }

    #[test]
    fn queue_is_bounded_and_refuses_after_close() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 2);
        s.push(msg("a")).unwrap();
        s.push(msg("b")).unwrap();
        assert!(matches!(s.push(msg("c")), Err(TrySendError::Full(_))));
        // control packets do not count against the capacity
        s.on_timeout(t0 + ms(301), &t);
        s.begin_get().unwrap();
        match s.poll_get(t0, &t) {
            GetStep::Reply(v) => assert_eq!(v.len(), 3),
            GetStep::Wait => panic!("expected a reply"),
        }
        s.end_get();
        s.push(msg("c")).unwrap();
        assert!(s.close(DisconnectReason::ForcedClose));
        assert!(!s.close(DisconnectReason::ForcedClose));
        assert!(!s.has_output());
        assert!(matches!(s.push(msg("d")), Err(TrySendError::Closed(_))));
    }

    fn reply(step: GetStep) -> Vec<OutPacket> {
        match step {
            GetStep::Reply(v) => v,
            GetStep::Wait => panic!("expected a reply"),
        }
    }

    #[test]
    fn batches_are_all_or_nothing() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 3);
        s.push(msg("a")).unwrap();
        s.push_many(vec![msg("b"), msg("c")]).unwrap();
        assert_eq!(s.queued_messages(), 3);
        // does not fit: nothing of it is queued, the batch comes back whole
        s.drain_into(&mut Vec::new());
        s.push(msg("d")).unwrap();
        s.push(msg("e")).unwrap();
        match s.push_many(vec![msg("f"), msg("g")]) {
            Err(TrySendError::Full(v)) => assert_eq!(v, vec![msg("f"), msg("g")]),
            other => panic!("expected Full, got {other:?}"),
        }
        assert_eq!(s.queued_messages(), 2);
        // larger than the whole capacity: refused while anything is queued...
        let big: Vec<Message> = (0..5).map(|i| msg(&i.to_string())).collect();
        assert!(matches!(
            s.push_many(big.clone()),
            Err(TrySendError::Full(_))
        ));
        // ...accepted into an empty queue, in order
        let mut out = Vec::new();
        s.drain_into(&mut out);
        s.push_many(big.clone()).unwrap();
        assert_eq!(s.queued_messages(), 5);
        assert!(matches!(s.push(msg("x")), Err(TrySendError::Full(_))));
        out.clear();
        s.drain_into(&mut out);
        let sent: Vec<Message> = out
            .into_iter()
            .filter_map(|p| match p {
                OutPacket::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert_eq!(sent, big);
        // closing: the batch comes back
        s.close(DisconnectReason::ForcedClose);
        assert!(
            matches!(s.push_many(vec![msg("z")]), Err(TrySendError::Closed(v)) if v.len() == 1)
        );
    }

    #[test]
    fn graceful_close_flushes_then_sends_close_in_a_later_response() {
        let t = timing();
        let t0 = Instant::now();
        // messages queued, a GET already waiting (not yet woken): like Node, that GET
        // carries the messages only; the close is `6␞1` on the next GET
        for get_waiting in [true, false] {
            let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
            if get_waiting {
                s.begin_get().unwrap();
                assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
            }
            s.push(msg("bye")).unwrap();
            assert!(s.close_gracefully(t0, &t, DisconnectReason::ForcedClose));
            assert!(!s.is_open() && !s.is_closed());
            assert_eq!(s.take_finalize(), None);
            assert!(matches!(s.push(msg("late")), Err(TrySendError::Closed(_))));
            if !get_waiting {
                s.begin_get().unwrap();
            }
            let v = reply(s.poll_get(t0 + ms(100), &t));
            assert!(matches!(&v[..], [OutPacket::Message(m)] if *m == msg("bye")));
            s.end_get();
            assert_eq!(
                s.take_finalize(),
                None,
                "not closed before the close is sent"
            );
            // the wait for the next GET restarts once the queue drained
            assert_eq!(s.next_deadline(), Some(t0 + ms(3100)));
            s.begin_get().unwrap();
            let v = reply(s.poll_get(t0 + ms(200), &t));
            assert!(
                matches!(v[..], [OutPacket::Noop, OutPacket::Close]),
                "{v:?}"
            );
            s.end_get();
            assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
        }
    }

    #[test]
    fn graceful_close_with_nothing_queued() {
        let t = timing();
        let t0 = Instant::now();
        // a GET waiting on an empty queue gets a bare `1` at once
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        s.begin_get().unwrap();
        assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
        s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
        assert!(matches!(reply(s.poll_get(t0, &t))[..], [OutPacket::Close]));
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
        // no GET waiting: the next GET gets `6␞1`
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
        s.begin_get().unwrap();
        let v = reply(s.poll_get(t0, &t));
        assert!(matches!(v[..], [OutPacket::Noop, OutPacket::Close]));
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    }

    #[test]
    fn graceful_close_drained_but_no_next_get_times_out() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        s.push(msg("bye")).unwrap();
        s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
        s.begin_get().unwrap();
        reply(s.poll_get(t0 + ms(1000), &t));
        s.end_get();
        assert!(!s.on_timeout(t0 + ms(3999), &t).closed);
        assert!(s.on_timeout(t0 + ms(4000), &t).closed);
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    }

    #[test]
    fn graceful_close_times_out_without_a_get() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
        assert_eq!(s.next_deadline(), Some(t0 + ms(3000)));
        assert!(s.on_timeout(t0 + ms(3000), &t).closed);
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    }

    #[test]
    fn overlapping_requests_are_detected() {
        let t = timing();
        let mut s = SessionState::new(Instant::now(), TransportKind::Polling, &t, 8);
        s.begin_get().unwrap();
        assert!(s.begin_get().is_err());
        s.begin_post().unwrap();
        assert!(s.begin_post().is_err());
        s.end_post();
        s.begin_post().unwrap();
    }

    #[test]
    fn upgrade_flow() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        let e = s.begin_upgrade(t0, &t).unwrap();
        assert!(
            s.begin_upgrade(t0, &t).is_none(),
            "second websocket refused"
        );
        s.begin_get().unwrap();
        // requested but not yet open: polls still wait
        assert_eq!(s.poll_get(t0, &t), GetStep::Wait);
        s.upgrade_established(e);
        assert!(
            matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop]))
        );
        s.end_get();
        s.begin_get().unwrap();
        assert_eq!(
            s.upgrade_recv(e, &Packet::Ping(Bytes::from_static(b"probe"))),
            UpgradeStep::SendProbe
        );
        // while upgrading, polls are answered with a noop
        assert!(
            matches!(s.poll_get(t0, &t), GetStep::Reply(v) if matches!(v[..], [OutPacket::Noop]))
        );
        s.end_get();
        assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Complete);
        assert_eq!(s.transport(), TransportKind::WebSocket);
        assert!(!s.can_upgrade());
        assert!(s.begin_upgrade(t0, &t).is_none());
    }

    #[test]
    fn upgrade_times_out_and_can_be_retried() {
        let t = timing();
        let t0 = Instant::now();
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        let e = s.begin_upgrade(t0, &t).unwrap();
        assert_eq!(s.next_deadline(), Some(t0 + ms(300)));
        s.on_timeout(t0 + ms(300), &t);
        s.recv(t0 + ms(310), &t, Packet::Pong(Bytes::new()));
        s.on_timeout(t0 + ms(610), &t);
        s.recv(t0 + ms(700), &t, Packet::Pong(Bytes::new()));
        assert_eq!(s.upgrade_deadline(e), Some(t0 + ms(1000)));
        let f = s.on_timeout(t0 + ms(1000), &t);
        assert!(f.upgrade_expired && !f.closed);
        assert!(!s.upgrade_pending(e));
        assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Abort);
        assert_eq!(s.transport(), TransportKind::Polling);
        let e2 = s.begin_upgrade(t0 + ms(1000), &t).unwrap();
        assert_ne!(e, e2);
        // anything unexpected aborts the upgrade, the session stays on polling
        assert_eq!(
            s.upgrade_recv(e2, &Packet::Message(msg("x"))),
            UpgradeStep::Abort
        );
        assert!(s.is_open());
    }

    fn probed(t0: Instant, t: &Timing) -> (SessionState, u32) {
        let mut s = SessionState::new(t0, TransportKind::Polling, t, 8);
        let e = s.begin_upgrade(t0, t).unwrap();
        s.upgrade_established(e);
        let probe = Packet::Ping(Bytes::from_static(b"probe"));
        assert_eq!(s.upgrade_recv(e, &probe), UpgradeStep::SendProbe);
        (s, e)
    }

    #[test]
    fn close_during_probed_upgrade_waits_for_the_switch() {
        let t = timing();
        let t0 = Instant::now();
        // no GET to carry the close: the upgrading WebSocket is kept for the `5`...
        let (mut s, e) = probed(t0, &t);
        assert!(s.close(DisconnectReason::ForcedClose));
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
        assert!(s.upgrade_pending(e));
        assert_eq!(s.upgrade_deadline(e), Some(t0 + ms(1000)));
        // ...and closed when it comes (the client has switched to it by then)
        assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Abort);
        assert!(!s.upgrade_pending(e));
        assert_eq!(s.transport(), TransportKind::Polling);

        // bounded by the upgrade deadline
        let (mut s, e) = probed(t0, &t);
        s.close(DisconnectReason::ForcedClose);
        assert!(!s.on_timeout(t0 + ms(999), &t).upgrade_expired);
        assert!(s.on_timeout(t0 + ms(1000), &t).upgrade_expired);
        assert!(!s.upgrade_pending(e));

        // a GET waiting carries the close (`1`): the WebSocket is closed at once
        let (mut s, e) = probed(t0, &t);
        s.begin_get().unwrap();
        s.close(DisconnectReason::ForcedClose);
        assert!(!s.upgrade_pending(e));
        assert!(matches!(reply(s.poll_get(t0, &t))[..], [OutPacket::Close]));

        // not probed yet: the client is still polling, close the WebSocket at once
        let mut s = SessionState::new(t0, TransportKind::Polling, &t, 8);
        let e = s.begin_upgrade(t0, &t).unwrap();
        s.upgrade_established(e);
        s.close(DisconnectReason::PingTimeout);
        assert!(!s.upgrade_pending(e));
    }

    #[test]
    fn graceful_close_lets_a_probed_upgrade_finish() {
        let t = timing();
        let t0 = Instant::now();
        let (mut s, e) = probed(t0, &t);
        s.push(msg("bye")).unwrap();
        s.close_gracefully(t0, &t, DisconnectReason::ForcedClose);
        assert!(s.upgrade_pending(e));
        assert_eq!(s.upgrade_recv(e, &Packet::Upgrade), UpgradeStep::Complete);
        assert_eq!(s.transport(), TransportKind::WebSocket);
        assert!(s.is_closing());
        // the WebSocket driver flushes the queue, then closes
        let mut out = Vec::new();
        s.drain_into(&mut out);
        assert!(matches!(&out[..], [OutPacket::Message(m)] if *m == msg("bye")));
        s.finish_closing();
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
    }

    #[test]
    fn finalize_waits_for_running_handler() {
        let t = timing();
        let mut s = SessionState::new(Instant::now(), TransportKind::WebSocket, &t, 8);
        s.begin_delivery();
        s.close(DisconnectReason::ForcedClose);
        assert_eq!(s.take_finalize(), None);
        s.end_delivery();
        assert_eq!(s.take_finalize(), Some(DisconnectReason::ForcedClose));
        assert!(s.is_finalized());
    }
}
