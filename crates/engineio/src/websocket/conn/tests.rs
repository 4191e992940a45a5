//! The driver over an in-memory stream, polled by hand so its buffers can be inspected
//! between steps.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::*;
use crate::engine::Engine;
use crate::request::RequestInfo;
use crate::state::TransportKind;
use crate::ws_frame::apply_mask;
use crate::EngineConfig;

const STEP: Duration = Duration::from_secs(5);

/// Echoes every message; `flood` answers with 200 messages of 1 KiB.
struct Echo;

impl Handler for Echo {
    type State = ();
    fn on_connect(&self, _: &Socket) {}
    fn on_message(&self, socket: &Socket, _: &(), message: Message) {
        if matches!(&message, Message::Text(t) if t.as_str() == "flood") {
            for i in 0..200u32 {
                let body = format!("{i:04}{}", "x".repeat(1020));
                let _ = socket.try_send(Message::from(body.as_str()));
            }
            return;
        }
        let _ = socket.try_send(message);
    }
    fn on_disconnect(&self, _: &Socket, _: &(), _: DisconnectReason) {}
}

fn connection(
    config: EngineConfig,
    pipe: usize,
) -> (
    Pin<Box<Connection<Echo, DuplexStream>>>,
    Socket,
    DuplexStream,
) {
    let engine = Engine::new(config, Echo);
    let info = RequestInfo::new(
        http::Method::GET,
        http::Uri::from_static("/engine.io/?EIO=4&transport=websocket"),
        http::HeaderMap::new(),
        None,
        false,
    );
    let (session, socket) = engine.0.create_session(info, TransportKind::WebSocket);
    let (client, server) = tokio::io::duplex(pipe);
    let conn = Connection::open(session, socket.clone(), server, "0{}".to_owned());
    (Box::pin(conn), socket, client)
}

/// A masked client frame.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [9, 8, 7, 6];
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    let mut body = payload.to_vec();
    apply_mask(&mut body, mask, 0);
    out.extend_from_slice(&body);
    out
}

/// Reads one server frame: (opcode, payload).
async fn read_frame(client: &mut DuplexStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await.expect("frame header");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7F {
        126 => usize::from(client.read_u16().await.expect("length")),
        127 => client.read_u64().await.expect("length") as usize,
        n => usize::from(n),
    };
    let mut payload = vec![0; len];
    client.read_exact(&mut payload).await.expect("payload");
    (head[0] & 0x0F, payload)
}

/// Runs the connection while `op` runs (both on this task).
async fn with_conn<T>(
    conn: &mut Pin<Box<Connection<Echo, DuplexStream>>>,
    op: impl Future<Output = T>,
) -> T {
    tokio::select! {
        _ = conn.as_mut() => panic!("the connection ended"),
        out = tokio::time::timeout(STEP, op) => out.expect("in time"),
    }
}

/// Lets the connection run until it has nothing left to do.
async fn settle(conn: &mut Pin<Box<Connection<Echo, DuplexStream>>>) {
    with_conn(conn, tokio::time::sleep(Duration::from_millis(50))).await;
}

#[tokio::test]
async fn an_idle_connection_holds_no_buffers_after_an_exchange() {
    let (mut conn, socket, mut client) = connection(EngineConfig::default(), 256 * 1024);
    let open = with_conn(&mut conn, read_frame(&mut client)).await;
    assert_eq!(open, (1, b"0{}".to_vec()));
    settle(&mut conn).await;
    assert_eq!(conn.buffered_capacity(), 0);

    // A small text message, and a binary one larger than a read (the rest of its frame
    // is read straight into its buffer), split across writes.
    let big: Vec<u8> = (0..150_000).map(|i| (i % 249) as u8).collect();
    let mut input = client_frame(0x1, "4héllo".as_bytes());
    input.extend(client_frame(0x2, &big));
    let (first, rest) = input.split_at(1000);
    with_conn(&mut conn, client.write_all(first))
        .await
        .expect("write");
    settle(&mut conn).await;
    // Mid-frame: only the frame's own buffer is held.
    assert!(conn.buffered_capacity() >= big.len());
    with_conn(&mut conn, client.write_all(rest))
        .await
        .expect("write");
    let echo = with_conn(&mut conn, read_frame(&mut client)).await;
    assert_eq!(echo, (1, "4héllo".as_bytes().to_vec()));
    let echo = with_conn(&mut conn, read_frame(&mut client)).await;
    assert_eq!(echo, (2, big));

    settle(&mut conn).await;
    assert_eq!(conn.buffered_capacity(), 0, "no read or write buffer kept");
    assert_eq!(socket.lock().queue_capacity(), 0, "no queue capacity kept");
}

#[tokio::test]
async fn a_slow_reader_gets_everything_in_order_and_then_nothing_is_kept() {
    let config = EngineConfig::default().ws_write_buffer_size(16 * 1024);
    // A small pipe: the client does not read, so the socket fills up at once.
    let (mut conn, socket, mut client) = connection(config, 4096);
    let _open = with_conn(&mut conn, read_frame(&mut client)).await;
    let flood = client_frame(0x1, b"4flood");
    with_conn(&mut conn, client.write_all(&flood))
        .await
        .expect("write");
    settle(&mut conn).await;
    // The batch did not fit: the rest waits in the connection.
    assert!(conn.core.outbox.pending_bytes() > 100_000);
    // Pings keep coming in but the output is over the limit: reads pause (the pong
    // would only add to the output), so the ping waits in the pipe.
    let ping = client_frame(0x9, b"are you there");
    with_conn(&mut conn, client.write_all(&ping))
        .await
        .expect("write");
    settle(&mut conn).await;
    for i in 0..200u32 {
        let (opcode, payload) = with_conn(&mut conn, read_frame(&mut client)).await;
        assert_eq!(opcode, 1);
        assert!(
            payload.starts_with(format!("4{i:04}").as_bytes()),
            "message {i}"
        );
        assert_eq!(payload.len(), 1 + 4 + 1020);
    }
    let pong = with_conn(&mut conn, read_frame(&mut client)).await;
    assert_eq!(pong, (0xA, b"are you there".to_vec()));
    settle(&mut conn).await;
    assert_eq!(conn.buffered_capacity(), 0);
    assert_eq!(socket.lock().queue_capacity(), 0);
    assert!(!socket.is_closed());
}

#[tokio::test]
async fn a_protocol_violation_closes_with_its_code() {
    let (mut conn, socket, mut client) = connection(EngineConfig::default(), 64 * 1024);
    let _open = with_conn(&mut conn, read_frame(&mut client)).await;
    // An unmasked frame.
    with_conn(&mut conn, client.write_all(&[0x81, 0x02, b'4', b'x']))
        .await
        .expect("write");
    tokio::time::timeout(STEP, conn.as_mut())
        .await
        .expect("the connection ends");
    assert!(socket.is_closed());
    // Its last frame: a close frame with the code.
    let close = tokio::time::timeout(STEP, read_frame(&mut client))
        .await
        .expect("in time");
    assert_eq!(close, (0x8, 1002u16.to_be_bytes().to_vec()));
    // The task drops the connection when it is done: the stream ends.
    drop(conn);
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, client.read_to_end(&mut rest))
        .await
        .expect("in time")
        .expect("end of stream");
    assert!(rest.is_empty());
}
