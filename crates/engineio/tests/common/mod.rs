//! Shared helpers for the integration tests: a recording handler, a server on an
//! ephemeral 127.0.0.1 port, a tiny raw HTTP/1.1 client and a WebSocket client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use engineio::{DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Everything bounded: no test step waits longer than this.
pub const STEP: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub enum Event {
    Connect(String),
    Message(String, Message),
    Disconnect(String, DisconnectReason),
}

/// Echoes messages back; `close-me` makes the server close the session.
pub struct Recorder {
    pub tx: mpsc::UnboundedSender<Event>,
    pub echo: bool,
}

impl Handler for Recorder {
    type State = ();
    fn on_connect(&self, socket: &Socket) {
        let _ = self.tx.send(Event::Connect(socket.id().to_owned()));
    }
    fn on_message(&self, socket: &Socket, _state: &(), message: Message) {
        let _ = self
            .tx
            .send(Event::Message(socket.id().to_owned(), message.clone()));
        if matches!(&message, Message::Text(t) if t.as_str() == "close-me") {
            socket.close(DisconnectReason::ForcedClose);
            return;
        }
        if self.echo {
            let _ = socket.try_send(message);
        }
    }
    fn on_disconnect(&self, socket: &Socket, _state: &(), reason: DisconnectReason) {
        let _ = self
            .tx
            .send(Event::Disconnect(socket.id().to_owned(), reason));
    }
}

pub fn fast_config() -> EngineConfig {
    EngineConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
}

pub struct Server {
    pub addr: SocketAddr,
    pub engine: Engine<Recorder>,
    pub events: mpsc::UnboundedReceiver<Event>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(config: EngineConfig) -> Server {
        let (tx, events) = mpsc::unbounded_channel();
        let engine = Engine::new(config, Recorder { tx, echo: true });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(engine.clone().serve(listener));
        Server {
            addr,
            engine,
            events,
            task,
        }
    }

    pub async fn next_event(&mut self) -> Event {
        tokio::time::timeout(STEP, self.events.recv())
            .await
            .expect("event in time")
            .expect("channel open")
    }

    /// Waits for the disconnect of `sid`, skipping other events.
    pub async fn disconnect_of(&mut self, sid: &str) -> DisconnectReason {
        for _ in 0..10_000 {
            if let Event::Disconnect(s, r) = self.next_event().await {
                if s == sid {
                    return r;
                }
            }
        }
        panic!("no disconnect for {sid}");
    }

    pub fn url(&self, query: &str) -> String {
        format!("/engine.io/?EIO=4&{query}")
    }

    /// Polling handshake; returns the sid.
    pub async fn handshake(&mut self) -> String {
        let res = http(self.addr, "GET", &self.url("transport=polling"), &[], b"").await;
        assert_eq!(res.status, 200);
        let body = res.text();
        assert!(body.starts_with("0{"), "{body}");
        let v: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
        let sid = v["sid"].as_str().unwrap().to_owned();
        match self.next_event().await {
            Event::Connect(s) => assert_eq!(s, sid),
            other => panic!("unexpected {other:?}"),
        }
        sid
    }

    pub async fn get(&self, sid: &str) -> Response {
        http(
            self.addr,
            "GET",
            &self.url(&format!("transport=polling&sid={sid}")),
            &[],
            b"",
        )
        .await
    }

    pub async fn post(&self, sid: &str, body: &[u8]) -> Response {
        http(
            self.addr,
            "POST",
            &self.url(&format!("transport=polling&sid={sid}")),
            &[("Content-Type", "text/plain;charset=UTF-8")],
            body,
        )
        .await
    }

    pub async fn ws(&self, query: &str) -> Ws {
        let url = format!("ws://{}{}", self.addr, self.url(query));
        let req = url.into_client_request().unwrap();
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::client_async(req, tcp))
            .await
            .expect("ws handshake in time")
            .expect("ws handshake");
        Ws(ws)
    }
}

