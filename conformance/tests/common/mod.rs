//! Shared helpers for the conformance tests: a guard that runs the
//! `conformance-server` binary on an ephemeral port, a tiny raw HTTP/1.1
//! client (so tests can assert exact bytes), and Engine.IO shortcuts.
//!
//! Every helper is bounded in time: a peer that never answers makes the test
//! fail with a message instead of hanging.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Upper bound for any single exchange with the server.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Engine.IO path served by the conformance server.
pub const EIO_PATH: &str = "/engine.io/";

/// A running `conformance-server` process, killed on drop.
pub struct Server {
    child: Child,
    /// The port the server printed once bound.
    pub port: u16,
}

impl Server {
    /// Starts the server with the official suites' timings (300/200).
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// Starts the server with extra command-line flags (e.g. `--ping-interval`).
    ///
    /// With `CONFORMANCE_SERVER=node` in the environment, runs
    /// `node/reference-server.js` (the same contract on Node's own `engine.io`)
    /// instead, to check that these tests describe Node's behaviour.
    pub fn start_with(args: &[&str]) -> Server {
        let log = std::env::var("CONFORMANCE_LOG").unwrap_or_else(|_| "error".to_owned());
        let mut command = if std::env::var("CONFORMANCE_SERVER").as_deref() == Ok("node") {
            let mut c = Command::new("node");
            c.arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/node/reference-server.js"
            ));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_conformance-server"))
        };
        let mut child = command
            .arg("--port")
            .arg("0")
            .args(args)
            .env("RUST_LOG", log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn conformance-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep draining so the server never blocks on a full pipe.
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("conformance-server did not print its port within 30 s");
            }
        };
        let port = line
            .trim()
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|p| p.parse::<u16>().ok());
        match port {
            Some(port) if port != 0 => Server { child, port },
            _ => {
                let _ = child.kill();
                panic!("unexpected first line from conformance-server: {line:?}");
            }
        }
    }

    /// Starts the server with long heartbeat timings (10 s / 5 s) so that
    /// tests about something else never see a ping.
    pub fn start_calm() -> Server {
        Server::start_with(&["--ping-interval", "10000", "--ping-timeout", "5000"])
    }

    /// Process id of the server (for /proc inspection).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `ws://` base URL of the Engine.IO endpoint.
    pub fn ws_url(&self, query: &str) -> String {
        format!("ws://127.0.0.1:{}{EIO_PATH}?{query}", self.port)
    }

    /// `http://` base URL of the server.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed HTTP/1.1 response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body after de-chunking.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Body as UTF-8 (panics with the raw bytes otherwise).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body)
            .unwrap_or_else(|_| panic!("body is not UTF-8: {:?}", self.body))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads one response from `stream`. `None` when the peer closed the
/// connection before sending a complete status line and headers.
pub async fn read_response(stream: &mut TcpStream) -> std::io::Result<Option<HttpResponse>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut rest = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    assert_eq!(version, "HTTP/1.1", "status line: {status_line:?}");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            Some((n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = get("content-length") {
        let len: usize = len.parse().expect("content-length");
        while rest.len() < len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "body shorter than content-length",
                ));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(pos) = find(&rest, b"\r\n") {
                    break pos;
                }
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                rest.extend_from_slice(&chunk[..n]);
            };
            let size_line = String::from_utf8_lossy(&rest[..line_end]).into_owned();
            let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .expect("chunk size");
            rest.drain(..line_end + 2);
            while rest.len() < size + 2 {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                rest.extend_from_slice(&chunk[..n]);
            }
            if size == 0 {
                break;
            }
            body.extend_from_slice(&rest[..size]);
            rest.drain(..size + 2);
        }
        body
    } else if status == 204 || status == 304 || (100..200).contains(&status) {
        Vec::new()
    } else {
        // Delimited by connection close.
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest
    };
    Ok(Some(HttpResponse {
        status,
        headers,
        body,
    }))
}

/// Serializes a request (with `Host`, `Content-Length` for bodies, `Connection: close`).
pub fn build_request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("Connection: close\r\n\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends one request on a fresh connection and reads the response.
/// `None` when the server closed the connection without a response.
pub async fn try_request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<HttpResponse> {
    let fut = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(&build_request(port, method, target, headers, body))
            .await?;
        read_response(&mut stream).await
    };
    match tokio::time::timeout(IO_TIMEOUT, fut).await {
        Ok(Ok(resp)) => resp,
        // A reset while reading counts as "closed without a response".
        Ok(Err(_)) => None,
        Err(_) => panic!("{method} {target}: no response within {IO_TIMEOUT:?}"),
    }
}

