//! Closing a session: at once (errors, transport loss, forced close) or gracefully
//! (flush what is queued first), and the once-only disconnect: `on_disconnect` runs
//! exactly once, after any `on_message` call in progress.

use std::time::Instant;

use super::upgrade::Upgrade;
use super::{after, SessionState, Timing};
use crate::error::DisconnectReason;

/// Whether a session is open, closing or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Life {
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
pub(super) enum CloseReply {
    Close,
    Noop,
}

impl SessionState {
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

    pub(super) fn set_closed(&mut self, reason: DisconnectReason, reply: CloseReply) {
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
        self.queue.discard();
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

    /// The close reason, once closing or closed.
    #[cfg(test)]
    pub(crate) fn reason(&self) -> Option<DisconnectReason> {
        match self.life {
            Life::Open => None,
            Life::Closing { reason, .. } | Life::Closed { reason } => Some(reason),
        }
    }
}
