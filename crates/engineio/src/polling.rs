//! HTTP long-polling: the handshake, GET (long-poll) and POST (client data), and the
//! per-session heartbeat timer of polling sessions.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;

use crate::body::BoxError;
use crate::engine::{Engine, Handler, TypedSession};
use crate::error::DisconnectReason;
use crate::packet;
use crate::payload;
use crate::request::RequestInfo;
use crate::socket::Socket;
use crate::state::{GetStep, Recv, TransportKind};

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

fn polling_headers(user_agent: Option<&str>, res: &mut HeaderMap, content_type: &'static str) {
    res.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Node: prevent XSS warnings on IE.
    if let Some(ua) = user_agent {
        if ua.contains(";MSIE") || ua.contains("Trident/") {
            res.insert("x-xss-protection", HeaderValue::from_static("0"));
        }
    }
}

fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

fn status_only(status: StatusCode) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = status;
    res
}

/// Opens a polling session: the response is the open packet alone.
pub(crate) fn handshake<H: Handler>(engine: &Engine<H>, info: RequestInfo) -> Response<Bytes> {
    let inner = &engine.0;
    let (_session, socket) = inner.create_session(info, TransportKind::Polling);
    tokio::spawn(heartbeat(socket.clone()));
    let cfg = &inner.config;
    let open = packet::encode_open(
        socket.id(),
        cfg.allow_upgrades && cfg.transports.websocket,
        cfg.ping_interval.as_millis(),
        cfg.ping_timeout.as_millis(),
        cfg.max_payload,
    );
    let mut res = Response::new(Bytes::from(open));
    let headers = res.headers_mut();
    polling_headers(socket.request().header("user-agent"), headers, TEXT_PLAIN);
    if let Some(cookie) = &cfg.cookie {
        if let Ok(v) = HeaderValue::from_str(&cookie.header_value(socket.id())) {
            headers.append(header::SET_COOKIE, v);
        }
    }
    if let Some(hook) = &cfg.initial_headers {
        hook(socket.request(), headers);
    }
    res
}

/// A GET or POST on an existing polling session.
pub(crate) async fn request<H: Handler, B>(
    engine: &Engine<H>,
    session: Arc<TypedSession<H>>,
    socket: Socket,
    parts: &http::request::Parts,
    body: B,
) -> Response<Bytes>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    match parts.method {
        Method::GET => get(socket, parts).await,
        Method::POST => post(engine, &session, socket, parts, body).await,
        _ => status_only(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// Closes the session if the pending GET is dropped unanswered (client went away).
struct PendingGet {
    socket: Socket,
    armed: bool,
}

impl Drop for PendingGet {
    fn drop(&mut self) {
        if self.armed {
            tracing::debug!(sid = self.socket.id(), "poll aborted by the client");
            self.socket.update(|st, _, _| {
                st.end_get();
                st.close(DisconnectReason::TransportError);
            });
        }
    }
}

async fn get(socket: Socket, parts: &http::request::Parts) -> Response<Bytes> {
    if socket.update(|st, _, _| st.begin_get()).is_err() {
        // Node: "overlap from client" — 400 here, and the session closes (the pending
        // GET then answers `1`).
        socket.close_now(DisconnectReason::TransportError);
        return status_only(StatusCode::BAD_REQUEST);
    }
    let mut guard = PendingGet {
        socket: socket.clone(),
        armed: true,
    };
    let packets = loop {
        let mut changed = pin!(socket.0.changed.notified());
        changed.as_mut().enable();
        let step = socket.update(|st, now, t| {
            st.on_timeout(now, t);
            let step = st.poll_get(now, t);
            if matches!(step, GetStep::Reply(_)) {
                st.end_get();
            }
            step
        });
        if let GetStep::Reply(packets) = step {
            break packets;
        }
        changed.await;
    };
    guard.armed = false;
    let mut body = BytesMut::with_capacity(payload::encoded_len(&packets));
    payload::encode(&packets, &mut body);
    let mut res = Response::new(body.freeze());
    polling_headers(user_agent(&parts.headers), res.headers_mut(), TEXT_PLAIN);
    res
}

enum ReadError {
    TooLarge,
    Failed,
}

async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let mut body = pin!(body);
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ReadError::Failed)?;
        let Ok(mut data) = frame.into_data() else {
            continue;
        };
        let n = data.remaining();
        total = total.saturating_add(n);
        if total > limit {
            return Err(ReadError::TooLarge);
        }
        if first.is_none() && buf.is_empty() {
            first = Some(data.copy_to_bytes(n));
        } else {
            if let Some(f) = first.take() {
                buf.extend_from_slice(&f);
            }
            while data.has_remaining() {
                let chunk = data.chunk();
                let len = chunk.len();
                buf.extend_from_slice(chunk);
                data.advance(len);
            }
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}

struct ActivePost<'a>(&'a Socket);

