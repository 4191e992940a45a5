//! Engine.IO v4 server: HTTP long-polling and WebSocket transports, served as a tower
//! service on hyper 1, byte-compatible with Node's `engine.io` 6.x.
//!
//! Implement [`Handler`], build an [`Engine`], then serve it standalone, through plain
//! hyper, or inside axum.
//!
//! ```
//! use engineio::{DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};
//!
//! /// Echoes every message back as it came (text as text, binary as binary).
//! struct Echo;
//!
//! impl Handler for Echo {
//!     type State = ();
//!     fn on_connect(&self, _socket: &Socket) {}
//!     fn on_message(&self, socket: &Socket, _state: &(), message: Message) {
//!         // try_send never waits; a full queue hands the message back.
//!         let _ = socket.try_send(message);
//!     }
//!     fn on_disconnect(&self, _socket: &Socket, _state: &(), _reason: DisconnectReason) {}
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::default(), Echo);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let _addr = listener.local_addr()?; // where clients connect
//! let server = tokio::spawn(engine.clone().serve(listener));
//! assert_eq!(engine.session_count(), 0);
//! # server.abort();
//! # Ok(())
//! # }
//! ```
//!
//! With plain hyper (hyper-util), serving connections yourself:
//!
//! ```no_run
//! # use engineio::{DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};
//! # struct Echo;
//! # impl Handler for Echo {
//! #     type State = ();
//! #     fn on_connect(&self, _: &Socket) {}
//! #     fn on_message(&self, s: &Socket, _: &(), m: Message) { let _ = s.try_send(m); }
//! #     fn on_disconnect(&self, _: &Socket, _: &(), _: DisconnectReason) {}
//! # }
//! use hyper_util::rt::TokioIo;
//! use tower_service::Service;
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::default(), Echo);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! loop {
//!     let (stream, peer_addr) = listener.accept().await?;
//!     let svc = engine.service();
//!     tokio::spawn(async move {
//!         let svc = hyper::service::service_fn(move |mut req| {
//!             req.extensions_mut().insert(engineio::ConnectInfo { peer_addr, secure: false });
//!             svc.clone().call(req)
//!         });
//!         let _ = hyper::server::conn::http1::Builder::new()
//!             .serve_connection(TokioIo::new(stream), svc)
//!             .with_upgrades() // required for WebSocket
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! With axum 0.8, as a route or as a layer over a router:
//!
//! ```no_run
//! # use engineio::{DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};
//! # struct Echo;
//! # impl Handler for Echo {
//! #     type State = ();
//! #     fn on_connect(&self, _: &Socket) {}
//! #     fn on_message(&self, s: &Socket, _: &(), m: Message) { let _ = s.try_send(m); }
//! #     fn on_disconnect(&self, _: &Socket, _: &(), _: DisconnectReason) {}
//! # }
//! # async fn run() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::default(), Echo);
//! let app = axum::Router::new()
//!     .route("/", axum::routing::get(|| async { "hello" }))
//!     .route_service("/engine.io/", engine.service());
//! // or: axum::Router::new().route(...).layer(engine.layer())
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The peer address ([`RequestInfo::peer_addr`]) comes from a [`ConnectInfo`] or plain
//! [`std::net::SocketAddr`] request extension. axum keeps it in its own
//! `axum::extract::ConnectInfo<SocketAddr>`, which this crate does not depend on; one
//! `map_request` middleware copies it over (serve with
//! `into_make_service_with_connect_info`):
//!
//! ```no_run
//! # use engineio::{DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};
//! # struct Echo;
//! # impl Handler for Echo {
//! #     type State = ();
//! #     fn on_connect(&self, _: &Socket) {}
//! #     fn on_message(&self, s: &Socket, _: &(), m: Message) { let _ = s.try_send(m); }
//! #     fn on_disconnect(&self, _: &Socket, _: &(), _: DisconnectReason) {}
//! # }
//! use std::net::SocketAddr;
//! use axum::extract::{ConnectInfo, Request};
//!
//! # async fn run() -> std::io::Result<()> {
//! let engine = Engine::new(EngineConfig::default(), Echo);
//! let app = axum::Router::new()
//!     .route_service("/engine.io/", engine.service())
//!     .layer(axum::middleware::map_request(
//!         |ConnectInfo(addr): ConnectInfo<SocketAddr>, mut req: Request| async move {
//!             req.extensions_mut().insert(addr); // read by RequestInfo::peer_addr
//!             req
//!         },
//!     ));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
//! # }
//! ```
//!
//! # Design
//!
//! A sans-IO core — [`packet`], [`payload`], the WebSocket framing ([`ws_frame`]), the
//! session state machine (`state/`), ids, configuration and errors — and a thin IO
//! layer: the tower service (`service.rs`), long-polling (`polling.rs`), the WebSocket
//! connection driver (`websocket/`) and [`Engine::serve`]. See `docs/engineio.md` for
//! the state machine and the data path.
//!
//! Tasks: a WebSocket session runs in one task, a hand-written future (a few hundred
//! bytes) that reads, writes and keeps the session's one timer; an idle connection
//! holds no read or write buffer. A polling session has one small timer task for its
//! heartbeat, which also reclaims abandoned sessions at the pong deadline; it exits when
//! the session upgrades to WebSocket.
//!
//! Differences from Node worth knowing: a second WebSocket for a session that is
//! upgrading or upgraded is refused with a bare 400 before the WebSocket handshake
//! (Node completes the handshake, then closes it). A client aborting a pending poll
//! closes the session with "transport error" (Node's reason for a poll "closed
//! prematurely"). The peer address comes from a [`ConnectInfo`] (or plain
//! `SocketAddr`) request extension; axum's `ConnectInfo<SocketAddr>` is not read
//! directly (see the axum example above for the one-line copy).
//! The path is matched as a prefix of the full request URI (Node's rule), so mount the
//! service with `route_service` or `layer`, not `nest_service` (which strips the prefix).
//!
//! Not implemented: Engine.IO v3 (`allowEIO3`), JSONP polling, `httpCompression`
//! (polling responses are never gzipped), `perMessageDeflate`, WebTransport,
//! `initialPacket` and a custom `generateId`.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod body;
mod config;
mod cors;
mod engine;
mod error;
mod message;
pub mod packet;
pub mod payload;
mod polling;
mod request;
mod serve;
mod service;
mod sid;
mod socket;
mod state;
mod websocket;
pub mod ws_frame;

pub use body::{BoxError, EngineBody};
pub use config::{
    AllowRequest, BoxFuture, CookieConfig, EngineConfig, InitialHeaders, SameSite, Transports,
};
pub use cors::{CorsConfig, CorsOrigin};
pub use engine::{Engine, Handler};
pub use error::{DisconnectReason, RequestError, SendError, TrySendError};
pub use message::{InvalidText, Message, Text};
pub use request::{ConnectInfo, RequestInfo};
pub use service::{EngineLayer, EngineService, NotFound, ResponseFuture};
pub use sid::Sid;
pub use socket::{Socket, WeakSocket};
pub use state::TransportKind;
