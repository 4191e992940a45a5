//! `GET /__stats`: `{"sessions":N}` with the engine's live session count, so
//! tests can watch sessions come and go from outside the process. Every other
//! path that no engine claims gets `404`.
//!
//! This exists only in the conformance binary (it is the inner service the
//! Engine.IO layer falls through to for non-engine paths).

use std::convert::Infallible;
use std::future::{ready, Ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;

/// Path of the stats endpoint.
pub const STATS_PATH: &str = "/__stats";

/// Source of the session count (the engine, behind a closure so this module
/// does not depend on the handler type).
pub type SessionCount = Arc<dyn Fn() -> usize + Send + Sync>;

/// Fallback service answering `/__stats` and 404 for anything else.
#[derive(Clone)]
pub struct StatsService {
    sessions: SessionCount,
}

impl std::fmt::Debug for StatsService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatsService").finish_non_exhaustive()
    }
}

impl StatsService {
    /// Creates the service.
    pub fn new(sessions: SessionCount) -> Self {
        StatsService { sessions }
    }

    fn respond(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        let (status, content_type, body) = if path == STATS_PATH && method == Method::GET {
            let body = serde_json::json!({ "sessions": (self.sessions)() }).to_string();
            (StatusCode::OK, "application/json", body)
        } else {
            (
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                "not found".to_owned(),
            )
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(content_type),
        );
        response
    }
}

impl<B> tower_service::Service<Request<B>> for StatsService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        ready(Ok(self.respond(req.method(), req.uri().path())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tower_service::Service;

    async fn get(svc: &mut StatsService, method: Method, path: &str) -> (StatusCode, Bytes) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap();
        let resp = svc.call(req).await.unwrap();
        let status = resp.status();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    }

    #[tokio::test]
    async fn stats_reports_the_count_and_other_paths_are_404() {
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(7));
        let c = count.clone();
        let mut svc = StatsService::new(Arc::new(move || {
            c.load(std::sync::atomic::Ordering::SeqCst)
        }));
        assert_eq!(
            get(&mut svc, Method::GET, "/__stats").await,
            (StatusCode::OK, Bytes::from_static(b"{\"sessions\":7}"))
        );
        count.store(0, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(
            get(&mut svc, Method::GET, "/__stats?x=1").await,
            (StatusCode::OK, Bytes::from_static(b"{\"sessions\":0}"))
        );
        assert_eq!(
            get(&mut svc, Method::GET, "/other").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&mut svc, Method::POST, "/__stats").await.0,
            StatusCode::NOT_FOUND
        );
    }
}
