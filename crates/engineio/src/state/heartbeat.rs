//! The heartbeat: the server pings every `ping_interval`; the client's pong must arrive
//! within `ping_timeout` of the ping being due.

use std::time::Instant;

use super::{after, Timing};

/// Where the ping/pong cycle of a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Heartbeat {
    /// The next ping goes out at this instant.
    Idle { ping_at: Instant },
    /// A ping is out; the pong must arrive before this instant.
    AwaitingPong { deadline: Instant },
}

/// What a heartbeat check asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Beat {
    /// Nothing is due.
    Wait,
    /// Send a ping now (the heartbeat now awaits its pong).
    Ping,
    /// The pong did not arrive in time: the session is dead.
    TimedOut,
}

impl Heartbeat {
    /// A fresh cycle: the first ping is due `ping_interval` from `now`.
    pub(super) fn new(now: Instant, timing: &Timing) -> Self {
        Heartbeat::Idle {
            ping_at: after(now, timing.ping_interval),
        }
    }

    /// The instant of the next ping, or the pong deadline.
    pub(super) fn deadline(&self) -> Instant {
        match *self {
            Heartbeat::Idle { ping_at } => ping_at,
            Heartbeat::AwaitingPong { deadline } => deadline,
        }
    }

    /// A pong arrived: the next ping is due `ping_interval` from `now`.
    pub(super) fn on_pong(&mut self, now: Instant, timing: &Timing) {
        *self = Heartbeat::new(now, timing);
    }

    /// Checks the cycle at `now`.
    pub(super) fn check(&mut self, now: Instant, timing: &Timing) -> Beat {
        match *self {
            Heartbeat::AwaitingPong { deadline } if now >= deadline => Beat::TimedOut,
            Heartbeat::Idle { ping_at } if now >= ping_at => {
                // The pong deadline counts from when the ping was due, not from when
                // a (possibly late) timer noticed: the deadline never drifts.
                let deadline = after(ping_at, timing.ping_timeout);
                if now >= deadline {
                    Beat::TimedOut
                } else {
                    *self = Heartbeat::AwaitingPong { deadline };
                    Beat::Ping
                }
            }
            _ => Beat::Wait,
        }
    }
}
