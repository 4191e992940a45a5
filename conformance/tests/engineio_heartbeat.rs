//! Engine.IO v4 heartbeat with the official suites' timings (pingInterval 300,
//! pingTimeout 200): the server pings pingInterval after the session is
//! created, a missing pong closes the session, the deadline is strict, a ping
//! from the client is an error. Margins are generous (shared CI machines) but
//! each bound still separates right from wrong behaviour.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A ping must not come before this (pingInterval 300 minus scheduling slack).
const EARLIEST_PING: Duration = Duration::from_millis(250);
/// A ping must have come by this.
const LATEST_PING: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn polling_first_ping_comes_after_ping_interval() {
    let server = Server::start();
    let created = Instant::now();
    let sid = handshake(server.port).await;
    let resp = poll(server.port, &sid).await;
    let elapsed = created.elapsed();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "2", "nothing but the ping is sent before it");
    assert!(
        elapsed >= EARLIEST_PING,
        "first ping after only {elapsed:?}"
    );
    assert!(elapsed <= LATEST_PING, "first ping after {elapsed:?}");
}

#[tokio::test]
async fn websocket_first_ping_comes_after_ping_interval() {
    let server = Server::start();
    let created = Instant::now();
    let (mut ws, _sid) = ws_handshake(server.port, 300, 200).await;
    assert_eq!(ws_text(&mut ws).await, "2");
    let elapsed = created.elapsed();
    assert!(
        elapsed >= EARLIEST_PING,
        "first ping after only {elapsed:?}"
    );
    assert!(elapsed <= LATEST_PING, "first ping after {elapsed:?}");
}

#[tokio::test]
async fn pong_keeps_the_session_and_next_ping_follows_the_pong() {
    let server = Server::start();
    let (mut ws, _sid) = ws_handshake(server.port, 300, 200).await;
    for round in 0..4 {
        assert_eq!(ws_text(&mut ws).await, "2", "ping {round}");
        let ponged = Instant::now();
        ws_send_text(&mut ws, "3").await;
        if round == 3 {
            break;
        }
        let next = ws_text(&mut ws).await;
        let gap = ponged.elapsed();
        assert_eq!(next, "2");
        assert!(gap >= EARLIEST_PING, "next ping {gap:?} after the pong");
        assert!(gap <= LATEST_PING, "next ping {gap:?} after the pong");
        ws_send_text(&mut ws, "3").await;
        // Keep the session busy with a message too.
        ws_send_text(&mut ws, &format!("4round-{round}")).await;
        assert_eq!(ws_text(&mut ws).await, format!("4round-{round}"));
    }
    ws_send_text(&mut ws, "4alive").await;
    assert_eq!(ws_text(&mut ws).await, "4alive");
}

#[tokio::test]
async fn polling_pong_keeps_the_session() {
    let server = Server::start();
    let sid = handshake(server.port).await;
    for _ in 0..3 {
        assert_eq!(poll(server.port, &sid).await.text(), "2");
        assert_post_ok(&post(server.port, &sid, b"3").await);
    }
    assert_post_ok(&post(server.port, &sid, b"4alive").await);
    // Only messages are pending (the next ping is 300 ms after the last pong).
    let body = poll(server.port, &sid).await.text().to_owned();
    assert!(
        body == "4alive" || body == "4alive\u{1e}2",
        "unexpected payload {body:?}"
    );
}

#[tokio::test]
async fn websocket_without_pong_is_closed_after_ping_timeout() {
    let server = Server::start();
    let created = Instant::now();
    let (mut ws, _sid) = ws_handshake(server.port, 300, 200).await;
    assert_eq!(ws_text(&mut ws).await, "2");
    let pinged = Instant::now();
    ws_expect_closed(&mut ws, Duration::from_secs(3)).await;
    let after_ping = pinged.elapsed();
    let total = created.elapsed();
    assert!(
        after_ping >= Duration::from_millis(150),
        "closed {after_ping:?} after the ping, before pingTimeout"
    );
    assert!(
        total <= Duration::from_millis(300 + 200 + 1500),
        "closed only {total:?} after the handshake"
    );
    assert_eq!(session_count(server.port).await, 0);
}

#[tokio::test]
async fn polling_without_pong_gets_close_packet_and_session_ends() {
    let server = Server::start();
    let created = Instant::now();
    let sid = handshake(server.port).await;
    assert_eq!(poll(server.port, &sid).await.text(), "2");
    // No pong: the next pending GET is answered with the close packet.
    let resp = poll(server.port, &sid).await;
    let total = created.elapsed();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "1");
    assert!(
        total <= Duration::from_millis(300 + 200 + 1500),
        "closed only {total:?} after the handshake"
    );
    assert_session_gone(server.port, &sid).await;
}

#[tokio::test]
async fn request_after_the_deadline_sees_the_session_closed() {
    let server = Server::start();
    let created = Instant::now();
    let sid = handshake(server.port).await;
    assert_eq!(poll(server.port, &sid).await.text(), "2");
    // Well past pingInterval + pingTimeout: a late pong must not revive it.
    let deadline = Duration::from_millis(300 + 200 + 400);
    if let Some(rest) = deadline.checked_sub(created.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    let resp = post(server.port, &sid, b"3").await;
    assert_error(&resp, 400, 1, "Session ID unknown");
    assert_eq!(session_count(server.port).await, 0);
}

#[tokio::test]
async fn request_right_at_the_deadline_sees_the_session_closed() {
    // The ping is never fetched nor answered. A request sent exactly
    // pingInterval + pingTimeout after the handshake answer reaches the
    // server after the deadline (the session was created before its answer
    // was sent), so it must see the session closed whether or not the
    // server's timer has fired yet.
    let server = Server::start();
    for _ in 0..5 {
        let sid = handshake(server.port).await;
        tokio::time::sleep(Duration::from_millis(300 + 200)).await;
        assert_session_gone(server.port, &sid).await;
    }
}

#[tokio::test]
async fn ping_from_the_client_is_an_error() {
    let server = Server::start_calm();
    let sid = handshake_calm(server.port).await;
    let _ = try_request(
        server.port,
        "POST",
        &polling_target(&sid),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        b"2",
    )
    .await;
    assert_session_gone(server.port, &sid).await;

    let (mut ws, _sid) = ws_handshake(server.port, 10_000, 5_000).await;
    ws_send_text(&mut ws, "2").await;
    ws_expect_closed(&mut ws, Duration::from_secs(3)).await;
    assert!(wait_for_sessions(server.port, 0, Duration::from_secs(2))
        .await
        .is_ok());
    assert_still_serving(server.port).await;
}
