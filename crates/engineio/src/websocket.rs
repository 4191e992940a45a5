//! The WebSocket transport: the HTTP upgrade, the probe/upgrade dance of a polling
//! session, and the connection driver.
//!
//! One task per WebSocket connection selects over the socket's reads, the session's
//! outgoing queue and one timer (heartbeat / upgrade deadline). Outgoing packets are
//! fed in a batch and flushed once.

use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use crate::adaptive_io::AdaptiveIo;
use crate::config::EngineConfig;
use crate::engine::{Engine, EngineInner, Handler, TypedSession};
use crate::error::{DisconnectReason, RequestError};
use crate::message::Message;
use crate::packet::{self, Packet};
use crate::payload::OutPacket;
use crate::request::RequestInfo;
use crate::socket::Socket;
use crate::state::{Recv, TransportKind, UpgradeStep};

type Ws = WebSocketStream<AdaptiveIo<TokioIo<Upgraded>>>;

fn ws_config(cfg: &EngineConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(cfg.ws_read_buffer_size.max(256))
        .write_buffer_size(cfg.ws_write_buffer_size)
        .max_message_size(Some(cfg.max_payload))
        .max_frame_size(Some(cfg.max_payload))
}

/// Validates the WebSocket handshake and builds the `101` answer.
fn accept(parts: &mut http::request::Parts) -> Result<(Response<Bytes>, OnUpgrade), RequestError> {
    let h = &parts.headers;
    let is_ws = h
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    let version_ok = h
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let key = h
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|k| k.as_bytes().to_vec());
    let (true, true, Some(key)) = (is_ws && parts.method == http::Method::GET, version_ok, key)
    else {
        return Err(RequestError::BadRequest);
    };
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(RequestError::BadRequest)?;
    let accept =
        HeaderValue::from_str(&derive_accept_key(&key)).map_err(|_| RequestError::BadRequest)?;
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let rh = res.headers_mut();
    rh.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    rh.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    rh.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    // Like Node's `ws` without a `handleProtocols` hook: accept the first offered
    // subprotocol (browsers fail the connection if none of theirs is echoed).
    let first_protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').map(str::trim).find(|p| !p.is_empty()))
        .and_then(|p| HeaderValue::from_str(p).ok());
    if let Some(protocol) = first_protocol {
        rh.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    Ok((res, on_upgrade))
}

async fn establish(on_upgrade: OnUpgrade, cfg: &EngineConfig) -> Option<Ws> {
    match on_upgrade.await {
        Ok(upgraded) => Some(
            WebSocketStream::from_raw_socket(
                AdaptiveIo::new(TokioIo::new(upgraded)),
                Role::Server,
                Some(ws_config(cfg)),
            )
            .await,
        ),
        Err(err) => {
            tracing::debug!(%err, "websocket upgrade failed");
            None
        }
    }
}

/// A WebSocket-only handshake (no sid): the session is created once the connection is
/// upgraded; the first frame is the open packet (with `"upgrades":[]`).
pub(crate) fn handshake<H: Handler>(
    engine: &Engine<H>,
    info: RequestInfo,
    parts: &mut http::request::Parts,
) -> Result<Response<Bytes>, RequestError> {
    let (mut res, on_upgrade) = accept(parts)?;
    let inner = engine.0.clone();
    if let Some(hook) = &inner.config.initial_headers {
        hook(&info, res.headers_mut());
    }
    tokio::spawn(async move {
        // Boxed: the handshake future is only needed until the connection is upgraded.
        let Some(mut ws) = Box::pin(establish(on_upgrade, &inner.config)).await else {
            return;
        };
        let (session, socket) = inner.create_session(info, TransportKind::WebSocket);
        let cfg = &inner.config;
        let open = packet::encode_open(
            socket.id(),
            false,
            cfg.ping_interval.as_millis(),
            cfg.ping_timeout.as_millis(),
            cfg.max_payload,
        );
        drive(&inner, &session, &socket, &mut ws, Some(open)).await;
        Box::pin(close_ws(&mut ws)).await;
    });
    Ok(res)
}

