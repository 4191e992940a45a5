//! The Engine.IO v4 / Socket.IO v5 client side of one load-generator connection over
//! WebSocket: handshake (`0{..}` open, `40` → `40{..}`), heartbeat answers (`2` → `3`),
//! and incoming messages as ranges of the read buffer.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;

use crate::ws::{WsConn, OP_BINARY, OP_TEXT};

/// The path and query of a Socket.IO WebSocket connection.
pub const WS_PATH: &str = "/socket.io/?EIO=4&transport=websocket";

/// An incoming message, after Engine.IO handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// The Engine.IO open packet (`0{...}`): range of the JSON.
    Open(Range<usize>),
    /// A Socket.IO packet in a text frame: range after the Engine.IO `4`.
    Text(Range<usize>),
    /// A binary frame (an attachment).
    Binary(Range<usize>),
}

/// A Socket.IO client connection over a raw WebSocket.
pub struct SioConn {
    /// The WebSocket underneath (its read buffer holds the message ranges).
    pub ws: WsConn,
}

fn err(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl SioConn {
    /// Connects and joins the main namespace `/`.
    pub async fn connect(addr: SocketAddr) -> io::Result<SioConn> {
        let ws = WsConn::connect(addr, WS_PATH).await?;
        let mut c = SioConn { ws };
        match c.recv().await? {
            Msg::Open(_) => {}
            other => return Err(err(format!("expected the open packet, got {other:?}"))),
        }
        c.ws.queue(OP_TEXT, b"40");
        c.ws.flush().await?;
        loop {
            match c.recv().await? {
                Msg::Text(r) => {
                    let p = c.ws.payload(r);
                    if p.first() == Some(&b'0') {
                        return Ok(c);
                    }
                    if p.first() == Some(&b'4') {
                        return Err(err(format!(
                            "connect_error: {}",
                            String::from_utf8_lossy(p)
                        )));
                    }
                }
                Msg::Binary(_) | Msg::Open(_) => {}
            }
        }
    }

    /// The next message already buffered (no IO). Pings are answered (queued), noops
    /// skipped; an Engine.IO close is an error.
    pub fn next_msg(&mut self) -> io::Result<Option<Msg>> {
        while let Some((op, r)) = self.ws.try_frame()? {
            if op == OP_BINARY {
                return Ok(Some(Msg::Binary(r)));
            }
            if op != OP_TEXT || r.is_empty() {
                continue;
            }
            match self.ws.payload(r.clone())[0] {
                b'4' => return Ok(Some(Msg::Text(r.start + 1..r.end))),
                b'2' => self.ws.queue(OP_TEXT, b"3"),
                b'0' => return Ok(Some(Msg::Open(r.start + 1..r.end))),
                b'1' => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "engine.io close",
                    ))
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Waits for the next message (flushing queued frames before blocking).
    pub async fn recv(&mut self) -> io::Result<Msg> {
        loop {
            if let Some(m) = self.next_msg()? {
                return Ok(m);
            }
            self.ws.flush().await?;
            self.ws.fill().await?;
        }
    }

    /// Reads forever, answering pings: holds an idle connection open.
    pub async fn idle(mut self) -> io::Result<()> {
        loop {
            self.recv().await?;
        }
    }
}
