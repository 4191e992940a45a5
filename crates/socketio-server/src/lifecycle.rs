//! A socket's life: the connection procedure (middleware, CONNECT reply, connection
//! handlers), the gate that holds incoming events back meanwhile, and the
//! disconnection procedure.
//!
//! No task lives as long as a socket. The connection procedure is polled once where the
//! CONNECT packet is decoded; only when a middleware or a connection handler awaits
//! something does it continue as a task, which ends with the procedure. The
//! disconnection procedure runs as a short task of its own (it awaits the `disconnecting`
//! and `disconnect` handlers). An idle connected socket is just its record.

use crate::data::lock;
use crate::dispatch;
use crate::error::DisconnectReason;
use crate::socket::Socket;
use futures_util::future::BoxFuture;
use socketio_parser::Packet;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// The mutable part of a socket's life, behind one lock.
#[derive(Default)]
pub(crate) struct Life {
    /// Why the socket closed; `Some` from the moment it is closing (first reason wins).
    pub(crate) close_reason: Option<DisconnectReason>,
    /// The connection procedure is still running: a close is finished by it.
    pub(crate) setup: bool,
    /// Events must wait in `queue`: the connection procedure is running, or (in
    /// sequential mode) the listeners of an earlier event are. Whoever closed the gate
    /// empties the queue and opens it.
    pub(crate) gate: bool,
    /// Events waiting behind the gate, in arrival order.
    pub(crate) queue: VecDeque<Packet>,
    /// Listener futures that outlived their first poll and run as tasks.
    pub(crate) inflight: usize,
    /// The disconnection procedure finished (`disconnect` handlers done).
    pub(crate) finished: bool,
}

impl Life {
    /// A socket about to run its connection procedure.
    pub(crate) fn connecting() -> Self {
        Life {
            setup: true,
            gate: true,
            ..Default::default()
        }
    }
}

/// Polls `fut` once here, with a no-op waker; returns it if it is still pending.
///
/// A pending future must then be handed to a task (which polls it again straight away):
/// a future only promises to wake the waker of its latest poll, so the no-op waker of
/// this first poll is never relied upon.
pub(crate) fn poll_once(mut fut: BoxFuture<'static, ()>) -> Option<BoxFuture<'static, ()>> {
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut fut).poll(&mut cx) {
        Poll::Ready(()) => None,
        Poll::Pending => Some(fut),
    }
}

/// Runs a new socket's connection procedure: here as far as it goes without waiting,
/// then as a task.
pub(crate) fn start(socket: Socket) {
    let server = socket.inner.client.server().clone();
    if let Some(rest) = poll_once(Box::pin(connection_procedure(socket))) {
        server.spawn(rest);
    }
}

async fn connection_procedure(socket: Socket) {
    if !connect(&socket).await {
        cleanup_refused(&socket).await;
        lock(&socket.inner.life).setup = false;
        finish(&socket);
        return;
    }
    let closed = {
        let mut life = lock(&socket.inner.life);
        life.setup = false;
        life.close_reason.is_some()
    };
    if closed {
        // Closed while the connection handlers ran: the close is ours to finish.
        disconnection_procedure(socket).await;
    } else {
        dispatch::drain(socket).await;
    }
}

/// Middleware, CONNECT reply, connection handlers. Returns whether the socket connected.
async fn connect(socket: &Socket) -> bool {
    let ns = socket.ns().clone();
    for mw in ns.handlers().middleware() {
        if let Err(refusal) = mw.call(socket.clone()).await {
            tracing::debug!(sid = %socket.id(), nsp = %ns.name(), message = %refusal.message, "connection refused by middleware");
            socket.inner.client.refuse(socket, &refusal);
            return false;
        }
        if socket.is_closed() {
            return false;
        }
    }
    if socket.is_closed() {
        return false;
    }
    if let Err(e) = ns
        .adapter()
        .add_all(socket.id(), std::slice::from_ref(socket.id()))
        .await
    {
        tracing::warn!(error = %e, "adapter refused the socket's own room");
    }
    ns.insert_socket(socket.clone());
    // Close may have been requested while awaiting; do not announce a dead socket.
    if socket.is_closed() || !socket.mark_connected() {
        ns.remove_socket(socket.id());
        let _ = ns.adapter().del_all(socket.id()).await;
        return false;
    }
    socket.inner.client.mark_joined();
    let reply = serde_json::json!({ "sid": &**socket.id() });
    match ns.parser().encode_connect(ns.name(), Some(&reply)) {
        Ok(encoded) => {
            if let Err(e) = crate::client::send_encoded(socket.conn(), encoded, false) {
                tracing::debug!(error = %e, "cannot send the CONNECT reply");
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot encode the CONNECT reply"),
    }
    for handler in ns.handlers().connection() {
        handler.call(socket.clone()).await;
    }
    true
}

/// A socket that never connected: undo what a middleware may have done.
async fn cleanup_refused(socket: &Socket) {
    // A middleware may have joined rooms already.
    let _ = socket.ns().adapter().del_all(socket.id()).await;
    socket.inner.client.forget(socket);
    // Still in setup: this only marks it closed, no disconnection procedure.
    socket.request_close(DisconnectReason::ServerNamespaceDisconnect);
    socket.drop_pending_acks();
}

/// Starts the disconnection procedure of a socket that connected.
pub(crate) fn spawn_disconnection(socket: Socket) {
    let server = socket.inner.client.server().clone();
    server.spawn(Box::pin(disconnection_procedure(socket)));
}

/// `disconnecting` handlers (rooms still joined), leave every room, `disconnect`
/// handlers.
async fn disconnection_procedure(socket: Socket) {
    let reason = socket
        .close_reason()
        .unwrap_or(DisconnectReason::ServerNamespaceDisconnect);
    let (disconnecting, disconnect) = {
        let l = lock(&socket.inner.listeners);
        match l.extra() {
            Some(e) => (e.disconnecting.clone(), e.disconnect.clone()),
            None => (Vec::new(), Vec::new()),
        }
    };
    for h in disconnecting {
        h.call(socket.clone(), reason).await;
    }
    let ns = socket.ns().clone();
    if let Err(e) = ns.adapter().del_all(socket.id()).await {
        tracing::warn!(error = %e, "adapter failed to remove the socket's rooms");
    }
    ns.remove_socket(socket.id());
    socket.inner.client.forget(&socket);
    socket.drop_pending_acks();
    for h in disconnect {
        h.call(socket.clone(), reason).await;
    }
    socket.inner.client.server().cleanup_child(&ns).await;
    finish(&socket);
}

/// The socket is done: listeners dropped, waiters of [`Socket::finished`] woken.
fn finish(socket: &Socket) {
    // Break reference cycles held by user closures.
    lock(&socket.inner.listeners).clear();
    lock(&socket.inner.life).finished = true;
    socket
        .inner
        .client
        .server()
        .socket_finished
        .notify_waiters();
}