/// Like [`try_request`] but a missing response fails the test.
pub async fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpResponse {
    try_request(port, method, target, headers, body)
        .await
        .unwrap_or_else(|| panic!("{method} {target}: connection closed without a response"))
}

/// Polling URL for a session.
pub fn polling_target(sid: &str) -> String {
    format!("{EIO_PATH}?EIO=4&transport=polling&sid={sid}")
}

/// `GET` long-poll on a session.
pub async fn poll(port: u16, sid: &str) -> HttpResponse {
    request(port, "GET", &polling_target(sid), &[], b"").await
}

/// `POST` a payload on a session (text/plain, as browsers send it).
pub async fn post(port: u16, sid: &str, body: &[u8]) -> HttpResponse {
    request(
        port,
        "POST",
        &polling_target(sid),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body,
    )
    .await
}

/// Asserts a polling POST was accepted exactly as Node answers it.
pub fn assert_post_ok(resp: &HttpResponse) {
    assert_eq!(resp.status, 200, "POST status, body {:?}", resp.text());
    assert_eq!(resp.body, b"ok");
    assert_eq!(resp.header("content-type"), Some("text/html"));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
}

/// The open packet's JSON, checked for exactly the five keys.
#[derive(Debug, Clone)]
pub struct Open {
    /// Session id.
    pub sid: String,
    /// The whole JSON object.
    pub json: Value,
}

/// Checks a session id has Node's shape: 20 chars of URL-safe base64.
pub fn assert_sid_shape(sid: &str) {
    assert_eq!(sid.len(), 20, "sid {sid:?} must be 20 characters");
    assert!(
        sid.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "sid {sid:?} must be [A-Za-z0-9_-]"
    );
}

/// The exact open packet Node writes (same key order as `JSON.stringify`).
pub fn expected_open(
    sid: &str,
    upgrades: &[&str],
    ping_interval: u64,
    ping_timeout: u64,
    max_payload: u64,
) -> String {
    let upgrades: Vec<String> = upgrades.iter().map(|u| format!("\"{u}\"")).collect();
    format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[{}],\"pingInterval\":{ping_interval},\"pingTimeout\":{ping_timeout},\"maxPayload\":{max_payload}}}",
        upgrades.join(",")
    )
}

/// Parses `0{...}` and checks its keys and values.
pub fn parse_open(packet: &str, upgrades: &[&str], ping_interval: u64, ping_timeout: u64) -> Open {
    let json_text = packet
        .strip_prefix('0')
        .unwrap_or_else(|| panic!("expected an open packet, got {packet:?}"));
    let json: Value = serde_json::from_str(json_text)
        .unwrap_or_else(|e| panic!("open packet JSON {json_text:?}: {e}"));
    let obj = json.as_object().expect("open packet is an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "maxPayload",
            "pingInterval",
            "pingTimeout",
            "sid",
            "upgrades"
        ],
        "open packet keys in {json_text}"
    );
    let sid = obj["sid"].as_str().expect("sid is a string").to_owned();
    assert_sid_shape(&sid);
    let expected_upgrades: Vec<Value> = upgrades.iter().map(|u| Value::from(*u)).collect();
    assert_eq!(
        obj["upgrades"],
        Value::Array(expected_upgrades),
        "{json_text}"
    );
    assert_eq!(
        obj["pingInterval"],
        Value::from(ping_interval),
        "{json_text}"
    );
    assert_eq!(obj["pingTimeout"], Value::from(ping_timeout), "{json_text}");
    assert_eq!(obj["maxPayload"], Value::from(1_000_000u64), "{json_text}");
    assert_eq!(
        packet,
        expected_open(&sid, upgrades, ping_interval, ping_timeout, 1_000_000),
        "open packet bytes"
    );
    Open { sid, json }
}

/// Polling handshake; returns the session id (open packet fully checked
/// against the given timings).
pub async fn handshake_with(port: u16, ping_interval: u64, ping_timeout: u64) -> String {
    let resp = request(
        port,
        "GET",
        &format!("{EIO_PATH}?EIO=4&transport=polling"),
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200, "handshake status, body {:?}", resp.body);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    parse_open(resp.text(), &["websocket"], ping_interval, ping_timeout).sid
}

/// Polling handshake against a server with the default 300/200 timings.
pub async fn handshake(port: u16) -> String {
    handshake_with(port, 300, 200).await
}

/// Polling handshake against a server started with [`Server::start_calm`].
pub async fn handshake_calm(port: u16) -> String {
    handshake_with(port, 10_000, 5_000).await
}

