//! In-process tests over loopback with a raw Engine.IO WebSocket client (exact bytes).

mod common;

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

#[tokio::test]
async fn connect_reply_has_a_fresh_20_char_sid() {
    let io = SocketIo::new();
    let seen = shared::<Vec<String>>();
    let s2 = seen.clone();
    io.on_connection(move |socket: Socket| {
        let seen = s2.clone();
        async move {
            seen.lock().unwrap().push(socket.id().to_string());
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", None).await;
    assert_eq!(sid.len(), 20);
    assert_ne!(sid, c.engine_sid);
    eventually(|| seen.lock().unwrap().len() == 1).await;
    assert_eq!(seen.lock().unwrap()[0], sid);
}

#[tokio::test]
async fn unknown_namespace_is_refused_and_connection_stays_open() {
    let io = SocketIo::new();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send("40/nope,").await;
    assert_eq!(c.recv().await, r#"4/nope,{"message":"Invalid namespace"}"#);
    c.send("40").await;
    assert!(c.recv().await.starts_with(r#"0{"sid":""#));
}

#[tokio::test]
async fn dynamic_namespace_child_shares_parent_handlers() {
    let io = SocketIo::new();
    let parent =
        io.of_dynamic(|name, auth| name.starts_with("/jobs-") && auth["ok"] == json!(true));
    parent.on_connection(|socket: Socket| async move {
        let _ = socket.emit("hello", (socket.ns().name().to_owned(),));
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send(r#"40/jobs-1,{"ok":false}"#).await;
    assert_eq!(
        c.recv().await,
        r#"4/jobs-1,{"message":"Invalid namespace"}"#
    );
    c.join("/jobs-1", Some(r#"{"ok":true}"#)).await;
    assert_eq!(c.recv().await, r#"2/jobs-1,["hello","/jobs-1"]"#);
    assert_eq!(parent.children().len(), 1);
}

#[tokio::test]
async fn middleware_runs_in_order_and_refusal_is_connect_error() {
    let io = SocketIo::new();
    let order = shared::<Vec<u32>>();
    for i in 1..=3u32 {
        let order = order.clone();
        io.use_middleware(move |socket: Socket| {
            let order = order.clone();
            async move {
                // Force real suspension so the order is not an accident of polling.
                tokio::time::sleep(Duration::from_millis(5 * (4 - i as u64))).await;
                order.lock().unwrap().push(i);
                if i == 3 && socket.handshake().auth_str("token") != Some("good") {
                    return Err(ConnectError::new("not authorized").with_data(json!({"code": 42})));
                }
                Ok(())
            }
        });
    }
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.send(r#"40{"token":"bad"}"#).await;
    assert_eq!(
        c.recv().await,
        r#"4{"message":"not authorized","data":{"code":42}}"#
    );
    assert_eq!(*order.lock().unwrap(), vec![1, 2, 3]);
    // Refused: the namespace is not joined, a new CONNECT is allowed.
    let sid = c.join("/", Some(r#"{"token":"good"}"#)).await;
    assert_eq!(sid.len(), 20);
}

#[tokio::test]
async fn events_start_in_arrival_order() {
    let io = SocketIo::new();
    let starts = shared::<Vec<u64>>();
    let s2 = starts.clone();
    io.on_connection(move |socket: Socket| {
        let starts = s2.clone();
        async move {
            socket.on("n", move |_s: Socket, (n,): (u64,)| {
                let starts = starts.clone();
                async move {
                    starts.lock().unwrap().push(n);
                    // Later events must not overtake while this one is suspended.
                    tokio::time::sleep(Duration::from_millis((50 - n % 50) / 5)).await;
                }
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    for n in 0..100u64 {
        c.send(&format!(r#"42["n",{n}]"#)).await;
    }
    eventually(|| starts.lock().unwrap().len() == 100).await;
    assert_eq!(*starts.lock().unwrap(), (0..100).collect::<Vec<_>>());
}

#[tokio::test]
async fn sequential_mode_never_overlaps_handlers() {
    let io = SocketIo::builder().sequential_events(true).build();
    let log = shared::<Vec<String>>();
    let l2 = log.clone();
    io.on_connection(move |socket: Socket| {
        let log = l2.clone();
        async move {
            socket.on("n", move |_s: Socket, (n,): (u64,)| {
                let log = log.clone();
                async move {
                    log.lock().unwrap().push(format!("start {n}"));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    log.lock().unwrap().push(format!("end {n}"));
                }
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    for n in 0..10u64 {
        c.send(&format!(r#"42["n",{n}]"#)).await;
    }
    eventually(|| log.lock().unwrap().len() == 20).await;
    let expected: Vec<String> = (0..10)
        .flat_map(|n| [format!("start {n}"), format!("end {n}")])
        .collect();
    assert_eq!(*log.lock().unwrap(), expected);
}

/// Events waiting plus handlers still running are bounded: a client whose handlers never
/// finish is disconnected at `max_pending_events`, in both modes, and events that wait
/// behind an async connection handler count too.
#[tokio::test]
async fn handlers_that_never_finish_are_bounded_per_socket() {
    for sequential in [false, true] {
        let io = SocketIo::builder()
            .max_pending_events(4)
            .sequential_events(sequential)
            .build();
        let log = track_disconnects(&io);
        let errors = shared::<Vec<String>>();
        let e2 = errors.clone();
        io.on_connection(move |socket: Socket| {
            let errors = e2.clone();
            socket.on_error(move |_s, e| errors.lock().unwrap().push(e.to_string()));
            socket.on("stuck", |_s: Socket| std::future::pending::<()>());
            async {}
        });
        let addr = serve(&io).await;
        let mut c = RawClient::connect(addr).await;
        c.join("/", None).await;
        // Up to four events may be pending (running, or waiting behind a running one)...
        for _ in 0..3 {
            c.send(r#"42["stuck"]"#).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(errors.lock().unwrap().is_empty(), "sequential={sequential}");
        // ...the fifth pending one is too many.
        for _ in 0..2 {
            c.send(r#"42["stuck"]"#).await;
        }
        c.expect_closed().await;
        eventually(|| !log.lock().unwrap().is_empty()).await;
        assert!(
            log.lock().unwrap()[0].contains("transport error"),
            "{:?}",
            log.lock().unwrap()
        );
        assert_eq!(
            *errors.lock().unwrap(),
            vec![socketio_server::SocketError::Overloaded.to_string()]
        );
    }
}

#[tokio::test]
async fn listeners_once_off_and_several_per_event() {
    let io = SocketIo::new();
    let log = shared::<Vec<String>>();
    let l2 = log.clone();
    io.on_connection(move |socket: Socket| {
        let log = l2.clone();
        async move {
            let (a, b, c) = (log.clone(), log.clone(), log.clone());
            let first = socket.on("e", move |_s: Socket| {
                let a = a.clone();
                async move { a.lock().unwrap().push("first".into()) }
            });
            socket.on("e", move |_s: Socket| {
                let b = b.clone();
                async move { b.lock().unwrap().push("second".into()) }
            });
            socket.once("e", move |_s: Socket| {
                let c = c.clone();
                async move { c.lock().unwrap().push("once".into()) }
            });
            let log2 = log.clone();
            socket.on("remove-first", move |s: Socket| {
                let log = log2.clone();
                async move {
                    assert!(s.off_listener(first));
                    log.lock().unwrap().push("removed".into());
                }
            });
            let log3 = log.clone();
            socket.on("remove-all", move |s: Socket| {
                let log = log3.clone();
                async move {
                    s.off("e");
                    log.lock().unwrap().push("cleared".into());
                }
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    for m in [
        r#"42["e"]"#,
        r#"42["e"]"#,
        r#"42["remove-first"]"#,
        r#"42["e"]"#,
        r#"42["remove-all"]"#,
        r#"42["e"]"#,
        r#"42["remove-all"]"#,
    ] {
        c.send(m).await;
    }
    eventually(|| log.lock().unwrap().len() == 9).await;
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "first", "second", "once", "first", "second", "removed", "second", "cleared", "cleared"
        ]
    );
}

#[tokio::test]
async fn malformed_arguments_reach_the_error_listener_and_socket_survives() {
    let io = SocketIo::new();
    let errors = shared::<Vec<String>>();
    let got = shared::<Vec<u32>>();
    let (e2, g2) = (errors.clone(), got.clone());
    io.on_connection(move |socket: Socket| {
        let (errors, got) = (e2.clone(), g2.clone());
        async move {
            socket.on_error(move |_s, err| {
                if let SocketError::BadArguments { event, .. } = err {
                    errors.lock().unwrap().push(event.clone());
                }
            });
            socket.on("num", move |_s: Socket, (n,): (u32,)| {
                let got = got.clone();
                async move { got.lock().unwrap().push(n) }
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send(r#"42["num","not a number"]"#).await;
    c.send(r#"42["num",{"deep":[1,2]}]"#).await;
    c.send(r#"42["num",7]"#).await;
    eventually(|| got.lock().unwrap().len() == 1).await;
    assert_eq!(*got.lock().unwrap(), vec![7]);
    assert_eq!(*errors.lock().unwrap(), vec!["num", "num"]);
}

#[tokio::test]
async fn packet_middleware_can_reject() {
    let io = SocketIo::new();
    let got = shared::<Vec<String>>();
    let rejected = shared::<Vec<String>>();
    let (g2, r2) = (got.clone(), rejected.clone());
    io.on_connection(move |socket: Socket| {
        let (got, rejected) = (g2.clone(), r2.clone());
        async move {
            socket.use_middleware(|_s: &Socket, args: &socketio_server::EventArgs<'_>| {
                if args.event() == "forbidden" {
                    Err("nope".into())
                } else {
                    Ok(())
                }
            });
            socket.on_error(move |_s, err| {
                if let SocketError::Rejected { event, message } = err {
                    rejected.lock().unwrap().push(format!("{event}:{message}"));
                }
            });
            for ev in ["forbidden", "ok"] {
                let got = got.clone();
                socket.on(ev, move |_s: Socket| {
                    let got = got.clone();
                    async move { got.lock().unwrap().push(ev.to_owned()) }
                });
            }
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send(r#"42["forbidden"]"#).await;
    c.send(r#"42["ok"]"#).await;
    eventually(|| got.lock().unwrap().len() == 1).await;
    assert_eq!(*got.lock().unwrap(), vec!["ok"]);
    assert_eq!(*rejected.lock().unwrap(), vec!["forbidden:nope"]);
}

#[tokio::test]
async fn acks_both_ways() {
    let io = SocketIo::new();
    let answer = shared::<Vec<String>>();
    let a2 = answer.clone();
    io.on_connection(move |socket: Socket| {
        let answer = a2.clone();
        async move {
            socket.on(
                "echo",
                |_s: Socket, args: (u32, String), ack: AckSender| async move {
                    ack.send(args).unwrap();
                },
            );
            let s = socket.clone();
            tokio::spawn(async move {
                let r: (String,) = s.timeout(WAIT).emit_with_ack("ask", ("q",)).await.unwrap();
                answer.lock().unwrap().push(r.0);
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    // The server's question carries ack id 0 (per-namespace counter).
    assert_eq!(c.recv().await, r#"20["ask","q"]"#);
    c.send(r#"430["yes"]"#).await;
    c.send(r#"4212["echo",1,"a"]"#).await;
    assert_eq!(c.recv().await, r#"312[1,"a"]"#);
    eventually(|| answer.lock().unwrap().len() == 1).await;
    assert_eq!(answer.lock().unwrap()[0], "yes");
}

#[tokio::test]
async fn server_ack_timeout() {
    let io = SocketIo::new();
    let result = shared::<Vec<String>>();
    let r2 = result.clone();
    io.on_connection(move |socket: Socket| {
        let result = r2.clone();
        async move {
            let s = socket.clone();
            tokio::spawn(async move {
                let r = s
                    .timeout(Duration::from_millis(100))
                    .emit_with_ack::<(u32,)>("ask", ())
                    .await;
                result.lock().unwrap().push(match r {
                    Err(e) => e.to_string(),
                    Ok(_) => "answered".into(),
                });
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    assert_eq!(c.recv().await, r#"20["ask"]"#);
    eventually(|| result.lock().unwrap().len() == 1).await;
    assert_eq!(result.lock().unwrap()[0], "operation has timed out");
    // A late answer is ignored without harm.
    c.send(r#"430[1]"#).await;
}

#[tokio::test]
async fn rooms_broadcast_except_and_ack_aggregation() {
    let io = SocketIo::new();
    io.on_connection(|socket: Socket| async move {
        let room = socket
            .handshake()
            .auth_str("room")
            .unwrap_or("none")
            .to_owned();
        socket.join(room).await.unwrap();
    });
    let addr = serve(&io).await;
    let mut a = RawClient::connect(addr).await;
    let mut b = RawClient::connect(addr).await;
    let mut c = RawClient::connect(addr).await;
    let _sa = a.join("/", Some(r#"{"room":"red"}"#)).await;
    let sb = b.join("/", Some(r#"{"room":"red"}"#)).await;
    let _sc = c.join("/", Some(r#"{"room":"blue"}"#)).await;
    eventually(|| io.sockets().socket_count() == 3).await;
    // Joins happen in the connection handler, after the CONNECT reply: wait for them.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let n = io.to("red").fetch_sockets().await.unwrap().len();
        if n == 2 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    io.to("red").emit("r", (1,)).await.unwrap();
    assert_eq!(a.recv().await, r#"2["r",1]"#);
    assert_eq!(b.recv().await, r#"2["r",1]"#);

    io.to(["red", "blue"])
        .except(sb.as_str())
        .emit("rb", ())
        .await
        .unwrap();
    assert_eq!(a.recv().await, r#"2["rb"]"#);
    assert_eq!(c.recv().await, r#"2["rb"]"#);

    // Aggregated acks: a and c answer, b never does -> timeout with the partial list.
    let io2 = io.clone();
    let pending = tokio::spawn(async move {
        io2.timeout(Duration::from_millis(2000))
            .emit_with_ack::<String>("q", ())
            .await
    });
    for (client, name) in [(&mut a, "a"), (&mut c, "c")] {
        let m = client.recv().await;
        let id = m
            .strip_prefix('2')
            .unwrap()
            .split('[')
            .next()
            .unwrap()
            .to_owned();
        client.send(&format!(r#"43{id}["{name}"]"#)).await;
    }
    assert!(b.recv().await.ends_with(r#"["q"]"#));
    match pending.await.unwrap() {
        Err(socketio_server::BroadcastAckError::Timeout { mut partial }) => {
            partial.sort();
            assert_eq!(partial, vec!["a", "c"]);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }

    // Everybody answers -> Ok with every reply.
    let io3 = io.clone();
    let pending = tokio::spawn(async move {
        io3.to("red")
            .timeout(WAIT)
            .emit_with_ack::<u32>("q2", ())
            .await
    });
    for client in [&mut a, &mut b] {
        let m = client.recv().await;
        let id = m
            .strip_prefix('2')
            .unwrap()
            .split('[')
            .next()
            .unwrap()
            .to_owned();
        client.send(&format!(r#"43{id}[5,"ignored"]"#)).await;
    }
    assert_eq!(pending.await.unwrap().unwrap(), vec![5, 5]);

    // sockets_join / sockets_leave / disconnect_sockets
    io.to("blue").sockets_join("green").await.unwrap();
    assert_eq!(io.to("green").fetch_sockets().await.unwrap().len(), 1);
    io.to("green").sockets_leave("green").await.unwrap();
    assert_eq!(io.to("green").fetch_sockets().await.unwrap().len(), 0);
    io.to("blue").disconnect_sockets(false).await.unwrap();
    assert_eq!(c.recv().await, "1");
    eventually(|| io.sockets().socket_count() == 2).await;
}

#[tokio::test]
async fn reserved_events_cannot_be_emitted() {
    let io = SocketIo::new();
    let result = shared::<Vec<bool>>();
    let r2 = result.clone();
    io.on_connection(move |socket: Socket| {
        let result = r2.clone();
        async move {
            let r = socket.emit("disconnect", ());
            result
                .lock()
                .unwrap()
                .push(matches!(r, Err(EmitError::ReservedEvent(_))));
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    eventually(|| result.lock().unwrap().len() == 1).await;
    assert!(result.lock().unwrap()[0]);
    assert!(matches!(
        io.emit("connect", ()).await,
        Err(EmitError::ReservedEvent(_))
    ));
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

#[tokio::test]
async fn disconnect_reasons() {
    let io = SocketIo::new();
    let log = track_disconnects(&io);
    let addr = serve(&io).await;

    // client namespace disconnect
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send("41").await;
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "disconnecting client namespace disconnect rooms=1",
            "disconnect client namespace disconnect rooms=0"
        ]
    );
    log.lock().unwrap().clear();

    // server namespace disconnect: DISCONNECT packet sent, engine stays open
    let sid = c.join("/", None).await;
    eventually(|| io.sockets().get_socket(&sid).is_some()).await;
    io.sockets().get_socket(&sid).unwrap().disconnect(false);
    assert_eq!(c.recv().await, "1");
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(
        log.lock().unwrap()[1],
        "disconnect server namespace disconnect rooms=0"
    );
    log.lock().unwrap().clear();

    // transport close
    c.join("/", None).await;
    c.close().await;
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(log.lock().unwrap()[1], "disconnect transport close rooms=0");
    log.lock().unwrap().clear();

    // parse error
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send("4x").await;
    c.expect_closed().await;
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(log.lock().unwrap()[1], "disconnect parse error rooms=0");
    log.lock().unwrap().clear();

    // invalid state: second CONNECT for a joined namespace closes everything
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send("40").await;
    c.expect_closed().await;
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(
        log.lock().unwrap()[1],
        "disconnect forced server close rooms=0"
    );
    log.lock().unwrap().clear();

    // packet for a namespace not joined closes the connection
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send(r#"42/other,["x"]"#).await;
    c.expect_closed().await;
    eventually(|| log.lock().unwrap().len() == 2).await;
    assert_eq!(
        log.lock().unwrap()[1],
        "disconnect forced server close rooms=0"
    );
}

#[tokio::test]
async fn connect_timeout_closes_idle_connections() {
    let io = SocketIo::builder()
        .connect_timeout(Duration::from_millis(200))
        .build();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.expect_closed().await;
    // A client that joins in time is not closed.
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.send(r#"42["still here"]"#).await;
    c.send("41").await;
    c.join("/", None).await;
}

#[tokio::test]
async fn close_disconnects_with_server_shutting_down() {
    let io = SocketIo::new();
    let log = track_disconnects(&io);
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    eventually(|| io.sockets().socket_count() == 1).await;
    tokio::time::timeout(WAIT, io.close()).await.unwrap();
    // close() resolved after the disconnect handlers ran.
    assert_eq!(
        log.lock().unwrap()[1],
        "disconnect server shutting down rooms=0"
    );
    c.expect_closed().await;
}

#[tokio::test]
async fn any_and_outgoing_listeners() {
    let io = SocketIo::new();
    let log = shared::<Vec<String>>();
    let l2 = log.clone();
    io.on_connection(move |socket: Socket| {
        let log = l2.clone();
        async move {
            let (a, b) = (log.clone(), log.clone());
            socket.on_any(move |_s, args| {
                let v: Vec<serde_json::Value> = args.decode().unwrap();
                a.lock()
                    .unwrap()
                    .push(format!("in {} {}", args.event(), json!(v)));
            });
            socket.on_any_outgoing(move |_s, event, args| {
                b.lock().unwrap().push(format!("out {event} {args}"));
            });
            let c = log.clone();
            socket.prepend_any(move |_s, args| {
                c.lock().unwrap().push(format!("first {}", args.event()));
            });
            socket.on("ping", |s: Socket, (n,): (u32,)| async move {
                let _ = s.emit("pong", (n + 1,));
            });
        }
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send(r#"42["ping",1]"#).await;
    assert_eq!(c.recv().await, r#"2["pong",2]"#);
    io.emit("news", ("x", 1)).await.unwrap();
    assert_eq!(c.recv().await, r#"2["news","x",1]"#);
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "first ping",
            "in ping [1]",
            "out pong [2]",
            r#"out news ["x",1]"#
        ]
    );
}

#[tokio::test]
async fn binary_arguments_round_trip() {
    let io = SocketIo::new();
    io.on_connection(|socket: Socket| async move {
        socket.on(
            "bin",
            |s: Socket, (data,): (socketio_server::Binary,)| async move {
                let mut v = data.0.to_vec();
                v.reverse();
                let _ = s.emit(
                    "nested",
                    (json!({"k": 1}), socketio_server::Binary(v.into())),
                );
            },
        );
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/", None).await;
    c.send(r#"451-["bin",{"_placeholder":true,"num":0}]"#).await;
    c.send_binary(&[1, 2, 3]).await;
    assert_eq!(
        c.recv().await,
        r#"51-["nested",{"k":1},{"_placeholder":true,"num":0}]"#
    );
    assert_eq!(c.recv_engine().await.unwrap(), "<bin:3>");
}

#[tokio::test]
async fn typed_socket_data_and_fetch_sockets() {
    #[derive(serde::Serialize)]
    struct User {
        id: u32,
    }
    let io = SocketIo::new();
    io.use_middleware(|socket: Socket| async move {
        socket.set_data(User { id: 7 });
        Ok(())
    });
    io.on_connection(|socket: Socket| async move {
        let user = socket.data::<User>().unwrap();
        socket.join(format!("user:{}", user.id)).await.unwrap();
    });
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", Some(r#"{"token":"t"}"#)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let sockets = loop {
        let s = io.to("user:7").fetch_sockets().await.unwrap();
        if !s.is_empty() {
            break s;
        }
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(sockets.len(), 1);
    assert_eq!(sockets[0].id().as_ref(), sid);
    assert_eq!(sockets[0].data(), &json!({"id": 7}));
    assert_eq!(sockets[0].handshake()["auth"], json!({"token": "t"}));
    let mut rooms: Vec<String> = sockets[0].rooms().iter().map(|r| r.to_string()).collect();
    rooms.sort();
    let mut expected = vec![sid.clone(), "user:7".to_owned()];
    expected.sort();
    assert_eq!(rooms, expected);
    sockets[0].emit("hi", ()).await.unwrap();
    assert_eq!(c.recv().await, r#"2["hi"]"#);
}

#[tokio::test]
async fn custom_adapter_factory_and_server_side_events() {
    use socketio_server::adapter::{Adapter, AdapterFactory, LocalNamespace, MemoryAdapter};
    struct Capture(Arc<Mutex<Vec<LocalNamespace>>>);
    impl AdapterFactory for Capture {
        fn create(&self, nsp: LocalNamespace) -> Arc<dyn Adapter> {
            self.0.lock().unwrap().push(nsp.clone());
            Arc::new(MemoryAdapter::new(nsp))
        }
    }
    let slots = shared::<Vec<LocalNamespace>>();
    let io = SocketIo::builder().adapter(Capture(slots.clone())).build();
    io.sockets()
        .on_server_side_emit("sum", |args: Vec<serde_json::Value>| async move {
            json!(args.iter().filter_map(|v| v.as_i64()).sum::<i64>())
        });
    let local = slots.lock().unwrap()[0].clone();
    assert_eq!(local.namespace().unwrap().name(), "/");
    assert_eq!(
        local
            .server_side_event("sum", vec![json!(1), json!(2)])
            .await,
        Some(json!(3))
    );
    assert_eq!(local.server_side_event("unknown", vec![]).await, None);
    // In memory there is no other server: no replies.
    assert!(io
        .server_side_emit("sum", vec![json!(1)])
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn empty_dynamic_children_are_cleaned_up_when_asked() {
    let io = SocketIo::builder()
        .cleanup_empty_child_namespaces(true)
        .build();
    let parent = io.of_dynamic(|name, _| name.starts_with("/room-"));
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/room-1", None).await;
    c.join("/room-2", None).await;
    assert_eq!(parent.children().len(), 2);
    c.send("41/room-1,").await;
    eventually(|| parent.children().len() == 1).await;
    assert!(io.namespaces().iter().all(|n| n.name() != "/room-1"));
    // The name can be used again: a fresh child is created.
    c.join("/room-1", None).await;
    assert_eq!(parent.children().len(), 2);
}

#[tokio::test]
async fn new_namespace_hook_sees_static_and_dynamic_namespaces() {
    let io = SocketIo::new();
    let names = shared::<Vec<String>>();
    let n2 = names.clone();
    io.on_new_namespace(move |ns| n2.lock().unwrap().push(ns.name().to_owned()));
    io.of("chat"); // a leading "/" is added, like Node
    io.of("/chat"); // already exists: not announced again
    io.of_dynamic(|name, _| name.starts_with("/dyn-"));
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    c.join("/dyn-1", None).await;
    assert_eq!(*names.lock().unwrap(), vec!["/chat", "/dyn-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_binary_emits_are_never_interleaved() {
    let io = SocketIo::builder()
        .configure_engine(|c| c.send_queue_capacity = 100_000)
        .build();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", None).await;
    eventually(|| io.sockets().get_socket(&sid).is_some()).await;
    let socket = io.sockets().get_socket(&sid).unwrap();
    let mut tasks = Vec::new();
    for t in 0..8u8 {
        let socket = socket.clone();
        let io = io.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50u8 {
                socket
                    .emit("b", (socketio_server::Binary(vec![t, i].into()),))
                    .unwrap();
                io.emit("t", (t, i)).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut binary_packets = 0;
    let mut text_packets = 0;
    while binary_packets + text_packets < 800 {
        let m = c.recv().await;
        if m.starts_with("51-") {
            // The attachment must come right after its packet.
            assert_eq!(c.recv_engine().await.unwrap(), "<bin:2>");
            binary_packets += 1;
        } else {
            assert!(m.starts_with(r#"2["t","#), "unexpected {m}");
            text_packets += 1;
        }
    }
    assert_eq!((binary_packets, text_packets), (400, 400));
}

#[tokio::test]
async fn emit_wait_applies_backpressure_instead_of_failing() {
    let io = SocketIo::builder()
        .configure_engine(|c| c.send_queue_capacity = 4)
        .build();
    let addr = serve(&io).await;
    let mut c = RawClient::connect(addr).await;
    let sid = c.join("/", None).await;
    eventually(|| io.sockets().get_socket(&sid).is_some()).await;
    let socket = io.sockets().get_socket(&sid).unwrap();
    let producer = tokio::spawn(async move {
        for i in 0..200u32 {
            socket.emit_wait("n", (i,)).await.unwrap();
        }
    });
    for i in 0..200u32 {
        assert_eq!(c.recv().await, format!(r#"2["n",{i}]"#));
    }
    producer.await.unwrap();
}

/// Regression: the engine session, the connection state and the sockets are freed once
/// a client is gone (the session held its `Client`, which held the session: every
/// connection leaked ~2 KB).
#[tokio::test]
async fn sessions_and_sockets_are_freed_after_disconnect() {
    struct Alive(Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    impl serde::Serialize for Alive {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_unit()
        }
    }
    let io = SocketIo::new();
    let live = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sessions: Arc<Mutex<Vec<socketio_server::engineio::WeakSocket>>> = shared();
    for nsp in ["/", "/chat"] {
        let (live, sessions) = (live.clone(), sessions.clone());
        io.of(nsp).on_connection(move |socket: Socket| {
            live.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            socket.set_data(Alive(live.clone()));
            sessions.lock().unwrap().push(socket.conn().downgrade());
            async move {
                socket.on("ping", |_s: Socket| async {});
            }
        });
    }
    let addr = serve(&io).await;
    for round in 0..3 {
        let mut clients = Vec::new();
        for _ in 0..5 {
            let mut c = RawClient::connect(addr).await;
            c.join("/", None).await;
            c.join("/chat", None).await;
            c.send(r#"42["ping"]"#).await;
            clients.push(c);
        }
        eventually(|| live.load(std::sync::atomic::Ordering::SeqCst) == 10).await;
        // Leave by closing the transport (3 clients) and by namespace DISCONNECTs (2).
        for (i, c) in clients.into_iter().enumerate() {
            if i < 3 {
                c.close().await;
            } else {
                let mut c = c;
                c.send("41").await;
                c.send("41/chat,").await;
                c.close().await;
            }
        }
        eventually(|| io.engine().session_count() == 0).await;
        eventually(|| live.load(std::sync::atomic::Ordering::SeqCst) == 0).await;
        eventually(|| {
            sessions
                .lock()
                .unwrap()
                .iter()
                .all(|w| w.upgrade().is_none())
        })
        .await;
        assert_eq!(sessions.lock().unwrap().len(), 10 * (round + 1));
    }
}
