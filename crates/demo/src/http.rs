//! The HTTP side: the page, the sign-in and "emit from your services" endpoints, and
//! `/health`. The Socket.IO server is mounted on the same router as a layer.

use crate::jobs::Jobs;
use crate::realtime::user_room;
use crate::token::{valid_user_name, TokenSigner};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use socketio_server::SocketIo;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the HTTP handlers share.
pub struct AppState {
    /// The Socket.IO server handle (cheap to clone, usable from any task).
    pub io: SocketIo,
    /// Issues and checks the tokens.
    pub signer: TokenSigner,
    /// The background jobs.
    pub jobs: Jobs,
    /// The socket.io-client browser bundle, read from npm's package at start-up.
    pub bundle: Arc<[u8]>,
}

type Shared = State<Arc<AppState>>;

/// The whole app: page, API, health, and Socket.IO at `/socket.io/`.
pub fn router(state: AppState) -> Router {
    let socketio = state.io.layer();
    Router::new()
        .route(
            "/",
            get(|| async { Html(include_str!("../assets/index.html")) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript", include_str!("../assets/app.js")) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css", include_str!("../assets/style.css")) }),
        )
        .route("/vendor/socket.io.min.js", get(bundle))
        .route("/api/login", post(login))
        .route("/api/notify", post(notify))
        .route("/api/jobs", post(start_job))
        .route("/health", get(health))
        .with_state(Arc::new(state))
        .layer(socketio)
        // Runs first: hands the peer address to the Socket.IO handshake
        // (`socket.handshake().address()`), read from axum's ConnectInfo.
        .layer(axum::middleware::map_request(
            |ConnectInfo(addr): ConnectInfo<SocketAddr>, mut req: Request| async move {
                req.extensions_mut().insert(addr);
                req
            },
        ))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn bundle(State(state): Shared) -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript")],
        state.bundle.to_vec(),
    )
        .into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The user a request's `Authorization: Bearer <token>` belongs to.
fn bearer_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    state.signer.verify(token).map(str::to_owned)
}

#[derive(Deserialize)]
struct Login {
    name: String,
}

/// `POST /api/login {name}` → `{token, user}`.
async fn login(State(state): Shared, Json(body): Json<Login>) -> Response {
    if !valid_user_name(&body.name) {
        return error(
            StatusCode::BAD_REQUEST,
            "a name is 1 to 32 letters, digits, _ or -",
        );
    }
    Json(json!({ "token": state.signer.sign(&body.name), "user": body.name })).into_response()
}

#[derive(Deserialize)]
struct Notify {
    to: String,
    text: String,
}

/// `POST /api/notify {to, text}`: emits `notification` to the room `user:<to>` from an
/// HTTP handler, through the server handle.
async fn notify(State(state): Shared, headers: HeaderMap, Json(body): Json<Notify>) -> Response {
    let Some(from) = bearer_user(&state, &headers) else {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    };
    if body.text.len() > 1000 {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a notification is at most 1000 bytes",
        );
    }
    let notification = json!({ "from": from, "text": body.text });
    match state
        .io
        .of("/notifications")
        .to(user_room(&body.to))
        .emit("notification", (notification,))
        .await
    {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

/// `POST /api/jobs` → `{id}`: starts a background job that reports to `job:<id>`.
async fn start_job(State(state): Shared, headers: HeaderMap) -> Response {
    if bearer_user(&state, &headers).is_none() {
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let id = state.jobs.start(&state.io);
    Json(json!({ "id": id })).into_response()
}

/// `GET /health`: connected clients and the sockets of each namespace.
async fn health(State(state): Shared) -> Response {
    let namespaces: Vec<_> = state
        .io
        .namespaces()
        .iter()
        .map(|nsp| json!({ "name": nsp.name(), "sockets": nsp.socket_count() }))
        .collect();
    Json(json!({
        "status": "ok",
        "connected": state.io.engine().session_count(),
        "namespaces": namespaces,
    }))
    .into_response()
}
