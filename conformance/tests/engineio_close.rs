//! Engine.IO v4 close: from the client (`1`) and from the server (the echo
//! server closes a session when it receives the text `close-me`).

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn polling_close_from_client() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    assert_post_ok(&post(server.port, &sid, b"1").await);
    assert_session_gone(server.port, &sid).await;
    assert_eq!(session_count(server.port).await, 0);
}

#[tokio::test]
async fn polling_close_from_client_releases_pending_get_with_noop() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let sid2 = sid.clone();
    let pending = tokio::spawn(async move { poll(port, &sid2).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!pending.is_finished());
    assert_post_ok(&post(port, &sid, b"1").await);
    let resp = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("pending GET released")
        .expect("join");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "6");
    assert_session_gone(port, &sid).await;
}

#[tokio::test]
async fn websocket_close_from_client() {
    // A WebSocket client closes by closing the WebSocket (engine.io-client
    // sends no `1` there); the server must end the session.
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    assert_eq!(session_count(server.port).await, 1);
    ws.close(None).await.expect("send close frame");
    ws_expect_closed(&mut ws, Duration::from_secs(3)).await;
    drop(ws);
    assert!(wait_for_sessions(server.port, 0, Duration::from_secs(2))
        .await
        .is_ok());
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn websocket_dropped_by_client_ends_the_session() {
    let server = Server::start_calm();
    let (ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    assert_eq!(session_count(server.port).await, 1);
    drop(ws);
    assert!(wait_for_sessions(server.port, 0, Duration::from_secs(2))
        .await
        .is_ok());
}

#[tokio::test]
async fn polling_close_from_server_with_get_pending() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let sid2 = sid.clone();
    let pending = tokio::spawn(async move { poll(port, &sid2).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_post_ok(&post(port, &sid, b"4close-me").await);
    let resp = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("pending GET released")
        .expect("join");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "1");
    assert_session_gone(port, &sid).await;
    assert_eq!(session_count(port).await, 0);
}

#[tokio::test]
async fn polling_close_from_server_waits_for_the_next_get() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    assert_post_ok(&post(port, &sid, b"4before\x1e4close-me").await);
    // The queued echo is delivered first, then the close packet (Node may
    // split them over two GETs, the second one carrying a noop first).
    let mut packets: Vec<String> = Vec::new();
    for _ in 0..3 {
        let resp = poll(port, &sid).await;
        assert_eq!(resp.status, 200);
        packets.extend(
            resp.text()
                .split('\u{1e}')
                .filter(|p| *p != "6")
                .map(str::to_owned),
        );
        if packets.last().map(String::as_str) == Some("1") {
            break;
        }
    }
    assert_eq!(packets, ["4before", "1"]);
    assert_session_gone(port, &sid).await;
}

#[tokio::test]
async fn websocket_close_from_server() {
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    ws_send_text(&mut ws, "4before").await;
    assert_eq!(ws_text(&mut ws).await, "4before");
    ws_send_text(&mut ws, "4close-me").await;
    ws_expect_closed(&mut ws, Duration::from_secs(3)).await;
    assert!(wait_for_sessions(server.port, 0, Duration::from_secs(2))
        .await
        .is_ok());
    assert_still_serving(server.port).await;
}
