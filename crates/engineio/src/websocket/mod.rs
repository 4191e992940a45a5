//! The WebSocket transport: the HTTP upgrade (`accept`), then one task per connection
//! ([`task::Task`]) running a [`conn::Connection`] — for a new WebSocket-only session,
//! or for the probe/upgrade exchange of a polling session followed by its traffic.
//!
//! The framing is the crate's own sans-IO codec ([`crate::ws_frame`]); the connection
//! driver reads through a per-thread scratch buffer and writes batches with one
//! (vectored) write, so an idle connection holds no read or write buffer. When hyper's
//! upgraded stream is a plain `TokioIo<TcpStream>` (the usual case: `Engine::serve`,
//! axum, hyper-util) the driver works on the `TcpStream` itself, without the boxed
//! upgrade wrapper; otherwise it uses the upgraded stream as it is.

mod conn;
mod outbox;
mod task;

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use hyper::upgrade::OnUpgrade;

use crate::engine::{Engine, Handler, TypedSession};
use crate::error::RequestError;
use crate::request::RequestInfo;
use crate::socket::Socket;
use task::Task;

/// The GUID of the `Sec-WebSocket-Accept` derivation (RFC 6455 §1.3).
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
fn accept_key(key: &[u8]) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(ACCEPT_GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
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
    let key = h.get(header::SEC_WEBSOCKET_KEY).map(|k| k.as_bytes());
    let (true, true, Some(key)) = (is_ws && parts.method == http::Method::GET, version_ok, key)
    else {
        return Err(RequestError::BadRequest);
    };
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(RequestError::BadRequest)?;
    let accept = HeaderValue::from_str(&accept_key(key)).map_err(|_| RequestError::BadRequest)?;
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
    tokio::spawn(Task::handshake(inner, info, on_upgrade));
    Ok(res)
}

/// A WebSocket for an existing polling session: the upgrade.
pub(crate) fn upgrade_existing<H: Handler>(
    engine: &Engine<H>,
    session: Arc<TypedSession<H>>,
    socket: Socket,
    parts: &mut http::request::Parts,
) -> Result<Response<Bytes>, RequestError> {
    if !engine.0.config.allow_upgrades {
        return Err(RequestError::BadRequest);
    }
    let (res, on_upgrade) = accept(parts)?;
    // Only one upgrade at a time, only from polling: a second WebSocket is refused.
    let epoch = socket
        .update(|st, now, t| st.begin_upgrade(now, t))
        .ok_or(RequestError::BadRequest)?;
    tokio::spawn(Task::upgrade(session, socket, epoch, on_upgrade));
    Ok(res)
}

#[cfg(test)]
mod tests;
