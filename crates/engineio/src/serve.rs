//! Standalone serving: one call that accepts TCP connections and runs hyper on them.

use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower_service::Service;

use crate::engine::{Engine, Handler};
use crate::request::ConnectInfo;

impl<H: Handler> Engine<H> {
    /// Serves this engine on `listener` (HTTP/1.1 with upgrades) until the task is
    /// dropped. Requests outside the engine's path get 404. Each request carries a
    /// [`ConnectInfo`] extension with the peer address.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, peer_addr) = match listener.accept().await {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of descriptors and similar: back off instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let svc = self.service();
            tokio::spawn(async move {
                let info = ConnectInfo {
                    peer_addr,
                    secure: false,
                };
                let service =
                    hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                        req.extensions_mut().insert(info);
                        let mut svc = svc.clone();
                        svc.call(req)
                    });
                let conn = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                if let Err(err) = conn.await {
                    tracing::debug!(%err, "connection error");
                }
            });
        }
    }
}
