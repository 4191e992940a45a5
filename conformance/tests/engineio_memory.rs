//! Memory per idle WebSocket session: opens 10,000 WebSocket sessions over
//! loopback (long ping interval, so they stay idle), reads the server's RSS
//! from `/proc/<pid>/status` before and after, and prints bytes per session.
//! Only a sanity bound is asserted; the figure is recorded in
//! docs/benchmarks.md ("Engine.IO idle WebSocket memory").
//!
//! Run alone with output:
//! `cargo test -p conformance --release --test engineio_memory -- --nocapture`

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const SESSIONS: usize = 10_000;
const CONCURRENCY: usize = 64;
/// Sanity bound only: anything above this is clearly a leak or a huge buffer.
const MAX_BYTES_PER_SESSION: u64 = 64 * 1024;

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmRSS line");
    kib * 1024
}

async fn open_idle(port: u16) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket");
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
        .await
        .expect("ws handshake");
    match tokio::time::timeout(IO_TIMEOUT, ws.next()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) if t.as_str().starts_with("0{") => {}
        other => panic!("expected the open packet, got {other:?}"),
    }
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_websocket_session_memory() {
    // Client and server each hold ~10k sockets.
    let limit = rlimit::increase_nofile_limit(u64::from(u32::MAX)).expect("raise RLIMIT_NOFILE");
    assert!(
        limit >= (SESSIONS as u64) + 500,
        "open files limit {limit} is too low for {SESSIONS} sessions"
    );
    let server = Server::start_with(&["--ping-interval", "60000", "--ping-timeout", "60000"]);
    let port = server.port;
    // Warm up the runtime, allocator and listener.
    let warm: Vec<_> = futures_util::future::join_all((0..16).map(|_| open_idle(port))).await;
    drop(warm);
    wait_for_sessions(port, 0, Duration::from_secs(5))
        .await
        .expect("warm-up sessions closed");
    let before = rss_bytes(server.pid());

    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        tasks.push(tokio::spawn(async move {
            let ws = open_idle(port).await;
            drop(permit);
            ws
        }));
    }
    let mut sockets = Vec::with_capacity(SESSIONS);
    for task in tasks {
        sockets.push(task.await.expect("open task"));
    }
    let opened_in = started.elapsed();
    assert_eq!(session_count(port).await, SESSIONS);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_bytes(server.pid());
    let per_session = after.saturating_sub(before) / SESSIONS as u64;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "engine.io idle websocket memory: {SESSIONS} sessions opened in {opened_in:?}; \
             server RSS {before} -> {after} bytes; {per_session} bytes/session"
        );
    }
    assert!(
        per_session < MAX_BYTES_PER_SESSION,
        "{per_session} bytes of RSS per idle session"
    );
    drop(sockets);
}