pub struct Ws(pub tokio_tungstenite::WebSocketStream<TcpStream>);

impl Ws {
    pub async fn send_text(&mut self, s: &str) {
        self.0.send(WsMessage::text(s)).await.unwrap();
    }

    /// Next data frame (text or binary); `None` when the connection ends.
    pub async fn next(&mut self) -> Option<WsMessage> {
        loop {
            let frame = tokio::time::timeout(STEP, self.0.next())
                .await
                .expect("frame in time");
            match frame {
                Some(Ok(m @ (WsMessage::Text(_) | WsMessage::Binary(_)))) => return Some(m),
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn next_text(&mut self) -> String {
        match self.next().await {
            Some(WsMessage::Text(t)) => t.as_str().to_owned(),
            other => panic!("expected text, got {other:?}"),
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// Writes one HTTP/1.1 request (Connection: close) and reads the whole response.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request_bytes(method, path, headers, body).as_slice())
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(STEP, tcp.read_to_end(&mut raw))
        .await
        .expect("response in time")
        .unwrap();
    parse_response(&raw)
}

pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = req.into_bytes();
    out.extend_from_slice(body);
    out
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of head");
    let head = std::str::from_utf8(&raw[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Spawns `tasks` tasks that all start sending to `socket` at the same moment: even
/// tasks one message at a time with `try_send`, odd tasks in batches of three with
/// `try_send_many`. A `Full` queue is retried (bounded by [`STEP`]). Message `i` of task
/// `t` is the text `t{t}m{i}`; see [`check_concurrent_sequence`].
pub fn spawn_concurrent_senders(
    socket: &Socket,
    tasks: usize,
    per_task: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    assert_eq!(per_task % 3, 0, "whole batches");
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(tasks));
    (0..tasks)
        .map(|t| {
            let socket = socket.clone();
            let start = start.clone();
            tokio::spawn(async move {
                let deadline = tokio::time::Instant::now() + STEP;
                let msg = |i: usize| Message::Text(engineio::Text::new(&format!("t{t}m{i}")));
                start.wait().await;
                let mut i = 0;
                while i < per_task {
                    let sent = if t % 2 == 0 {
                        socket.try_send(msg(i)).map(|()| 1).map_err(is_full)
                    } else {
                        let batch = (i..i + 3).map(msg).collect();
                        socket.try_send_many(batch).map(|()| 3).map_err(is_full)
                    };
                    match sent {
                        Ok(n) => i += n,
                        Err(true) => {
                            assert!(tokio::time::Instant::now() < deadline, "queue stays full");
                            tokio::task::yield_now().await;
                        }
                        Err(false) => panic!("session closed while sending"),
                    }
                }
            })
        })
        .collect()
}

fn is_full<T>(e: engineio::TrySendError<T>) -> bool {
    matches!(e, engineio::TrySendError::Full(_))
}

/// Checks what [`spawn_concurrent_senders`] sent, in arrival order: everything arrived
/// once, each task's messages in order, each batch of three contiguous.
pub fn check_concurrent_sequence(received: &[String], tasks: usize, per_task: usize) {
    assert_eq!(received.len(), tasks * per_task);
    let mut next = vec![0usize; tasks];
    let mut open_batch: Option<usize> = None;
    for text in received {
        let (t, i) = text
            .strip_prefix('t')
            .and_then(|r| r.split_once('m'))
            .and_then(|(t, i)| Some((t.parse::<usize>().ok()?, i.parse::<usize>().ok()?)))
            .unwrap_or_else(|| panic!("unexpected message {text:?}"));
        assert_eq!(i, next[t], "task {t} out of order");
        next[t] += 1;
        if let Some(b) = open_batch {
            assert_eq!(b, t, "batch of task {b} interleaved with {text}");
        }
        open_batch = (t % 2 == 1 && i % 3 != 2).then_some(t);
    }
}
