//! Handler traits: async closures with typed arguments.
//!
//! These traits are implemented for closures; user code never implements them by hand:
//!
//! - events ([`Socket::on`](crate::Socket::on)): `|socket: Socket, args: (T1, T2)| async {}`,
//!   `|socket, args: (T,), ack: AckSender| async {}`, or `|socket: Socket| async {}` to
//!   ignore the arguments;
//! - connections ([`Namespace::on_connection`](crate::Namespace::on_connection)):
//!   `|socket: Socket| async {}`;
//! - disconnections: `|socket: Socket, reason: DisconnectReason| async {}`.

use crate::ack::AckSender;
use crate::args::EventArgs;
use crate::error::DisconnectReason;
use crate::socket::Socket;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use socketio_parser::DecodeError;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

/// An event handler. `M` is a marker telling the closure shapes apart.
pub trait EventHandler<M>: Send + Sync + 'static {
    /// Decodes the arguments and starts the handler. A decoding error is returned without
    /// running anything (it goes to the socket's `error` listeners).
    #[doc(hidden)]
    fn call(
        &self,
        socket: Socket,
        args: &EventArgs<'_>,
        ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError>;
}

/// Marker: handler without arguments.
#[doc(hidden)]
pub struct NoArgs;
/// Marker: handler with typed arguments.
#[doc(hidden)]
pub struct WithArgs<T>(PhantomData<fn() -> T>);
/// Marker: handler with typed arguments and an ack responder.
#[doc(hidden)]
pub struct WithAck<T>(PhantomData<fn() -> T>);

impl<F, Fut> EventHandler<NoArgs> for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(
        &self,
        socket: Socket,
        _args: &EventArgs<'_>,
        _ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError> {
        Ok(Box::pin(self(socket)))
    }
}

impl<F, Fut, T> EventHandler<WithArgs<T>> for F
where
    F: Fn(Socket, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
    T: DeserializeOwned + Send + 'static,
{
    fn call(
        &self,
        socket: Socket,
        args: &EventArgs<'_>,
        _ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError> {
        let t = args.decode::<T>()?;
        Ok(Box::pin(self(socket, t)))
    }
}

impl<F, Fut, T> EventHandler<WithAck<T>> for F
where
    F: Fn(Socket, T, AckSender) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
    T: DeserializeOwned + Send + 'static,
{
    fn call(
        &self,
        socket: Socket,
        args: &EventArgs<'_>,
        ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError> {
        let t = args.decode::<T>()?;
        Ok(Box::pin(self(socket, t, ack)))
    }
}

/// Object-safe form stored in listener lists.
pub(crate) trait DynEventHandler: Send + Sync {
    fn call(
        &self,
        socket: Socket,
        args: &EventArgs<'_>,
        ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError>;
}

struct Erased<H, M>(H, PhantomData<fn() -> M>);

impl<H: EventHandler<M>, M: 'static> DynEventHandler for Erased<H, M> {
    fn call(
        &self,
        socket: Socket,
        args: &EventArgs<'_>,
        ack: AckSender,
    ) -> Result<BoxFuture<'static, ()>, DecodeError> {
        self.0.call(socket, args, ack)
    }
}

pub(crate) fn erase<H: EventHandler<M>, M: 'static>(h: H) -> Arc<dyn DynEventHandler> {
    Arc::new(Erased(h, PhantomData))
}

/// A connection handler: `|socket: Socket| async move { ... }` (Node's
/// `io.on("connection", ...)`).
pub trait ConnectionHandler: Send + Sync + 'static {
    /// Runs the handler.
    #[doc(hidden)]
    fn call(&self, socket: Socket) -> BoxFuture<'static, ()>;
}

impl<F, Fut> ConnectionHandler for F
where
    F: Fn(Socket) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket) -> BoxFuture<'static, ()> {
        Box::pin(self(socket))
    }
}

/// A `disconnecting` / `disconnect` handler:
/// `|socket: Socket, reason: DisconnectReason| async move { ... }`.
pub trait DisconnectHandler: Send + Sync + 'static {
    /// Runs the handler.
    #[doc(hidden)]
    fn call(&self, socket: Socket, reason: DisconnectReason) -> BoxFuture<'static, ()>;
}

impl<F, Fut> DisconnectHandler for F
where
    F: Fn(Socket, DisconnectReason) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, socket: Socket, reason: DisconnectReason) -> BoxFuture<'static, ()> {
        Box::pin(self(socket, reason))
    }
}
