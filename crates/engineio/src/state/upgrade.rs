//! Upgrading a polling session to WebSocket: the WebSocket is accepted (an epoch tells
//! upgrade attempts apart), probed (`2probe` / `3probe`) while polls are answered with a
//! noop, and completed by the client's `5`; anything else, or the upgrade deadline,
//! aborts it and the session stays on polling.

use std::time::Instant;

use super::{after, SessionState, Timing, TransportKind};
use crate::packet::Packet;

/// The upgrade in progress, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Upgrade {
    None,
    Pending {
        epoch: u32,
        deadline: Instant,
        /// The WebSocket is open (polls are answered with a noop from now on).
        established: bool,
        probed: bool,
    },
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

impl SessionState {
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
}
