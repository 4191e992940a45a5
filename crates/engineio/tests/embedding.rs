//! Embedding: the engine as an axum layer and as an axum route service.

mod common;

use common::*;
use engineio::{Engine, EngineConfig};
use tokio::sync::mpsc;

async fn serve_axum(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn axum_layer_and_route_service() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = Engine::new(EngineConfig::default(), Recorder { tx, echo: true });
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .layer(engine.layer());
    let addr = serve_axum(app).await;
    assert_eq!(http(addr, "GET", "/", &[], b"").await.text(), "home");
    let res = http(addr, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    assert_eq!(res.status, 200);
    assert!(res.text().starts_with("0{\"sid\":"));
    assert_eq!(engine.session_count(), 1);

    let app = axum::Router::new().route_service("/engine.io/", engine.service());
    let addr = serve_axum(app).await;
    let res = http(addr, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"").await;
    assert_eq!(res.status, 200);
    assert_eq!(engine.session_count(), 2);
    assert_eq!(http(addr, "GET", "/nope", &[], b"").await.status, 404);
}

#[tokio::test]
async fn websocket_through_axum_layer() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = Engine::new(EngineConfig::default(), Recorder { tx, echo: true });
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .layer(engine.layer());
    let addr = serve_axum(app).await;
    let url = format!("ws://{addr}/engine.io/?EIO=4&transport=websocket");
    let req = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let mut ws = Ws(ws);
    assert!(ws.next_text().await.starts_with("0{"));
    ws.send_text("4hi").await;
    assert_eq!(ws.next_text().await, "4hi");
}

/// axum keeps the peer address as its own `ConnectInfo<SocketAddr>`; the one-line
/// middleware from the crate docs copies it into a plain `SocketAddr` extension, which
/// the engine reads.
#[tokio::test]
async fn axum_peer_address_through_a_socketaddr_extension() {
    use std::net::SocketAddr;
    let (tx, _rx) = mpsc::unbounded_channel();
    let engine = Engine::new(EngineConfig::default(), Recorder { tx, echo: true });
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .layer(engine.layer())
        .layer(axum::middleware::map_request(
            |axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<SocketAddr>,
             mut req: axum::extract::Request| async move {
                req.extensions_mut().insert(addr);
                req
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let client_addr = tcp.local_addr().unwrap();
    let req = request_bytes("GET", "/engine.io/?EIO=4&transport=polling", &[], b"");
    tokio::io::AsyncWriteExt::write_all(&mut tcp, &req)
        .await
        .unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(
        STEP,
        tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut raw),
    )
    .await
    .unwrap()
    .unwrap();
    let body = parse_response(&raw).text();
    let open: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
    let socket = engine.socket(open["sid"].as_str().unwrap()).unwrap();
    assert_eq!(socket.request().peer_addr(), Some(client_addr));
    assert!(!socket.request().secure());
}
