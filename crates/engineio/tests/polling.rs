//! Long-polling behaviour against a real server on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::*;
use engineio::{CookieConfig, DisconnectReason, EngineConfig, Message};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn handshake_shape_and_headers() {
    let mut s = Server::start(EngineConfig::default().cookie(CookieConfig::default())).await;
    let res = http(s.addr, "GET", &s.url("transport=polling"), &[], b"").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    let body = res.text();
    let v: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 20);
    assert!(sid
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    assert_eq!(
        body,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}}"#
        )
    );
    assert_eq!(
        res.header("set-cookie"),
        Some(format!("io={sid}; Path=/; HttpOnly; SameSite=Lax").as_str())
    );
    assert!(matches!(s.next_event().await, Event::Connect(_)));
    assert_eq!(s.engine.session_count(), 1);
}

#[tokio::test]
async fn error_table() {
    let s = Server::start(EngineConfig::default()).await;
    let cases = [
        (
            "GET",
            "/engine.io/?EIO=4&transport=foo",
            400,
            r#"{"code":0,"message":"Transport unknown"}"#,
        ),
        (
            "GET",
            "/engine.io/?EIO=4",
            400,
            r#"{"code":0,"message":"Transport unknown"}"#,
        ),
        (
            "GET",
            "/engine.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA",
            400,
            r#"{"code":1,"message":"Session ID unknown"}"#,
        ),
        (
            "POST",
            "/engine.io/?EIO=4&transport=polling",
            400,
            r#"{"code":2,"message":"Bad handshake method"}"#,
        ),
        (
            "GET",
            "/engine.io/?EIO=4&transport=websocket",
            400,
            r#"{"code":3,"message":"Bad request"}"#,
        ),
        (
            "GET",
            "/engine.io/?EIO=3&transport=polling",
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
        ),
        (
            "GET",
            "/engine.io/?transport=polling",
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
        ),
    ];
    for (method, path, status, body) in cases {
        let res = http(s.addr, method, path, &[], b"").await;
        assert_eq!(res.status, status, "{method} {path}");
        assert_eq!(res.text(), body, "{method} {path}");
        assert_eq!(res.header("content-type"), Some("application/json"));
    }
    let res = http(s.addr, "GET", "/elsewhere", &[], b"").await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn allow_request_refusal_is_403_with_message() {
    let cfg = EngineConfig::default().allow_request(|req| {
        let ok = req.headers().contains_key("x-token");
        async move {
            if ok {
                Ok(())
            } else {
                Err(Some("no token".to_owned()))
            }
        }
    });
    let s = Server::start(cfg).await;
    let res = http(s.addr, "GET", &s.url("transport=polling"), &[], b"").await;
    assert_eq!(res.status, 403);
    assert_eq!(res.text(), r#"{"code":4,"message":"no token"}"#);
    let res = http(
        s.addr,
        "GET",
        &s.url("transport=polling"),
        &[("x-token", "1")],
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn post_then_get_echo_text_and_binary() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let res = s.post(&sid, "4hello\x1ebAQID\x1e4é".as_bytes()).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), "ok");
    assert_eq!(res.header("content-type"), Some("text/html"));
    assert_eq!(res.header("cache-control"), Some("no-store"));
    for expected in [
        Message::from("hello"),
        Message::Binary(bytes::Bytes::from_static(&[1, 2, 3])),
        Message::from("é"),
    ] {
        match s.next_event().await {
            Event::Message(id, m) => {
                assert_eq!(id, sid);
                assert_eq!(m, expected);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let res = s.get(&sid).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.text(), "4hello\x1ebAQID\x1e4é");
}

#[tokio::test]
async fn heartbeat_first_ping_after_interval_and_timeout() {
    let mut s = Server::start(fast_config()).await;
    let start = Instant::now();
    let sid = s.handshake().await;
    // The pending GET gets the ping, no earlier than pingInterval.
    let res = s.get(&sid).await;
    assert_eq!(res.text(), "2");
    assert!(
        start.elapsed() >= Duration::from_millis(290),
        "{:?}",
        start.elapsed()
    );
    // Answer it: the session lives on; the next ping comes pingInterval later.
    assert_eq!(s.post(&sid, b"3").await.status, 200);
    assert_eq!(s.get(&sid).await.text(), "2");
    // Do not answer: ping timeout.
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::PingTimeout);
    let res = s.get(&sid).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.text(), r#"{"code":1,"message":"Session ID unknown"}"#);
    assert_eq!(s.engine.session_count(), 0);
}

#[tokio::test]
async fn abandoned_session_is_reclaimed() {
    let mut s = Server::start(fast_config()).await;
    let sid = s.handshake().await;
    // Never poll: the ping is never read, the pong never comes.
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::PingTimeout);
    assert_eq!(s.engine.session_count(), 0);
}

#[tokio::test]
async fn client_ping_is_an_error_in_v4() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    assert_eq!(s.post(&sid, b"2").await.status, 200);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn parse_error_closes() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    assert_eq!(s.post(&sid, b"4ok\x1e9bad").await.status, 200);
    assert!(matches!(s.next_event().await, Event::Message(_, _)));
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ParseError);
}

