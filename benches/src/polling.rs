//! Engine.IO HTTP long-polling for the load generator: one keep-alive connection for
//! GETs and one for POSTs, a minimal HTTP/1.1 client (Content-Length or chunked bodies),
//! text packets only.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::ws::find;

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One keep-alive HTTP/1.1 connection.
struct Http {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl Http {
    async fn connect(addr: SocketAddr) -> io::Result<Http> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Http {
            stream,
            buf: Vec::with_capacity(4096),
            host: addr.to_string(),
        })
    }

    /// Sends a request and reads the whole response body.
    async fn request(&mut self, method: &str, path: &str, body: &[u8]) -> io::Result<Vec<u8>> {
        let mut req = Vec::with_capacity(160 + body.len());
        req.extend_from_slice(method.as_bytes());
        req.push(b' ');
        req.extend_from_slice(path.as_bytes());
        req.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        req.extend_from_slice(self.host.as_bytes());
        if method == "POST" {
            req.extend_from_slice(
                b"\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: ",
            );
            req.extend_from_slice(body.len().to_string().as_bytes());
        }
        req.extend_from_slice(b"\r\n\r\n");
        req.extend_from_slice(body);
        self.stream.write_all(&req).await?;
        self.read_response().await
    }

    async fn more(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if self.buf.len() + n > MAX_BODY + MAX_HEAD {
            return Err(bad("response too large".into()));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> io::Result<Vec<u8>> {
        let head_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(bad("response head too long".into()));
            }
            self.more().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_ascii_lowercase();
        if !head.starts_with("http/1.1 200") {
            let line = head.lines().next().unwrap_or("").to_owned();
            return Err(bad(format!("HTTP error: {line}")));
        }
        let content_length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok());
        let chunked = head.contains("transfer-encoding: chunked");
        self.buf.drain(..head_end);
        if let Some(len) = content_length {
            if len > MAX_BODY {
                return Err(bad("body too large".into()));
            }
            while self.buf.len() < len {
                self.more().await?;
            }
            let rest = self.buf.split_off(len);
            return Ok(std::mem::replace(&mut self.buf, rest));
        }
        if !chunked {
            return Err(bad("response without length".into()));
        }
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(p) = find(&self.buf, b"\r\n") {
                    break p;
                }
                if self.buf.len() > 64 {
                    return Err(bad("bad chunk size".into()));
                }
                self.more().await?;
            };
            let size_str = String::from_utf8_lossy(&self.buf[..line_end]).to_string();
            let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size".into()))?;
            if body.len() + size > MAX_BODY {
                return Err(bad("body too large".into()));
            }
            while self.buf.len() < line_end + 2 + size + 2 {
                self.more().await?;
            }
            body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
            self.buf.drain(..line_end + 2 + size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

/// A Socket.IO client connection over Engine.IO long-polling.
pub struct PollingConn {
    get: Http,
    post: Http,
    path: String,
    /// Socket.IO packets (without the Engine.IO `4`) received but not yet consumed.
    pending: std::collections::VecDeque<Vec<u8>>,
}

impl PollingConn {
    /// Handshake, then joins the main namespace `/`.
    pub async fn connect(addr: SocketAddr) -> io::Result<PollingConn> {
        let mut get = Http::connect(addr).await?;
        let open = get
            .request("GET", "/socket.io/?EIO=4&transport=polling", b"")
            .await?;
        let key = b"\"sid\":\"";
        let start =
            find(&open, key).ok_or_else(|| bad("open packet without sid".into()))? + key.len();
        let len = open[start..]
            .iter()
            .position(|&b| b == b'"')
            .ok_or_else(|| bad("bad sid".into()))?;
        let sid = String::from_utf8_lossy(&open[start..start + len]).to_string();
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let post = Http::connect(addr).await?;
        let mut c = PollingConn {
            get,
            post,
            path,
            pending: Default::default(),
        };
        c.send(&[b"40".as_slice()]).await?;
        loop {
            let p = c.recv().await?;
            match p.first() {
                Some(b'0') => return Ok(c),
                Some(b'4') => {
                    return Err(bad(format!(
                        "connect_error: {}",
                        String::from_utf8_lossy(&p)
                    )))
                }
                _ => {}
            }
        }
    }

    /// POSTs Engine.IO packets (each already with its type digit), in one payload.
    pub async fn send(&mut self, packets: &[&[u8]]) -> io::Result<()> {
        let mut body = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            if i > 0 {
                body.push(0x1e);
            }
            body.extend_from_slice(p);
        }
        let r = self.post.request("POST", &self.path, &body).await?;
        if r != b"ok" {
            return Err(bad("POST not answered ok".into()));
        }
        Ok(())
    }

    /// The next Socket.IO packet (text after the Engine.IO `4`); long-polls when none
    /// is buffered, answering pings.
    pub async fn recv(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(p) = self.pending.pop_front() {
                return Ok(p);
            }
            let body = self.get.request("GET", &self.path, b"").await?;
            let mut ping = false;
            for packet in body.split(|&b| b == 0x1e) {
                match packet.first() {
                    Some(b'4') => self.pending.push_back(packet[1..].to_vec()),
                    Some(b'2') => ping = true,
                    Some(b'1') => {
                        return Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "engine.io close",
                        ))
                    }
                    _ => {}
                }
            }
            if ping {
                self.send(&[b"3".as_slice()]).await?;
            }
        }
    }

    /// Long-polls forever, answering pings: holds an idle session open.
    pub async fn idle(mut self) -> io::Result<()> {
        loop {
            self.recv().await?;
        }
    }
}
