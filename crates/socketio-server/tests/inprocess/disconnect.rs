//! Disconnection: every reason, graceful server close, freeing the session and sockets.

use super::*;

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