/// Asserts a polling error answer: status, JSON content type and exact body.
pub fn assert_error(resp: &HttpResponse, status: u16, code: u8, message: &str) {
    let expected = format!("{{\"code\":{code},\"message\":\"{message}\"}}");
    assert_eq!(
        (
            resp.status,
            String::from_utf8_lossy(&resp.body).into_owned()
        ),
        (status, expected),
        "error answer"
    );
    assert_eq!(resp.header("content-type"), Some("application/json"));
}

/// Asserts that `sid` is no longer known to the server.
pub async fn assert_session_gone(port: u16, sid: &str) {
    let resp = poll(port, sid).await;
    assert_error(&resp, 400, 1, "Session ID unknown");
}

/// Asserts the server still serves new sessions (after some bad input).
pub async fn assert_still_serving(port: u16) {
    let resp = request(
        port,
        "GET",
        &format!("{EIO_PATH}?EIO=4&transport=polling"),
        &[],
        b"",
    )
    .await;
    assert_eq!(resp.status, 200, "fresh handshake after bad input");
    assert!(
        resp.text().starts_with("0{"),
        "fresh handshake body {:?}",
        resp.text()
    );
}

/// Session count reported by the conformance server's `/__stats`.
pub async fn session_count(port: u16) -> usize {
    let resp = request(port, "GET", "/__stats", &[], b"").await;
    assert_eq!(resp.status, 200);
    let json: Value = serde_json::from_slice(&resp.body).expect("stats JSON");
    json["sessions"].as_u64().expect("sessions number") as usize
}

/// Polls `/__stats` until the session count equals `expected` or `within` elapses.
/// Returns the elapsed time, or the last count seen on failure.
pub async fn wait_for_sessions(
    port: u16,
    expected: usize,
    within: Duration,
) -> Result<Duration, usize> {
    let start = tokio::time::Instant::now();
    loop {
        let count = session_count(port).await;
        if count == expected {
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            return Err(count);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A WebSocket client stream.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket with the given query string.
pub async fn ws_connect(port: u16, query: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{port}{EIO_PATH}?{query}");
    let (ws, resp) = tokio::time::timeout(IO_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .expect("ws connect timed out")
        .expect("ws connect");
    assert_eq!(resp.status().as_u16(), 101);
    ws
}

/// Next data frame (text or binary), skipping transport-level ping/pong.
/// `None` when the stream closed (close frame, EOF or error).
pub async fn ws_next(ws: &mut Ws, within: Duration) -> Option<WsMessage> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no WebSocket frame within {within:?}"));
        match next {
            Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
            Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(msg)) => return Some(msg),
        }
    }
}

/// Next frame, which must be a text frame.
pub async fn ws_text(ws: &mut Ws) -> String {
    match ws_next(ws, IO_TIMEOUT).await {
        Some(WsMessage::Text(t)) => t.as_str().to_owned(),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Sends a text frame.
pub async fn ws_send_text(ws: &mut Ws, text: &str) {
    ws.send(WsMessage::text(text.to_owned()))
        .await
        .expect("ws send");
}

/// Sends a binary frame.
pub async fn ws_send_binary(ws: &mut Ws, data: &[u8]) {
    ws.send(WsMessage::binary(data.to_vec()))
        .await
        .expect("ws send");
}

/// Waits until the server ends the WebSocket; fails if a data frame arrives first.
pub async fn ws_expect_closed(ws: &mut Ws, within: Duration) {
    if let Some(msg) = ws_next(ws, within).await {
        panic!("expected the server to close the WebSocket, got {msg:?}");
    }
}

/// WebSocket-only handshake; returns the stream and the session id.
pub async fn ws_handshake(port: u16, ping_interval: u64, ping_timeout: u64) -> (Ws, String) {
    let mut ws = ws_connect(port, "EIO=4&transport=websocket").await;
    let open = ws_text(&mut ws).await;
    let open = parse_open(&open, &[], ping_interval, ping_timeout);
    (ws, open.sid)
}

/// Sends a raw WebSocket upgrade request and returns the HTTP answer
/// (for refused upgrades, which get a plain HTTP 400).
pub async fn raw_ws_upgrade(port: u16, query: &str) -> Option<HttpResponse> {
    let target = format!("{EIO_PATH}?{query}");
    let req = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    let fut = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(req.as_bytes()).await?;
        read_response(&mut stream).await
    };
    match tokio::time::timeout(IO_TIMEOUT, fut).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) => None,
        Err(_) => panic!("upgrade {target}: no answer within {IO_TIMEOUT:?}"),
    }
}
