//! Engine.IO v4 polling → WebSocket upgrade: `2probe`/`3probe`, the prompt
//! noop on pending GETs, `5`, buffered messages flushed over the WebSocket,
//! polling refused afterwards, a second WebSocket for the same sid refused.

mod common;

use std::time::Duration;

use common::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Opens the probe WebSocket for `sid` and checks `2probe` → `3probe`.
async fn probe(port: u16, sid: &str) -> Ws {
    let mut ws = ws_connect(port, &format!("EIO=4&transport=websocket&sid={sid}")).await;
    ws_send_text(&mut ws, "2probe").await;
    // No open packet on an upgrading WebSocket: the first frame is the probe answer.
    assert_eq!(ws_text(&mut ws).await, "3probe");
    ws
}

#[tokio::test]
async fn full_upgrade_sequence() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let sid2 = sid.clone();
    let pending = tokio::spawn(async move { poll(port, &sid2).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !pending.is_finished(),
        "GET should be pending before the upgrade"
    );

    let mut ws = probe(port, &sid).await;
    // The pending GET is released with a noop promptly (pingInterval is 10 s).
    let released = tokio::time::timeout(Duration::from_millis(1500), pending)
        .await
        .expect("pending GET answered with a noop promptly during the upgrade")
        .expect("join");
    assert_eq!(released.status, 200);
    assert_eq!(released.text(), "6");

    ws_send_text(&mut ws, "5").await;
    ws_send_text(&mut ws, "4over-ws").await;
    assert_eq!(ws_text(&mut ws).await, "4over-ws");
    ws_send_binary(&mut ws, &[0, 1, 2, 255]).await;
    match ws_next(&mut ws, IO_TIMEOUT).await {
        Some(WsMessage::Binary(b)) => assert_eq!(&b[..], &[0, 1, 2, 255]),
        other => panic!("expected the binary echo, got {other:?}"),
    }

    // Polling with the upgraded sid is refused: the session now uses WebSocket.
    assert_error(&poll(port, &sid).await, 400, 3, "Bad request");
    assert_error(&post(port, &sid, b"4x").await, 400, 3, "Bad request");
    // The WebSocket is unaffected by those refusals.
    ws_send_text(&mut ws, "4still").await;
    assert_eq!(ws_text(&mut ws).await, "4still");
}

#[tokio::test]
async fn get_arriving_during_the_upgrade_gets_a_noop_promptly() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let mut ws = probe(port, &sid).await;
    let started = std::time::Instant::now();
    let resp = poll(port, &sid).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "6");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "noop took {:?}",
        started.elapsed()
    );
    ws_send_text(&mut ws, "5").await;
    ws_send_text(&mut ws, "4done").await;
    assert_eq!(ws_text(&mut ws).await, "4done");
}

#[tokio::test]
async fn messages_buffered_during_the_upgrade_are_flushed_over_websocket() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let mut ws = probe(port, &sid).await;
    // Still on polling: a POST is accepted; its echo waits (no GET pending).
    assert_post_ok(&post(port, &sid, b"4during-1\x1e4during-2").await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    ws_send_text(&mut ws, "5").await;
    assert_eq!(ws_text(&mut ws).await, "4during-1");
    assert_eq!(ws_text(&mut ws).await, "4during-2");
    ws_send_text(&mut ws, "4after").await;
    assert_eq!(ws_text(&mut ws).await, "4after");
}

/// A second WebSocket for an sid must not take over: either the upgrade is
/// refused, or the socket is closed without answering the probe.
async fn assert_second_websocket_refused(port: u16, sid: &str) {
    let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket&sid={sid}");
    let connected = tokio::time::timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .expect("second WebSocket attempt answered");
    if let Ok((mut second, _)) = connected {
        use futures_util::SinkExt;
        let _ = second.send(WsMessage::text("2probe")).await;
        ws_expect_closed(&mut second, Duration::from_secs(3)).await;
    }
}

#[tokio::test]
async fn second_websocket_after_the_upgrade_is_refused() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let mut ws = probe(port, &sid).await;
    ws_send_text(&mut ws, "5").await;
    ws_send_text(&mut ws, "4one").await;
    assert_eq!(ws_text(&mut ws).await, "4one");

    assert_second_websocket_refused(port, &sid).await;

    ws_send_text(&mut ws, "4first-still-works").await;
    assert_eq!(ws_text(&mut ws).await, "4first-still-works");
    assert_eq!(session_count(port).await, 1);
}

#[tokio::test]
async fn second_websocket_during_the_upgrade_is_refused() {
    let server = Server::start_calm();
    let port = server.port;
    let sid = handshake_calm(port).await;
    let mut ws = probe(port, &sid).await;

    assert_second_websocket_refused(port, &sid).await;

    ws_send_text(&mut ws, "5").await;
    ws_send_text(&mut ws, "4first-completes").await;
    assert_eq!(ws_text(&mut ws).await, "4first-completes");
}

#[tokio::test]
async fn upgrade_then_heartbeat_runs_over_websocket() {
    let server = Server::start_with(&["--ping-interval", "400", "--ping-timeout", "2000"]);
    let port = server.port;
    let sid = handshake_with(port, 400, 2000).await;
    let mut ws = probe(port, &sid).await;
    ws_send_text(&mut ws, "5").await;
    // Pings now arrive on the WebSocket; answering keeps the session alive.
    for _ in 0..3 {
        assert_eq!(ws_text(&mut ws).await, "2");
        ws_send_text(&mut ws, "3").await;
    }
    ws_send_text(&mut ws, "4alive").await;
    assert_eq!(ws_text(&mut ws).await, "4alive");
}

#[tokio::test]
async fn unfinished_upgrade_is_cancelled_after_upgrade_timeout() {
    let server = Server::start_with(&[
        "--ping-interval",
        "10000",
        "--ping-timeout",
        "5000",
        "--upgrade-timeout",
        "500",
    ]);
    let port = server.port;
    let sid = handshake_calm(port).await;
    let started = std::time::Instant::now();
    let mut ws = probe(port, &sid).await;
    // No `5`: the probe WebSocket is closed once upgradeTimeout passes.
    ws_expect_closed(&mut ws, Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(400),
        "probe WebSocket closed after only {elapsed:?}"
    );
    // The session itself goes on over polling.
    assert_post_ok(&post(port, &sid, b"4still-polling").await);
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
        if !packets.is_empty() {
            break;
        }
    }
    assert_eq!(packets, ["4still-polling"]);
    assert_eq!(session_count(port).await, 1);
}
