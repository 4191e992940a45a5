//! Acknowledgements: answering a client's ack request ([`AckSender`]), waiting for a
//! client's answer (pending acks per socket), and collecting answers of a broadcast
//! ([`AckCollector`], used by adapters).

use crate::args::Args;
use crate::error::EmitError;
use crate::socket::Socket;
use socketio_parser::Packet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Answers one client acknowledgement request (the client's callback).
///
/// Clones share the same "already sent" flag: only the first [`send`](Self::send) is
/// written, like Node. If the client did not ask for an ack, `send` does nothing.
#[derive(Clone)]
pub struct AckSender {
    /// `None` when the client asked for no acknowledgement (nothing allocated then).
    target: Option<Arc<AckTarget>>,
}

struct AckTarget {
    socket: Socket,
    id: u64,
    sent: AtomicBool,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender")
            .field("id", &self.target.as_ref().map(|t| t.id))
            .field("sent", &self.is_sent())
            .finish()
    }
}

impl AckSender {
    pub(crate) fn new(socket: &Socket, id: Option<u64>) -> Self {
        Self {
            target: id.map(|id| {
                Arc::new(AckTarget {
                    socket: socket.clone(),
                    id,
                    sent: AtomicBool::new(false),
                })
            }),
        }
    }

    /// Whether the client asked for an acknowledgement.
    pub fn is_requested(&self) -> bool {
        self.target.is_some()
    }

    /// Whether an answer was already sent.
    pub fn is_sent(&self) -> bool {
        self.target
            .as_ref()
            .is_some_and(|t| t.sent.load(Ordering::Acquire))
    }

    /// Sends the answer (a tuple of arguments, like [`Socket::emit`]).
    pub fn send(&self, args: impl Args) -> Result<(), EmitError> {
        let Some(t) = &self.target else {
            return Ok(());
        };
        if t.sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        t.socket.send_ack(t.id, &args)
    }
}

/// What a socket waits for, per ack id.
pub(crate) enum PendingAck {
    /// `emit_with_ack` on one socket.
    Single(oneshot::Sender<Packet>),
    /// One target of a broadcast with ack.
    Broadcast(AckCollector),
}

impl PendingAck {
    pub(crate) fn is_abandoned(&self) -> bool {
        match self {
            PendingAck::Single(tx) => tx.is_closed(),
            PendingAck::Broadcast(c) => c.is_closed(),
        }
    }

    pub(crate) fn resolve(self, packet: Packet) {
        match self {
            PendingAck::Single(tx) => {
                let _ = tx.send(packet);
            }
            PendingAck::Broadcast(c) => c.reply(packet),
        }
    }
}

/// Events reported to the emitter of a broadcast with acknowledgement.
#[derive(Debug)]
pub(crate) enum AckEvent {
    ClientCount(usize),
    Reply(Packet),
}

/// Collects the answers of a broadcast with acknowledgement, for an
/// [`Adapter`](crate::adapter::Adapter).
///
/// An adapter reports, once per server (itself included), how many clients it sent the
/// packet to ([`client_count`](Self::client_count), Redis message 8
/// `BROADCAST_CLIENT_COUNT`), and then every reply ([`reply`](Self::reply), message 9
/// `BROADCAST_ACK`). The emitter completes when every server reported and every counted
/// client answered, or at its timeout.
#[derive(Clone, Debug)]
pub struct AckCollector {
    tx: mpsc::UnboundedSender<AckEvent>,
}

impl AckCollector {
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<AckEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }

    /// One server reached `count` clients.
    pub fn client_count(&self, count: usize) {
        let _ = self.tx.send(AckEvent::ClientCount(count));
    }

    /// One client answered; `packet` is its ACK packet (arguments as an array).
    pub fn reply(&self, packet: Packet) {
        let _ = self.tx.send(AckEvent::Reply(packet));
    }

    /// Whether the emitter stopped waiting (timeout or dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
