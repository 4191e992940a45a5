//! The Socket.IO server the official socket.io-protocol v5 test suite expects at
//! `/socket.io/` (contract in /work/shared/protocol.md, last section):
//! - namespaces `/` and `/custom`; on connection to either, emit `auth` with the
//!   handshake auth object (`{}` when none);
//! - on `/`: `message` → emit `message-back` with the same arguments;
//!   `message-with-ack` → acknowledged with the same arguments (binary kept);
//! - connectTimeout 1000 ms; engine timings from the command line (pingInterval 300,
//!   pingTimeout 200 by default), CORS any origin.

use socketio_server::{AckSender, AnyValue, DynArgs, Socket, SocketIo};
use std::time::Duration;

/// Builds the contract server.
pub fn server(options: &crate::cli::Options) -> SocketIo {
    let io = SocketIo::builder()
        .connect_timeout(Duration::from_millis(1000))
        .configure_engine(|c| {
            c.ping_interval = options.ping_interval;
            c.ping_timeout = options.ping_timeout;
            c.max_payload = options.max_payload;
            c.upgrade_timeout = options.upgrade_timeout;
            c.cors = Some(engineio::CorsConfig::any());
        })
        .build();
    for name in ["/", "/custom"] {
        io.of(name).on_connection(|socket: Socket| async move {
            let auth = socket.handshake().auth().clone();
            if let Err(error) = socket.emit("auth", (auth,)) {
                tracing::warn!(%error, "cannot emit auth");
            }
            if socket.ns().name() != "/" {
                return;
            }
            socket.on("message", |s: Socket, args: Vec<AnyValue>| async move {
                if let Err(error) = s.emit("message-back", DynArgs(args)) {
                    tracing::warn!(%error, "cannot emit message-back");
                }
            });
            socket.on(
                "message-with-ack",
                |_s: Socket, args: Vec<AnyValue>, ack: AckSender| async move {
                    if let Err(error) = ack.send(DynArgs(args)) {
                        tracing::warn!(%error, "cannot acknowledge");
                    }
                },
            );
        });
    }
    io
}