/// A WebSocket for an existing polling session: the upgrade.
pub(crate) fn upgrade_existing<H: Handler>(
    engine: &Engine<H>,
    session: Arc<TypedSession<H>>,
    socket: Socket,
    parts: &mut http::request::Parts,
) -> Result<Response<Bytes>, RequestError> {
    let inner = engine.0.clone();
    if !inner.config.allow_upgrades {
        return Err(RequestError::BadRequest);
    }
    let (res, on_upgrade) = accept(parts)?;
    // Only one upgrade at a time, only from polling: a second WebSocket is refused.
    let epoch = socket
        .update(|st, now, t| st.begin_upgrade(now, t))
        .ok_or(RequestError::BadRequest)?;
    tokio::spawn(async move {
        let Some(mut ws) = Box::pin(establish(on_upgrade, &inner.config)).await else {
            socket.update(|st, _, _| st.abort_upgrade(epoch));
            return;
        };
        socket.update(|st, _, _| st.upgrade_established(epoch));
        // Boxed: the probe exchange only lives during the upgrade.
        if Box::pin(probe(&socket, &mut ws, epoch)).await {
            tracing::debug!(sid = socket.id(), "upgraded to websocket");
            drive(&inner, &session, &socket, &mut ws, None).await;
        } else {
            socket.update(|st, _, _| st.abort_upgrade(epoch));
        }
        Box::pin(close_ws(&mut ws)).await;
    });
    Ok(res)
}

/// Runs the probe exchange on an upgrading WebSocket. True once the client sent `5`.
async fn probe(socket: &Socket, ws: &mut Ws, epoch: u32) -> bool {
    loop {
        let mut changed = pin!(socket.0.changed.notified());
        changed.as_mut().enable();
        let deadline = {
            let st = socket.lock();
            if !st.upgrade_pending(epoch) {
                return false;
            }
            st.upgrade_deadline(epoch)
        };
        let Some(deadline) = deadline else {
            return false;
        };
        tokio::select! {
            frame = ws.next() => {
                let packet = match frame {
                    Some(Ok(WsMessage::Text(t))) => match packet::decode_text(t) {
                        Ok(p) => p,
                        Err(_) => return false,
                    },
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => continue,
                    _ => return false,
                };
                match socket.update(|st, _, _| st.upgrade_recv(epoch, &packet)) {
                    UpgradeStep::SendProbe => {
                        let pong = WsMessage::Text(Utf8Bytes::from_static(packet::PONG_PROBE));
                        if ws.send(pong).await.is_err() {
                            return false;
                        }
                    }
                    UpgradeStep::Complete => return true,
                    UpgradeStep::Abort => return false,
                    UpgradeStep::Ignore => {}
                }
            }
            _ = changed => {}
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                socket.update(|st, now, t| { st.on_timeout(now, t); });
            }
        }
    }
}

fn frame(p: OutPacket) -> WsMessage {
    match p {
        OutPacket::Message(Message::Text(t)) => WsMessage::Text(t.framed().clone()),
        OutPacket::Message(Message::Binary(b)) => WsMessage::Binary(b),
        OutPacket::Ping => WsMessage::Text(Utf8Bytes::from_static(packet::PING)),
        OutPacket::Noop => WsMessage::Text(Utf8Bytes::from_static(packet::NOOP)),
        OutPacket::Close => WsMessage::Text(Utf8Bytes::from_static(packet::CLOSE)),
    }
}

/// Maps a read error to Node's close reason: socket-level loss is "transport close",
/// protocol violations (including oversize messages) are "transport error".
fn read_error_reason(err: &WsError) -> DisconnectReason {
    match err {
        WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Io(_)
        | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            DisconnectReason::TransportClose
        }
        _ => DisconnectReason::TransportError,
    }
}

