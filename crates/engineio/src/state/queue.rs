//! The bounded send queue: what waits to be written to the client, in order.
//!
//! Only messages count against the capacity (control packets such as pings do not).
//! A full queue hands the message back ([`TrySendError::Full`]) instead of growing.

use std::collections::VecDeque;

use super::SessionState;
use crate::error::TrySendError;
use crate::message::Message;
use crate::payload::OutPacket;

/// The packets of one session waiting for the transport.
#[derive(Debug)]
pub(super) struct SendQueue {
    packets: VecDeque<OutPacket>,
    /// Number of [`OutPacket::Message`]s in `packets`.
    messages: usize,
    capacity: usize,
}

impl SendQueue {
    /// An empty queue holding up to `capacity` messages (at least one).
    pub(super) fn new(capacity: usize) -> Self {
        SendQueue {
            packets: VecDeque::new(),
            messages: 0,
            capacity: capacity.max(1),
        }
    }

    /// Number of queued packets (messages and control packets).
    pub(super) fn len(&self) -> usize {
        self.packets.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// Queues a control packet; it does not count against the capacity.
    pub(super) fn push_control(&mut self, packet: OutPacket) {
        self.packets.push_back(packet);
    }

    /// Queues a message, or hands it back when the queue is full.
    fn push(&mut self, message: Message) -> Result<(), Message> {
        if self.messages >= self.capacity {
            return Err(message);
        }
        self.packets.push_back(OutPacket::Message(message));
        self.messages += 1;
        Ok(())
    }

    /// Queues a batch all-or-nothing (see [`SessionState::push_many`]).
    fn push_many(&mut self, messages: Vec<Message>) -> Result<(), Vec<Message>> {
        let fits =
            self.messages == 0 || self.messages.saturating_add(messages.len()) <= self.capacity;
        if !fits {
            return Err(messages);
        }
        self.messages += messages.len();
        self.packets
            .extend(messages.into_iter().map(OutPacket::Message));
        Ok(())
    }

    /// Moves everything queued to `out` (in order).
    pub(super) fn drain_into(&mut self, out: &mut Vec<OutPacket>) {
        out.extend(self.take());
    }

    /// Takes everything queued (in order), buffer included: the queue keeps no capacity.
    pub(super) fn take(&mut self) -> VecDeque<OutPacket> {
        self.messages = 0;
        std::mem::take(&mut self.packets)
    }

    /// Drops everything queued and releases the memory (the session closed).
    pub(super) fn discard(&mut self) {
        self.packets = VecDeque::new();
        self.messages = 0;
    }
}

impl SessionState {
    /// Queues a message, or hands it back.
    pub(crate) fn push(&mut self, message: Message) -> Result<(), TrySendError> {
        if !self.is_open() {
            return Err(TrySendError::Closed(message));
        }
        self.queue.push(message).map_err(TrySendError::Full)
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
        self.queue.push_many(messages).map_err(TrySendError::Full)
    }

    /// Whether anything waits to be written.
    pub(crate) fn has_output(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Moves everything queued to `out` (in order).
    pub(crate) fn drain_into(&mut self, out: &mut Vec<OutPacket>) {
        self.queue.drain_into(out);
    }

    /// Takes everything queued, in order, with the queue's buffer: an idle session keeps
    /// no queue capacity.
    pub(crate) fn take_queue(&mut self) -> VecDeque<OutPacket> {
        self.queue.take()
    }

    /// Heap capacity held by the queue (tests of the no-idle-memory property).
    #[cfg(test)]
    pub(crate) fn queue_capacity(&self) -> usize {
        self.queue.packets.capacity()
    }

    /// Number of queued messages (control packets excluded).
    pub(crate) fn queued_messages(&self) -> usize {
        self.queue.messages
    }
}
