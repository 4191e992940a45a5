//! In-process tests over loopback with a raw Engine.IO WebSocket client (exact bytes),
//! one module per concept; one test binary.

#[path = "../common/mod.rs"]
mod common;

mod connect;
mod disconnect;
mod emit;
mod events;
mod rooms;

use common::{eventually, serve, RawClient, WAIT};
use serde_json::json;
use socketio_server::{
    AckSender, ConnectError, DisconnectReason, EmitError, Socket, SocketError, SocketIo,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn shared<T: Default>() -> Arc<Mutex<T>> {
    Arc::new(Mutex::new(T::default()))
}

fn track_disconnects(io: &SocketIo) -> Arc<Mutex<Vec<String>>> {
    let log = shared::<Vec<String>>();
    let l2 = log.clone();
    io.on_connection(move |socket: Socket| {
        let log = l2.clone();
        async move {
            let l3 = log.clone();
            socket.on_disconnecting(move |s: Socket, reason: DisconnectReason| {
                let log = l3.clone();
                async move {
                    let rooms = s.rooms().await;
                    log.lock()
                        .unwrap()
                        .push(format!("disconnecting {reason} rooms={}", rooms.len()));
                }
            });
            socket.on_disconnect(move |s: Socket, reason: DisconnectReason| {
                let log = log.clone();
                async move {
                    let rooms = s.rooms().await;
                    log.lock()
                        .unwrap()
                        .push(format!("disconnect {reason} rooms={}", rooms.len()));
                }
            });
        }
    });
    log
}

/// A raw client joined to `/`, and the server's socket for it.
async fn join_root(io: &SocketIo, addr: std::net::SocketAddr) -> (RawClient, Socket) {
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", None).await;
    eventually(|| io.sockets().get_socket(&sid).is_some()).await;
    let socket = io.sockets().get_socket(&sid).unwrap();
    (c, socket)
}
