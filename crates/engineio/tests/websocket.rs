//! WebSocket transport and the polling → WebSocket upgrade, against a real server.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::*;
use engineio::{DisconnectReason, EngineConfig, Message, TransportKind};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn websocket_handshake_and_echo() {
    let mut s = Server::start(EngineConfig::default()).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    assert_eq!(
        open,
        format!(
            r#"0{{"sid":"{sid}","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
        )
    );
    assert!(matches!(s.next_event().await, Event::Connect(id) if id == sid));
    ws.send_text("4hello").await;
    assert_eq!(ws.next_text().await, "4hello");
    ws.0.send(WsMessage::Binary(Bytes::from_static(&[1, 2, 3])))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await,
        Some(WsMessage::Binary(Bytes::from_static(&[1, 2, 3])))
    );
    // a burst arrives complete and in order
    for i in 0..200 {
        ws.send_text(&format!("4m{i}")).await;
    }
    for i in 0..200 {
        assert_eq!(ws.next_text().await, format!("4m{i}"));
    }
    assert_eq!(
        s.engine.socket(&sid).unwrap().transport(),
        TransportKind::WebSocket
    );
    ws.send_text("1").await;
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn websocket_heartbeat_and_timeout() {
    let mut s = Server::start(fast_config()).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(ws.next_text().await, "2");
        ws.send_text("3").await;
    }
    assert_eq!(ws.next_text().await, "2");
    // no pong: the server closes the connection
    assert_eq!(ws.next().await, None);
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::PingTimeout);
}

#[tokio::test]
async fn websocket_client_ping_and_garbage_close() {
    let mut s = Server::start(EngineConfig::default()).await;
    let mut ws = s.ws("transport=websocket").await;
    let sid = {
        let open = ws.next_text().await;
        serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    ws.send_text("2").await;
    assert_eq!(ws.next().await, None);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );

    let mut ws = s.ws("transport=websocket").await;
    let sid = {
        let open = ws.next_text().await;
        serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    ws.send_text("x").await;
    assert_eq!(ws.next().await, None);
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ParseError);
}

