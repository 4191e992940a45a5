//! Middleware: connect middleware per namespace (Node's `io.use`) and per-packet
//! middleware per socket (Node's `socket.use`).

use crate::args::EventArgs;
use crate::error::ConnectError;
use crate::socket::Socket;
use futures_util::future::BoxFuture;
use std::future::Future;

/// A connect middleware: `|socket: Socket| async move { Ok(()) }`.
///
/// Runs before the socket joins its namespace, in registration order; the first `Err`
/// stops the chain and is sent to the client as CONNECT_ERROR. The socket's
/// [`handshake`](Socket::handshake) (with `auth`) is available and
/// [`set_data`](Socket::set_data) may be called.
pub trait ConnectMiddleware: Send + Sync + 'static {
    /// Runs the middleware.
    #[doc(hidden)]
    fn call(&self, socket: Socket) -> BoxFuture<'static, Result<(), ConnectError>>;
}

impl<F, Fut> ConnectMiddleware for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
{
    fn call(&self, socket: Socket) -> BoxFuture<'static, Result<(), ConnectError>> {
        Box::pin(self(socket))
    }
}

/// Why a per-packet middleware refused an event (reported to the socket's `error`
/// listeners; the event is dropped).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Rejection(pub String);

impl From<&str> for Rejection {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

impl From<String> for Rejection {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// A per-packet middleware: `|socket: &Socket, args: &EventArgs<'_>| Ok(())`.
///
/// Synchronous on purpose: it runs on the socket's event path for every incoming event,
/// in arrival order, before any listener.
pub trait PacketMiddleware: Send + Sync + 'static {
    /// Runs the middleware.
    #[doc(hidden)]
    fn call(&self, socket: &Socket, args: &EventArgs<'_>) -> Result<(), Rejection>;
}

impl<F> PacketMiddleware for F
where
    F: Fn(&Socket, &EventArgs<'_>) -> Result<(), Rejection> + Send + Sync + 'static,
{
    fn call(&self, socket: &Socket, args: &EventArgs<'_>) -> Result<(), Rejection> {
        self(socket, args)
    }
}
