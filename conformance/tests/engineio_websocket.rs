//! Engine.IO v4 over a WebSocket-only session: one packet per frame, text as
//! `4...` text frames, binary as raw binary frames, order, parse errors.

mod common;

use std::time::Duration;

use common::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[tokio::test]
async fn text_and_binary_are_echoed_in_their_own_frame_kinds() {
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    ws_send_text(&mut ws, "4hello").await;
    assert_eq!(ws_text(&mut ws).await, "4hello");
    ws_send_binary(&mut ws, &[1, 2, 3, 0, 255]).await;
    match ws_next(&mut ws, IO_TIMEOUT).await {
        Some(WsMessage::Binary(b)) => assert_eq!(&b[..], &[1, 2, 3, 0, 255]),
        other => panic!("expected a binary frame, got {other:?}"),
    }
    ws_send_text(&mut ws, "4héllo € 😀").await;
    assert_eq!(ws_text(&mut ws).await, "4héllo € 😀");
    ws_send_text(&mut ws, "4").await;
    assert_eq!(ws_text(&mut ws).await, "4");
    ws_send_binary(&mut ws, &[]).await;
    match ws_next(&mut ws, IO_TIMEOUT).await {
        Some(WsMessage::Binary(b)) => assert!(b.is_empty()),
        other => panic!("expected an empty binary frame, got {other:?}"),
    }
}

#[tokio::test]
async fn a_thousand_messages_each_way_arrive_in_order() {
    let server = Server::start_calm();
    let (ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    let (mut sink, mut stream) = futures_util::StreamExt::split(ws);
    let writer = tokio::spawn(async move {
        use futures_util::SinkExt;
        for i in 0..1000u32 {
            if i % 2 == 0 {
                sink.send(WsMessage::text(format!("4msg-{i}"))).await?;
            } else {
                sink.send(WsMessage::binary(i.to_be_bytes().to_vec()))
                    .await?;
            }
        }
        Ok::<_, tokio_tungstenite::tungstenite::Error>(sink)
    });
    for i in 0..1000u32 {
        let frame = tokio::time::timeout(IO_TIMEOUT, futures_util::StreamExt::next(&mut stream))
            .await
            .expect("echo within 10 s")
            .expect("stream open")
            .expect("frame");
        if i % 2 == 0 {
            assert_eq!(frame, WsMessage::text(format!("4msg-{i}")), "message {i}");
        } else {
            assert_eq!(
                frame,
                WsMessage::binary(i.to_be_bytes().to_vec()),
                "message {i}"
            );
        }
    }
    let _sink = writer.await.expect("join").expect("writes");
}

#[tokio::test]
async fn noop_from_client_is_ignored() {
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    ws_send_text(&mut ws, "6").await;
    ws_send_text(&mut ws, "4after-noop").await;
    assert_eq!(ws_text(&mut ws).await, "4after-noop");
}

#[tokio::test]
async fn unknown_packet_type_closes_the_session() {
    let server = Server::start_calm();
    for garbage in ["x", "9", ""] {
        let (mut ws, sid) = ws_handshake(server.port, 10_000, 5_000).await;
        ws_send_text(&mut ws, garbage).await;
        ws_expect_closed(&mut ws, Duration::from_secs(3)).await;
        assert!(
            wait_for_sessions(server.port, 0, Duration::from_secs(2))
                .await
                .is_ok(),
            "session {sid} still counted after a parse error"
        );
    }
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn frame_over_max_payload_closes_the_session() {
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    let big = format!("4{}", "z".repeat(1_000_100));
    // The server may close while we are still writing.
    let _ = futures_util::SinkExt::send(&mut ws, WsMessage::text(big)).await;
    ws_expect_closed(&mut ws, Duration::from_secs(5)).await;
    assert!(
        wait_for_sessions(server.port, 0, Duration::from_secs(2))
            .await
            .is_ok(),
        "oversized frame did not end the session"
    );
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn frame_of_exactly_max_payload_is_accepted() {
    let server = Server::start_calm();
    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    let text = format!("4{}", "q".repeat(999_999));
    assert_eq!(text.len(), 1_000_000);
    ws_send_text(&mut ws, &text).await;
    let echoed = ws_text(&mut ws).await;
    assert!(echoed == text, "echo of the 1,000,000-byte frame differs");
    let data = vec![7u8; 1_000_000];
    ws_send_binary(&mut ws, &data).await;
    match ws_next(&mut ws, IO_TIMEOUT).await {
        Some(WsMessage::Binary(b)) => assert!(b[..] == data[..], "binary echo differs"),
        other => panic!("expected the binary echo, got {:?}", other.map(|m| m.len())),
    }
}
