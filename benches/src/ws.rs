//! A minimal WebSocket client for load generation: HTTP/1.1 upgrade, one read buffer,
//! one write buffer, frames parsed in place.
//!
//! Cheap per message by design: outgoing frames are masked with the all-zero key (a
//! valid masking key that leaves the payload unchanged, so precomputed frames can be
//! written as they are), incoming frames are returned as ranges of the read buffer
//! (no copy, no allocation), and everything queued is written with one `write` call.
//! Not a general-purpose client: no fragmentation, no extensions.

use std::io;
use std::net::SocketAddr;
use std::ops::Range;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Text frame opcode.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame opcode.
pub const OP_BINARY: u8 = 0x2;
/// Close frame opcode.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame opcode.
pub const OP_PING: u8 = 0x9;
/// Pong frame opcode.
pub const OP_PONG: u8 = 0xA;

/// Largest frame accepted from a server (bounds the read buffer).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;
const INITIAL_BUFFER: usize = 2048;
const BULK_BUFFER: usize = 64 * 1024;
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// Appends one client frame (FIN set, zero masking key) carrying `payload` to `out`.
pub fn encode_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
}

/// One client frame as a new buffer (see [`encode_frame`]).
pub fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 14);
    encode_frame(&mut v, opcode, payload);
    v
}

/// A connected WebSocket.
pub struct WsConn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    need: usize,
    out: Vec<u8>,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

impl WsConn {
    /// Opens a TCP connection to `addr` and performs the WebSocket upgrade for `path`
    /// (path and query, e.g. `/socket.io/?EIO=4&transport=websocket`).
    pub async fn connect(addr: SocketAddr, path: &str) -> io::Result<WsConn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut conn = WsConn {
            stream,
            buf: vec![0; INITIAL_BUFFER],
            start: 0,
            end: 0,
            need: 0,
            out: Vec::with_capacity(256),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: bG9hZGdlbi1rZXktMDAwMQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        conn.stream.write_all(request.as_bytes()).await?;
        // Read the response head; bytes after it (the first frames) stay buffered.
        let head_end = loop {
            if let Some(pos) = find(&conn.buf[..conn.end], b"\r\n\r\n") {
                break pos + 4;
            }
            if conn.end >= MAX_RESPONSE_HEAD {
                return Err(bad("upgrade response head too long"));
            }
            if conn.end == conn.buf.len() {
                conn.buf.resize(conn.buf.len() * 2, 0);
            }
            let n = conn.stream.read(&mut conn.buf[conn.end..]).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            conn.end += n;
        };
        if !conn.buf.starts_with(b"HTTP/1.1 101") {
            let line_end = find(&conn.buf[..head_end], b"\r\n").unwrap_or(0);
            return Err(bad(&format!(
                "upgrade refused: {}",
                String::from_utf8_lossy(&conn.buf[..line_end])
            )));
        }
        conn.start = head_end;
        Ok(conn)
    }

    /// Parses the next complete frame already in the read buffer (no IO). Returns its
    /// opcode and the payload's range in the buffer (see [`WsConn::payload`]), valid until
    /// the next [`WsConn::fill`]. Pings are answered (queued) and skipped here.
    pub fn try_frame(&mut self) -> io::Result<Option<(u8, Range<usize>)>> {
        loop {
            let avail = &self.buf[self.start..self.end];
            if avail.len() < 2 {
                self.need = 2;
                return Ok(None);
            }
            let b0 = avail[0];
            let b1 = avail[1];
            if b0 & 0x80 == 0 {
                return Err(bad("fragmented frames are not supported"));
            }
            if b1 & 0x80 != 0 {
                return Err(bad("masked frame from server"));
            }
            let (len, hdr) = match b1 & 0x7f {
                126 => {
                    if avail.len() < 4 {
                        self.need = 4;
                        return Ok(None);
                    }
                    (u16::from_be_bytes([avail[2], avail[3]]) as usize, 4)
                }
                127 => {
                    if avail.len() < 10 {
                        self.need = 10;
                        return Ok(None);
                    }
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&avail[2..10]);
                    let len = u64::from_be_bytes(b);
                    if len > MAX_FRAME as u64 {
                        return Err(bad("frame too large"));
                    }
                    (len as usize, 10)
                }
                n => (n as usize, 2),
            };
            if len > MAX_FRAME {
                return Err(bad("frame too large"));
            }
            if avail.len() < hdr + len {
                self.need = hdr + len;
                return Ok(None);
            }
            let p = self.start + hdr;
            self.start = p + len;
            let opcode = b0 & 0x0f;
            match opcode {
                OP_PING => {
                    let payload = self.buf[p..p + len].to_vec();
                    encode_frame(&mut self.out, OP_PONG, &payload);
                }
                OP_PONG => {}
                OP_CLOSE => {
                    return Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "server closed the WebSocket",
                    ))
                }
                _ => return Ok(Some((opcode, p..p + len))),
            }
        }
    }

    /// The bytes of a payload range returned by [`WsConn::try_frame`].
    pub fn payload(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Reads more bytes from the socket (at least one). `UnexpectedEof` when the server
    /// closed the connection.
    pub async fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.need > self.buf.len() {
            self.buf
                .resize(self.need.clamp(BULK_BUFFER, MAX_FRAME + 16), 0);
        } else if self.end == self.buf.len() {
            // Full buffer without a complete frame, or bulk traffic: read bigger chunks.
            let grown = (self.buf.len() * 2).clamp(BULK_BUFFER, MAX_FRAME + 16);
            self.buf.resize(grown, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    /// Queues a frame (written by the next [`WsConn::flush`]).
    pub fn queue(&mut self, opcode: u8, payload: &[u8]) {
        encode_frame(&mut self.out, opcode, payload);
    }

    /// Queues bytes that already are complete client frames.
    pub fn queue_raw(&mut self, frames: &[u8]) {
        self.out.extend_from_slice(frames);
    }

    /// The write buffer, to append frames in place.
    pub fn out_mut(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    /// Whether frames are waiting to be written.
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
            if self.out.capacity() > BULK_BUFFER * 4 {
                self.out.shrink_to(256);
            }
        }
        Ok(())
    }

    /// Writes precomputed frames directly (no copy into the write buffer), after anything
    /// already queued.
    pub async fn write_frames(&mut self, frames: &[u8]) -> io::Result<()> {
        self.flush().await?;
        self.stream.write_all(frames).await
    }
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths() {
        assert_eq!(
            frame(OP_TEXT, b"40"),
            vec![0x81, 0x82, 0, 0, 0, 0, b'4', b'0']
        );
        let f = frame(OP_BINARY, &[7u8; 300]);
        assert_eq!(&f[..4], &[0x82, 0x80 | 126, 1, 44]);
        assert_eq!(f.len(), 4 + 4 + 300);
        let f = frame(OP_BINARY, &vec![7u8; 70_000]);
        assert_eq!(f[1], 0x80 | 127);
        assert_eq!(f.len(), 10 + 4 + 70_000);
    }
}