/// Drives an established WebSocket session until it closes.
async fn drive<H: Handler>(
    engine: &EngineInner<H>,
    session: &TypedSession<H>,
    socket: &Socket,
    ws: &mut Ws,
    open: Option<String>,
) {
    if let Some(open) = open {
        if ws
            .send(WsMessage::Text(Utf8Bytes::from(open)))
            .await
            .is_err()
        {
            socket.close_now(DisconnectReason::TransportClose);
            return;
        }
    }
    let mut batch: Vec<OutPacket> = Vec::new();
    let mut sleep = pin!(tokio::time::sleep(Duration::from_secs(3600)));
    loop {
        // No lost wake-ups: senders notify `changed` (`notify_waiters`, which stores no
        // permit) only when the queue goes from empty to non-empty. So the registration
        // below is made *before* the queue is drained under the lock, and it is only
        // ever consumed by the `select!` at the end of this iteration, after which the
        // loop registers again and looks at the queue again. Whatever is pushed after
        // the drain, during the write or later, finds the queue empty the first time
        // and so completes this registration: the `select!` then returns at once and
        // the next iteration drains it. `write_batch` watches the session through a
        // registration of its own and never consumes this one (it used to re-arm it,
        // swallowing the only notification while the new messages stayed queued until
        // the next heartbeat). `notify_one` is not an option: `changed` has several
        // waiters (a pending GET, the polling timer, the probe and this driver during
        // an upgrade), and a single permit would wake only one of them.
        let mut changed = pin!(socket.0.changed.notified());
        changed.as_mut().enable();
        let (deadline, closing, closed) = socket.update(|st, now, t| {
            st.on_timeout(now, t);
            st.drain_into(&mut batch);
            (st.next_deadline(), st.is_closing(), st.is_closed())
        });
        if !batch.is_empty() {
            let written = write_batch(socket, ws, &mut batch, sleep.as_mut(), deadline).await;
            batch.clear();
            if batch.capacity() > 256 {
                batch.shrink_to(16);
            }
            match written {
                Written::Done => {}
                Written::Failed => {
                    socket.close_now(DisconnectReason::TransportClose);
                    return;
                }
                Written::SessionClosed => return,
            }
        }
        if closed {
            break;
        }
        if closing {
            socket.update(|st, _, _| st.finish_closing());
            break;
        }
        if let Some(d) = deadline {
            sleep.as_mut().reset(tokio::time::Instant::from_std(d));
        }
        tokio::select! {
            frame = ws.next() => {
                let packet = match frame {
                    Some(Ok(WsMessage::Text(t))) => packet::decode_text(t),
                    Some(Ok(WsMessage::Binary(b))) => Ok(Packet::Message(Message::Binary(b))),
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => continue,
                    Some(Ok(WsMessage::Close(_))) | None => {
                        socket.close_now(DisconnectReason::TransportClose);
                        break;
                    }
                    Some(Err(err)) => {
                        tracing::debug!(sid = socket.id(), %err, "websocket read error");
                        socket.close_now(read_error_reason(&err));
                        break;
                    }
                };
                let packet = match packet {
                    Ok(p) => p,
                    Err(err) => {
                        tracing::debug!(sid = socket.id(), %err, "parse error");
                        socket.close_now(DisconnectReason::ParseError);
                        break;
                    }
                };
                let message = socket.update(|st, now, t| {
                    st.on_timeout(now, t);
                    match st.recv(now, t, packet) {
                        Recv::Deliver(m) => {
                            st.begin_delivery();
                            Some(m)
                        }
                        Recv::Ignore | Recv::Closed => None,
                    }
                });
                if let Some(m) = message {
                    engine.deliver(session, socket, m);
                    socket.update(|st, _, _| st.end_delivery());
                }
            }
            _ = changed => {}
            _ = &mut sleep => {}
        }
    }
}

enum Written {
    Done,
    Failed,
    SessionClosed,
}

/// Feeds every packet of `batch` and flushes once. A peer that stops reading blocks the
/// write; the session's deadlines (pong, graceful close) and closes from elsewhere are
/// still honoured meanwhile.
///
/// It watches the session through its own `changed` registration, so the caller's
/// registration (made before it drained the queue) stays untouched and still reports
/// messages pushed during the write; see `drive`.
async fn write_batch(
    socket: &Socket,
    ws: &mut Ws,
    batch: &mut Vec<OutPacket>,
    mut sleep: Pin<&mut tokio::time::Sleep>,
    deadline: Option<std::time::Instant>,
) -> Written {
    let mut write = pin!(async {
        for p in batch.drain(..) {
            ws.feed(frame(p)).await?;
        }
        ws.flush().await
    });
    if let Some(d) = deadline {
        sleep.as_mut().reset(tokio::time::Instant::from_std(d));
    }
    loop {
        // Registered before the check, so a close right after it still wakes us.
        let mut changed = pin!(socket.0.changed.notified());
        changed.as_mut().enable();
        if socket.lock().is_closed() {
            return Written::SessionClosed;
        }
        tokio::select! {
            r = &mut write => return if r.is_ok() { Written::Done } else { Written::Failed },
            _ = changed => {}
            _ = sleep.as_mut() => {
                let next = socket.update(|st, now, t| {
                    st.on_timeout(now, t);
                    st.next_deadline()
                });
                let next = next.unwrap_or_else(|| std::time::Instant::now() + Duration::from_secs(3600));
                sleep.as_mut().reset(tokio::time::Instant::from_std(next));
            }
        }
    }
}

async fn close_ws(ws: &mut Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
}
