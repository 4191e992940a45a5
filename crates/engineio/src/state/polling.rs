//! The long-polling side of a session: one GET and one POST at a time, and what a
//! pending GET answers (queued packets, a noop while upgrading, or the close).

use std::time::Instant;

use super::close::{CloseReply, Life};
use super::upgrade::Upgrade;
use super::{after, SessionState, Timing, TransportKind};
use crate::payload::OutPacket;

/// What a pending polling GET does now.
#[derive(Debug, PartialEq)]
pub(crate) enum GetStep {
    /// Keep waiting.
    Wait,
    /// Answer with these packets (never empty).
    Reply(Vec<OutPacket>),
}

impl SessionState {
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
}
