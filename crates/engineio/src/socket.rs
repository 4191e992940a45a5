//! The public [`Socket`] handle and the shared per-session record behind it.
//!
//! Everything about one session lives in one `Arc<Session<_>>`: id, handshake request,
//! the sans-IO [`SessionState`] behind a mutex, two wake-up points, and the handler's
//! per-session state. [`Socket`] is that same allocation seen through a type-erased
//! pointer, so the handle is one pointer wide and cloning it is a refcount bump.

use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Instant;

use tokio::sync::Notify;

use crate::error::{DisconnectReason, SendError, TrySendError};
use crate::message::Message;
use crate::request::RequestInfo;
use crate::sid::Sid;
use crate::state::{SessionState, Timing, TransportKind};

/// The per-session record (one allocation per session).
pub(crate) struct Session<X: ?Sized> {
    pub(crate) id: Sid,
    pub(crate) request: RequestInfo,
    pub(crate) state: Mutex<SessionState>,
    /// Wakes whoever waits on the polling transport (a pending GET, the polling timer);
    /// the WebSocket driver parks in the state instead (`state::driver`).
    pub(crate) changed: Notify,
    /// Wakes senders waiting for queue space.
    pub(crate) space: Notify,
    /// The engine-specific part (handler state, engine pointer).
    pub(crate) ext: X,
}

/// Engine hooks a type-erased session needs.
pub(crate) trait SessionExt: Send + Sync + 'static {
    fn timing(&self) -> &Timing;
    /// Removes the session from the engine and calls `on_disconnect` (once).
    fn finalize(&self, socket: &Socket, reason: DisconnectReason);
}

/// A cheap, cloneable handle to one Engine.IO session.
#[derive(Clone)]
pub struct Socket(pub(crate) Arc<Session<dyn SessionExt>>);

/// A handle to a session that does not keep it alive ([`Socket::downgrade`]).
#[derive(Clone)]
pub struct WeakSocket(std::sync::Weak<Session<dyn SessionExt>>);

impl WeakSocket {
    /// The session, if anything else still holds it.
    pub fn upgrade(&self) -> Option<Socket> {
        self.0.upgrade().map(Socket)
    }
}

impl std::fmt::Debug for WeakSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakSocket")
            .field("alive", &(self.0.strong_count() > 0))
            .finish()
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("id", &self.0.id).finish()
    }
}

#[derive(PartialEq, Eq)]
struct Snapshot {
    open: bool,
    closed: bool,
    transport: TransportKind,
    has_output: bool,
    upgrade: u64,
}

fn snapshot(st: &SessionState) -> Snapshot {
    Snapshot {
        open: st.is_open(),
        closed: st.is_closed(),
        transport: st.transport(),
        has_output: st.has_output(),
        upgrade: st.upgrade_fingerprint(),
    }
}

impl Socket {
    /// The session id: 20 URL-safe characters.
    pub fn id(&self) -> &str {
        self.0.id.as_str()
    }

    /// A handle that does not keep the session alive (for timers and caches).
    pub fn downgrade(&self) -> WeakSocket {
        WeakSocket(Arc::downgrade(&self.0))
    }

    /// The handshake request.
    pub fn request(&self) -> &RequestInfo {
        &self.0.request
    }

    /// The Engine.IO protocol version (always 4).
    pub fn protocol(&self) -> u8 {
        4
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        self.lock().transport()
    }

