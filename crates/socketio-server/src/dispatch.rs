//! Incoming events of one socket: per-packet middleware, catch-all listeners, then the
//! event's listeners.
//!
//! # Ordering and concurrency
//!
//! No task per socket, none per event. An event is dispatched where it was decoded (the
//! connection's IO task, which calls the engine handler in arrival order): middleware
//! and `on_any` listeners run synchronously, then each listener's future is created
//! and polled once right there, in registration order. Every listener of an event has
//! started (run up to its first pending `.await`) before the next event is looked at.
//! A listener that is still pending then continues as a task of its own, so slow
//! listeners interleave like async listeners in Node, and a listener that finishes in
//! its first poll (the common case: answer, emit, return) costs no task at all.
//!
//! Events wait in the socket's queue (at most `max_pending_events`, counting listeners
//! still running as tasks) while the connection procedure runs, and — with
//! `sequential_events(true)` — while any listener of the previous event runs: a task
//! then takes them one after the other.
//!
//! Acknowledgements from the client never wait here (the connection layer resolves
//! them), so a listener awaiting `emit_with_ack` on its own socket cannot deadlock.

use crate::ack::AckSender;
use crate::args::EventArgs;
use crate::data::lock;
use crate::error::{DisconnectReason, SocketError};
use crate::lifecycle::poll_once;
use crate::socket::Socket;
use futures_util::future::{join_all, BoxFuture};
use socketio_parser::{EventName, Packet};
use std::borrow::Cow;

/// An EVENT or BINARY_EVENT for `socket`, in arrival order.
pub(crate) fn on_event(socket: &Socket, packet: Packet) {
    let server = socket.inner.client.server();
    let sequential = server.config.sequential_events;
    let limit = server.config.max_pending_events;
    {
        let mut life = lock(&socket.inner.life);
        if life.close_reason.is_some() {
            return;
        }
        if life.queue.len() + life.inflight >= limit {
            drop(life);
            return overloaded(socket);
        }
        if life.gate {
            life.queue.push_back(packet);
            return;
        }
        if sequential {
            life.gate = true;
        }
    }
    let pending = start_listeners(socket, &packet);
    if sequential {
        let socket = socket.clone();
        if pending.is_empty() {
            reopen_gate(socket);
        } else {
            // Counted before the task starts, so the very next event sees it.
            lock(&socket.inner.life).inflight += 1;
            let server = server.clone();
            server.spawn(Box::pin(async move {
                join_all(pending).await;
                uncount(&socket);
                drain(socket).await;
            }));
        }
    } else {
        for fut in pending {
            spawn_tracked(socket, fut);
        }
    }
}

/// The queue overflowed: the client sends faster than its listeners finish.
fn overloaded(socket: &Socket) {
    socket.report_error(SocketError::Overloaded);
    socket.inner.client.close_with(
        socket.conn(),
        DisconnectReason::TransportError,
        engineio::DisconnectReason::TransportError,
    );
}

/// Opens the gate closed for one sequential event whose listeners all finished at once;
/// anything queued meanwhile is drained by a task.
fn reopen_gate(socket: Socket) {
    {
        let mut life = lock(&socket.inner.life);
        if life.queue.is_empty() || life.close_reason.is_some() {
            life.gate = false;
            return;
        }
    }
    let server = socket.inner.client.server().clone();
    server.spawn(Box::pin(drain(socket)));
}

/// Takes the queued events in order until the queue is empty, then opens the gate.
/// Runs by whoever closed the gate (the connection procedure, or the task of a
/// sequential event).
pub(crate) async fn drain(socket: Socket) {
    let sequential = socket.inner.client.server().config.sequential_events;
    loop {
        let packet = {
            let mut life = lock(&socket.inner.life);
            match life.queue.pop_front() {
                Some(p) if life.close_reason.is_none() => p,
                _ => {
                    life.queue = Default::default();
                    life.gate = false;
                    return;
                }
            }
        };
        let pending = start_listeners(&socket, &packet);
        if sequential {
            finish_sequential(&socket, pending).await;
        } else {
            for fut in pending {
                spawn_tracked(&socket, fut);
            }
        }
    }
}

/// Waits for the still-pending listeners of one sequential event (counted against the
/// limit meanwhile, like the events queued behind it).
async fn finish_sequential(socket: &Socket, pending: Vec<BoxFuture<'static, ()>>) {
    if pending.is_empty() {
        return;
    }
    lock(&socket.inner.life).inflight += 1;
    join_all(pending).await;
    uncount(socket);
}

/// One listener task (or sequential event) less in flight.
fn uncount(socket: &Socket) {
    let mut life = lock(&socket.inner.life);
    life.inflight = life.inflight.saturating_sub(1);
}

/// A listener future that outlived its first poll: a task, counted against the limit.
fn spawn_tracked(socket: &Socket, fut: BoxFuture<'static, ()>) {
    lock(&socket.inner.life).inflight += 1;
    let server = socket.inner.client.server().clone();
    let socket = socket.clone();
    server.spawn(Box::pin(async move {
        fut.await;
        uncount(&socket);
    }));
}

/// The event name as listeners see it (numbers printed like JavaScript prints them).
pub(crate) fn event_name(packet: &Packet) -> Option<Cow<'_, str>> {
    Some(match packet.event_name()? {
        EventName::Str(s) => s,
        // JavaScript prints integral numbers without a fraction.
        EventName::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Cow::Owned((n as i64).to_string())
        }
        EventName::Number(n) => Cow::Owned(n.to_string()),
    })
}

/// Runs middleware and catch-all listeners, then creates and polls once each listener's
/// future; returns the ones still pending.
fn start_listeners(socket: &Socket, packet: &Packet) -> Vec<BoxFuture<'static, ()>> {
    let Some(event) = event_name(packet) else {
        return Vec::new();
    };
    let args = EventArgs {
        event: &event,
        packet,
    };
    let (middleware, any, handlers) = {
        let mut l = lock(&socket.inner.listeners);
        let (middleware, any) = match l.extra() {
            Some(e) => (
                e.middleware.clone(),
                e.any.iter().map(|(_, f)| f.clone()).collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        (middleware, any, l.take_for(&event))
    };
    for mw in middleware {
        if let Err(rejection) = mw.call(socket, &args) {
            socket.report_error(SocketError::Rejected {
                event: event.clone().into_owned(),
                message: rejection.0,
            });
            return Vec::new();
        }
    }
    for f in any {
        f(socket, &args);
    }
    let ack = AckSender::for_packet(socket, packet);
    let mut pending = Vec::new();
    for h in handlers {
        match h.call(socket.clone(), &args, ack.clone()) {
            Ok(fut) => pending.extend(poll_once(fut)),
            Err(source) => socket.report_error(SocketError::BadArguments {
                event: event.clone().into_owned(),
                source,
            }),
        }
    }
    pending
}
