//! The task of one WebSocket connection: a hand-written future that waits for hyper's
//! upgrade, then becomes the [`Connection`] itself. Only the connection's own fields
//! stay in the task for its life (no captured handshake values, no `async` frame).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::conn::Connection;
use crate::engine::{EngineInner, Handler, TypedSession};
use crate::packet;
use crate::request::RequestInfo;
use crate::socket::Socket;
use crate::state::TransportKind;

/// The stream of a connection that is not a bare `TcpStream` (rare: the server wraps
/// its connections, e.g. in TLS, or the client sent bytes right after its request).
pub(super) enum OtherIo {
    /// hyper's upgraded stream.
    Upgraded(TokioIo<Upgraded>),
    /// A `TcpStream` and the bytes hyper had read past the upgrade request.
    Prefixed { early: Bytes, tcp: TcpStream },
}

impl AsyncRead for OtherIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OtherIo::Upgraded(io) => Pin::new(io).poll_read(cx, buf),
            OtherIo::Prefixed { early, tcp } => {
                if early.is_empty() {
                    return Pin::new(tcp).poll_read(cx, buf);
                }
                let n = early.len().min(buf.remaining());
                buf.put_slice(&early[..n]);
                early.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl AsyncWrite for OtherIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            OtherIo::Upgraded(io) => Pin::new(io).poll_write(cx, buf),
            OtherIo::Prefixed { tcp, .. } => Pin::new(tcp).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            OtherIo::Upgraded(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            OtherIo::Prefixed { tcp, .. } => Pin::new(tcp).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            OtherIo::Upgraded(io) => io.is_write_vectored(),
            OtherIo::Prefixed { tcp, .. } => tcp.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OtherIo::Upgraded(io) => Pin::new(io).poll_flush(cx),
            OtherIo::Prefixed { tcp, .. } => Pin::new(tcp).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            OtherIo::Upgraded(io) => Pin::new(io).poll_shutdown(cx),
            OtherIo::Prefixed { tcp, .. } => Pin::new(tcp).poll_shutdown(cx),
        }
    }
}

/// The upgraded connection.
enum Stream {
    /// The bare TCP stream (the usual case: `Engine::serve`, axum, hyper-util).
    Tcp(TcpStream),
    Other(OtherIo),
}

fn stream(upgraded: Result<Upgraded, hyper::Error>) -> Option<Stream> {
    let upgraded = match upgraded {
        Ok(upgraded) => upgraded,
        Err(err) => {
            tracing::debug!(%err, "websocket upgrade failed");
            return None;
        }
    };
    Some(match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) if parts.read_buf.is_empty() => Stream::Tcp(parts.io.into_inner()),
        Ok(parts) => Stream::Other(OtherIo::Prefixed {
            early: parts.read_buf,
            tcp: parts.io.into_inner(),
        }),
        Err(upgraded) => Stream::Other(OtherIo::Upgraded(TokioIo::new(upgraded))),
    })
}

pin_project_lite::pin_project! {
    /// The task's phases.
    #[project = TaskProj]
    pub(super) enum Task<H: Handler> {
        /// A WebSocket-only handshake, waiting for hyper's upgrade; then the session
        /// is created.
        Handshake {
            inner: Arc<EngineInner<H>>,
            // Boxed: a request is large, and only needed until the session exists.
            info: Option<Box<RequestInfo>>,
            on_upgrade: OnUpgrade,
        },
        /// A polling session's upgrade `epoch`, waiting for hyper's upgrade.
        Upgrade {
            session: Arc<TypedSession<H>>,
            socket: Socket,
            epoch: u32,
            on_upgrade: OnUpgrade,
        },
        /// Running over a bare `TcpStream`.
        Tcp { #[pin] conn: Connection<H, TcpStream> },
        /// Running over another stream (boxed: rare, and larger).
        Other { conn: Pin<Box<Connection<H, OtherIo>>> },
        Done,
    }
}

impl<H: Handler> Task<H> {
    /// The task of a WebSocket-only session.
    pub(super) fn handshake(
        inner: Arc<EngineInner<H>>,
        info: RequestInfo,
        on_upgrade: OnUpgrade,
    ) -> Self {
        Task::Handshake {
            inner,
            info: Some(Box::new(info)),
            on_upgrade,
        }
    }

    /// The task of the upgrading WebSocket of upgrade `epoch` of a polling session.
    pub(super) fn upgrade(
        session: Arc<TypedSession<H>>,
        socket: Socket,
        epoch: u32,
        on_upgrade: OnUpgrade,
    ) -> Self {
        Task::Upgrade {
            session,
            socket,
            epoch,
            on_upgrade,
        }
    }
}

impl<H: Handler> Future for Task<H> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let next = match self.as_mut().project() {
                TaskProj::Handshake {
                    inner,
                    info,
                    on_upgrade,
                } => {
                    let upgraded = ready!(Pin::new(on_upgrade).poll(cx));
                    match (stream(upgraded), info.take()) {
                        (Some(stream), Some(info)) => open(inner, *info, stream),
                        _ => Task::Done,
                    }
                }
                TaskProj::Upgrade {
                    session,
                    socket,
                    epoch,
                    on_upgrade,
                } => {
                    let epoch = *epoch;
                    let upgraded = ready!(Pin::new(on_upgrade).poll(cx));
                    match stream(upgraded) {
                        None => {
                            socket.update(|st, _, _| st.abort_upgrade(epoch));
                            Task::Done
                        }
                        Some(stream) => {
                            socket.update(|st, _, _| st.upgrade_established(epoch));
                            let (session, socket) = (session.clone(), socket.clone());
                            match stream {
                                Stream::Tcp(tcp) => Task::Tcp {
                                    conn: Connection::probe(session, socket, tcp, epoch),
                                },
                                Stream::Other(io) => Task::Other {
                                    conn: Box::pin(Connection::probe(session, socket, io, epoch)),
                                },
                            }
                        }
                    }
                }
                TaskProj::Tcp { conn } => {
                    ready!(conn.poll(cx));
                    Task::Done
                }
                TaskProj::Other { conn } => {
                    ready!(conn.as_mut().poll(cx));
                    Task::Done
                }
                TaskProj::Done => return Poll::Ready(()),
            };
            self.set(next);
        }
    }
}

/// Creates the session of a WebSocket-only handshake; its first frame is the open
/// packet (with `"upgrades":[]`).
fn open<H: Handler>(inner: &Arc<EngineInner<H>>, info: RequestInfo, stream: Stream) -> Task<H> {
    let (session, socket) = inner.create_session(info, TransportKind::WebSocket);
    let cfg = &inner.config;
    let open = packet::encode_open(
        socket.id(),
        false,
        cfg.ping_interval.as_millis(),
        cfg.ping_timeout.as_millis(),
        cfg.max_payload,
    );
    match stream {
        Stream::Tcp(tcp) => Task::Tcp {
            conn: Connection::open(session, socket, tcp, open),
        },
        Stream::Other(io) => Task::Other {
            conn: Box::pin(Connection::open(session, socket, io, open)),
        },
    }
}