#[tokio::test]
async fn websocket_oversize_message_closes() {
    let mut s = Server::start(EngineConfig::default().max_payload(1000)).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.send_text(&format!("4{}", "x".repeat(5000))).await;
    assert_eq!(ws.next().await, None);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn server_close_over_websocket() {
    let mut s = Server::start(EngineConfig::default()).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.send_text("4close-me").await;
    assert_eq!(ws.next().await, None);
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    // on_disconnect fired exactly once
    tokio::time::sleep(Duration::from_millis(100)).await;
    while let Ok(event) = s.events.try_recv() {
        assert!(
            !matches!(&event, Event::Disconnect(id, _) if *id == sid),
            "second disconnect: {event:?}"
        );
    }
    assert_eq!(s.engine.session_count(), 0);
}

#[tokio::test]
async fn failed_websocket_upgrade_is_raw_400() {
    let s = Server::start(EngineConfig::default()).await;
    let res = http(
        s.addr,
        "GET",
        &s.url("transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA"),
        &[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), "Session ID unknown");
    assert_eq!(res.header("connection"), Some("close"));
}

#[tokio::test]
async fn upgrade_from_polling() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    // a GET is pending while the upgrade starts
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut ws = s.ws(&format!("transport=websocket&sid={sid}")).await;
    // a second WebSocket for the same sid is refused
    let second = http(
        s.addr,
        "GET",
        &s.url(&format!("transport=websocket&sid={sid}")),
        &[
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    assert_eq!(second.status, 400);
    ws.send_text("2probe").await;
    assert_eq!(ws.next_text().await, "3probe");
    // the pending poll is released with a noop, promptly
    let res = tokio::time::timeout(Duration::from_secs(1), pending)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.text(), "6");
    // a message queued before the switch goes out over the WebSocket after `5`
    let socket = s.engine.socket(&sid).unwrap();
    ws.send_text("5").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(socket.transport(), TransportKind::WebSocket);
    socket.try_send(Message::from("after")).unwrap();
    assert_eq!(ws.next_text().await, "4after");
    ws.send_text("4echo").await;
    assert_eq!(ws.next_text().await, "4echo");
    // polling is over for this sid
    let res = s.get(&sid).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":3,"message":"Bad request"}"#);
    drop(ws);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn upgrade_timeout_closes_the_new_websocket() {
    let mut s =
        Server::start(EngineConfig::default().upgrade_timeout(Duration::from_millis(200))).await;
    let sid = s.handshake().await;
    let mut ws = s.ws(&format!("transport=websocket&sid={sid}")).await;
    ws.send_text("2probe").await;
    assert_eq!(ws.next_text().await, "3probe");
    // never send `5`
    assert_eq!(ws.next().await, None);
    // the session is still alive on polling
    assert_eq!(s.post(&sid, b"4still here").await.status, 200);
    assert_eq!(s.get(&sid).await.text(), "4still here");
    assert_eq!(
        s.engine.socket(&sid).unwrap().transport(),
        TransportKind::Polling
    );
}

#[tokio::test]
async fn stalled_reader_still_times_out() {
    let mut s = Server::start(fast_config().send_queue_capacity(64)).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let socket = s.engine.socket(&sid).unwrap();
    let big = Message::Binary(Bytes::from(vec![7u8; 256 * 1024]));
    // The client never reads again: the server's writes block once the socket buffers
    // are full, yet the pong deadline must still close the session.
    let mut sent = 0;
    for _ in 0..200 {
        if socket.try_send(big.clone()).is_err() {
            break;
        }
        sent += 1;
        tokio::task::yield_now().await;
    }
    assert!(sent > 0);
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::PingTimeout);
    drop(ws);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_sessions_keep_order() {
    let s = Server::start(EngineConfig::default()).await;
    let addr = s.addr;
    let mut tasks = Vec::new();
    for c in 0..100 {
        tasks.push(tokio::spawn(async move {
            let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
            let req =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                    .unwrap();
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let (ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
            let mut ws = Ws(ws);
            assert!(ws.next_text().await.starts_with("0{"));
            for i in 0..100 {
                if i % 2 == 0 {
                    ws.send_text(&format!("4c{c}m{i}")).await;
                } else {
                    ws.0.send(WsMessage::Binary(Bytes::from(vec![c as u8, i as u8])))
                        .await
                        .unwrap();
                }
            }
            for i in 0..100 {
                let got = ws.next().await.unwrap();
                if i % 2 == 0 {
                    assert_eq!(got, WsMessage::text(format!("4c{c}m{i}")));
                } else {
                    assert_eq!(got, WsMessage::Binary(Bytes::from(vec![c as u8, i as u8])));
                }
            }
            ws.send_text("1").await;
        }));
    }
    for t in tasks {
        tokio::time::timeout(STEP * 2, t).await.unwrap().unwrap();
    }
    for _ in 0..100 {
        if s.engine.session_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(s.engine.session_count(), 0);
}

#[tokio::test]
async fn first_offered_subprotocol_is_accepted() {
    let s = Server::start(EngineConfig::default()).await;
    let url = format!("ws://{}/engine.io/?EIO=4&transport=websocket", s.addr);
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("alpha, beta"),
    );
    let tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let (ws, res) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    assert_eq!(res.headers()["sec-websocket-protocol"], "alpha");
    let mut ws = Ws(ws);
    assert!(ws.next_text().await.starts_with("0{"));
}

#[tokio::test]
async fn polls_get_noop_while_upgrading() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let mut ws = s.ws(&format!("transport=websocket&sid={sid}")).await;
    // The WebSocket is open; even before the probe every poll returns a noop at once.
    for _ in 0..5 {
        let res = tokio::time::timeout(Duration::from_secs(1), s.get(&sid))
            .await
            .expect("prompt noop");
        assert_eq!(res.status, 200);
        assert_eq!(res.text(), "6");
    }
    ws.send_text("2probe").await;
    ws.send_text("5").await;
    assert_eq!(ws.next_text().await, "3probe");
    ws.send_text("4x").await;
    assert_eq!(ws.next_text().await, "4x");
}

/// Node's `ws` reports a connection lost without a close frame as code 1006, which
/// engine.io turns into "transport close" (not "transport error").
#[tokio::test]
async fn peer_dropping_tcp_without_close_frame_is_transport_close() {
    let mut s = Server::start(EngineConfig::default()).await;
    // FIN without a close frame
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(s.next_event().await, Event::Connect(c) if c == sid));
    drop(ws);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );

    // RST (zero linger) without a close frame
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(s.next_event().await, Event::Connect(c) if c == sid));
    ws.0.get_ref().set_zero_linger().unwrap();
    drop(ws);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