    /// Queues a message; waits while the session's send queue is full.
    ///
    /// Fails (handing the message back) once the session is closing or closed.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        let mut message = message;
        loop {
            let mut space = pin!(self.0.space.notified());
            space.as_mut().enable();
            match self.try_send(message) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(m)) => return Err(SendError(m)),
                Err(TrySendError::Full(m)) => message = m,
            }
            space.await;
        }
    }

    /// Queues a message without waiting: `Full` when the send queue is full, `Closed`
    /// once the session is closing or closed. Never drops silently.
    pub fn try_send(&self, message: Message) -> Result<(), TrySendError> {
        let (was_empty, driver);
        {
            let mut st = self.lock();
            was_empty = !st.has_output();
            st.push(message)?;
            driver = if was_empty { st.wake_driver() } else { None };
        }
        // Edge-triggered: only the empty -> non-empty transition notifies. Correct
        // because every waiter registers (on `changed`, or parks the WebSocket driver)
        // before it looks at the queue and looks again after each wake-up (see
        // `websocket::conn`, `polling::get`).
        if was_empty {
            self.wake_transports(driver);
        }
        Ok(())
    }

    /// Queues a batch of messages all-or-nothing, waiting while it does not fit.
    ///
    /// Meant for frames that only make sense together, such as a Socket.IO packet with
    /// binary attachments (one text frame and N binary frames): either every message is
    /// queued, in order and with nothing interleaved, or none is. See
    /// [`try_send_many`](Self::try_send_many) for when a batch fits. Fails (handing the
    /// batch back) once the session is closing or closed.
    pub async fn send_many(&self, messages: Vec<Message>) -> Result<(), SendError<Vec<Message>>> {
        let mut messages = messages;
        loop {
            let mut space = pin!(self.0.space.notified());
            space.as_mut().enable();
            match self.try_send_many(messages) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(m)) => return Err(SendError(m)),
                Err(TrySendError::Full(m)) => messages = m,
            }
            space.await;
        }
    }

    /// Queues a batch of messages all-or-nothing without waiting.
    ///
    /// The batch is queued whole, in order, when the queued messages plus the batch fit
    /// in `send_queue_capacity` (the capacity counts messages, so a batch of N counts N),
    /// and also whenever nothing is queued: a batch larger than the whole capacity is
    /// accepted into an empty queue, so it can always be sent eventually. Otherwise
    /// `Full` hands the whole batch back and nothing was queued; `Closed` once the
    /// session is closing or closed. An empty batch is a no-op.
    pub fn try_send_many(&self, messages: Vec<Message>) -> Result<(), TrySendError<Vec<Message>>> {
        if messages.is_empty() {
            return if self.is_closed() {
                Err(TrySendError::Closed(messages))
            } else {
                Ok(())
            };
        }
        let (was_empty, driver);
        {
            let mut st = self.lock();
            was_empty = !st.has_output();
            st.push_many(messages)?;
            driver = if was_empty { st.wake_driver() } else { None };
        }
        if was_empty {
            self.wake_transports(driver);
        }
        Ok(())
    }

    /// Closes the session from the server side ("forced close" is the usual reason).
    ///
    /// What is already queued is still delivered, then the client is told to close
    /// (`1` over polling, a close frame over WebSocket). Over polling the close packet
    /// comes in a later response than the queued messages, like Node (`6␞1` on the next
    /// poll), and if that poll does not come within the configured `close_timeout` the
    /// session closes anyway.
    /// `on_disconnect` fires once, when the close is complete.
    pub fn close(&self, reason: DisconnectReason) {
        self.update(|st, now, t| {
            st.close_gracefully(now, t, reason);
        });
    }

    /// Whether the session is closing or closed (sends fail from then on).
    pub fn is_closed(&self) -> bool {
        !self.lock().is_open()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes whoever waits for the session to change: the `changed` waiters (a pending
    /// GET, the polling timer) and the parked WebSocket driver.
    fn wake_transports(&self, driver: Option<Waker>) {
        self.0.changed.notify_waiters();
        if let Some(waker) = driver {
            waker.wake();
        }
    }

    /// Closes at once (no flush): protocol errors, lost transports, engine shutdown.
    pub(crate) fn close_now(&self, reason: DisconnectReason) {
        self.update(|st, _, _| {
            st.close(reason);
        });
    }

    /// Runs a state transition, then wakes transports/senders and finalizes as needed.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut SessionState, Instant, &Timing) -> R) -> R {
        self.transition(None, f)
    }

    /// [`update`](Self::update) for the WebSocket driver itself: after the transition,
    /// under the same lock, the driver parks with `waker`, so any later change wakes it
    /// (see `state::driver`). Its own transition does not wake it.
    pub(crate) fn update_parked<R>(
        &self,
        waker: &Waker,
        f: impl FnOnce(&mut SessionState, Instant, &Timing) -> R,
    ) -> R {
        self.transition(Some(waker), f)
    }

    fn transition<R>(
        &self,
        park: Option<&Waker>,
        f: impl FnOnce(&mut SessionState, Instant, &Timing) -> R,
    ) -> R {
        let now = Instant::now();
        let (r, finalize, wake, space, driver) = {
            let mut st = self.lock();
            let before = snapshot(&st);
            let queued_before = st.queued_messages();
            let r = f(&mut st, now, self.0.ext.timing());
            let after = snapshot(&st);
            let wake = before.open != after.open
                || before.closed != after.closed
                || before.transport != after.transport
                || before.upgrade != after.upgrade
                || (!before.has_output && after.has_output);
            let space = st.queued_messages() < queued_before || (before.open && !after.open);
            let driver = match park {
                Some(waker) => {
                    st.park_driver(waker);
                    None
                }
                None if wake => st.wake_driver(),
                None => None,
            };
            (r, st.take_finalize(), wake, space, driver)
        };
        if wake {
            self.wake_transports(driver);
        }
        if space {
            self.0.space.notify_waiters();
        }
        if let Some(reason) = finalize {
            tracing::debug!(sid = %self.0.id, %reason, "session closed");
            self.0.ext.finalize(self, reason);
        }
        r
    }
}
