//! The Socket.IO part of the official socket.io-protocol v5 test suite, against the
//! conformance server's `/socket.io/` contract (conformance/src/socketio_contract.rs):
//! same requests, same expected bytes, over a raw WebSocket.

mod common;

use std::time::Duration;

use common::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;

async fn sio_connect(port: u16) -> Ws {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = tokio::time::timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .expect("ws connect timed out")
        .expect("ws connect");
    ws
}

/// Next text frame that is not a ping (answered).
async fn text(ws: &mut Ws) -> String {
    loop {
        let t = ws_text(ws).await;
        if t == "2" {
            ws_send_text(ws, "3").await;
            continue;
        }
        return t;
    }
}

/// Engine handshake, `40`, CONNECT reply and the `auth` packet.
async fn init(port: u16) -> Ws {
    let mut ws = sio_connect(port).await;
    assert!(ws_text(&mut ws).await.starts_with('0'));
    ws_send_text(&mut ws, "40").await;
    assert!(text(&mut ws).await.starts_with("40{\"sid\":"));
    assert_eq!(text(&mut ws).await, r#"42["auth",{}]"#);
    ws
}

fn sid_of(packet: &str, prefix: &str) -> String {
    let body = packet
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{packet}"));
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 1, "only sid expected: {packet}");
    obj["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn connect_to_main_namespace_with_and_without_payload() {
    let server = Server::start();
    for (send, auth) in [("40", "{}"), (r#"40{"token":"123"}"#, r#"{"token":"123"}"#)] {
        let mut ws = sio_connect(server.port).await;
        ws_text(&mut ws).await;
        ws_send_text(&mut ws, send).await;
        let sid = sid_of(&text(&mut ws).await, "40");
        assert_eq!(sid.len(), 20);
        assert_eq!(text(&mut ws).await, format!(r#"42["auth",{auth}]"#));
    }
}

#[tokio::test]
async fn connect_to_custom_namespace_with_and_without_payload() {
    let server = Server::start();
    for (send, auth) in [
        ("40/custom,", "{}"),
        (r#"40/custom,{"token":"abc"}"#, r#"{"token":"abc"}"#),
    ] {
        let mut ws = sio_connect(server.port).await;
        ws_text(&mut ws).await;
        ws_send_text(&mut ws, send).await;
        sid_of(&text(&mut ws).await, "40/custom,");
        assert_eq!(text(&mut ws).await, format!(r#"42/custom,["auth",{auth}]"#));
    }
}

#[tokio::test]
async fn unknown_namespace_and_invalid_handshake() {
    let server = Server::start();
    let mut ws = sio_connect(server.port).await;
    ws_text(&mut ws).await;
    ws_send_text(&mut ws, "40/random").await;
    assert_eq!(
        text(&mut ws).await,
        r#"44/random,{"message":"Invalid namespace"}"#
    );

    let mut ws = sio_connect(server.port).await;
    ws_text(&mut ws).await;
    ws_send_text(&mut ws, "4abc").await;
    ws_expect_closed(&mut ws, IO_TIMEOUT).await;
}

#[tokio::test]
async fn no_handshake_closes_after_connect_timeout() {
    let server = Server::start();
    let mut ws = sio_connect(server.port).await;
    ws_text(&mut ws).await;
    // connectTimeout is 1000 ms; pings keep the engine session alive meanwhile.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "not closed");
        match ws_next(&mut ws, IO_TIMEOUT).await {
            None => break,
            Some(WsMessage::Text(t)) if t.as_str() == "2" => ws_send_text(&mut ws, "3").await,
            Some(WsMessage::Text(t)) if t.as_str() == "1" => {}
            Some(other) => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn disconnect_from_main_namespace_keeps_the_connection() {
    let server = Server::start();
    let mut ws = init(server.port).await;
    ws_send_text(&mut ws, "41").await;
    assert_eq!(ws_text(&mut ws).await, "2");
}

#[tokio::test]
async fn connect_then_disconnect_from_custom_namespace() {
    let server = Server::start();
    let mut ws = init(server.port).await;
    ws_send_text(&mut ws, "40/custom").await;
    sid_of(&text(&mut ws).await, "40/custom,");
    assert_eq!(text(&mut ws).await, r#"42/custom,["auth",{}]"#);
    ws_send_text(&mut ws, "41/custom").await;
    ws_send_text(&mut ws, r#"42["message","message to main namespace"]"#).await;
    assert_eq!(
        text(&mut ws).await,
        r#"42["message-back","message to main namespace"]"#
    );
}

#[tokio::test]
async fn plain_text_and_binary_messages_with_and_without_ack() {
    let server = Server::start();
    let mut ws = init(server.port).await;
    ws_send_text(&mut ws, r#"42["message",1,"2",{"3":[true]}]"#).await;
    assert_eq!(
        text(&mut ws).await,
        r#"42["message-back",1,"2",{"3":[true]}]"#
    );

    ws_send_text(&mut ws, r#"42456["message-with-ack",1,"2",{"3":[false]}]"#).await;
    assert_eq!(text(&mut ws).await, r#"43456[1,"2",{"3":[false]}]"#);

    for (send, expect) in [
        (
            r#"452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            r#"452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
        (
            r#"452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            r#"462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        ),
    ] {
        ws_send_text(&mut ws, send).await;
        ws_send_binary(&mut ws, &[1, 2, 3]).await;
        ws_send_binary(&mut ws, &[4, 5, 6]).await;
        assert_eq!(text(&mut ws).await, expect);
        for data in [[1u8, 2, 3], [4, 5, 6]] {
            match ws_next(&mut ws, IO_TIMEOUT).await {
                Some(WsMessage::Binary(b)) => assert_eq!(&b[..], &data),
                other => panic!("expected a binary frame, got {other:?}"),
            }
        }
    }
    let _ = ws.close(None).await;
}

#[tokio::test]
async fn invalid_formats_close_the_connection() {
    let server = Server::start();
    for bad in [
        "4abc",
        "42{}",
        r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#,
    ] {
        let mut ws = init(server.port).await;
        ws_send_text(&mut ws, bad).await;
        loop {
            match ws_next(&mut ws, IO_TIMEOUT).await {
                None => break,
                Some(WsMessage::Text(t)) if t.as_str() == "1" || t.as_str() == "2" => {}
                Some(other) => panic!("{bad}: unexpected {other:?}"),
            }
        }
    }
}
