//! Interop with the real npm `socket.io-client` 4.x (conformance/node/sio-interop.js) in
//! each transport mode, with the JSON and msgpack parsers.
//!
//! Requires `node` and `conformance/node/node_modules` (`npm ci` there); fails with a
//! clear message when they are missing.

mod common;

use common::scenario::{self, Log};
use socketio_server::{Parser, SocketIo};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::task::JoinHandle;

fn node_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../conformance/node");
    for pkg in ["socket.io-client", "socket.io-msgpack-parser"] {
        assert!(
            dir.join("node_modules").join(pkg).is_dir(),
            "missing npm package {pkg}: run `npm ci` in {}",
            dir.display()
        );
    }
    dir
}

async fn start(io: &SocketIo, addr: SocketAddr) -> JoinHandle<()> {
    // The port may take a moment to be free again after a restart.
    let mut tries = 0;
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(e) => {
                tries += 1;
                assert!(tries < 100, "cannot rebind {addr}: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let io = io.clone();
    tokio::spawn(async move {
        let _ = io.serve(listener).await;
    })
}

async fn run(mode: &str, parser: &str) {
    let dir = node_dir();
    let make_parser = || match parser {
        "msgpack" => Parser::msgpack(),
        _ => Parser::json(),
    };
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let mut io = scenario::server(make_parser(), log.clone());
    let addr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let mut server = start(&io, addr).await;

    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("sio-interop.js"))
        .arg(format!("http://{addr}"))
        .arg(mode)
        .arg(parser)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("cannot run `node` (is Node.js installed?)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut steps = Vec::new();
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line == "RESTART" {
                io.close().await;
                server.abort();
                let _ = (&mut server).await;
                io = scenario::server(make_parser(), log.clone());
                server = start(&io, addr).await;
                continue;
            }
            steps.push(line);
        }
        child.wait().await.unwrap()
    })
    .await
    .expect("node scenario timed out");
    assert!(
        outcome.success(),
        "node scenario failed ({mode}, {parser}); steps done: {steps:?}"
    );
    assert_eq!(steps.last().map(String::as_str), Some(r#"{"done":true}"#));

    let log = log.lock().unwrap().clone();
    for expected in [
        "/ c server namespace disconnect",
        "/ b client namespace disconnect",
        "/dyn-42 dyn server namespace disconnect",
        "/chat chat server namespace disconnect",
        "/ a server namespace disconnect",
        "/ r server shutting down",
    ] {
        assert!(
            log.iter().any(|l| l == expected),
            "missing server-side disconnect {expected:?} in {log:?}"
        );
    }
    io.close().await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_polling() {
    run("polling", "json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_websocket() {
    run("websocket", "json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_upgrade() {
    run("upgrade", "json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_msgpack_polling() {
    run("polling", "msgpack").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_msgpack_websocket() {
    run("websocket", "msgpack").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_msgpack_upgrade() {
    run("upgrade", "msgpack").await;
}