#[tokio::test]
async fn client_close_answers_pending_get_with_noop() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.post(&sid, b"1").await.status, 200);
    let res = pending.await.unwrap();
    assert_eq!(res.text(), "6");
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn duplicate_get_is_400_and_closes() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(s.get(&sid).await.status, 400);
    assert_eq!(pending.await.unwrap().text(), "1");
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn aborted_get_closes_the_session() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let req = request_bytes(
        "GET",
        &s.url(&format!("transport=polling&sid={sid}")),
        &[],
        b"",
    );
    tcp.write_all(&req).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(tcp);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn oversize_post_is_413_and_closes() {
    let mut s = Server::start(EngineConfig::default().max_payload(100)).await;
    let sid = s.handshake().await;
    let body = format!("4{}", "x".repeat(200));
    assert_eq!(s.post(&sid, body.as_bytes()).await.status, 413);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn octet_stream_post_is_rejected() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let res = http(
        s.addr,
        "POST",
        &s.url(&format!("transport=polling&sid={sid}")),
        &[("Content-Type", "application/octet-stream")],
        b"4hi",
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportError
    );
}

#[tokio::test]
async fn other_method_on_session_is_500() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let res = http(
        s.addr,
        "PUT",
        &s.url(&format!("transport=polling&sid={sid}")),
        &[],
        b"",
    )
    .await;
    assert_eq!(res.status, 500);
}

#[tokio::test]
async fn server_close_flushes_then_sends_close_packet() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let socket = s.engine.socket(&sid).unwrap();
    socket.try_send(Message::from("last words")).unwrap();
    socket.close(DisconnectReason::ForcedClose);
    assert!(socket.is_closed());
    assert!(socket.try_send(Message::from("too late")).is_err());
    // Node (engine.io 6.6, measured): the queued messages go out alone, the close
    // packet follows on the next poll as `6␞1`
    assert_eq!(s.get(&sid).await.text(), "4last words");
    assert!(
        s.events.try_recv().is_err(),
        "not closed before `1` is sent"
    );
    assert_eq!(s.get(&sid).await.text(), "6\x1e1");
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    assert_eq!(s.get(&sid).await.status, 400);
}

/// The order socket.io-client depends on: messages queued just before a graceful close
/// reach a waiting poll without the close packet; `1` comes in a later response.
#[tokio::test]
async fn server_close_with_a_waiting_poll_sends_close_later() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let socket = s.engine.socket(&sid).unwrap();
    socket.try_send(Message::from("41/chat,")).unwrap();
    socket.close(DisconnectReason::ForcedClose);
    assert_eq!(pending.await.unwrap().text(), "441/chat,");
    assert_eq!(s.get(&sid).await.text(), "6\x1e1");
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);

    // nothing queued and a poll waiting: a bare `1` at once (Node: the same)
    let sid = s.handshake().await;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.engine
        .socket(&sid)
        .unwrap()
        .close(DisconnectReason::ForcedClose);
    assert_eq!(pending.await.unwrap().text(), "1");
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
}

#[tokio::test]
async fn server_close_without_a_next_poll_closes_after_close_timeout() {
    let mut s =
        Server::start(EngineConfig::default().close_timeout(Duration::from_millis(300))).await;
    let sid = s.handshake().await;
    let socket = s.engine.socket(&sid).unwrap();
    socket.try_send(Message::from("bye")).unwrap();
    socket.close(DisconnectReason::ForcedClose);
    assert_eq!(s.get(&sid).await.text(), "4bye");
    // no further poll: the session still closes, bounded by close_timeout
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    assert_eq!(s.get(&sid).await.status, 400);
}

