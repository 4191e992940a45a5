//! The tower service and layer: routing by path, request verification (Node's order),
//! error responses, then dispatch to polling or WebSocket handling.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Empty;
use tower_service::Service;

use crate::body::{BoxError, EngineBody};
use crate::engine::{socket_of, Engine, Handler};
use crate::error::RequestError;
use crate::request::{query_param, RequestInfo};
use crate::sid::Sid;
use crate::state::TransportKind;
use crate::{polling, websocket};

/// The default inner service: answers `404 Not Found`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFound;

impl<B> Service<Request<B>> for NotFound {
    type Response = Response<Empty<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: Request<B>) -> Self::Future {
        let mut res = Response::new(Empty::new());
        *res.status_mut() = StatusCode::NOT_FOUND;
        std::future::ready(Ok(res))
    }
}

/// A tower [`Service`] answering the engine's path and passing other requests to `S`.
pub struct EngineService<H: Handler, S> {
    engine: Engine<H>,
    inner: S,
}

impl<H: Handler, S: Clone> Clone for EngineService<H, S> {
    fn clone(&self) -> Self {
        EngineService {
            engine: self.engine.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<H: Handler, S: std::fmt::Debug> std::fmt::Debug for EngineService<H, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineService")
            .field("engine", &self.engine)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<H: Handler, S> EngineService<H, S> {
    /// Wraps `inner`.
    pub fn new(engine: Engine<H>, inner: S) -> Self {
        EngineService { engine, inner }
    }

    /// Whether `req` is for the engine (Node: a prefix match of the path).
    fn matches<B>(&self, req: &Request<B>) -> bool {
        let path = &self.engine.0.path;
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_else(|| req.uri().path());
        pq.starts_with(path.as_str())
    }
}

type EngineFuture = Pin<Box<dyn Future<Output = Response<Bytes>> + Send>>;

pin_project_lite::pin_project! {
    /// Response future of [`EngineService`].
    pub struct ResponseFuture<F, ResBody> {
        #[pin]
        kind: Kind<F>,
        _body: PhantomData<fn() -> ResBody>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] fut: F },
        Engine { fut: EngineFuture },
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F, ResBody>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<EngineBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { fut } => fut.poll(cx).map_ok(|res| res.map(EngineBody::inner)),
            KindProj::Engine { fut } => fut
                .as_mut()
                .poll(cx)
                .map(|res| Ok(res.map(EngineBody::full))),
        }
    }
}

impl<H, S, B, ResBody> Service<Request<B>> for EngineService<H, S>
where
    H: Handler,
    S: Service<Request<B>, Response = Response<ResBody>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<EngineBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let kind = if self.matches(&req) {
            Kind::Engine {
                fut: Box::pin(handle(self.engine.clone(), req)),
            }
        } else {
            Kind::Inner {
                fut: self.inner.call(req),
            }
        };
        ResponseFuture {
            kind,
            _body: PhantomData,
        }
    }
}

/// A tower layer producing [`EngineService`].
pub struct EngineLayer<H: Handler> {
    engine: Engine<H>,
}

impl<H: Handler> EngineLayer<H> {
    pub(crate) fn new(engine: Engine<H>) -> Self {
        EngineLayer { engine }
    }
}

impl<H: Handler> Clone for EngineLayer<H> {
    fn clone(&self) -> Self {
        EngineLayer {
            engine: self.engine.clone(),
        }
    }
}

impl<H: Handler> std::fmt::Debug for EngineLayer<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineLayer")
            .field("engine", &self.engine)
            .finish()
    }
}

impl<H: Handler, S> tower_layer::Layer<S> for EngineLayer<H> {
    type Service = EngineService<H, S>;

    fn layer(&self, inner: S) -> Self::Service {
        EngineService::new(self.engine.clone(), inner)
    }
}

