//! The Socket.IO side: `/notifications` (per-user rooms and presence) and `/jobs`
//! (progress rooms), both behind the same token middleware.

use crate::jobs::Jobs;
use crate::token::TokenSigner;
use socketio_server::{AckSender, ConnectError, DisconnectReason, Socket, SocketIo};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Who a socket belongs to (set by the auth middleware).
#[derive(serde::Serialize)]
pub struct User {
    /// The user name the token was issued to.
    pub name: String,
}

/// Connected sockets per user name, for the "who is online" list.
#[derive(Default)]
struct Presence(Mutex<BTreeMap<String, usize>>);

impl Presence {
    fn change(&self, user: &str, delta: isize) -> Vec<String> {
        let mut online = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = online.entry(user.to_owned()).or_default();
        *count = count.saturating_add_signed(delta);
        if *count == 0 {
            online.remove(user);
        }
        online.keys().cloned().collect()
    }
}

/// The room every socket of `user` joins.
pub fn user_room(user: &str) -> String {
    format!("user:{user}")
}

/// The room that receives the progress of job `id`.
pub fn job_room(id: u64) -> String {
    format!("job:{id}")
}

/// The connect middleware: `auth.token` must be a token this server signed.
fn authenticate(
    signer: TokenSigner,
) -> impl Fn(Socket) -> std::future::Ready<Result<(), ConnectError>> + Send + Sync + 'static {
    move |socket: Socket| {
        let user = socket
            .handshake()
            .auth_str("token")
            .and_then(|token| signer.verify(token))
            .map(str::to_owned);
        std::future::ready(match user {
            Some(name) => {
                socket.set_data(User { name });
                Ok(())
            }
            None => Err(ConnectError::new("invalid token")),
        })
    }
}

fn user_name(socket: &Socket) -> String {
    socket
        .data::<User>()
        .map(|u| u.name.clone())
        .unwrap_or_default()
}

/// Builds the Socket.IO server with both namespaces.
pub fn socket_server(signer: TokenSigner, jobs: Jobs) -> SocketIo {
    let io = SocketIo::new();
    let presence = Arc::new(Presence::default());

    let notifications = io.of("/notifications");
    notifications.use_middleware(authenticate(signer.clone()));
    notifications.on_connection(move |socket: Socket| {
        let presence = presence.clone();
        async move {
            let user = user_name(&socket);
            tracing::info!(%user, id = %socket.id(), address = %socket.handshake().address(), transport = ?socket.conn().transport(), "user connected");
            if let Err(err) = socket.join(user_room(&user)).await {
                tracing::warn!(%err, "join failed");
            }
            // The page measures the ack round-trip time with this event.
            socket.on("rtt", |_s: Socket, _args: (), ack: AckSender| async move {
                let _ = ack.send(());
            });
            let online = presence.change(&user, 1);
            let _ = socket.ns().emit("presence", (online,)).await;
            socket.on_disconnect(move |socket: Socket, reason: DisconnectReason| {
                let presence = presence.clone();
                async move {
                    let user = user_name(&socket);
                    tracing::info!(%user, reason = reason.as_str(), "user disconnected");
                    let online = presence.change(&user, -1);
                    let _ = socket.ns().emit("presence", (online,)).await;
                }
            });
        }
    });

    let jobs_nsp = io.of("/jobs");
    jobs_nsp.use_middleware(authenticate(signer));
    jobs_nsp.on_connection(move |socket: Socket| {
        let jobs = jobs.clone();
        async move {
            // `subscribe(jobId)` joins the job's room; the ack carries the progress so far.
            socket.on(
                "subscribe",
                move |socket: Socket, (id,): (u64,), ack: AckSender| {
                    let jobs = jobs.clone();
                    async move {
                        let reply = match jobs.progress(id) {
                            Some(progress) => {
                                let _ = socket.join(job_room(id)).await;
                                serde_json::json!({ "ok": true, "progress": progress })
                            }
                            None => serde_json::json!({ "ok": false, "error": "unknown job" }),
                        };
                        let _ = ack.send((reply,));
                    }
                },
            );
        }
    });
    io
}