#[tokio::test]
async fn engine_close_sends_close_to_pending_get() {
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let addr = s.addr;
    let path = s.url(&format!("transport=polling&sid={sid}"));
    let pending = tokio::spawn(async move { http(addr, "GET", &path, &[], b"").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.engine.close().await;
    assert_eq!(pending.await.unwrap().text(), "1");
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ForcedClose);
    assert_eq!(s.engine.session_count(), 0);
}

#[tokio::test]
async fn send_applies_backpressure() {
    let mut s = Server::start(EngineConfig::default().send_queue_capacity(2)).await;
    let sid = s.handshake().await;
    let socket = s.engine.socket(&sid).unwrap();
    socket.try_send(Message::from("a")).unwrap();
    socket.try_send(Message::from("b")).unwrap();
    assert!(matches!(
        socket.try_send(Message::from("c")),
        Err(engineio::TrySendError::Full(_))
    ));
    let sender = socket.clone();
    let waiting = tokio::spawn(async move { sender.send(Message::from("c")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished());
    assert_eq!(s.get(&sid).await.text(), "4a\x1e4b");
    tokio::time::timeout(STEP, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(s.get(&sid).await.text(), "4c");
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let s = Server::start(
        EngineConfig::default()
            .cors(engineio::CorsConfig::origins(["http://ok"]).credentials(true)),
    )
    .await;
    let res = http(
        s.addr,
        "OPTIONS",
        &s.url("transport=polling"),
        &[
            ("Origin", "http://ok"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some("http://ok"));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    let res = http(
        s.addr,
        "GET",
        &s.url("transport=polling"),
        &[("Origin", "http://ok")],
        b"",
    )
    .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some("http://ok"));
}

/// A Socket.IO packet with attachments is one text frame plus N binary frames: a batch
/// is queued whole or not at all, never cut by a full queue.
#[tokio::test]
async fn batches_are_queued_all_or_nothing() {
    let mut s = Server::start(EngineConfig::default().send_queue_capacity(3)).await;
    let sid = s.handshake().await;
    let socket = s.engine.socket(&sid).unwrap();
    let packet = |n: u8| -> Vec<Message> {
        vec![
            Message::from(format!("51-[\"file\",{{\"_placeholder\":true,\"num\":{n}}}]").as_str()),
            Message::from(bytes::Bytes::from(vec![n])),
        ]
    };
    socket.try_send(Message::from("a")).unwrap();
    socket.try_send_many(packet(1)).unwrap();
    // the queue is full: the whole batch comes back and nothing of it was queued
    match socket.try_send_many(packet(2)) {
        Err(engineio::TrySendError::Full(batch)) => assert_eq!(batch, packet(2)),
        other => panic!("expected Full, got {other:?}"),
    }
    assert!(socket.try_send_many(Vec::new()).is_ok());
    // send_many waits for room for the whole batch
    let sender = socket.clone();
    let waiting = tokio::spawn(async move { sender.send_many(packet(2)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiting.is_finished());
    assert_eq!(
        s.get(&sid).await.text(),
        "4a\x1e451-[\"file\",{\"_placeholder\":true,\"num\":1}]\x1ebAQ=="
    );
    tokio::time::timeout(STEP, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        s.get(&sid).await.text(),
        "451-[\"file\",{\"_placeholder\":true,\"num\":2}]\x1ebAg=="
    );
    // a batch larger than the whole capacity goes into an empty queue, in order
    let big: Vec<Message> = (0..5u8)
        .map(|i| Message::from(bytes::Bytes::from(vec![i])))
        .collect();
    socket.try_send_many(big).unwrap();
    assert!(matches!(
        socket.try_send(Message::from("x")),
        Err(engineio::TrySendError::Full(_))
    ));
    assert_eq!(
        s.get(&sid).await.text(),
        "bAA==\x1ebAQ==\x1ebAg==\x1ebAw==\x1ebBA=="
    );
    // closed: the batch comes back, and a waiting send_many is released
    socket.try_send(Message::from("y")).unwrap();
    socket.try_send_many(packet(3)).unwrap();
    let sender = socket.clone();
    let waiting = tokio::spawn(async move { sender.send_many(packet(4)).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    socket.close(DisconnectReason::ForcedClose);
    let err = tokio::time::timeout(STEP, waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.0, packet(4));
    assert!(matches!(
        socket.try_send_many(packet(5)),
        Err(engineio::TrySendError::Closed(_))
    ));
}

/// The polling side of the WebSocket writer's lost wake-up: a GET already waiting when
/// several tasks start sending at once must be answered (each GET within `STEP`, with
/// the default 25 s ping interval, so only the sends can answer it), and everything
/// arrives in order over the following GETs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiting_get_wakes_for_concurrent_senders() {
    const TASKS: usize = 8;
    const PER_TASK: usize = 30;
    let mut s = Server::start(EngineConfig::default()).await;
    let sid = s.handshake().await;
    let socket = s.engine.socket(&sid).unwrap();
    for round in 0..20 {
        let get = {
            let (addr, url) = (s.addr, s.url(&format!("transport=polling&sid={sid}")));
            tokio::spawn(async move { http(addr, "GET", &url, &[], b"").await })
        };
        // Alternately give the GET time to be waiting, or race it with the senders.
        if round % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let senders = spawn_concurrent_senders(&socket, TASKS, PER_TASK);
        let mut received = Vec::with_capacity(TASKS * PER_TASK);
        let mut res = get.await.unwrap();
        for _ in 0..TASKS * PER_TASK {
            assert_eq!(res.status, 200);
            for packet in res.text().split('\x1e') {
                match packet.strip_prefix('4') {
                    Some(m) => received.push(m.to_owned()),
                    None => panic!("round {round}: unexpected packet {packet:?}"),
                }
            }
            if received.len() >= TASKS * PER_TASK {
                break;
            }
            res = s.get(&sid).await;
        }
        for t in senders {
            t.await.unwrap();
        }
        check_concurrent_sequence(&received, TASKS, PER_TASK);
    }
    assert_eq!(s.post(&sid, b"1").await.status, 200);
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}