/// Starts an upgrade the way engine.io-client does: the WebSocket opens, `2probe` is
/// answered `3probe`, the client's in-flight poll is released with a noop; no `5` yet.
async fn probed_upgrade(s: &mut Server) -> (String, Ws) {
    let sid = s.handshake().await;
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut ws = s.ws(&format!("transport=websocket&sid={sid}")).await;
    ws.send_text("2probe").await;
    assert_eq!(ws.next_text().await, "3probe");
    let res = tokio::time::timeout(Duration::from_secs(1), pending)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(res.text(), "6");
    (sid, ws)
}

/// `Engine::close` in the middle of an upgrade: the session closes at once, and the
/// client learns it on whichever transport it uses next — promptly, not by its ping
/// timeout (upgrade_timeout is a minute here, so nothing below can be a timeout).
#[tokio::test]
async fn engine_close_during_upgrade_closes_both_transports() {
    let config = EngineConfig::default().upgrade_timeout(Duration::from_secs(60));
    let mut s = Server::start(config).await;

    // The client is still polling: its next poll sees the session gone, and the
    // upgrading WebSocket is closed once the client switches to it (`5`).
    let (sid, mut ws) = probed_upgrade(&mut s).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(2), s.engine.close())
        .await
        .expect("Engine::close returns promptly");
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    assert_eq!(s.engine.session_count(), 0);
    let res = s.get(&sid).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
    ws.send_text("5").await;
    assert_eq!(ws.next().await, None, "the WebSocket is closed");
    assert!(started.elapsed() < Duration::from_secs(3));

    // A paused client (its last poll answered with the noop) only talks on the
    // WebSocket. Closing that WebSocket at once could reach the client before the noop:
    // its probe would fail and its polling stay paused until its ping timeout. So the
    // WebSocket stays open until the client's `5`, and is closed right then.
    let (sid, mut ws) = probed_upgrade(&mut s).await;
    s.engine.close().await;
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    let early = tokio::time::timeout(Duration::from_millis(300), ws.0.next()).await;
    assert!(
        early.is_err(),
        "closed before the client switched: {early:?}"
    );
    let started = std::time::Instant::now();
    ws.send_text("5").await;
    assert_eq!(ws.next().await, None, "the WebSocket is closed");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Not probed yet (the client keeps polling and sees the session gone there): the
    // upgrading WebSocket is closed at once, without waiting for the client.
    let sid = s.handshake().await;
    let mut ws = s.ws(&format!("transport=websocket&sid={sid}")).await;
    assert_eq!(s.get(&sid).await.text(), "6");
    s.engine.close().await;
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    assert_eq!(s.get(&sid).await.status, 400);
    assert_eq!(
        ws.next().await,
        None,
        "closed without waiting for the client"
    );
}

/// The lingering WebSocket of a closed session is still bounded by the upgrade deadline.
#[tokio::test]
async fn upgrade_left_after_close_ends_at_the_upgrade_deadline() {
    let config = EngineConfig::default().upgrade_timeout(Duration::from_millis(500));
    let mut s = Server::start(config).await;
    let (sid, mut ws) = probed_upgrade(&mut s).await;
    s.engine.close().await;
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    // never send `5`
    assert_eq!(ws.next().await, None);
}

