//! Rooms and the adapter: broadcasts with rooms/except/acks, socket data and
//! `fetch_sockets`, custom adapters and server-side events.

use super::*;

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
