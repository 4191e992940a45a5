//! Interop with python-socketio's client (`pip install "python-socketio[client]"`):
//! connect with auth, emit with ack, receive a room broadcast, over polling (+ upgrade)
//! and WebSocket only. Fails with a clear message when the package is missing.

mod common;

use common::scenario;
use socketio_server::Parser;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SCRIPT: &str = r#"
import sys, threading
import socketio

url, transports = sys.argv[1], sys.argv[2].split(",")
sio = socketio.Client(reconnection=False)
box = {}
welcome, room = threading.Event(), threading.Event()

@sio.on("welcome")
def on_welcome(*args):
    box["welcome"] = args
    welcome.set()

@sio.on("room-msg")
def on_room(*args):
    box["room"] = args
    room.set()

sio.connect(url, auth={"token": "secret", "label": "py"}, transports=transports, wait_timeout=10)
assert welcome.wait(10), "no welcome"
assert box["welcome"] == ("/", {"token": "secret", "label": "py"}), box["welcome"]
echoed = sio.call("echo", ("x", {"y": [1, 2]}, 3), timeout=10)
assert echoed == ("x", {"y": [1, 2]}, 3), echoed
assert sio.call("echo", "single", timeout=10) == "single"
sio.call("join", (["pyroom"],), timeout=10)
sio.call("to-rooms", (["pyroom"], [], "room-msg"), timeout=10)
assert room.wait(10), "no room broadcast"
assert box["room"] == (sio.get_sid(),), box["room"]
sio.disconnect()
print("OK")
"#;

fn python() -> &'static str {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import socketio, websocket"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "python3 with python-socketio's client is required: pip install \"python-socketio[client]\""
    );
    "python3"
}

async fn run(transports: &str) {
    let py = python();
    let log = Arc::new(Mutex::new(Vec::new()));
    let io = scenario::server(Parser::json(), log.clone());
    let addr = common::serve(&io).await;
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(py)
            .args(["-c", SCRIPT, &format!("http://{addr}"), transports])
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("python client timed out")
    .expect("cannot run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "python client failed ({transports}):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Not an engine allowance: python-socketio's `disconnect()` queues DISCONNECT for
    // python-engineio's writer thread, whose `disconnect()` then closes the WebSocket
    // from the calling thread, so the close can overtake the DISCONNECT (a Node server
    // sees the same race). Either way the socket disconnects exactly once.
    let py_lines = || -> Vec<String> {
        let log = log.lock().unwrap();
        log.iter()
            .filter(|l| l.starts_with("/ py "))
            .cloned()
            .collect()
    };
    common::eventually(|| !py_lines().is_empty()).await;
    io.close().await;
    let py = py_lines();
    assert!(
        py == ["/ py client namespace disconnect"] || py == ["/ py transport close"],
        "python client disconnections seen by the server: {py:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_polling_and_upgrade() {
    run("polling,websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_websocket() {
    run("websocket").await;
}
