//! The task of one socket: connect (middleware, CONNECT reply, connection handlers), then
//! the event loop, then the disconnection.
//!
//! # Ordering and concurrency
//!
//! One task per socket, no task per event. Incoming events wait in a bounded queue
//! (`max_pending_events`) and are taken in arrival order. For each event, per-packet
//! middleware and `on_any` listeners run synchronously, then each listener's future is
//! created and polled once immediately, in arrival order and registration order: every
//! handler starts (runs up to its first pending `.await`) before the next event is
//! looked at. Handlers that are still pending are driven concurrently by the same task
//! (a `FuturesUnordered`), like interleaved async listeners in Node. With
//! `sequential_events(true)` the next event is taken only once every handler of the
//! previous one finished.
//!
//! Acknowledgements from the client bypass the queue (resolved by the connection layer),
//! so a handler awaiting `emit_with_ack` on its own socket never deadlocks.

use crate::ack::AckSender;
use crate::args::EventArgs;
use crate::error::{DisconnectReason, SocketError};
use crate::socket::Socket;
use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use socketio_parser::{EventName, Packet};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use tokio::sync::mpsc;

/// Polls `fut` once; returns it if still pending.
async fn start(mut fut: BoxFuture<'static, ()>) -> Option<BoxFuture<'static, ()>> {
    let done = poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx).is_ready())).await;
    (!done).then_some(fut)
}

pub(crate) async fn run(socket: Socket, mut rx: mpsc::Receiver<Box<Packet>>, sequential: bool) {
    let mut inflight: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
    if connect(&socket).await {
        // One close-notification future for the whole loop: re-creating it in every
        // `select!` iteration registered and unregistered a waiter per event.
        let closed = socket.inner.close_notify.notified();
        tokio::pin!(closed);
        loop {
            let can_take = !sequential || inflight.is_empty();
            tokio::select! {
                biased;
                _ = &mut closed => break,
                Some(()) = inflight.next(), if !inflight.is_empty() => {}
                packet = rx.recv(), if can_take => match packet {
                    Some(packet) => {
                        for fut in dispatch(&socket, &packet) {
                            if let Some(pending) = start(fut).await {
                                inflight.push(pending);
                            }
                        }
                    }
                    None => break,
                },
            }
        }
        close(&socket, &mut inflight).await;
    } else {
        cleanup_refused(&socket).await;
    }
    rx.close();
    socket.inner.finished.send_replace(true);
}

/// Middleware, CONNECT reply, connection handlers. Returns whether the socket connected.
async fn connect(socket: &Socket) -> bool {
    let ns = socket.ns().clone();
    let middleware = ns.handlers().middleware();
    for mw in middleware {
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
            if let Err(e) = socket.inner.client.send_encoded(encoded, false) {
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

async fn cleanup_refused(socket: &Socket) {
    // A middleware may have joined rooms already.
    let _ = socket.ns().adapter().del_all(socket.id()).await;
    socket.inner.client.forget(socket);
    socket.request_close(DisconnectReason::ServerNamespaceDisconnect);
    socket.drop_pending_acks();
}

pub(crate) fn event_name(packet: &Packet) -> Option<String> {
    match packet.event_name()? {
        EventName::Str(s) => Some(s.into_owned()),
        // JavaScript prints integral numbers without a fraction.
        EventName::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Some((n as i64).to_string())
        }
        EventName::Number(n) => Some(n.to_string()),
    }
}

/// Runs middleware and catch-all listeners, and creates the listeners' futures.
fn dispatch(socket: &Socket, packet: &Packet) -> Vec<BoxFuture<'static, ()>> {
    let Some(event) = event_name(packet) else {
        return Vec::new();
    };
    let args = EventArgs {
        event: &event,
        packet,
    };
    let (middleware, any, handlers) = {
        let mut l = crate::data::lock(&socket.inner.listeners);
        let middleware = l.middleware.clone();
        let any: Vec<_> = l.any.iter().map(|(_, f)| f.clone()).collect();
        let handlers: Vec<_> = match l.events.get_mut(event.as_str()) {
            Some(list) => {
                let hs = list.iter().map(|x| x.handler.clone()).collect();
                list.retain(|x| !x.once);
                hs
            }
            None => Vec::new(),
        };
        (middleware, any, handlers)
    };
    for mw in middleware {
        if let Err(rejection) = mw.call(socket, &args) {
            socket.report_error(SocketError::Rejected {
                event: event.clone(),
                message: rejection.0,
            });
            return Vec::new();
        }
    }
    for f in any {
        f(socket, &args);
    }
    let ack = AckSender::for_packet(socket, packet);
    let mut futures = Vec::with_capacity(handlers.len());
    for h in handlers {
        match h.call(socket.clone(), &args, ack.clone()) {
            Ok(fut) => futures.push(fut),
            Err(source) => socket.report_error(SocketError::BadArguments {
                event: event.clone(),
                source,
            }),
        }
    }
    futures
}

/// `disconnecting` handlers (rooms still joined), leave every room, `disconnect`
/// handlers, then let in-flight handlers finish.
async fn close(socket: &Socket, inflight: &mut FuturesUnordered<BoxFuture<'static, ()>>) {
    let reason = socket
        .close_reason()
        .unwrap_or(DisconnectReason::ServerNamespaceDisconnect);
    let (disconnecting, disconnect) = {
        let l = crate::data::lock(&socket.inner.listeners);
        (l.disconnecting.clone(), l.disconnect.clone())
    };
    for h in disconnecting {
        h.call(socket.clone(), reason).await;
    }
    let ns = socket.ns().clone();
    if let Err(e) = ns.adapter().del_all(socket.id()).await {
        tracing::warn!(error = %e, "adapter failed to remove the socket's rooms");
    }
    ns.remove_socket(socket.id());
    socket.inner.client.forget(socket);
    socket.drop_pending_acks();
    for h in disconnect {
        h.call(socket.clone(), reason).await;
    }
    socket.inner.client.server().cleanup_child(&ns).await;
    while inflight.next().await.is_some() {}
    // Break reference cycles held by user closures.
    let mut l = crate::data::lock(&socket.inner.listeners);
    *l = Default::default();
    drop(l);
    let _ = Arc::strong_count(&socket.inner);
}
