//! Engine.IO v4 error answers: every row of the error table with its exact
//! JSON body and status, plus the other polling error statuses. After each
//! bad input the server must keep serving new sessions.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::test]
async fn unknown_or_missing_transport_is_code_0() {
    let server = Server::start_calm();
    for target in [
        "/engine.io/?EIO=4&transport=carrier-pigeon",
        "/engine.io/?EIO=4",
        "/engine.io/?EIO=4&transport=webtransport",
        "/engine.io/?EIO=4&transport=",
    ] {
        let resp = request(server.port, "GET", target, &[], b"").await;
        assert_error(&resp, 400, 0, "Transport unknown");
    }
    // The transport check comes before the protocol version check.
    let resp = request(server.port, "GET", "/engine.io/?transport=nope", &[], b"").await;
    assert_error(&resp, 400, 0, "Transport unknown");
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn unsupported_or_missing_protocol_version_is_code_5() {
    let server = Server::start_calm();
    for target in [
        "/engine.io/?EIO=3&transport=polling",
        "/engine.io/?EIO=5&transport=polling",
        "/engine.io/?transport=polling",
        "/engine.io/?EIO=&transport=polling",
        "/engine.io/?EIO=abc&transport=polling",
    ] {
        let resp = request(server.port, "GET", target, &[], b"").await;
        assert_error(&resp, 400, 5, "Unsupported protocol version");
    }
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn unknown_sid_is_code_1() {
    let server = Server::start_calm();
    let fake = "AAAAAAAAAAAAAAAAAAAA";
    assert_error(&poll(server.port, fake).await, 400, 1, "Session ID unknown");
    assert_error(
        &post(server.port, fake, b"4hello").await,
        400,
        1,
        "Session ID unknown",
    );
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn handshake_that_is_not_a_get_is_code_2() {
    let server = Server::start_calm();
    for method in ["POST", "PUT"] {
        let resp = request(
            server.port,
            method,
            "/engine.io/?EIO=4&transport=polling",
            &[("Content-Type", "text/plain;charset=UTF-8")],
            b"4hello",
        )
        .await;
        assert_error(&resp, 400, 2, "Bad handshake method");
    }
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn other_method_on_a_session_is_500() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let resp = request(server.port, "PUT", &polling_target(&sid), &[], b"4x").await;
    assert_eq!(resp.status, 500);
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn websocket_transport_without_upgrade_is_code_3() {
    let server = Server::start_calm();
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=websocket",
        &[],
        b"",
    )
    .await;
    assert_error(&resp, 400, 3, "Bad request");
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn transport_mismatch_is_code_3() {
    let server = Server::start_calm();
    // A polling session asked for over "websocket" without an Upgrade.
    let sid = handshake_calm(server.port).await;
    let resp = request(
        server.port,
        "GET",
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
        &[],
        b"",
    )
    .await;
    assert_error(&resp, 400, 3, "Bad request");
    // The session itself is unaffected.
    assert_post_ok(&post(server.port, &sid, b"4still-here").await);
    assert_eq!(poll(server.port, &sid).await.text(), "4still-here");

    // A WebSocket session asked for over polling.
    let (mut ws, ws_sid) = ws_handshake(server.port, 10_000, 5_000).await;
    assert_error(&poll(server.port, &ws_sid).await, 400, 3, "Bad request");
    assert_error(
        &post(server.port, &ws_sid, b"4x").await,
        400,
        3,
        "Bad request",
    );
    ws_send_text(&mut ws, "4ws-still-here").await;
    assert_eq!(ws_text(&mut ws).await, "4ws-still-here");
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn refused_websocket_upgrades_get_plain_http_400() {
    let server = Server::start_calm();
    for query in [
        "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA",
        "EIO=4&transport=bogus",
        "EIO=4",
    ] {
        let resp = raw_ws_upgrade(server.port, query)
            .await
            .unwrap_or_else(|| panic!("{query}: connection closed without an HTTP answer"));
        assert_eq!(resp.status, 400, "{query}");
    }
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn websocket_handshake_with_bad_protocol_version_gets_no_session() {
    // Node accepts the WebSocket (101) and then closes it without an open
    // packet; a plain 400 refusal is accepted too.
    let server = Server::start_calm();
    for query in [
        "EIO=3&transport=websocket",
        "transport=websocket",
        "EIO=abc&transport=websocket",
    ] {
        let url = server.ws_url(query);
        let attempt = tokio::time::timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .expect("answer to the upgrade");
        match attempt {
            Ok((mut ws, _)) => ws_expect_closed(&mut ws, std::time::Duration::from_secs(3)).await,
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 400, "{query}");
            }
            Err(other) => panic!("{query}: unexpected error {other}"),
        }
    }
    assert_eq!(session_count(server.port).await, 0);
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn octet_stream_post_is_rejected() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let resp = try_request(
        server.port,
        "POST",
        &polling_target(&sid),
        &[("Content-Type", "application/octet-stream")],
        b"4hello",
    )
    .await
    .expect("an HTTP answer to the octet-stream POST");
    assert_eq!(resp.status, 400);
    assert_still_serving(server.port).await;
}

/// POSTs `body` while reading concurrently: the server may answer before it
/// has read the whole body.
async fn post_streaming(port: u16, sid: &str, body: Vec<u8>) -> Option<HttpResponse> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (read_half, mut write_half) = stream.into_split();
    let head = build_request(
        port,
        "POST",
        &polling_target(sid),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        &body,
    );
    let writer = tokio::spawn(async move {
        // The server may stop reading and close: write errors are expected.
        let _ = write_half.write_all(&head).await;
        write_half
    });
    let mut stream_for_read = read_half;
    let resp = tokio::time::timeout(IO_TIMEOUT, async {
        read_response_half(&mut stream_for_read).await
    })
    .await
    .expect("answer to the oversized POST within 10 s");
    drop(writer);
    resp
}

async fn read_response_half(half: &mut tokio::net::tcp::OwnedReadHalf) -> Option<HttpResponse> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
            return Some(HttpResponse {
                status,
                headers: Vec::new(),
                body: Vec::new(),
            });
        }
        match half.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn post_over_max_payload_is_413() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let mut body = b"4".to_vec();
    body.resize(1_000_001, b'x');
    let resp = post_streaming(server.port, &sid, body)
        .await
        .expect("an HTTP answer to the oversized POST");
    assert_eq!(resp.status, 413);
    // Far over the limit too (the server must not buffer it all).
    let sid = handshake_calm(server.port).await;
    let mut body = b"4".to_vec();
    body.resize(8_000_000, b'y');
    let resp = post_streaming(server.port, &sid, body)
        .await
        .expect("an HTTP answer to the oversized POST");
    assert_eq!(resp.status, 413);
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn garbage_payload_closes_the_session() {
    let server = Server::start_calm();
    for garbage in [&b"zzz"[..], b"9", b"4ok\x1ex", b"\x1e\x1e"] {
        let sid = handshake_calm(server.port).await;
        // Node destroys the POST connection here; any answer or a close is fine,
        // what matters is that the session is gone.
        let _ = try_request(
            server.port,
            "POST",
            &polling_target(&sid),
            &[("Content-Type", "text/plain;charset=UTF-8")],
            garbage,
        )
        .await;
        assert_session_gone(server.port, &sid).await;
    }
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn second_concurrent_get_is_400_and_closes_the_session() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let port = server.port;
    let sid2 = sid.clone();
    let first = tokio::spawn(async move { poll(port, &sid2).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!first.is_finished(), "first GET should be pending");
    let second = poll(server.port, &sid).await;
    assert_eq!(second.status, 400);
    let first = tokio::time::timeout(Duration::from_secs(2), first)
        .await
        .expect("pending GET answered once the session closed")
        .expect("join");
    assert_eq!(first.status, 200);
    assert_eq!(first.text(), "1", "pending GET gets the close packet");
    assert_session_gone(server.port, &sid).await;
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn second_concurrent_post_is_400() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    // A POST whose body is still arriving.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect");
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 10\r\n\r\n4abc",
        polling_target(&sid)
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = post(server.port, &sid, b"4second").await;
    assert_eq!(second.status, 400);
    drop(slow);
    assert_still_serving(server.port).await;
}

#[tokio::test]
async fn aborted_pending_get_closes_the_session() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let mut conn = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect");
    conn.write_all(&build_request(
        server.port,
        "GET",
        &polling_target(&sid),
        &[],
        b"",
    ))
    .await
    .expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(conn);
    // Noop POSTs are harmless on a live session; once the server has noticed
    // the abort, the sid must be unknown.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let resp = post(server.port, &sid, b"6").await;
        if resp.status == 400 {
            assert_error(&resp, 400, 1, "Session ID unknown");
            break;
        }
        assert_post_ok(&resp);
        assert!(
            tokio::time::Instant::now() < deadline,
            "session still open 2 s after its pending GET was aborted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_session_gone(server.port, &sid).await;
    assert_still_serving(server.port).await;
}
