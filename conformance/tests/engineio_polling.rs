//! Engine.IO v4 long-polling: POST/GET framing, `\x1e` joining, `b`+base64
//! binary, content types, `Cache-Control: no-store`, long-poll waiting.

mod common;

use std::time::Duration;

use common::*;

fn assert_get_headers(resp: &HttpResponse) {
    assert_eq!(resp.status, 200, "GET status, body {:?}", resp.body);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn text_message_is_echoed() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    assert_post_ok(&post(server.port, &sid, b"4hello").await);
    let resp = poll(server.port, &sid).await;
    assert_get_headers(&resp);
    assert_eq!(resp.body, b"4hello");
}

#[tokio::test]
async fn payload_packets_are_joined_with_record_separator() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    assert_post_ok(&post(server.port, &sid, b"4a\x1e4bc\x1e4").await);
    let resp = poll(server.port, &sid).await;
    assert_get_headers(&resp);
    assert_eq!(resp.text(), "4a\x1e4bc\x1e4");
}

#[tokio::test]
async fn binary_travels_as_b_plus_base64() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    // [1, 2, 3] and [0, 255, 16, 127]
    assert_post_ok(&post(server.port, &sid, b"bAQID\x1e4text\x1ebAP8Qfw==").await);
    let resp = poll(server.port, &sid).await;
    assert_get_headers(&resp);
    assert_eq!(resp.text(), "bAQID\x1e4text\x1ebAP8Qfw==");
}

#[tokio::test]
async fn empty_binary_and_empty_text_round_trip() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    assert_post_ok(&post(server.port, &sid, b"b\x1e4").await);
    let resp = poll(server.port, &sid).await;
    assert_eq!(resp.text(), "b\x1e4");
}

#[tokio::test]
async fn utf8_text_is_preserved_byte_for_byte() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let payload = "4héllo € 😀 \u{1e}4日本".as_bytes();
    assert_post_ok(&post(server.port, &sid, payload).await);
    let resp = poll(server.port, &sid).await;
    assert_get_headers(&resp);
    assert_eq!(resp.body, payload);
}

#[tokio::test]
async fn long_poll_waits_until_something_is_queued() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let port = server.port;
    let sid2 = sid.clone();
    let pending = tokio::spawn(async move { poll(port, &sid2).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !pending.is_finished(),
        "GET must wait while nothing is queued"
    );
    assert_post_ok(&post(server.port, &sid, b"4wake").await);
    let resp = tokio::time::timeout(Duration::from_secs(2), pending)
        .await
        .expect("pending GET answered after the POST")
        .expect("join");
    assert_get_headers(&resp);
    assert_eq!(resp.body, b"4wake");
}

#[tokio::test]
async fn queued_messages_arrive_in_order_across_posts() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    for i in 0..20 {
        assert_post_ok(&post(server.port, &sid, format!("4m{i}").as_bytes()).await);
    }
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() == 20 {
            break;
        }
        let resp = poll(server.port, &sid).await;
        assert_get_headers(&resp);
        got.extend(resp.text().split('\u{1e}').map(str::to_owned));
    }
    let expected: Vec<String> = (0..20).map(|i| format!("4m{i}")).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn payload_just_under_max_payload_is_accepted() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let mut body = b"4".to_vec();
    body.resize(1_000_000, b'a');
    assert_post_ok(&post(server.port, &sid, &body).await);
    let resp = poll(server.port, &sid).await;
    assert_get_headers(&resp);
    assert_eq!(resp.body.len(), body.len());
    assert!(resp.body == body, "echoed payload differs");
}

#[tokio::test]
async fn noop_from_client_is_ignored() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    assert_post_ok(&post(server.port, &sid, b"6\x1e4after").await);
    let resp = poll(server.port, &sid).await;
    assert_eq!(resp.text(), "4after");
}

#[tokio::test]
async fn post_without_content_type_is_accepted() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let resp = request(server.port, "POST", &polling_target(&sid), &[], b"4plain").await;
    assert_post_ok(&resp);
    assert_eq!(poll(server.port, &sid).await.text(), "4plain");
}

/// Writes one request on an existing connection, keeping it alive.
async fn keep_alive_request(
    conn: &mut tokio::net::TcpStream,
    method: &str,
    target: &str,
    body: &[u8],
) -> HttpResponse {
    use tokio::io::AsyncWriteExt;
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    conn.write_all(&bytes).await.expect("write");
    tokio::time::timeout(IO_TIMEOUT, read_response(conn))
        .await
        .expect("response within 10 s")
        .expect("read")
        .expect("a response on the kept-alive connection")
}

#[tokio::test]
async fn one_keep_alive_connection_carries_a_whole_session() {
    let server = Server::start_calm();
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect");
    let open =
        keep_alive_request(&mut conn, "GET", "/engine.io/?EIO=4&transport=polling", b"").await;
    assert_eq!(open.status, 200);
    let sid = parse_open(open.text(), &["websocket"], 10_000, 5_000).sid;
    for i in 0..3 {
        let body = format!("4ka-{i}");
        assert_post_ok(
            &keep_alive_request(&mut conn, "POST", &polling_target(&sid), body.as_bytes()).await,
        );
        let resp = keep_alive_request(&mut conn, "GET", &polling_target(&sid), b"").await;
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(), body);
    }
}

#[tokio::test]
async fn internet_explorer_gets_x_xss_protection_0() {
    let server = Server::start_calm();
    let ua = "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko";
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[("User-Agent", ua)],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-xss-protection"), Some("0"));
    let sid = parse_open(resp.text(), &["websocket"], 10_000, 5_000).sid;
    let resp = request(
        server.port,
        "POST",
        &polling_target(&sid),
        &[
            ("User-Agent", ua),
            ("Content-Type", "text/plain;charset=UTF-8"),
        ],
        b"4ie",
    )
    .await;
    assert_post_ok(&resp);
    assert_eq!(resp.header("x-xss-protection"), Some("0"));
    // Other browsers do not get the header.
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
        )],
        b"",
    )
    .await;
    assert_eq!(resp.header("x-xss-protection"), None);
}

#[tokio::test]
async fn engine_path_is_a_prefix_with_trailing_slash() {
    let server = Server::start_calm();
    // Without the trailing slash the path is not the engine's.
    let resp = request(
        server.port,
        "GET",
        "/engine.io?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 404);
    // Anything under the prefix is the engine's (Node matches a prefix).
    let resp = request(
        server.port,
        "GET",
        "/engine.io/extra?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    parse_open(resp.text(), &["websocket"], 10_000, 5_000);
    let resp = request(server.port, "GET", "/somewhere-else", &[], b"").await;
    assert_eq!(resp.status, 404);
}
