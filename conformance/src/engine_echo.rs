//! The bare Engine.IO echo server the official v4 test suite expects at `/engine.io/`.
//!
//! Behaviour:
//! - every message is sent back to the same session exactly as it came: text as
//!   text, binary as binary, in arrival order;
//! - the text message `close-me` is not echoed: the server closes that session
//!   instead (reason "forced close"). The project's tests use it to observe a
//!   server-initiated close from the client side.
//!
//! Echoes first go through the session's own send queue with `try_send`. If the
//! queue is full (a client that sends faster than it reads), the rest of that
//! session's echoes go through a bounded per-session overflow queue drained by
//! one task, so order is kept; if that overflows too, the session is closed.

use std::sync::Mutex;

use engineio::{DisconnectReason, Handler, Message, Socket, TrySendError};
use tokio::sync::mpsc;

/// Text message that makes the echo server close the session.
pub const CLOSE_ME: &str = "close-me";

/// Capacity of the per-session overflow queue.
const OVERFLOW_CAPACITY: usize = 4096;

/// Engine.IO handler that echoes every message back.
#[derive(Debug, Default, Clone, Copy)]
pub struct EchoHandler;

/// Per-session state: the overflow queue, created only when needed.
#[derive(Debug, Default)]
pub struct EchoState {
    overflow: Mutex<Option<mpsc::Sender<Message>>>,
}

impl EchoHandler {
    fn spawn_overflow(socket: &Socket) -> mpsc::Sender<Message> {
        let (tx, mut rx) = mpsc::channel::<Message>(OVERFLOW_CAPACITY);
        let socket = socket.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        });
        tx
    }
}

impl Handler for EchoHandler {
    type State = EchoState;

    fn on_connect(&self, socket: &Socket) -> EchoState {
        tracing::debug!(sid = socket.id(), "echo session opened");
        EchoState::default()
    }

    fn on_message(&self, socket: &Socket, state: &EchoState, message: Message) {
        if let Message::Text(text) = &message {
            if text.as_str() == CLOSE_ME {
                tracing::debug!(sid = socket.id(), "closing on request");
                socket.close(DisconnectReason::ForcedClose);
                return;
            }
        }
        let mut message = message;
        let mut overflow = match state.overflow.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if overflow.is_none() {
            match socket.try_send(message) {
                Ok(()) | Err(TrySendError::Closed(_)) => return,
                Err(TrySendError::Full(returned)) => {
                    *overflow = Some(Self::spawn_overflow(socket));
                    message = returned;
                }
            }
        }
        if let Some(tx) = overflow.as_ref() {
            if tx.try_send(message).is_err() {
                tracing::warn!(sid = socket.id(), "echo overflow queue full; closing");
                *overflow = None;
                socket.close(DisconnectReason::TransportError);
            }
        }
    }

    fn on_disconnect(&self, socket: &Socket, state: &EchoState, reason: DisconnectReason) {
        tracing::debug!(
            sid = socket.id(),
            reason = reason.as_str(),
            "echo session closed"
        );
        let mut overflow = match state.overflow.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *overflow = None;
    }
}

/// The engine configured per the official suites' contract (timings from the
/// command line, CORS for any origin).
pub fn engine(options: &crate::cli::Options) -> engineio::Engine<EchoHandler> {
    let config = engineio::EngineConfig::default()
        .ping_interval(options.ping_interval)
        .ping_timeout(options.ping_timeout)
        .max_payload(options.max_payload)
        .upgrade_timeout(options.upgrade_timeout)
        .cors(engineio::CorsConfig::any());
    engineio::Engine::new(config, EchoHandler)
}