/// Whether the request asks for a protocol upgrade (Node's `upgrade` event).
fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// Answers one request under the engine's path.
pub(crate) async fn handle<H: Handler, B>(engine: Engine<H>, req: Request<B>) -> Response<Bytes>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = req.into_parts();
    let upgrade = is_upgrade(&parts.headers);
    let mut cors = HeaderMap::new();
    if let Some(cfg) = &engine.0.config.cors {
        let preflight = parts.method == Method::OPTIONS;
        cfg.apply(&parts.headers, &mut cors, preflight);
        if preflight {
            let mut res = Response::new(Bytes::new());
            *res.status_mut() = StatusCode::NO_CONTENT;
            res.headers_mut().extend(cors);
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
            return res;
        }
    }
    let mut res = match route(&engine, &mut parts, body, upgrade).await {
        Ok(res) => res,
        Err(err) => {
            tracing::debug!(code = err.code(), %err, uri = %parts.uri, "request refused");
            error_response(&err, upgrade)
        }
    };
    if res.status() != StatusCode::SWITCHING_PROTOCOLS {
        res.headers_mut().extend(cors);
    }
    res
}

async fn route<H: Handler, B>(
    engine: &Engine<H>,
    parts: &mut http::request::Parts,
    body: B,
    upgrade: bool,
) -> Result<Response<Bytes>, RequestError>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let inner = &engine.0;
    let query = parts.uri.query();
    let transports = inner.config.transports;
    let transport = match query_param(query, "transport") {
        Some("polling") if transports.polling => TransportKind::Polling,
        Some("websocket") if transports.websocket => TransportKind::WebSocket,
        _ => return Err(RequestError::UnknownTransport),
    };
    // Node's Origin character check is enforced by `http::HeaderValue` itself.
    // Node tests `if (sid)`: an empty sid is a handshake.
    if let Some(sid) = query_param(query, "sid").filter(|s| !s.is_empty()) {
        let session = Sid::parse(sid)
            .and_then(|sid| inner.lookup(&sid))
            .ok_or(RequestError::UnknownSid)?;
        let socket = socket_of(&session);
        // A deadline that already passed closes the session now, timer or not.
        let (alive, current) = socket.update(|st, now, t| {
            st.on_timeout(now, t);
            (!st.is_closed(), st.transport())
        });
        if !alive {
            return Err(RequestError::UnknownSid);
        }
        if upgrade {
            if transport != TransportKind::WebSocket {
                return Err(RequestError::BadRequest);
            }
            return websocket::upgrade_existing(engine, session, socket, parts);
        }
        if current != transport || transport != TransportKind::Polling {
            return Err(RequestError::BadRequest);
        }
        return Ok(polling::request(engine, session, socket, parts, body).await);
    }
    if parts.method != Method::GET {
        return Err(RequestError::BadHandshakeMethod);
    }
    if transport == TransportKind::WebSocket && !upgrade {
        return Err(RequestError::BadRequest);
    }
    let info = RequestInfo::from_parts(parts);
    if let Some(hook) = &inner.config.allow_request {
        hook(&info).await.map_err(RequestError::Forbidden)?;
    }
    if query_param(query, "EIO") != Some("4") {
        return Err(RequestError::UnsupportedProtocolVersion);
    }
    match transport {
        TransportKind::Polling => Ok(polling::handshake(engine, info)),
        TransportKind::WebSocket => websocket::handshake(engine, info, parts),
    }
}

/// Node's error answers: JSON for polling, a bare 400 for a failed upgrade.
pub(crate) fn error_response(err: &RequestError, upgrade: bool) -> Response<Bytes> {
    if upgrade {
        let msg = err.to_string();
        let mut res = Response::new(Bytes::from(msg));
        *res.status_mut() = StatusCode::BAD_REQUEST;
        let h = res.headers_mut();
        h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        return res;
    }
    let mut res = Response::new(Bytes::from(err.json_body()));
    *res.status_mut() = err.status();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}
