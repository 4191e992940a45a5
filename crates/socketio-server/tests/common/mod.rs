//! Test helpers: a server on 127.0.0.1:0 and a raw Engine.IO WebSocket client, so tests
//! can assert exact bytes.
#![allow(dead_code)]

pub mod scenario;

use futures_util::{SinkExt, StreamExt};
use socketio_server::SocketIo;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Generous bound for anything the test waits for.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn serve(io: &SocketIo) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = io.clone();
    tokio::spawn(async move { server.serve(listener).await });
    addr
}

pub struct RawClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub engine_sid: String,
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("connect timeout")
            .expect("websocket connect");
        let mut c = Self {
            ws,
            engine_sid: String::new(),
        };
        let open = c.recv_engine().await.expect("open packet");
        assert!(open.starts_with('0'), "expected open packet, got {open}");
        let v: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
        c.engine_sid = v["sid"].as_str().unwrap().to_owned();
        c
    }

    /// Sends a raw engine text message, e.g. `"40"` or `"42[\"a\"]"`.
    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn send_binary(&mut self, data: &[u8]) {
        self.ws
            .send(Message::Binary(data.to_vec().into()))
            .await
            .unwrap();
    }

    /// Next engine text message (pings answered), `None` when the connection closed.
    pub async fn recv_engine(&mut self) -> Option<String> {
        loop {
            let next = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a message");
            match next {
                Some(Ok(Message::Text(t))) => {
                    let t = t.to_string();
                    if t == "2" {
                        self.send("3").await;
                        continue;
                    }
                    return Some(t);
                }
                Some(Ok(Message::Binary(b))) => return Some(format!("<bin:{}>", b.len())),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Next Socket.IO packet text (engine `4` prefix removed); panics on anything else.
    pub async fn recv(&mut self) -> String {
        let m = self.recv_engine().await.expect("connection closed");
        match m.strip_prefix('4') {
            Some(p) => p.to_owned(),
            None => panic!("expected a message packet, got {m}"),
        }
    }

    /// Closes the WebSocket with a close handshake (like a browser does).
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
        let _ = tokio::time::timeout(WAIT, async { while self.ws.next().await.is_some() {} }).await;
    }

    /// Waits until the server closes the connection (engine close packet or socket close).
    pub async fn expect_closed(&mut self) {
        loop {
            match self.recv_engine().await {
                None => return,
                Some(m) if m == "1" => return,
                Some(_) => continue,
            }
        }
    }

    /// Connects to `nsp` (`"/"` or `"/x"`) and returns the socket id.
    pub async fn join(&mut self, nsp: &str, auth: Option<&str>) -> String {
        let prefix = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        self.send(&format!("40{prefix}{}", auth.unwrap_or("")))
            .await;
        let reply = self.recv().await;
        let body = reply
            .strip_prefix(&format!("0{prefix}"))
            .unwrap_or_else(|| panic!("expected CONNECT on {nsp}, got {reply}"));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["sid"].as_str().unwrap().to_owned()
    }
}

/// Polls `cond` until true (bounded).
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in time"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
