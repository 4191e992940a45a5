//! Broadcast operators (Node's `io.to(...).except(...).timeout(...).emit(...)`).

use crate::ack::{AckCollector, AckEvent};
use crate::adapter::{BroadcastOptions, BroadcastPacket};
use crate::args::{is_reserved, Args, First};
use crate::client::to_messages;
use crate::error::{AdapterError, BroadcastAckError, EmitError};
use crate::namespace::Namespace;
use crate::remote::RemoteSocket;
use crate::rooms::IntoRooms;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// A set of recipients and flags; immutable-style builder (each call returns a new one).
///
/// Every emit is encoded once; the same bytes go to every recipient.
#[derive(Clone, Debug)]
pub struct BroadcastOperator {
    ns: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Namespace) -> Self {
        Self {
            ns,
            opts: BroadcastOptions::default(),
        }
    }

    /// The options built so far.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Adds target rooms (union).
    pub fn to(mut self, rooms: impl IntoRooms) -> Self {
        for r in rooms.into_rooms() {
            if !self.opts.rooms.contains(&r) {
                self.opts.rooms.push(r);
            }
        }
        self
    }

    /// Same as [`to`](Self::to) (Node's `in`).
    #[doc(alias = "in")]
    pub fn within(self, rooms: impl IntoRooms) -> Self {
        self.to(rooms)
    }

    /// Excludes the members of these rooms.
    pub fn except(mut self, rooms: impl IntoRooms) -> Self {
        for r in rooms.into_rooms() {
            if !self.opts.except.contains(&r) {
                self.opts.except.push(r);
            }
        }
        self
    }

    /// Drops the packet for clients that are not ready to receive it.
    pub fn volatile(mut self) -> Self {
        self.opts.flags.volatile = true;
        self
    }

    /// Per-message compression wish (kept in the flags for adapters; the engine decides).
    pub fn compress(mut self, compress: bool) -> Self {
        self.opts.flags.compress = Some(compress);
        self
    }

    /// This server only (no other server of the cluster).
    pub fn local(mut self) -> Self {
        self.opts.flags.local = true;
        self
    }

    /// Timeout for [`emit_with_ack`](Self::emit_with_ack).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.flags.timeout = Some(timeout);
        self
    }

    fn packet(
        &self,
        event: &str,
        args: &impl Args,
        id: Option<u64>,
    ) -> Result<BroadcastPacket, EmitError> {
        if is_reserved(event) {
            return Err(EmitError::ReservedEvent(event.to_owned()));
        }
        let encoded = self
            .ns
            .parser()
            .encode_event(self.ns.name(), event, args, id)?;
        Ok(BroadcastPacket {
            nsp: Arc::from(self.ns.name()),
            messages: Arc::from(to_messages(encoded)?),
            parser: self.ns.parser().clone(),
            ack_id: id,
            outgoing: Arc::default(),
        })
    }

    /// Emits to every selected socket.
    pub async fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        let packet = self.packet(event, &args, None)?;
        self.ns
            .adapter()
            .broadcast(packet, self.opts.clone())
            .await?;
        Ok(())
    }

    /// Emits and collects the first argument of every client's reply, as `R`.
    ///
    /// Completes when every server reported its client count and each of those clients
    /// answered; fails at the timeout with [`BroadcastAckError::Timeout`] holding the
    /// partial list ("operation has timed out"). Without a timeout it waits until every
    /// reply arrived. Replies that do not decode as `R` are counted but left out (with a
    /// `tracing` warning).
    pub async fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
    ) -> Result<Vec<R>, BroadcastAckError<R>> {
        let id = self.ns.next_ack_id();
        let packet = self.packet(event, &args, Some(id))?;
        let adapter = self.ns.adapter();
        let servers = if self.opts.flags.local {
            1
        } else {
            adapter
                .server_count()
                .await
                .map_err(|e| BroadcastAckError::Emit(e.into()))?
        };
        let (collector, mut rx) = AckCollector::new();
        adapter
            .broadcast_with_ack(packet, self.opts.clone(), collector)
            .await
            .map_err(|e| BroadcastAckError::Emit(e.into()))?;
        let deadline = self
            .opts
            .flags
            .timeout
            .map(|t| tokio::time::Instant::now() + t);
        let mut replies: Vec<R> = Vec::new();
        let (mut reported, mut expected, mut received) = (0usize, 0usize, 0usize);
        loop {
            if reported >= servers && received >= expected {
                return Ok(replies);
            }
            let next = match deadline {
                Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                    Ok(n) => n,
                    Err(_) => return Err(BroadcastAckError::Timeout { partial: replies }),
                },
                None => rx.recv().await,
            };
            match next {
                Some(AckEvent::ClientCount(n)) => {
                    reported += 1;
                    expected += n;
                }
                Some(AckEvent::Reply(packet)) => {
                    received += 1;
                    match packet.args::<First<R>>() {
                        Ok(First(Some(r))) => replies.push(r),
                        Ok(First(None)) => {
                            match serde_json::from_value::<R>(serde_json::Value::Null) {
                                Ok(r) => replies.push(r),
                                Err(_) => tracing::warn!(event, "empty acknowledgement left out"),
                            }
                        }
                        Err(e) => tracing::warn!(event, error = %e, "acknowledgement left out"),
                    }
                }
                // The collector lives in `self` until the loop ends, so the channel
                // cannot close; treat it as completion anyway.
                None => return Ok(replies),
            }
        }
    }

    /// The selected sockets, on every server unless [`local`](Self::local).
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let descriptors = self.ns.adapter().fetch_sockets(self.opts.clone()).await?;
        Ok(descriptors
            .into_iter()
            .map(|d| RemoteSocket::new(self.ns.clone(), d))
            .collect())
    }

    /// Makes the selected sockets join rooms.
    pub async fn sockets_join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.ns
            .adapter()
            .add_sockets(self.opts.clone(), rooms.into_rooms())
            .await
    }

    /// Makes the selected sockets leave rooms.
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        self.ns
            .adapter()
            .del_sockets(self.opts.clone(), rooms.into_rooms())
            .await
    }

    /// Disconnects the selected sockets (closing their connections if `close`).
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), AdapterError> {
        self.ns
            .adapter()
            .disconnect_sockets(self.opts.clone(), close)
            .await
    }
}
