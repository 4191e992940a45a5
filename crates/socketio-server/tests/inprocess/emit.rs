//! Emitting to one client: acks both ways and their timeouts, reserved names, binary
//! arguments, concurrent emits, backpressure.

use super::*;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_binary_emits_are_never_interleaved() {
    let io = SocketIo::builder()
        .configure_engine(|c| c.send_queue_capacity = 100_000)
        .build();
    let addr = serve(&io).await;
    let (mut c, socket) = join_root(&io, addr).await;
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
    let (mut c, socket) = join_root(&io, addr).await;
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