/// `Socket::close` (graceful) during an upgrade: the upgrade may still complete, and
/// the queued messages then arrive over the WebSocket before it closes (Node: the same).
#[tokio::test]
async fn graceful_close_during_upgrade_flushes_over_the_new_transport() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (sid, mut ws) = probed_upgrade(&mut s).await;
    let socket = s.engine.socket(&sid).unwrap();
    socket.try_send(Message::from("41/chat,")).unwrap();
    socket.close(DisconnectReason::ForcedClose);
    ws.send_text("5").await;
    assert_eq!(ws.next_text().await, "441/chat,");
    assert_eq!(ws.next().await, None);
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
}

/// Regression: several tasks sending to one WebSocket session at once must never leave
/// messages queued with the writer asleep (a lost wake-up used to park them until the
/// next heartbeat, 25 s with the default ping interval used here). Each frame must
/// arrive within `STEP`; many rounds, so the race window is hit often.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_never_stall_the_websocket_writer() {
    const TASKS: usize = 8;
    const PER_TASK: usize = 150;
    let mut s = Server::start(EngineConfig::default()).await;
    let mut ws = s.ws("transport=websocket").await;
    let open = ws.next_text().await;
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(matches!(s.next_event().await, Event::Connect(id) if id == sid));
    let socket = s.engine.socket(&sid).unwrap();
    for round in 0..50 {
        let senders = spawn_concurrent_senders(&socket, TASKS, PER_TASK);
        let mut received = Vec::with_capacity(TASKS * PER_TASK);
        while received.len() < TASKS * PER_TASK {
            let frame = tokio::time::timeout(STEP, ws.0.next()).await;
            match frame {
                Ok(Some(Ok(WsMessage::Text(t)))) => match t.as_str().strip_prefix('4') {
                    Some(m) => received.push(m.to_owned()),
                    None => panic!("unexpected packet {t}"),
                },
                Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_)))) => {}
                Ok(other) => panic!("round {round}: unexpected {other:?}"),
                Err(_) => panic!(
                    "round {round}: {} of {} messages arrived, the rest stayed queued",
                    received.len(),
                    TASKS * PER_TASK
                ),
            }
        }
        for t in senders {
            t.await.unwrap();
        }
        check_concurrent_sequence(&received, TASKS, PER_TASK);
    }
    ws.send_text("1").await;
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

/// A handler whose state holds its own session's socket (as an application naturally
/// would): the engine drops the state after `on_disconnect`, so the session record is
/// freed anyway, for WebSocket and polling sessions alike.
#[tokio::test]
async fn handler_state_holding_its_socket_does_not_keep_the_session_alive() {
    use engineio::{Engine, Handler, Socket, WeakSocket};
    use std::sync::{Arc, Mutex};

    struct Holder(Arc<Mutex<Vec<WeakSocket>>>);
    impl Handler for Holder {
        type State = Socket;
        fn on_connect(&self, socket: &Socket) -> Socket {
            self.0.lock().unwrap().push(socket.downgrade());
            socket.clone()
        }
        fn on_message(&self, _: &Socket, own: &Socket, m: Message) {
            let _ = own.try_send(m);
        }
        fn on_disconnect(&self, _: &Socket, _: &Socket, _: DisconnectReason) {}
    }

    let seen = Arc::new(Mutex::new(Vec::new()));
    let engine = Engine::new(EngineConfig::default(), Holder(seen.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(engine.clone().serve(listener));

    // A WebSocket session: echo once, then the client goes away.
    let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
    let req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let mut ws = Ws(ws);
    let _open = ws.next_text().await;
    ws.send_text("4hello").await;
    assert_eq!(ws.next_text().await, "4hello");
    drop(ws);
    // A polling session closed by the client.
    let res = http(addr, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    let v: serde_json::Value = serde_json::from_str(&res.text()[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    let path = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    assert_eq!(http(addr, "POST", &path, &[], b"1").await.status, 200);

    for _ in 0..100 {
        let alive = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|w| w.upgrade().is_some())
            .count();
        if alive == 0 && engine.session_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(seen.lock().unwrap().iter().all(|w| w.upgrade().is_none()));
    task.abort();
}
