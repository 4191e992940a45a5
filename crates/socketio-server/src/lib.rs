//! A Socket.IO v5 server compatible with Node's socket.io 4.8 (same bytes on the wire,
//! Node's defaults and names), on top of the `engineio` crate.
//!
//! The notification pattern: authenticate in a middleware from `auth.token`, put each
//! user's sockets in the room `user:<id>`, and notify that room from anywhere (an HTTP
//! handler, a background worker) through the cheap-to-clone server handle.
//!
//! ```
//! use socketio_server::{AckSender, ConnectError, Socket, SocketIo};
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize)]
//! struct User { id: u64 }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let io = SocketIo::new();
//! let notifications = io.of("/notifications");
//!
//! // Connect middleware: refuse without a valid token (the client gets `connect_error`).
//! notifications.use_middleware(|socket: Socket| async move {
//!     match socket.handshake().auth_str("token") {
//!         Some("secret-42") => {
//!             socket.set_data(User { id: 42 });
//!             Ok(())
//!         }
//!         _ => Err(ConnectError::new("unauthorized").with_data(serde_json::json!({"retry": false}))),
//!     }
//! });
//!
//! notifications.on_connection(|socket: Socket| async move {
//!     if let Some(user) = socket.data::<User>() {
//!         let _ = socket.join(format!("user:{}", user.id)).await;
//!     }
//!     // A typed handler with an acknowledgement.
//!     socket.on("mark-read", |_s: Socket, (id,): (u64,), ack: AckSender| async move {
//!         let _ = ack.send((id, "ok"));
//!     });
//! });
//!
//! // Serve (here on an ephemeral port; `io.service()` / `io.layer()` mount it in axum/hyper).
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = io.clone();
//! tokio::spawn(async move { server.serve(listener).await });
//!
//! // From anywhere: notify user 42 and collect acknowledgements within 2 s.
//! let replies: Vec<String> = io
//!     .of("/notifications")
//!     .to("user:42")
//!     .timeout(Duration::from_secs(2))
//!     .emit_with_ack("notification", ("You have a new message", 1))
//!     .await
//!     .unwrap_or_else(|e| match e {
//!         socketio_server::BroadcastAckError::Timeout { partial } => partial,
//!         other => panic!("{other}"),
//!     });
//! assert!(replies.is_empty()); // nobody connected in this example
//!
//! io.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Concepts (Node name → here)
//!
//! - `io` → [`SocketIo`] (built with [`SocketIo::builder`]); `io.of(name)` →
//!   [`SocketIo::of`]; `io.of(regex | fn)` → [`SocketIo::of_dynamic`].
//! - `io.use` / `nsp.use` → [`Namespace::use_middleware`] (async, ordered; refusal =
//!   [`ConnectError`]). `socket.use` → [`Socket::use_middleware`].
//! - `io.on("connection")` → [`Namespace::on_connection`].
//! - `socket.on/once/off`, `onAny`, `onAnyOutgoing` → [`Socket::on`], [`Socket::once`],
//!   [`Socket::off`] / [`Socket::off_listener`], [`Socket::on_any`],
//!   [`Socket::on_any_outgoing`].
//! - `socket.emit`, `emitWithAck`, `timeout` → [`Socket::emit`],
//!   [`Socket::emit_with_ack`], [`Socket::timeout`].
//! - `io.to/in/except/volatile/compress/local/timeout` → [`BroadcastOperator`].
//! - `fetchSockets`, `socketsJoin`, `socketsLeave`, `disconnectSockets`,
//!   `serverSideEmit` → same names in snake case.
//! - adapters → [`adapter::Adapter`] ([`adapter::MemoryAdapter`] by default).
//!
//! Handlers of one socket start in arrival order (see *Ordering and concurrency* in
//! `docs/socketio-server.md`); a payload that does not fit a handler's types goes to the
//! socket's [`Socket::on_error`] listeners (or a `tracing` warning) and never closes the
//! socket.

mod ack;
pub mod adapter;
mod args;
mod broadcast;
mod client;
mod config;
mod data;
mod dispatch;
mod error;
mod handler;
mod handshake;
mod id;
mod lifecycle;
mod listeners;
mod middleware;
mod namespace;
mod parser;
mod remote;
mod rooms;
mod server;
mod socket;
mod time;
mod value;

pub use ack::{AckCollector, AckSender};
pub use adapter::{BroadcastFlags, BroadcastOptions};
pub use args::{Args, DynArgs, EventArgs};
pub use broadcast::BroadcastOperator;
pub use client::{Client, SocketIoHandler};
pub use config::SocketIoConfig;
pub use error::{
    AckError, AdapterError, BroadcastAckError, ConnectError, DisconnectReason, EmitError,
    SocketError,
};
pub use handler::{ConnectionHandler, DisconnectHandler, EventHandler};
pub use handshake::Handshake;
pub use id::Sid;
pub use listeners::ListenerId;
pub use middleware::{ConnectMiddleware, PacketMiddleware, Rejection};
pub use namespace::{Namespace, ParentNamespace, ServerEventHandler};
pub use parser::Parser;
pub use remote::RemoteSocket;
pub use rooms::{IntoRooms, Room};
pub use server::{SocketIo, SocketIoBuilder};
pub use socket::{Socket, SocketEmitter};
pub use value::AnyValue;

pub use engineio;
pub use socketio_parser::Binary;
