//! Benchmark peer on socketioxide (crates.io), for `scripts/bench-compare.sh`.
//!
//! Event contract (same as the Node peer and the project's `bench-server`):
//! `echo` with an ack id is acknowledged with its argument; `echo` without one is
//! answered by emitting `echo` with the same argument; `broadcast` is re-emitted to every
//! socket of `/`. Binds 127.0.0.1 only, one tokio worker (current_thread runtime).
//!
//! Usage: `socketioxide-bench-server --port 3000` (port 0 = ephemeral; the bound address
//! is printed as `listening 127.0.0.1:PORT`).

use std::convert::Infallible;
use std::io::Write;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;
use socketioxide::SocketIo;

/// Extractor: whether the client asked for an acknowledgement.
struct WantsAck(bool);

impl<A: Adapter> FromMessageParts<A> for WantsAck {
    type Error = Infallible;
    fn from_message_parts(
        _s: &Arc<Socket<A>>,
        _v: &mut Value,
        ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(WantsAck(ack_id.is_some()))
    }
}

fn port_arg() -> u16 {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--port" {
            if let Some(p) = args.next().and_then(|p| p.parse().ok()) {
                return p;
            }
        }
    }
    3000
}

fn main() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(port_arg()))
}

async fn run(port: u16) -> std::io::Result<()> {
    let (svc, io) = SocketIo::builder().build_svc();
    let io2 = io.clone();
    io.ns("/", async move |socket: SocketRef| {
        socket.on(
            "echo",
            async |s: SocketRef, Data(v): Data<rmpv::Value>, ack: AckSender, WantsAck(wants)| {
                if wants {
                    let _ = ack.send(&v);
                } else {
                    let _ = s.emit("echo", &v);
                }
            },
        );
        let io = io2.clone();
        socket.on("broadcast", async move |Data(v): Data<rmpv::Value>| {
            let _ = io.emit("broadcast", &v).await;
        });
    });

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening {addr}")?;
        out.flush()?;
    }
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            // Out of file descriptors and the like: keep serving the open sockets.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let svc = svc.clone();
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}
