//! Sockets returned by `fetch_sockets` (Node's `RemoteSocket`), local or on another server.

use crate::adapter::SocketDescriptor;
use crate::args::Args;
use crate::error::{AdapterError, BroadcastAckError, EmitError};
use crate::id::Sid;
use crate::namespace::Namespace;
use crate::rooms::{IntoRooms, Room};
use crate::socket::Socket;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// A socket found by `fetch_sockets`: its id, handshake, rooms and data, and operations
/// routed through the adapter (so they work whichever server holds the socket).
#[derive(Clone, Debug)]
pub struct RemoteSocket {
    ns: Namespace,
    descriptor: SocketDescriptor,
    local: Option<Socket>,
}

impl RemoteSocket {
    pub(crate) fn new(ns: Namespace, descriptor: SocketDescriptor) -> Self {
        let local = ns.get_socket(&descriptor.id);
        Self {
            ns,
            descriptor,
            local,
        }
    }

    /// Socket id.
    pub fn id(&self) -> &Sid {
        &self.descriptor.id
    }

    /// Handshake (as Node serializes it).
    pub fn handshake(&self) -> &serde_json::Value {
        &self.descriptor.handshake
    }

    /// Rooms at fetch time.
    pub fn rooms(&self) -> &[Room] {
        &self.descriptor.rooms
    }

    /// `socket.data` at fetch time.
    pub fn data(&self) -> &serde_json::Value {
        &self.descriptor.data
    }

    /// The live socket when it is connected to this server.
    pub fn as_local(&self) -> Option<&Socket> {
        self.local.as_ref()
    }

    /// Emits to this socket.
    pub async fn emit(&self, event: &str, args: impl Args) -> Result<(), EmitError> {
        match &self.local {
            Some(s) => s.emit(event, args),
            None => {
                self.ns
                    .to(self.descriptor.id.clone())
                    .emit(event, args)
                    .await
            }
        }
    }

    /// Emits and waits for this socket's reply (first argument), within `timeout`.
    pub async fn emit_with_ack<R: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: impl Args,
        timeout: Duration,
    ) -> Result<R, BroadcastAckError<R>> {
        let mut replies = self
            .ns
            .to(self.descriptor.id.clone())
            .timeout(timeout)
            .emit_with_ack::<R>(event, args)
            .await?;
        match replies.pop() {
            Some(r) => Ok(r),
            None => Err(BroadcastAckError::Timeout {
                partial: Vec::new(),
            }),
        }
    }

    /// Makes this socket join rooms.
    pub async fn join(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        match &self.local {
            Some(s) => s.join(rooms).await,
            None => {
                self.ns
                    .to(self.descriptor.id.clone())
                    .sockets_join(rooms)
                    .await
            }
        }
    }

    /// Makes this socket leave rooms.
    pub async fn leave(&self, rooms: impl IntoRooms) -> Result<(), AdapterError> {
        match &self.local {
            Some(s) => s.leave(rooms).await,
            None => {
                self.ns
                    .to(self.descriptor.id.clone())
                    .sockets_leave(rooms)
                    .await
            }
        }
    }

    /// Disconnects this socket.
    pub async fn disconnect(&self, close: bool) -> Result<(), AdapterError> {
        match &self.local {
            Some(s) => {
                s.disconnect(close);
                Ok(())
            }
            None => {
                self.ns
                    .to(self.descriptor.id.clone())
                    .disconnect_sockets(close)
                    .await
            }
        }
    }
}
