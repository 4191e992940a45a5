//! The notification pattern inside an axum app: clients connect to `/notifications`
//! with `auth: { token }`, each user's sockets share the room `user:<id>`, and an HTTP
//! handler notifies a user and reports how many of their tabs acknowledged.
//! A background worker reports job progress on `/jobs`.
//!
//! Run: `cargo run -p socketio-server --example notifications`, then e.g.
//! `curl -X POST 127.0.0.1:3000/notify/42 -d 'hello'` with a socket.io-client connected
//! to `http://127.0.0.1:3000/notifications` with `auth: { token: "user-42" }`.

use axum::extract::{Path, State};
use axum::routing::post;
use socketio_server::{BroadcastAckError, ConnectError, Socket, SocketIo};
use std::time::Duration;

#[derive(serde::Serialize)]
struct User {
    id: u64,
}

/// Stand-in for a real token check.
fn user_from_token(token: &str) -> Option<u64> {
    token.strip_prefix("user-")?.parse().ok()
}

async fn notify(State(io): State<SocketIo>, Path(id): Path<u64>, body: String) -> String {
    let result = io
        .of("/notifications")
        .to(format!("user:{id}"))
        .timeout(Duration::from_secs(5))
        .emit_with_ack::<String>("notification", (body,))
        .await;
    match result {
        Ok(acks) => format!("delivered to {} socket(s)\n", acks.len()),
        Err(BroadcastAckError::Timeout { partial }) => {
            format!(
                "{} socket(s) acknowledged before the timeout\n",
                partial.len()
            )
        }
        Err(e) => format!("error: {e}\n"),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().init();
    let io = SocketIo::new();

    let notifications = io.of("/notifications");
    notifications.use_middleware(|socket: Socket| async move {
        let id = socket
            .handshake()
            .auth_str("token")
            .and_then(user_from_token)
            .ok_or_else(|| ConnectError::new("invalid token"))?;
        socket.set_data(User { id });
        Ok(())
    });
    notifications.on_connection(|socket: Socket| async move {
        if let Some(user) = socket.data::<User>() {
            let _ = socket.join(format!("user:{}", user.id)).await;
        }
    });

    // A background worker emitting from outside any handler.
    let jobs = io.of("/jobs");
    jobs.on_connection(|socket: Socket| async move {
        let _ = socket.join("job:1").await;
    });
    tokio::spawn(async move {
        for percent in (0..=100).step_by(10).cycle() {
            let _ = jobs.to("job:1").emit("progress", (1, percent)).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });

    let app = axum::Router::new()
        .route("/notify/{id}", post(notify))
        .with_state(io.clone())
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    tracing::info!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await
}
