//! The session state machine, free of IO (quinn-proto style).
//!
//! Every method takes the current [`Instant`] (and the engine's [`Timing`]) as input and
//! returns what the IO layer must do; nothing here sleeps, spawns or touches a socket.
//! The IO drivers (`polling.rs`, `websocket.rs`, `socket.rs`) hold one `SessionState`
//! behind the session's mutex and react to its answers.
//!
//! Following one message: a packet read by a driver goes to [`SessionState::recv`]
//! (here), which answers [`Recv::Deliver`] for the handler; the driver brackets the
//! handler call with `begin_delivery` / `end_delivery` ([`close`]). On the way out,
//! `Socket::send` queues into the bounded [`queue`], which a pending GET ([`polling`])
//! or the WebSocket driver drains. Timers ([`SessionState::on_timeout`]) drive the
//! [`heartbeat`], the graceful-close deadline and the [`upgrade`] deadline.

mod close;
mod driver;
mod heartbeat;
mod polling;
mod queue;
#[cfg(test)]
mod tests;
mod upgrade;

use std::time::{Duration, Instant};

use crate::error::DisconnectReason;
use crate::message::Message;
use crate::packet::Packet;
use crate::payload::OutPacket;
use close::{CloseReply, Life};
use driver::DriverPark;
use heartbeat::{Beat, Heartbeat};
pub(crate) use polling::GetStep;
use queue::SendQueue;
use upgrade::Upgrade;
pub(crate) use upgrade::UpgradeStep;

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

/// The state of one session.
#[derive(Debug)]
pub(crate) struct SessionState {
    transport: TransportKind,
    upgrade: Upgrade,
    upgrade_epoch: u32,
    heartbeat: Heartbeat,
    /// Open, closing or closed (see [`close`]).
    life: Life,
    close_reply: CloseReply,
    queue: SendQueue,
    get_pending: bool,
    post_active: bool,
    delivering: u32,
    finalized: bool,
    /// The WebSocket driver's waker (see [`driver`]).
    driver: DriverPark,
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
            heartbeat: Heartbeat::new(now, timing),
            life: Life::Open,
            close_reply: CloseReply::Close,
            queue: SendQueue::new(capacity),
            get_pending: false,
            post_active: false,
            delivering: 0,
            finalized: false,
            driver: DriverPark::default(),
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
                let hb = self.heartbeat.deadline();
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
            Life::Open => match self.heartbeat.check(now, timing) {
                Beat::Wait => {}
                Beat::Ping => {
                    self.queue.push_control(OutPacket::Ping);
                    fired.ping = true;
                }
                Beat::TimedOut => {
                    self.set_closed(DisconnectReason::PingTimeout, CloseReply::Close);
                    fired.closed = true;
                }
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
                self.heartbeat.on_pong(now, timing);
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
}
