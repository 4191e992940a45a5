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
