//! Echo server for manual testing: `cargo run -p engineio --example echo -- 3000`.
//! Uses the official test suite's settings (pingInterval 300, pingTimeout 200, CORS `*`).

use std::time::Duration;

use engineio::{CorsConfig, DisconnectReason, Engine, EngineConfig, Handler, Message, Socket};

struct Echo;

impl Handler for Echo {
    type State = ();
    fn on_connect(&self, _socket: &Socket) {}
    fn on_message(&self, socket: &Socket, _state: &(), message: Message) {
        let _ = socket.try_send(message);
    }
    fn on_disconnect(&self, socket: &Socket, _state: &(), reason: DisconnectReason) {
        tracing::info!(sid = socket.id(), %reason, "disconnect");
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let config = EngineConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .cors(CorsConfig::any());
    let engine = Engine::new(config, Echo);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    engine.serve(listener).await
}
