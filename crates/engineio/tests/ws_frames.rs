//! WebSocket framing against a real server, with hand-made frames over a raw TCP
//! socket: control frames, fragmentation, every kind of protocol violation (close code
//! and close reason), and bytes sent right behind the upgrade request.

mod common;

use std::net::SocketAddr;

use common::*;
use engineio::{DisconnectReason, EngineConfig, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MASK: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

/// A client frame with a chosen first byte (FIN, RSV, opcode); masked unless `mask` is
/// false.
fn frame_with(b0: u8, payload: &[u8], mask: bool) -> Vec<u8> {
    let bit = if mask { 0x80 } else { 0 };
    let mut out = vec![b0];
    match payload.len() {
        n @ 0..=125 => out.push(bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if mask {
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with(if fin { 0x80 } else { 0 } | opcode, payload, true)
}

fn upgrade_request(addr: SocketAddr) -> Vec<u8> {
    format!(
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// A raw WebSocket: the upgrade done by hand, `extra` sent in the same write as the
/// request. Returns the socket and the session id (from the open packet).
async fn raw_ws(s: &mut Server, extra: &[u8]) -> (TcpStream, String) {
    let mut tcp = TcpStream::connect(s.addr).await.unwrap();
    let mut req = upgrade_request(s.addr);
    req.extend_from_slice(extra);
    tcp.write_all(&req).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let b = tokio::time::timeout(STEP, tcp.read_u8())
            .await
            .expect("response in time")
            .expect("response");
        head.push(b);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    let (opcode, open) = read_frame(&mut tcp).await.expect("open packet");
    assert_eq!(opcode, 1);
    assert!(open.starts_with(b"0{"), "{open:?}");
    let v: serde_json::Value = serde_json::from_slice(&open[1..]).unwrap();
    let sid = v["sid"].as_str().unwrap().to_owned();
    match s.next_event().await {
        Event::Connect(id) => assert_eq!(id, sid),
        other => panic!("unexpected {other:?}"),
    }
    (tcp, sid)
}

/// Reads one server frame (opcode, payload); `None` at end of stream.
async fn read_frame(tcp: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tokio::time::timeout(STEP, tcp.read_exact(&mut head))
        .await
        .expect("frame in time")
        .ok()?;
    assert_eq!(head[0] & 0x70, 0, "no RSV bits");
    assert_eq!(head[0] & 0x80, 0x80, "server frames are final");
    assert_eq!(head[1] & 0x80, 0, "server frames are not masked");
    let len = match head[1] & 0x7F {
        126 => usize::from(tcp.read_u16().await.ok()?),
        127 => usize::try_from(tcp.read_u64().await.ok()?).ok()?,
        n => usize::from(n),
    };
    let mut payload = vec![0; len];
    tokio::time::timeout(STEP, tcp.read_exact(&mut payload))
        .await
        .expect("payload in time")
        .ok()?;
    Some((head[0] & 0x0F, payload))
}

/// The server's last frame must be a close frame with `payload`, then end of stream.
async fn expect_close(tcp: &mut TcpStream, payload: &[u8]) {
    assert_eq!(read_frame(tcp).await, Some((0x8, payload.to_vec())));
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, tcp.read_to_end(&mut rest))
        .await
        .expect("end in time")
        .expect("end");
    assert!(rest.is_empty(), "nothing after the close frame: {rest:?}");
}

#[tokio::test]
async fn pings_are_answered_and_pongs_ignored() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, sid) = raw_ws(&mut s, b"").await;
    let mut input = frame(true, 0x9, b"hello ping");
    input.extend(frame(true, 0xA, b"unsolicited pong"));
    input.extend(frame(true, 0x9, b""));
    input.extend(frame(true, 0x1, b"4after"));
    tcp.write_all(&input).await.unwrap();
    assert_eq!(
        read_frame(&mut tcp).await,
        Some((0xA, b"hello ping".to_vec()))
    );
    assert_eq!(read_frame(&mut tcp).await, Some((0xA, Vec::new())));
    assert_eq!(read_frame(&mut tcp).await, Some((0x1, b"4after".to_vec())));
    match s.next_event().await {
        Event::Message(id, Message::Text(t)) => {
            assert_eq!(id, sid);
            assert_eq!(t.as_str(), "after");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn fragments_are_delivered_as_one_message() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, _sid) = raw_ws(&mut s, b"").await;
    let euro = "€".as_bytes();
    let mut input = frame(false, 0x1, &[b'4', b'a', euro[0]]);
    input.extend(frame(true, 0x9, b"p"));
    input.extend(frame(false, 0x0, &euro[1..]));
    input.extend(frame(true, 0x0, b"b"));
    input.extend(frame(false, 0x2, &[1, 2]));
    input.extend(frame(true, 0x0, &[3]));
    // Byte by byte: every split of a frame works.
    for b in input {
        tcp.write_all(&[b]).await.unwrap();
    }
    assert_eq!(read_frame(&mut tcp).await, Some((0xA, b"p".to_vec())));
    assert_eq!(
        read_frame(&mut tcp).await,
        Some((0x1, "4a€b".as_bytes().to_vec()))
    );
    assert_eq!(read_frame(&mut tcp).await, Some((0x2, vec![1, 2, 3])));
}

#[tokio::test]
async fn protocol_violations_close_with_their_code() {
    let mut oversize = vec![0x82, 0x80 | 126];
    oversize.extend_from_slice(&5000u16.to_be_bytes());
    oversize.extend_from_slice(&MASK); // the payload is never sent: the header suffices
    let mut fragmented_oversize = frame(false, 0x1, &[b'4'; 600]);
    fragmented_oversize.extend(frame(false, 0x0, &[b'a'; 600]));
    let mut new_message_inside_one = frame(false, 0x1, b"4a");
    new_message_inside_one.extend(frame(true, 0x2, b"b"));
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("unmasked", frame_with(0x81, b"4x", false), 1002),
        ("rsv bits", frame_with(0xC1, b"4x", true), 1002),
        ("unknown opcode", frame(true, 0x3, b"x"), 1002),
        ("long control", frame(true, 0x9, &[0; 126]), 1002),
        ("fragmented control", frame(false, 0x9, b"x"), 1002),
        ("lone continuation", frame(true, 0x0, b"x"), 1002),
        ("new message inside one", new_message_inside_one, 1002),
        (
            "bad close code",
            frame(true, 0x8, &1006u16.to_be_bytes()),
            1002,
        ),
        ("invalid utf-8", frame(true, 0x1, b"4\xc3\x28"), 1007),
        ("oversize", oversize, 1009),
        ("oversize fragments", fragmented_oversize, 1009),
    ];
    let mut s = Server::start(EngineConfig::default().max_payload(1000)).await;
    for (name, input, code) in cases {
        let (mut tcp, sid) = raw_ws(&mut s, b"").await;
        tcp.write_all(&input).await.unwrap();
        expect_close(&mut tcp, &code.to_be_bytes()).await;
        assert_eq!(
            s.disconnect_of(&sid).await,
            DisconnectReason::TransportError,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_close_frame_is_echoed() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, sid) = raw_ws(&mut s, b"").await;
    let mut payload = 1001u16.to_be_bytes().to_vec();
    payload.extend_from_slice(b"going away");
    tcp.write_all(&frame(true, 0x8, &payload)).await.unwrap();
    expect_close(&mut tcp, &1001u16.to_be_bytes()).await;
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
    // Without a status code: an empty close frame back.
    let (mut tcp, sid) = raw_ws(&mut s, b"").await;
    tcp.write_all(&frame(true, 0x8, b"")).await.unwrap();
    expect_close(&mut tcp, b"").await;
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn a_bad_engine_packet_is_a_parse_error() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, sid) = raw_ws(&mut s, b"").await;
    tcp.write_all(&frame(true, 0x1, b"9nope")).await.unwrap();
    expect_close(&mut tcp, b"").await;
    assert_eq!(s.disconnect_of(&sid).await, DisconnectReason::ParseError);
}

#[tokio::test]
async fn end_of_stream_is_transport_close() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, sid) = raw_ws(&mut s, b"").await;
    // Half a frame, then the client goes away.
    tcp.write_all(&frame(true, 0x1, b"4partial")[..5])
        .await
        .unwrap();
    tcp.shutdown().await.unwrap();
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn frames_sent_with_the_upgrade_request_are_read() {
    let mut s = Server::start(EngineConfig::default()).await;
    let mut early = frame(true, 0x1, b"4early");
    early.extend(frame(true, 0x2, &[7; 300]));
    let (mut tcp, sid) = raw_ws(&mut s, &early).await;
    assert_eq!(read_frame(&mut tcp).await, Some((0x1, b"4early".to_vec())));
    assert_eq!(read_frame(&mut tcp).await, Some((0x2, vec![7; 300])));
    // And the connection goes on as usual.
    tcp.write_all(&frame(true, 0x1, b"4later")).await.unwrap();
    assert_eq!(read_frame(&mut tcp).await, Some((0x1, b"4later".to_vec())));
    tcp.write_all(&frame(true, 0x1, b"1")).await.unwrap();
    expect_close(&mut tcp, b"").await;
    assert_eq!(
        s.disconnect_of(&sid).await,
        DisconnectReason::TransportClose
    );
}

#[tokio::test]
async fn messages_up_to_the_limit_pass_in_any_size() {
    let mut s = Server::start(EngineConfig::default()).await;
    let (mut tcp, _sid) = raw_ws(&mut s, b"").await;
    for len in [0usize, 125, 126, 65535, 65536, 300_000, 1_000_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
        let writer = {
            let input = frame(true, 0x2, &payload);
            let (mut rd, mut wr) = tcp.into_split();
            let w = tokio::spawn(async move {
                wr.write_all(&input).await.unwrap();
                wr
            });
            let echo = read_frame_split(&mut rd).await;
            let wr = w.await.unwrap();
            tcp = rd.reunite(wr).unwrap();
            echo
        };
        assert_eq!(writer, Some((0x2, payload)), "len {len}");
    }
}

/// `read_frame` on a read half (the writer runs concurrently for large frames).
async fn read_frame_split(rd: &mut tokio::net::tcp::OwnedReadHalf) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tokio::time::timeout(STEP, rd.read_exact(&mut head))
        .await
        .expect("frame in time")
        .ok()?;
    let len = match head[1] & 0x7F {
        126 => usize::from(rd.read_u16().await.ok()?),
        127 => usize::try_from(rd.read_u64().await.ok()?).ok()?,
        n => usize::from(n),
    };
    let mut payload = vec![0; len];
    tokio::time::timeout(STEP, rd.read_exact(&mut payload))
        .await
        .expect("payload in time")
        .ok()?;
    Some((head[0] & 0x0F, payload))
}