impl Drop for ActivePost<'_> {
    fn drop(&mut self) {
        self.0.update(|st, _, _| st.end_post());
    }
}

async fn post<H: Handler, B>(
    engine: &Engine<H>,
    session: &TypedSession<H>,
    socket: Socket,
    parts: &http::request::Parts,
    body: B,
) -> Response<Bytes>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let octet_stream = parts.headers.get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .eq_ignore_ascii_case(b"application/octet-stream")
    });
    if octet_stream {
        // v4 payloads are text; Node: "invalid content".
        socket.close_now(DisconnectReason::TransportError);
        return status_only(StatusCode::BAD_REQUEST);
    }
    if socket.update(|st, _, _| st.begin_post()).is_err() {
        // Node: "data request overlap from client".
        socket.close_now(DisconnectReason::TransportError);
        return status_only(StatusCode::BAD_REQUEST);
    }
    let _active = ActivePost(&socket);
    let limit = engine.0.config.max_payload;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let data = match declared {
        Some(n) if n > limit as u64 => Err(ReadError::TooLarge),
        _ => read_body(body, limit).await,
    };
    let data = match data {
        Ok(d) => d,
        Err(ReadError::TooLarge) => {
            socket.close_now(DisconnectReason::TransportError);
            return status_only(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(ReadError::Failed) => {
            socket.close_now(DisconnectReason::TransportError);
            return status_only(StatusCode::BAD_REQUEST);
        }
    };
    deliver_payload(engine, session, &socket, data);
    let mut res = Response::new(Bytes::from_static(b"ok"));
    polling_headers(user_agent(&parts.headers), res.headers_mut(), "text/html");
    res
}

/// Decodes a POST payload and hands its messages to the handler, in order.
fn deliver_payload<H: Handler>(
    engine: &Engine<H>,
    session: &TypedSession<H>,
    socket: &Socket,
    data: Bytes,
) {
    let started = socket.update(|st, now, t| {
        st.on_timeout(now, t);
        if st.is_open() {
            st.begin_delivery();
            true
        } else {
            false
        }
    });
    if !started {
        return;
    }
    for packet in payload::decode(data) {
        let step = match packet {
            Ok(p) => socket.update(|st, now, t| {
                st.on_timeout(now, t);
                st.recv(now, t, p)
            }),
            Err(err) => {
                tracing::debug!(sid = socket.id(), %err, "parse error");
                socket.update(|st, _, _| st.close(DisconnectReason::ParseError));
                break;
            }
        };
        match step {
            Recv::Deliver(m) => engine.0.deliver(session, socket, m),
            Recv::Ignore => {}
            Recv::Closed => break,
        }
    }
    socket.update(|st, _, _| st.end_delivery());
}

/// Heartbeat timer of a polling session: sends pings, enforces the pong deadline and
/// the graceful-close deadline, and reclaims abandoned sessions. It exits when the
/// session closes or moves to WebSocket (whose task takes the heartbeat over).
pub(crate) async fn heartbeat(socket: Socket) {
    let mut sleep = pin!(tokio::time::sleep(Duration::from_secs(3600)));
    loop {
        let mut changed = pin!(socket.0.changed.notified());
        changed.as_mut().enable();
        let next = socket.update(|st, now, t| {
            st.on_timeout(now, t);
            if st.is_closed() || st.transport() == TransportKind::WebSocket {
                None
            } else {
                st.next_deadline()
            }
        });
        let Some(deadline) = next else {
            return;
        };
        sleep
            .as_mut()
            .reset(tokio::time::Instant::from_std(deadline));
        tokio::select! {
            _ = &mut sleep => {}
            _ = changed => {}
        }
    }
}
