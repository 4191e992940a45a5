//! Incoming events: ordering, sequential mode, the per-socket bound, listeners
//! (once/off/any/outgoing), argument errors, per-packet middleware.

use super::*;

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
