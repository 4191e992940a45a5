//! The server side of the interop scenarios (driven by conformance/node/sio-interop.js
//! and conformance/python/sio_interop.py).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use socketio_server::{
    AckSender, Binary, ConnectError, DisconnectReason, DynArgs, Parser, Socket, SocketIo,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server observed: `"<label> <reason>"` per disconnection, plus notes.
pub type Log = Arc<Mutex<Vec<String>>>;

#[derive(Serialize, Deserialize)]
struct Inner {
    inner: Vec<Binary>,
}

#[derive(Serialize, Deserialize)]
struct Nested {
    file: Binary,
    meta: Inner,
    text: String,
}

fn label(socket: &Socket) -> String {
    socket
        .handshake()
        .auth_str("label")
        .unwrap_or("?")
        .to_owned()
}

fn common_handlers(socket: &Socket, io: &SocketIo, log: &Log) {
    let log2 = log.clone();
    socket.on_disconnect(move |s: Socket, reason: DisconnectReason| {
        let log = log2.clone();
        async move {
            log.lock()
                .unwrap()
                .push(format!("{} {} {reason}", s.ns().name(), label(&s)));
        }
    });
    // Echo with ack: the same 0..n JSON arguments.
    socket.on(
        "echo",
        |_s: Socket, args: Vec<Value>, ack: AckSender| async move {
            let _ = ack.send(DynArgs(args));
        },
    );
    // Emit back the same arguments as event "back".
    socket.on("emit-back", |s: Socket, args: Vec<Value>| async move {
        let _ = s.emit("back", DynArgs(args));
    });
    // Nested binary, both ways.
    socket.on(
        "binary",
        |s: Socket, (n,): (Nested,), ack: AckSender| async move {
            let _ = s.emit("binary-back", (&n,));
            let _ = ack.send((n,));
        },
    );
    // The server asks the client (ack with timeout), then reports the outcome.
    socket.on(
        "ask-me",
        |s: Socket, (event, ms): (String, u64), ack: AckSender| async move {
            let r = s
                .timeout(Duration::from_millis(ms))
                .emit_with_ack::<Vec<Value>>(&event, (1, "two", json!({"three": 3})))
                .await;
            let _ = match r {
                Ok(reply) => ack.send((Value::Null, reply)),
                Err(e) => ack.send((e.to_string(),)),
            };
        },
    );
    socket.on(
        "join",
        |s: Socket, (rooms,): (Vec<String>,), ack: AckSender| async move {
            let _ = s.join(rooms).await;
            let _ = ack.send(());
        },
    );
    let io2 = io.clone();
    socket.on(
        "to-rooms",
        move |s: Socket,
              (rooms, except, event): (Vec<String>, Vec<String>, String),
              ack: AckSender| {
            let io = io2.clone();
            async move {
                let _ = io
                    .of(s.ns().name())
                    .to(rooms)
                    .except(except)
                    .emit(&event, (s.id().to_string(),))
                    .await;
                let _ = ack.send(());
            }
        },
    );
    let io2 = io.clone();
    socket.on(
        "aggregate",
        move |s: Socket, (room, ms): (String, u64), ack: AckSender| {
            let io = io2.clone();
            async move {
                let r = io
                    .of(s.ns().name())
                    .to(room)
                    .timeout(Duration::from_millis(ms))
                    .emit_with_ack::<Value>("agg", ())
                    .await;
                let _ = match r {
                    Ok(mut v) => {
                        v.sort_by_key(|x| x.to_string());
                        ack.send((Value::Null, v))
                    }
                    Err(socketio_server::BroadcastAckError::Timeout { mut partial }) => {
                        partial.sort_by_key(|x| x.to_string());
                        ack.send(("operation has timed out", partial))
                    }
                    Err(e) => ack.send((e.to_string(),)),
                };
            }
        },
    );
    let io2 = io.clone();
    socket.on(
        "fetch",
        move |s: Socket, (room,): (String,), ack: AckSender| {
            let io = io2.clone();
            async move {
                let sockets = io.of(s.ns().name()).to(room).fetch_sockets().await;
                let mut labels: Vec<String> = sockets
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        r.handshake()["auth"]["label"]
                            .as_str()
                            .unwrap_or("?")
                            .to_owned()
                    })
                    .collect();
                labels.sort();
                let _ = ack.send((labels,));
            }
        },
    );
    let io2 = io.clone();
    socket.on(
        "sockets-join",
        move |s: Socket, (room, new_room): (String, String), ack: AckSender| {
            let io = io2.clone();
            async move {
                let _ = io.of(s.ns().name()).to(room).sockets_join(new_room).await;
                let _ = ack.send(());
            }
        },
    );
    let io2 = io.clone();
    socket.on(
        "sockets-leave",
        move |s: Socket, (room, old_room): (String, String), ack: AckSender| {
            let io = io2.clone();
            async move {
                let _ = io.of(s.ns().name()).to(room).sockets_leave(old_room).await;
                let _ = ack.send(());
            }
        },
    );
    let io2 = io.clone();
    socket.on(
        "disconnect-room",
        move |s: Socket, (room, close): (String, bool)| {
            let io = io2.clone();
            async move {
                let _ = io
                    .of(s.ns().name())
                    .to(room)
                    .disconnect_sockets(close)
                    .await;
            }
        },
    );
    socket.on("disconnect-me", |s: Socket, (close,): (bool,)| async move {
        s.disconnect(close);
    });
}

/// Builds the scenario server: `/` and `/chat` require `auth.token == "secret"` (refusal
/// `{"message":"unauthorized","data":{"code":401}}`); dynamic namespaces `/dyn-<n>`
/// accept `auth.token == "secret"` in the predicate.
pub fn server(parser: Parser, log: Log) -> SocketIo {
    let io = SocketIo::builder()
        .parser(parser)
        .ping_interval(Duration::from_millis(2000))
        .ping_timeout(Duration::from_millis(2000))
        .build();
    let auth = |socket: Socket| async move {
        if socket.handshake().auth_str("token") == Some("secret") {
            Ok(())
        } else {
            Err(ConnectError::new("unauthorized").with_data(json!({"code": 401})))
        }
    };
    for nsp in ["/", "/chat"] {
        let ns = io.of(nsp);
        ns.use_middleware(auth);
        let (io2, log2) = (io.clone(), log.clone());
        ns.on_connection(move |socket: Socket| {
            let (io, log) = (io2.clone(), log2.clone());
            async move {
                common_handlers(&socket, &io, &log);
                let _ = socket.emit(
                    "welcome",
                    (
                        socket.ns().name().to_owned(),
                        socket.handshake().auth().clone(),
                    ),
                );
            }
        });
    }
    let parent =
        io.of_dynamic(|name, auth| name.starts_with("/dyn-") && auth["token"] == json!("secret"));
    let (io2, log2) = (io.clone(), log.clone());
    parent.on_connection(move |socket: Socket| {
        let (io, log) = (io2.clone(), log2.clone());
        async move {
            common_handlers(&socket, &io, &log);
            let _ = socket.emit(
                "welcome",
                (
                    socket.ns().name().to_owned(),
                    socket.handshake().auth().clone(),
                ),
            );
        }
    });
    io
}
