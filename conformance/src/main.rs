//! `conformance-server`: the server the official Engine.IO v4 / Socket.IO v5
//! conformance suites talk to, also used by this project's own conformance and
//! interop tests (`conformance/tests/`).
//!
//! Services, composed in [`app`] by path:
//! - `/engine.io/`: bare Engine.IO echo server ([`engine_echo`]); the text
//!   message `close-me` makes it close the session instead of echoing;
//! - `/socket.io/`: the Socket.IO v5 contract server ([`socketio_contract`]);
//! - `/__stats`: `{"sessions":N}` engine session count ([`stats`]);
//! - anything else: 404.
//!
//! Options: `--port N` (default 3000, 0 = ephemeral), `--ping-interval MS`
//! (300), `--ping-timeout MS` (200), `--max-payload BYTES` (1000000),
//! `--upgrade-timeout MS` (10000). CORS
//! allows any origin. Binds 127.0.0.1 and prints `listening on 127.0.0.1:PORT`
//! on stdout once bound. Logs go to stderr through `tracing` (`RUST_LOG`).

mod cli;
mod engine_echo;
mod socketio_contract;
mod stats;

use std::process::ExitCode;
use std::sync::Arc;

use cli::Options;
use engineio::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower_layer::Layer;
use tower_service::Service;
use tracing_subscriber::EnvFilter;

/// The whole HTTP service: the Engine.IO echo at `/engine.io/`, falling
/// through to `/__stats` / 404 for other paths.
type App = engineio::EngineService<
    engine_echo::EchoHandler,
    engineio::EngineService<socketio_server::SocketIoHandler, stats::StatsService>,
>;

/// Builds the whole HTTP service for the given options.
fn app(options: &Options) -> App {
    let engine = engine_echo::engine(options);
    let counter = engine.clone();
    let fallback = stats::StatsService::new(Arc::new(move || counter.session_count()));
    let socketio = socketio_contract::server(options);
    engine.layer().layer(socketio.layer().layer(fallback))
}

async fn run(options: Options) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", options.port)).await?;
    let addr = listener.local_addr()?;
    let service = app(&options);
    #[allow(clippy::print_stdout)]
    {
        use std::io::Write;
        println!("listening on {addr}");
        std::io::stdout().flush()?;
    }
    tracing::info!(%addr, ?options, "conformance server listening");
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off, keep serving.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = service.clone();
        tokio::spawn(async move {
            let info = ConnectInfo {
                peer_addr: peer,
                secure: false,
            };
            let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(info);
                let mut app = app.clone();
                app.call(req)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(error) = conn.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            tracing::error!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = run(options) => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "server failed");
            ExitCode::FAILURE
        }
    }
}
