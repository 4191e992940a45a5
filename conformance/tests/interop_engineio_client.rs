//! Interop with the real npm `engine.io-client` 6.x (and a raw `ws` client),
//! driven through the Node scripts in `conformance/node/`. Needs
//! `npm ci` in `conformance/node` (the tests fail with that hint otherwise).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// Runs a Node script from conformance/node and parses its one JSON line.
async fn run_node(script: &str, args: &[&str], env: &[(&str, &str)]) -> Value {
    let dir = node_dir();
    assert!(
        dir.join("node_modules/engine.io-client/package.json")
            .exists()
            && dir.join("node_modules/ws/package.json").exists(),
        "npm peers missing: run `npm ci` in {}",
        dir.display()
    );
    let mut cmd = Command::new("node");
    cmd.arg(dir.join(script))
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node (is Node.js installed?): {e}"));
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("node script finished within 60 s")
    .expect("join")
    .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stdout.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("{script} {args:?}: bad output {stdout:?} ({e}); stderr {stderr}")
    });
    assert!(
        output.status.success() && value["ok"] == Value::Bool(true),
        "{script} {args:?} failed: {value} stderr {stderr}"
    );
    value
}

async fn echo(mode: &str, expected_transport: &str) {
    let server = Server::start_calm();
    let result = run_node("eio-client.js", &[&server.http_url(), mode, "echo"], &[]).await;
    assert_eq!(result["received"], 1000);
    assert_eq!(result["transport"], expected_transport, "{result}");
    // The server saw the client's close (long before any ping timeout).
    wait_for_sessions(server.port, 0, Duration::from_secs(3))
        .await
        .unwrap_or_else(|left| panic!("{left} sessions left after the client closed"));
}

#[tokio::test]
async fn polling_echo_and_client_close() {
    echo("polling", "polling").await;
}

#[tokio::test]
async fn websocket_echo_and_client_close() {
    echo("websocket", "websocket").await;
}

#[tokio::test]
async fn upgrade_echo_and_client_close() {
    echo("upgrade", "websocket").await;
}

async fn server_close(mode: &str) {
    let server = Server::start_calm();
    let result = run_node(
        "eio-client.js",
        &[&server.http_url(), mode, "server-close"],
        &[],
    )
    .await;
    assert_eq!(result["reason"], "transport close", "{result}");
    wait_for_sessions(server.port, 0, Duration::from_secs(3))
        .await
        .unwrap_or_else(|left| panic!("{left} sessions left after the server closed"));
}

#[tokio::test]
async fn polling_client_sees_server_close() {
    server_close("polling").await;
}

#[tokio::test]
async fn websocket_client_sees_server_close() {
    server_close("websocket").await;
}

#[tokio::test]
async fn upgraded_client_sees_server_close() {
    server_close("upgrade").await;
}

/// With the suites' short timings the client stays connected across several
/// heartbeats (the client also checks the server's pings arrive in time).
async fn heartbeat(mode: &str) {
    let server = Server::start();
    let result = run_node(
        "eio-client.js",
        &[&server.http_url(), mode, "heartbeat"],
        &[("HOLD_MS", "2000")],
    )
    .await;
    let pings = result["pings"].as_u64().expect("pings");
    assert!(
        (3..=8).contains(&pings),
        "{pings} pings in 2 s with pingInterval 300"
    );
}

#[tokio::test]
async fn polling_heartbeat_with_short_timings() {
    heartbeat("polling").await;
}

#[tokio::test]
async fn websocket_heartbeat_with_short_timings() {
    heartbeat("websocket").await;
}

#[tokio::test]
async fn upgrade_heartbeat_with_short_timings() {
    heartbeat("upgrade").await;
}

#[tokio::test]
async fn silent_client_is_dropped_after_ping_timeout() {
    let server = Server::start();
    let url = server.ws_url("EIO=4&transport=websocket");
    let result = run_node("eio-silent.js", &[&url], &[]).await;
    assert_eq!(result["pings"], 1, "{result}");
    let closed_after = result["closedAfterMs"].as_u64().expect("closedAfterMs");
    // pingInterval 300 + pingTimeout 200, with margin either side.
    assert!(
        (400..=2000).contains(&closed_after),
        "dropped {closed_after} ms after the open packet"
    );
    assert_eq!(session_count(server.port).await, 0);
}
