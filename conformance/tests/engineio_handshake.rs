//! Engine.IO v4 handshake: the open packet over polling and WebSocket, session
//! ids, the command-line timings, unknown query parameters and CORS.

mod common;

use std::collections::HashSet;

use common::*;

#[tokio::test]
async fn polling_handshake_answers_the_exact_open_packet() {
    let server = Server::start();
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let open = parse_open(resp.text(), &["websocket"], 300, 200);
    assert_eq!(
        resp.text(),
        expected_open(&open.sid, &["websocket"], 300, 200, 1_000_000)
    );
    // Nothing else was sent with the open packet.
    assert!(!resp.body.contains(&0x1e), "{:?}", resp.text());
}

#[tokio::test]
async fn websocket_only_handshake_has_no_upgrades() {
    let server = Server::start();
    let mut ws = ws_connect(server.port, "EIO=4&transport=websocket").await;
    let open = ws_text(&mut ws).await;
    let parsed = parse_open(&open, &[], 300, 200);
    assert_eq!(open, expected_open(&parsed.sid, &[], 300, 200, 1_000_000));
}

#[tokio::test]
async fn session_ids_are_unique_and_url_safe() {
    let server = Server::start_calm();
    let mut seen = HashSet::new();
    for _ in 0..100 {
        let sid = handshake_calm(server.port).await;
        assert_sid_shape(&sid);
        assert!(seen.insert(sid.clone()), "duplicate sid {sid}");
    }
    let (_ws, sid) = ws_handshake(server.port, 10_000, 5_000).await;
    assert!(seen.insert(sid.clone()), "duplicate sid {sid}");
}

#[tokio::test]
async fn timings_come_from_the_command_line() {
    let server = Server::start_with(&["--ping-interval", "1234", "--ping-timeout", "567"]);
    handshake_with(server.port, 1234, 567).await;
    let (_ws, _sid) = ws_handshake(server.port, 1234, 567).await;
}

#[tokio::test]
async fn max_payload_comes_from_the_command_line() {
    let server = Server::start_with(&["--max-payload", "4321"]);
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    let body = resp.text();
    let sid = body
        .strip_prefix("0{\"sid\":\"")
        .and_then(|rest| rest.get(..20))
        .unwrap_or_else(|| panic!("open packet {body:?}"));
    assert_eq!(body, expected_open(sid, &["websocket"], 300, 200, 4321));
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let server = Server::start_calm();
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling&t=PmZ1x2k&b64=1&foo=bar",
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    let open = parse_open(resp.text(), &["websocket"], 10_000, 5_000);
    let resp = request(
        server.port,
        "POST",
        &format!(
            "/engine.io/?EIO=4&transport=polling&sid={}&t=abc&x=1",
            open.sid
        ),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        b"4hi",
    )
    .await;
    assert_post_ok(&resp);
    let resp = request(
        server.port,
        "GET",
        &format!("/engine.io/?t=zzz&sid={}&transport=polling&EIO=4", open.sid),
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.text(), "4hi");
}

#[tokio::test]
async fn cors_allows_any_origin() {
    let server = Server::start_calm();
    let resp = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[("Origin", "http://example.test")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("access-control-allow-origin"), Some("*"));
    let preflight = request(
        server.port,
        "OPTIONS",
        "/engine.io/?EIO=4&transport=polling",
        &[
            ("Origin", "http://example.test"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    )
    .await;
    assert!(
        preflight.status == 204 || preflight.status == 200,
        "preflight status {}",
        preflight.status
    );
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    let methods = preflight
        .header("access-control-allow-methods")
        .unwrap_or_default()
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "allow-methods {methods:?}");
}
